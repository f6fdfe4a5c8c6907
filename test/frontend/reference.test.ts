// The float reference interpreter: outputs, intermediates for calibration, input checks, and the Fashion-MNIST
// example model on real test images (outputs as PyTorch computed them, accuracy of the trained network).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { sizeOf } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { readLabels, readNpy, readSamples } from '../../src/data/index.js';
import { importModel } from '../../src/frontend/index.js';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { buildGraph } from './build-graph.js';

const small = () =>
  inferGraphShapes(
    buildGraph({
      inputs: { x: ['float32', [1, 4]] },
      constants: { w: ['float32', [4, 2], [1, 0, 0, 1, 1, 0, 0, 1]], b: ['float32', [2], [0.5, -10]] },
      nodes: [
        ['MatMul', ['x', 'w'], ['xw']],
        ['Add', ['xw', 'b'], ['z']],
        ['Relu', ['z'], ['y']],
      ],
      outputs: ['y'],
    }),
  ).graph;

const input = (data: number[]): Record<string, Value> => ({ x: { shape: [1, 4], dtype: 'float32', data: Float32Array.from(data) } });

describe('runReference', () => {
  it('computes the graph outputs and only those by default', () => {
    const out = runReference(small(), input([1, 2, 3, 4]));
    expect(Object.keys(out)).toEqual(['y']);
    expect(out.y!.shape).toEqual([1, 2]);
    expect(Array.from(out.y!.data)).toEqual([4.5, 0]);
  });

  it('hands every tensor to onTensor in order, and keeps them all with keep: "all"', () => {
    const seen: string[] = [];
    const out = runReference(small(), input([1, 2, 3, 4]), { keep: 'all', onTensor: (name) => seen.push(name) });
    expect(seen).toEqual(['x', 'xw', 'z', 'y']);
    expect(Object.keys(out).sort()).toEqual(['x', 'xw', 'y', 'z']);
    expect(Array.from(out.z!.data)).toEqual([4.5, -4]);
  });

  it('refuses inputs of the wrong shape or dtype, and missing inputs, with E_DATA', () => {
    const graph = small();
    const bad = [
      { x: { shape: [4], dtype: 'float32', data: new Float32Array(4) } },
      { x: { shape: [1, 4], dtype: 'int32', data: new Int32Array(4) } },
      {},
    ] as Record<string, Value>[];
    for (const inputs of bad) {
      expect(() => runReference(graph, inputs)).toThrow(EennError);
      try {
        runReference(graph, inputs);
      } catch (err) {
        expect((err as EennError).code).toBe('E_DATA');
      }
    }
  });
});

const FMNIST = 'examples/fmnist/fmnist_cnn.onnx';

describe.runIf(existsSync(FMNIST))('the Fashion-MNIST example model', () => {
  const { graph } = importModel(FMNIST);
  const inputName = graph.inputs[0]!;
  const shape = graph.tensors.get(inputName)!.shape;
  const size = sizeOf(shape);
  const run = (data: Float32Array) => runReference(graph, { [inputName]: { shape, dtype: 'float32', data } })[graph.outputs[0]!]!;

  it('matches the outputs PyTorch computed for its test inputs', () => {
    const samples = readSamples('examples/fmnist/test_inputs.npy', shape);
    const expected = readNpy('examples/fmnist/expected_float.npy');
    expect(samples.count).toBe(expected.shape[0]);
    const classes = expected.data.length / samples.count;
    for (let i = 0; i < samples.count; i++) {
      const out = run(samples.data.subarray(i * size, (i + 1) * size)).data;
      for (let j = 0; j < classes; j++) expect(out[j]).toBeCloseTo(expected.data[i * classes + j]!, 4);
    }
  });

  it('classifies 1,000 Fashion-MNIST test images (as a trained model should)', () => {
    const count = 1000;
    const images = readSamples('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', shape, { scale: 1 / 255, count });
    const labels = readLabels('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const logits = run(images.data.subarray(i * size, (i + 1) * size)).data;
      let best = 0;
      for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
      if (best === labels[i]) correct++;
    }
    expect(correct / count).toBeGreaterThan(0.8);
  }, 60_000);
});
