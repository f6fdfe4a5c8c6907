// Cross-layer equalization: which layer pairs qualify, that the equalized graph computes the same function in float,
// and that it quantizes better where one layer's output channels differ widely in range.

import { describe, expect, it } from 'vitest';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { encodeInput, rawToFloat } from '../../src/io-codec.js';
import { postTrainingQuantize } from '../../src/post-training.js';
import { equalizeGraph } from '../../src/quantize/equalize.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { noOverrides } from '../../src/quantize/overrides.js';
import { NO_TECHNIQUES } from '../../src/quantize/techniques.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

function shaped(spec: GraphSpec): Graph {
  return inferGraphShapes(buildGraph(spec)).graph;
}

/** Random weights whose blocks of `block` values (one output channel each) are scaled by `gains` in turn. */
function channelWeights(count: number, block: number, gains: readonly number[], seed: number): Float32Array {
  const w = randomFloats(count, seed);
  return w.map((v, i) => v * gains[Math.floor(i / block) % gains.length]!);
}

/** The model's outputs on `input` (the single input "x"). */
function run(graph: Graph, input: Float32Array): Float32Array[] {
  const shape = graph.tensors.get('x')!.shape;
  const out = runReference(graph, { x: { shape, dtype: 'float32', data: input } });
  return graph.outputs.map((name) => out[name]!.data as Float32Array);
}

/** Every tensor's shape and constant values, to check that a graph was left as it was. */
function snapshot(graph: Graph): string {
  const tensors = [...graph.tensors].map(([name, t]) => [name, t.shape, t.data ? Array.from(t.data) : null]);
  return JSON.stringify({ tensors, nodes: graph.nodes });
}

/**
 * Conv -> Relu -> depthwise Conv -> LeakyRelu -> MaxPool -> grouped Conv -> Relu -> AveragePool -> Flatten -> Gemm
 * (transB) -> Relu -> Gemm, every layer's output channels of widely different ranges: five pairs, four of them in a
 * chain.
 */
const chain: GraphSpec = {
  inputs: { x: ['float32', [1, 2, 8, 8]] },
  constants: {
    w1: ['float32', [4, 2, 3, 3], channelWeights(72, 18, [1, 30, 0.2, 5], 1)],
    b1: ['float32', [4], [0.1, -2, 0.05, 0.5]],
    wd: ['float32', [4, 1, 3, 3], channelWeights(36, 9, [0.1, 2, 10, 1], 2)],
    bd: ['float32', [4], [0.2, 0.1, -0.3, 0]],
    wg: ['float32', [6, 2, 1, 1], channelWeights(12, 2, [1, 50, 0.5, 3, 0.02, 1], 3)],
    bg: ['float32', [6], [0, 0.1, 0.2, -0.1, 0.05, 0.3]],
    fc1: ['float32', [5, 6 * 2 * 2], channelWeights(120, 24, [3, 0.1, 1, 20, 0.5], 4)],
    fb1: ['float32', [5], [0.1, 0.2, 0.3, 0.4, 0.5]],
    fc2: ['float32', [5, 3], randomFloats(15, 5)],
    fb2: ['float32', [3], [0, 1, -1]],
  },
  nodes: [
    ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
    ['Relu', ['c1'], ['r1'], {}, 'relu1'],
    ['Conv', ['r1', 'wd', 'bd'], ['cd'], { pads: [1, 1, 1, 1], group: 4 }, 'depthwise'],
    ['LeakyRelu', ['cd'], ['rd'], { alpha: 0.1 }, 'leaky'],
    ['MaxPool', ['rd'], ['pd'], { kernel_shape: [2, 2], strides: [2, 2] }, 'maxpool'],
    ['Conv', ['pd', 'wg', 'bg'], ['cg'], { group: 2 }, 'grouped'],
    ['Relu', ['cg'], ['rg'], {}, 'relu2'],
    ['AveragePool', ['rg'], ['pg'], { kernel_shape: [2, 2], strides: [2, 2] }, 'avgpool'],
    ['Flatten', ['pg'], ['f'], { axis: 1 }, 'flatten'],
    ['Gemm', ['f', 'fc1', 'fb1'], ['g1'], { transB: 1 }, 'fc1'],
    ['Relu', ['g1'], ['rf'], {}, 'relu3'],
    ['Gemm', ['rf', 'fc2', 'fb2'], ['y'], {}, 'fc2'],
  ],
  outputs: ['y'],
};

