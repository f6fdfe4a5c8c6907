// A small model with two early exits, written as an .onnx file with its data, for the command-line tests of exits:
// conv -> exit0 (GAP + FC) -> conv -> exit1 -> conv -> final, every exit 10 class scores; and `bad`, one more
// output of another shape.

import { join } from 'node:path';
import { writeNpy } from '../../src/data/index.js';
import { saveModel } from '../../src/frontend/save.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

export const EXIT_MODEL_SHAPE = [1, 1, 12, 12];
export const EXIT_NAMES = ['exit0', 'exit1', 'final'];

function weights(shape: number[], seed: number, scale: number): ['float32', number[], Float32Array] {
  const size = shape.reduce((a, b) => a * b, 1);
  return ['float32', shape, randomFloats(size, seed).map((v) => v * scale)];
}

/** The model's graph: exits exit0, exit1, final ([1, 10] each) and `bad` ([1, 4]), with no metadata. */
export function exitModelSpec(): GraphSpec {
  const spec: GraphSpec = {
    inputs: { x: ['float32', EXIT_MODEL_SHAPE] },
    constants: {
      w1: weights([4, 1, 3, 3], 11, 0.6),
      w2: weights([16, 4, 3, 3], 12, 0.3),
      w3: weights([16, 16, 3, 3], 13, 0.15),
      bad_w: weights([4, 16], 31, 1),
    },
    nodes: [],
    outputs: [...EXIT_NAMES, 'bad'],
  };
  const conv = (x: string, w: string, y: string) => spec.nodes.push(['Conv', [x, w], [`${y}_c`], { pads: [1, 1, 1, 1] }], ['Relu', [`${y}_c`], [y]]);
  const head = (from: string, channels: number, out: string, seed: number) => {
    spec.constants![`${out}_w`] = weights([10, channels], seed, 4);
    spec.constants![`${out}_b`] = weights([10], seed + 1, 1);
    spec.nodes.push(['GlobalAveragePool', [from], [`${out}_gap`]], ['Flatten', [`${out}_gap`], [`${out}_flat`]]);
    spec.nodes.push(['Gemm', [`${out}_flat`, `${out}_w`, `${out}_b`], [out], { transB: 1 }, `${out}_fc`]);
  };
  conv('x', 'w1', 't1');
  head('t1', 4, 'exit0', 21);
  conv('t1', 'w2', 't2');
  head('t2', 16, 'exit1', 23);
  conv('t2', 'w3', 't3');
  head('t3', 16, 'final', 25);
  spec.nodes.push(['Gemm', ['final_flat', 'bad_w'], ['bad'], { transB: 1 }, 'bad_fc']);
  return spec;
}

/**
 * Writes into `dir`: exits.onnx (outputs exit0, exit1, final), exits-bad.onnx (the same and `bad`), data.npy
 * (`count` samples in [-2, 2)) and labels.npy (a made-up class for each).
 */
export function writeExitModel(dir: string, count = 16): { model: string; withBad: string; data: string; labels: string } {
  const spec = exitModelSpec();
  const withBad = join(dir, 'exits-bad.onnx');
  saveModel(buildGraph(spec), withBad);
  const model = join(dir, 'exits.onnx');
  const { bad_w: _unused, ...constants } = spec.constants!;
  saveModel(buildGraph({ ...spec, constants, nodes: spec.nodes.filter(([, , outputs]) => outputs[0] !== 'bad'), outputs: EXIT_NAMES }), model);
  const size = EXIT_MODEL_SHAPE.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * size);
  for (let i = 0; i < count; i++)
    data.set(
      randomFloats(size, 100 + i).map((v) => v * 2),
      i * size,
    );
  const dataPath = join(dir, 'data.npy');
  writeNpy(dataPath, [count, ...EXIT_MODEL_SHAPE.slice(1)], data);
  const labels = join(dir, 'labels.npy');
  writeNpy(
    labels,
    [count],
    Uint8Array.from({ length: count }, (_, i) => (i * 7) % 10),
  );
  return { model, withBad, data: dataPath, labels };
}
