// Pipelines (`--then B.onnx`): two models joined into one graph at the first model's output. The joined graph is
// checked against running the two models one after the other in the float reference, on small graphs and on the
// CBNet example (examples/fmnist_cbnet); mismatched shapes and models that cannot be joined are refused with errors
// that name both files.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { importWithOwnQuantization, quantizeModel } from '../src/compile.js';
import { readNpy } from '../src/data/index.js';
import { importModel, runReference } from '../src/frontend/index.js';
import { encodeGraph } from '../src/frontend/save.js';
import { encodeModel, OnnxDataType } from '../src/frontend/onnx-proto.js';
import { EennError } from '../src/ir/diagnostics.js';
import { sizeOf, type Graph } from '../src/ir/graph.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { buildGraph, randomFloats, type GraphSpec } from './frontend/build-graph.js';

const CBNET = 'examples/fmnist_cbnet';
const CAE = `${CBNET}/fmnist_cae.onnx`;
const LIGHT = `${CBNET}/fmnist_light.onnx`;

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir('eennc-pipeline-test-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** Writes the graph of `spec` as an .onnx file in the test's folder. */
function writeModel(name: string, spec: GraphSpec): string {
  const path = join(dir, name);
  writeFileSync(path, encodeGraph(buildGraph(spec)));
  return path;
}

/** A: x [1,4] -> Relu -> Mul by 2 -> `y` [1,4], with a tensor named `h` inside. */
function firstSpec(): GraphSpec {
  return {
    inputs: { x: ['float32', [1, 4]] },
    constants: { two: ['float32', [1], [2]] },
    nodes: [
      ['Relu', ['x'], ['h'], {}, 'relu'],
      ['Mul', ['h', 'two'], ['y'], {}, 'scale'],
    ],
    outputs: ['y'],
  };
}

/** B: x [1,n] -> Gemm with weights `w` -> `h` -> Relu -> `y` [1,2]: the same tensor and node names as A. */
function secondSpec(n = 4): GraphSpec {
  return {
    inputs: { x: ['float32', [1, n]] },
    constants: { w: ['float32', [2, n], randomFloats(2 * n, 7)], b: ['float32', [2], [0.5, -0.25]] },
    nodes: [
      ['Gemm', ['x', 'w', 'b'], ['h'], { transB: 1 }, 'relu'],
      ['Relu', ['h'], ['y'], {}, 'scale'],
    ],
    outputs: ['y'],
  };
}

function errorOf(fn: () => unknown): EennError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an EennError');
}

/** The float reference of `first` then `second`, one sample. */
function chained(first: Graph, second: Graph, input: Float32Array): Float32Array {
  const mid = runReference(first, { [first.inputs[0]!]: { shape: first.tensors.get(first.inputs[0]!)!.shape, dtype: 'float32', data: input } });
  const out = runReference(second, { [second.inputs[0]!]: mid[first.outputs[0]!]! });
  return out[second.outputs[0]!]!.data as Float32Array;
}

describe('--then: joining two graphs', () => {
  it("renames the second model's clashing tensors and nodes, keeps its output's name, and computes A then B", () => {
    const a = writeModel('a.onnx', firstSpec());
    const b = writeModel('b.onnx', secondSpec());
    const { graph, notes } = importWithOwnQuantization(a, undefined, b);
    expect(graph.inputs).toEqual(['x']);
    // B's output `y` clashes with A's `y`: renamed, as is everything of B but its input (A's output now).
    expect(graph.outputs).toHaveLength(1);
    expect(graph.outputs[0]).not.toBe('y');
    expect(new Set(graph.nodes.map((n) => n.name)).size).toBe(graph.nodes.length);
    const gemm = graph.nodes.find((n) => n.op === 'Gemm')!;
    expect(gemm.inputs[0]).toBe('y');
    expect(gemm.name).toBe('b_relu');
    expect(notes.some((n) => n.includes('pipeline') && n.includes('[1,4]'))).toBe(true);
    const x = randomFloats(4, 3);
    const got = runReference(graph, { x: { shape: [1, 4], dtype: 'float32', data: x } })[graph.outputs[0]!]!.data;
    expect(Array.from(got)).toEqual(Array.from(chained(importModel(a).graph, importModel(b).graph, x)));
  });

  it('keeps the name of an output of the second model that the first model does not use', () => {
    const a = writeModel('a2.onnx', firstSpec());
    const spec = secondSpec();
    spec.nodes[1]![2] = ['logits'];
    spec.outputs = ['logits'];
    const { graph } = importWithOwnQuantization(a, undefined, writeModel('b2.onnx', spec));
    expect(graph.outputs).toEqual(['logits']);
  });

  it('refuses an output shape that is not the input shape, naming both files and shapes', () => {
    const a = writeModel('a3.onnx', firstSpec());
    const b = writeModel('b3.onnx', secondSpec(3));
    const err = errorOf(() => importWithOwnQuantization(a, undefined, b));
    expect(err.code).toBe('E_SHAPE');
    expect(err.message).toContain(a);
    expect(err.message).toContain(b);
    expect(err.message).toContain('[1,4]');
    expect(err.message).toContain('[1,3]');
    expect(err.hint).toContain('--then');
  });

  it('refuses a first model with two outputs and a second with two inputs', () => {
    const spec = firstSpec();
    spec.outputs = ['h', 'y'];
    const twoOutputs = writeModel('a4.onnx', spec);
    const err = errorOf(() => importWithOwnQuantization(twoOutputs, undefined, writeModel('b4.onnx', secondSpec())));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('2 outputs');
    const twoInputs = secondSpec();
    twoInputs.inputs = { x: ['float32', [1, 4]], z: ['float32', [1, 2]] };
    twoInputs.nodes.push(['Add', ['y', 'z'], ['sum']]);
    twoInputs.outputs = ['sum'];
    const err2 = errorOf(() => importWithOwnQuantization(writeModel('a5.onnx', firstSpec()), undefined, writeModel('b5.onnx', twoInputs)));
    expect(err2.code).toBe('E_USAGE');
    expect(err2.message).toContain('2 inputs');
  });

  it('refuses models of different opsets', () => {
    const b = writeModel('b6.onnx', { ...secondSpec(), opset: 12 });
    const err = errorOf(() => importWithOwnQuantization(writeModel('a6.onnx', firstSpec()), undefined, b));
    expect(err.code).toBe('E_OPSET');
    expect(err.message).toContain('opset 13');
    expect(err.message).toContain('opset 12');
  });

  it('reports a second model that cannot be read as that file', () => {
    const missing = join(dir, 'missing.onnx');
    const err = errorOf(() => importWithOwnQuantization(writeModel('a7.onnx', firstSpec()), undefined, missing));
    expect(err.code).toBe('E_FILE');
    expect(err.file).toBe(missing);
  });
});