describe('equalizeGraph', () => {
  it('equalizes every pair of a chain and computes the same function in float', () => {
    const graph = shaped(chain);
    const before = snapshot(graph);
    const { graph: equalized, notes } = equalizeGraph(graph);
    expect(snapshot(graph)).toBe(before); // the input graph is left as it was
    expect(notes).toEqual(['int8: equalized 4 layer pairs (conv1 -> depthwise, depthwise -> grouped, grouped -> fc1, fc1 -> fc2)']);
    for (let seed = 1; seed <= 5; seed++) {
      const input = randomFloats(2 * 8 * 8, 100 + seed);
      const [want] = run(graph, input);
      const [got] = run(equalized, input);
      const scale = Math.max(...want!.map(Math.abs));
      got!.forEach((v, i) => expect(Math.abs(v - want![i]!)).toBeLessThanOrEqual(1e-4 * scale));
    }
    // The weights were balanced: each layer's output channels now span a far narrower range of magnitudes.
    const spread = (g: Graph, conv: string): number => {
      const node = g.nodes.find((n) => n.name === conv)!;
      const w = g.tensors.get(node.inputs[1]!)!;
      const block = sizeOf(w.shape.slice(1));
      const ranges = Array.from({ length: w.shape[0]! }, (_, i) => Math.max(...w.data!.subarray(i * block, (i + 1) * block).map(Math.abs)));
      return Math.max(...ranges) / Math.min(...ranges);
    };
    for (const conv of ['conv1', 'depthwise', 'fc1']) expect(spread(equalized, conv)).toBeLessThan(spread(graph, conv) / 4);
  });

  it('renames the activations and constants whose values it changes, and only those', () => {
    const graph = shaped(chain);
    const { graph: equalized } = equalizeGraph(graph);
    const changed = ['c1', 'r1', 'cd', 'rd', 'pd', 'cg', 'rg', 'pg', 'f', 'g1', 'rf'];
    for (const name of changed) {
      expect(equalized.tensors.has(name), name).toBe(false);
      expect(equalized.tensors.get(`${name}_equalized`)?.shape).toEqual(graph.tensors.get(name)!.shape);
    }
    expect(equalized.tensors.has('x') && equalized.tensors.has('y')).toBe(true);
    expect(equalized.inputs).toEqual(['x']);
    expect(equalized.outputs).toEqual(['y']);
    const conv1 = equalized.nodes.find((n) => n.name === 'conv1')!;
    expect(conv1.inputs).toEqual(['x', 'w1_equalized', 'b1_equalized']);
    expect(conv1.outputs).toEqual(['c1_equalized']);
    // fc2 is only the second layer of a pair: its weights change, its bias does not.
    expect(equalized.nodes.find((n) => n.name === 'fc2')!.inputs).toEqual(['rf_equalized', 'fc2_equalized', 'fb2']);
    // The replaced constants are gone; no tensor is left that no node reads or writes.
    const used = new Set(equalized.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
    expect([...equalized.tensors.keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it('maps a Conv channel onto its columns when a Flatten feeds a Gemm', () => {
    const graph = shaped({
      inputs: { x: ['float32', [1, 1, 4, 4]] },
      constants: {
        w: ['float32', [3, 1, 2, 2], channelWeights(12, 4, [0.01, 1, 40], 6)],
        fc: ['float32', [3 * 3 * 3, 4], randomFloats(108, 7)],
        shape: ['int64', [2], [1, 27]],
      },
      nodes: [
        ['Conv', ['x', 'w'], ['c'], {}, 'conv'],
        ['Relu', ['c'], ['r'], {}, 'relu'],
        ['Reshape', ['r', 'shape'], ['f'], {}, 'reshape'],
        ['Gemm', ['f', 'fc'], ['y'], {}, 'fc'],
      ],
      outputs: ['y'],
    });
    const { graph: equalized, notes } = equalizeGraph(graph);
    expect(notes).toEqual(['int8: equalized 1 layer pair (conv -> fc)']);
    const input = randomFloats(16, 8);
    const [want] = run(graph, input);
    const [got] = run(equalized, input);
    const scale = Math.max(...want!.map(Math.abs));
    got!.forEach((v, i) => expect(Math.abs(v - want![i]!)).toBeLessThanOrEqual(1e-4 * scale));
  });

  /** Conv "conv1" writing "c" -> `between` -> Conv "conv2" reading `reads`, writing "y". */
  const pairWith = (between: GraphSpec['nodes'], reads: string, outputs = ['y']): Graph =>
    shaped({
      inputs: { x: ['float32', [1, 2, 4, 4]] },
      constants: {
        w1: ['float32', [3, 2, 1, 1], channelWeights(6, 2, [1, 100, 0.1], 9)],
        w2: ['float32', [2, 3, 1, 1], randomFloats(6, 10)],
        lo: ['float32', [], [0]],
        hi: ['float32', [], [6]],
      },
      nodes: [['Conv', ['x', 'w1'], ['c'], {}, 'conv1'], ...between, ['Conv', [reads, 'w2'], ['y'], {}, 'conv2']],
      outputs,
    });

  it('equalizes a pair with nothing between the layers', () => {
    const graph = pairWith([], 'c');
    const { graph: equalized, notes } = equalizeGraph(graph);
    expect(notes).toEqual(['int8: equalized 1 layer pair (conv1 -> conv2)']);
    const input = randomFloats(32, 11);
    const [want] = run(graph, input);
    const [got] = run(equalized, input);
    const scale = Math.max(...want!.map(Math.abs));
    got!.forEach((v, i) => expect(Math.abs(v - want![i]!)).toBeLessThanOrEqual(1e-4 * scale));
  });

  it.each([
    ['a Relu6 (Clip with an upper bound)', () => pairWith([['Clip', ['c', 'lo', 'hi'], ['m'], {}, 'relu6']], 'm')],
    ['a Sigmoid', () => pairWith([['Sigmoid', ['c'], ['m'], {}, 'sigmoid']], 'm')],
    [
      'a second reader of the first layer output',
      () =>
        pairWith(
          [
            ['Relu', ['c'], ['m'], {}, 'relu'],
            ['Neg', ['c'], ['z'], {}, 'neg'],
          ],
          'm',
          ['y', 'z'],
        ),
    ],
    ['an intermediate tensor that is a graph output', () => pairWith([['Relu', ['c'], ['m'], {}, 'relu']], 'm', ['y', 'm'])],
  ])('leaves a graph unchanged where nothing qualifies: %s', (_, build) => {
    const graph = build();
    const { graph: result, notes } = equalizeGraph(graph);
    expect(result).toBe(graph);
    expect(notes).toEqual(['int8: --equalize found no layer pair to equalize (Conv or Gemm, then only ReLU or pooling, then Conv or Gemm)']);
  });
});

/**
 * Conv -> Relu -> Conv where the first layer's output channels 0 and 1 are 100 times larger than 2 and 3, and the
 * second layer reads mostly the small ones: without equalization they share an int8 scale set by the large ones.
 */
const unbalanced: GraphSpec = {
  inputs: { x: ['float32', [1, 2, 8, 8]] },
  constants: {
    w1: ['float32', [4, 2, 3, 3], channelWeights(72, 18, [100, 100, 1, 1], 21)],
    b1: ['float32', [4], [1, -1, 0.02, 0.01]],
    w2: ['float32', [3, 4, 1, 1], channelWeights(12, 1, [0.01, 0.01, 1, 1], 22)],
  },
  nodes: [
    ['Conv', ['x', 'w1', 'b1'], ['c'], { pads: [1, 1, 1, 1] }, 'conv1'],
    ['Relu', ['c'], ['r'], {}, 'relu'],
    ['Conv', ['r', 'w2'], ['y'], {}, 'conv2'],
  ],
  outputs: ['y'],
};

/** SQNR in dB of the int8 model's output against the float model's, over `inputs`. */
function outputSqnr(float: Graph, int8: Graph, inputs: readonly Float32Array[]): number {
  let signal = 0;
  let noise = 0;
  for (const input of inputs) {
    const [want] = run(float, input);
    const x = int8.tensors.get('x')!;
    const got = runInt8Reference(int8, { x: encodeInput(x, input).value })['y']!;
    const q = rawToFloat(int8.tensors.get('y')!, got.data as ArrayLike<number>);
    want!.forEach((v, i) => {
      signal += v * v;
      noise += (v - q[i]!) ** 2;
    });
  }
  return 10 * Math.log10(signal / noise);
}

describe('--equalize in post-training quantization', () => {
  it('raises the int8 output SQNR of a layer pair whose output channels differ 100x in range', async () => {
    const graph = shaped(unbalanced);
    /** Few enough calibration samples for one thread. */
    const samples = Array.from({ length: 16 }, (_, i) => randomFloats(2 * 8 * 8, 300 + i));
    const tests = Array.from({ length: 8 }, (_, i) => randomFloats(2 * 8 * 8, 400 + i));
    const quantizeWith = (equalize: boolean) =>
      postTrainingQuantize(graph, samples, {
        method: 'minmax',
        techniques: { ...NO_TECHNIQUES, equalize },
        overrides: noOverrides(),
        io: 'int8',
      });
    const plain = await quantizeWith(false);
    const equalized = await quantizeWith(true);
    expect(equalized.notes).toEqual(['int8: equalized 1 layer pair (conv1 -> conv2)']);
    expect(equalized.floatGraph.tensors.has('r_equalized')).toBe(true);
    const without = outputSqnr(graph, plain.graph, tests);
    const withEqualization = outputSqnr(graph, equalized.graph, tests);
    expect(withEqualization).toBeGreaterThan(without + 10); // 11 dB without, 37 dB with
  });
});
