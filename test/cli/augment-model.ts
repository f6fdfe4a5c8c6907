// A tiny CNN trained without exits, for the tests of `eennc augment`: input [1, 1, 8, 8], conv-relu-pool twice, then
// a fully connected classifier of 3 classes; labelled samples whose labels are the model's own answers (so the
// original is right on all of them in float), and an autoencoder-like model with no classifier output.

import { join } from 'node:path';
import { writeNpy } from '../../src/data/index.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import { saveModel } from '../../src/frontend/save.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

export const TINY_SHAPE = [1, 1, 8, 8];
export const TINY_CLASSES = 3;

function weights(shape: number[], seed: number, scale: number): ['float32', number[], Float32Array] {
  const size = shape.reduce((a, b) => a * b, 1);
  return ['float32', shape, randomFloats(size, seed).map((v) => v * scale)];
}

export function tinyCnnSpec(): GraphSpec {
  return {
    inputs: { x: ['float32', TINY_SHAPE] },
    constants: {
      w1: weights([4, 1, 3, 3], 41, 0.8),
      b1: weights([4], 42, 0.1),
      w2: weights([8, 4, 3, 3], 43, 0.4),
      w3: weights([TINY_CLASSES, 32], 44, 0.5),
      b3: weights([TINY_CLASSES], 45, 0.1),
    },
    nodes: [
      ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
      ['Relu', ['c1'], ['r1'], {}, 'relu1'],
      ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'],
      ['Conv', ['p1', 'w2'], ['c2'], { pads: [1, 1, 1, 1] }, 'conv2'],
      ['Relu', ['c2'], ['r2'], {}, 'relu2'],
      ['MaxPool', ['r2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2'],
      ['Flatten', ['p2'], ['f'], { axis: 1 }, 'flatten'],
      ['Gemm', ['f', 'w3', 'b3'], ['scores'], { transB: 1 }, 'fc'],
    ],
    outputs: ['scores'],
  };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Writes into `dir`: tiny.onnx, data.npy (`count` samples in [-2, 2)), labels.npy (int32: the float model's answers),
 * and autoencoder.onnx (conv only: its output is a map, not class scores).
 */
export function writeTinyCnn(dir: string, count = 160): { model: string; data: string; labels: string; autoencoder: string } {
  const spec = tinyCnnSpec();
  const model = join(dir, 'tiny.onnx');
  saveModel(buildGraph(spec), model);
  const size = TINY_SHAPE.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * size);
  for (let i = 0; i < count; i++)
    data.set(
      randomFloats(size, 500 + i).map((v) => v * 2),
      i * size,
    );
  const dataPath = join(dir, 'data.npy');
  writeNpy(dataPath, [count, ...TINY_SHAPE.slice(1)], data);
  // The labels are what the model answers (the imported file: its shapes inferred).
  const labels = new Int32Array(count);
  const shaped = importModel(model).graph;
  for (let i = 0; i < count; i++) {
    const out = runReference(shaped, { x: { shape: TINY_SHAPE, dtype: 'float32', data: data.subarray(i * size, (i + 1) * size) } });
    labels[i] = argmax(out['scores']!.data as Float32Array);
  }
  const labelsPath = join(dir, 'labels.npy');
  writeNpy(labelsPath, [count], labels);
  const autoencoder = join(dir, 'autoencoder.onnx');
  saveModel(
    buildGraph({
      inputs: { x: ['float32', TINY_SHAPE] },
      constants: { w1: weights([4, 1, 3, 3], 41, 0.8), w2: weights([1, 4, 3, 3], 46, 0.4) },
      nodes: [
        ['Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
        ['Relu', ['c1'], ['r1'], {}, 'relu1'],
        ['Conv', ['r1', 'w2'], ['y'], { pads: [1, 1, 1, 1] }, 'conv2'],
      ],
      outputs: ['y'],
    }),
    autoencoder,
  );
  return { model, data: dataPath, labels: labelsPath, autoencoder };
}