/** B as a file in folder `sub` of the test's folder: y = x + w, w [4] stored in the external data file `location`. */
function externalDataModel(location: string): string {
  const sub = join(dir, 'sub');
  mkdirSync(sub, { recursive: true });
  const info = (name: string) => ({
    name,
    type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  const w = {
    name: 'w',
    dims: [4],
    dataType: OnnxDataType.FLOAT,
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: '16' },
    ],
  };
  const graph = {
    name: 'b',
    input: [info('x')],
    output: [info('y')],
    initializer: [w],
    node: [{ name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] }],
  };
  const path = join(sub, `external-${location.replace(/\W/g, '_')}.onnx`);
  writeFileSync(path, encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }));
  return path;
}

describe('--then: the second model is read as any model is', () => {
  it("reads its external data from its own folder, and none from outside it (the first model's folder included)", () => {
    const weights = new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer);
    writeFileSync(join(dir, 'sub-weights.bin'), weights); // beside the first model, outside the second's folder
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'weights.bin'), weights);
    const a = writeModel('a8.onnx', firstSpec());
    const inside = importWithOwnQuantization(a, undefined, externalDataModel('weights.bin')).graph;
    const add = inside.nodes.find((n) => n.op === 'Add')!;
    expect(add.inputs[1]).toBe('external_weights_bin_w'); // prefixed with the file's name
    expect(Array.from(inside.tensors.get(add.inputs[1]!)!.data!)).toEqual([1, 2, 3, 4]);
    const outsideModel = externalDataModel('../sub-weights.bin');
    const err = errorOf(() => importWithOwnQuantization(a, undefined, outsideModel));
    expect(err.code).toBe('E_MODEL');
    expect(err.message).toContain('leads out of the model');
    expect(err.file).toBe(outsideModel);
  });
});

describe('--then on the CBNet example', () => {
  it('the autoencoder then the light classifier equals running one after the other in the float reference', () => {
    const { graph } = importWithOwnQuantization(CAE, undefined, LIGHT);
    const cae = importModel(CAE).graph;
    const light = importModel(LIGHT).graph;
    expect(graph.outputs).toEqual(['logits']);
    expect(graph.nodes).toHaveLength(cae.nodes.length + light.nodes.length);
    const inputs = readNpy(`${CBNET}/test_inputs.npy`);
    const expected = readNpy(`${CBNET}/expected_float.npy`);
    const size = sizeOf(inputs.shape.slice(1));
    for (let s = 0; s < 4; s++) {
      const x = (inputs.data as Float32Array).slice(s * size, (s + 1) * size);
      const got = runReference(graph, { input: { shape: [1, 1, 28, 28], dtype: 'float32', data: x } }).logits!.data as Float32Array;
      expect(Array.from(got)).toEqual(Array.from(chained(cae, light, x)));
      // and PyTorch's logits of the two modules run together
      const want = expected.data.subarray(s * 10, (s + 1) * 10);
      for (let c = 0; c < 10; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThan(1e-3);
    }
  });

  it('the autoencoder fed to itself: every name of the second copy renamed, nothing clashing', () => {
    const { graph } = importWithOwnQuantization(CAE, undefined, CAE);
    const names = graph.nodes.flatMap((n) => n.outputs);
    expect(new Set(names).size).toBe(names.length);
    expect(graph.outputs).toEqual(['fmnist_cae_converted']);
  });

  it('calibrates through both models: every activation of the second model gets a scale', async () => {
    const { graph } = importWithOwnQuantization(CAE, undefined, LIGHT);
    const quantized = await quantizeModel(graph, {
      model: CAE,
      calibration: { path: `${CBNET}/calib_u8.npy`, count: 16, scale: 1 / 255, method: 'percentile' },
    });
    const logits = quantized.tensors.get(quantized.outputs[0]!)!;
    expect(logits.dtype).toBe('int8');
    expect(logits.quant?.scale[0]).toBeGreaterThan(0);
  });
});
