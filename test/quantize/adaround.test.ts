// Learned rounding (AdaRound): one layer's problem (src/quantize/adaround.ts) and the graph pass that samples every
// layer's inputs and solves them on worker threads (src/optimize-rounding.ts): the output error it saves over
// nearest rounding on inputs it never saw, the int8 range, the layouts the int8 rewrite takes, and weights that do
// not depend on the thread count.

import { describe, expect, it } from 'vitest';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import { optimizeRounding, roundingLayers } from '../../src/optimize-rounding.js';
import { postTrainingQuantize } from '../../src/post-training.js';
import { learnRounding, outputError, type RoundingProblem } from '../../src/quantize/adaround.js';
import { noOverrides } from '../../src/quantize/overrides.js';
import { quantizeWeightsPerChannel, WEIGHT_MAX, type PerChannelWeights } from '../../src/quantize/quant-params.js';
import { NO_TECHNIQUES } from '../../src/quantize/techniques.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

const shaped = (spec: GraphSpec): Graph => inferGraphShapes(buildGraph(spec)).graph;
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Inputs that nearest rounding serves poorly: positive and strongly correlated (a common level per sample plus a
 * little noise), so the rounding errors of a channel's weights add up instead of cancelling.
 */
function correlatedSamples(count: number, length: number, seed: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    const noise = randomFloats(length + 1, seed + i);
    const level = (noise[length]! + 1) / 2;
    return Float32Array.from({ length }, (_, k) => level + 0.15 * (noise[k]! + 1));
  });
}

/** A fully connected problem on correlated inputs, with the scales and nearest rounding of the int8 rewrite. */
function correlatedProblem(channels: number, fanIn: number, rows: number, seed: number): RoundingProblem {
  const weights = Float32Array.from(randomFloats(channels * fanIn, seed), (v) => 0.1 * v);
  weights[3] = 0; // a zero weight
  weights[fanIn + 5] = 0.25 * weights[fanIn]!; // may land on the grid
  const { q, scales } = quantizeWeightsPerChannel(weights, [channels, fanIn], 0);
  const inputs = new Float32Array(rows * fanIn);
  correlatedSamples(rows, fanIn, seed + 1).forEach((row, r) => inputs.set(row, r * fanIn));
  return { weights, scales, nearest: q, channels, fanIn, groups: 1, inputs, rows };
}

describe('learned rounding of one layer', () => {
  const problem = correlatedProblem(8, 32, 512, 11);
  const result = learnRounding(problem);

  it('leaves at least 30% less output error than rounding to nearest', () => {
    expect(result.nearestError).toBeCloseTo(outputError(problem, problem.nearest), 12);
    expect(result.learnedError).toBeCloseTo(outputError(problem, result.q), 12);
    expect(result.learnedError).toBeLessThan(0.7 * result.nearestError);
  });

  it('rounds each weight down or up, within [-127, 127]; zeros and weights on the grid stay', () => {
    const { weights, scales, nearest, fanIn } = problem;
    let changed = 0;
    result.q.forEach((q, i) => {
      const x = weights[i]! / scales[Math.floor(i / fanIn)]!;
      expect(Math.abs(q)).toBeLessThanOrEqual(WEIGHT_MAX);
      expect(Math.abs(q - x)).toBeLessThan(1);
      if (weights[i] === 0 || Number.isInteger(x) || Math.abs(x) >= WEIGHT_MAX) expect(q).toBe(nearest[i]);
      if (q !== nearest[i]) changed++;
    });
    expect(changed).toBeGreaterThan(0);
  });

  it('is the same on every run', () => {
    expect(learnRounding(problem).q).toEqual(result.q);
  });
});

/** A small CNN: Conv -> Relu -> grouped Conv -> Flatten -> Gemm (weights [K, N]) -> Gemm (transB). */
function smallCnn(): Graph {
  const conv2Attrs: Record<string, AttrValue> = { pads: [1, 1, 1, 1], strides: [2, 2], group: 2 };
  return shaped({
    inputs: { x: ['float32', [1, 2, 6, 6]] },
    constants: {
      w1: ['float32', [4, 2, 3, 3], Float32Array.from(randomFloats(72, 21), (v) => 0.3 * v)],
      w2: ['float32', [6, 2, 3, 3], Float32Array.from(randomFloats(108, 22), (v) => 0.3 * v)],
      w3: ['float32', [54, 5], Float32Array.from(randomFloats(270, 23), (v) => 0.2 * v)],
      w4: ['float32', [3, 5], Float32Array.from(randomFloats(15, 24), (v) => 0.5 * v)],
    },
    nodes: [
      ['Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
      ['Relu', ['c1'], ['r1'], {}, 'relu1'],
      ['Conv', ['r1', 'w2'], ['c2'], conv2Attrs, 'conv2'],
      ['Flatten', ['c2'], ['f'], {}, 'flatten'],
      ['Gemm', ['f', 'w3'], ['g3'], {}, 'fc3'],
      ['Gemm', ['g3', 'w4'], ['y'], { transB: 1 }, 'fc4'],
    ],
    outputs: ['y'],
  });
}

/** The graph with weight `name` replaced by its int8 form dequantized. */
function withWeights(graph: Graph, name: string, w: PerChannelWeights): Graph {
  const tensor = graph.tensors.get(name)!;
  const inner = size(tensor.shape.slice(w.axis + 1));
  const channels = tensor.shape[w.axis]!;
  const data = Float32Array.from(w.q, (q, i) => q * w.scales[Math.floor(i / inner) % channels]!);
  return { ...graph, tensors: new Map(graph.tensors).set(name, { ...tensor, data }) };
}

/** Mean squared difference of tensor `output` between two graphs over `samples`. */
function meanSquaredDifference(a: Graph, b: Graph, output: string, samples: Float32Array[]): number {
  const x = a.inputs[0]!;
  const shape = a.tensors.get(x)!.shape;
  let sum = 0;
  let count = 0;
  for (const data of samples) {
    const options = { keep: 'all' as const };
    const want = runReference(a, { [x]: { shape, dtype: 'float32', data } }, options)[output]!.data as Float32Array;
    const got = runReference(b, { [x]: { shape, dtype: 'float32', data } }, options)[output]!.data as Float32Array;
    want.forEach((v, i) => (sum += (v - got[i]!) ** 2));
    count += want.length;
  }
  return sum / count;
}

describe('optimizeRounding', () => {
  const graph = smallCnn();
  const calibration = correlatedSamples(40, 72, 100);
  const test = correlatedSamples(40, 72, 5000);

  it('cuts each input row as the layer reads it (im2col of padded, strided, grouped Conv; Gemm rows)', () => {
    const layers = roundingLayers(graph, calibration.slice(0, 2), new Map());
    expect(layers.map((l) => l.weight)).toEqual(['w1', 'w2', 'w3', 'w4']);
    const x = graph.inputs[0]!;
    const shape = graph.tensors.get(x)!.shape;
    const outputs = ['c1', 'c2', 'g3', 'y'];
    const values = calibration.slice(0, 2).map((data) => runReference(graph, { [x]: { shape, dtype: 'float32', data } }, { keep: 'all' }));
    layers.forEach((layer, l) => {
      const { weights, channels, fanIn, groups, inputs, rows } = layer.problem;
      expect(rows).toBe(2 * layer.rowsPerSample); // every row of both samples, in order
      for (let r = 0; r < rows; r++) {
        const out = values[Math.floor(r / layer.rowsPerSample)]![outputs[l]!]!;
        const position = r % layer.rowsPerSample;
        const positions = out.data.length / channels;
        for (let c = 0; c < channels; c++) {
          const row = (r * groups + Math.floor(c / (channels / groups))) * fanIn;
          let sum = 0;
          for (let k = 0; k < fanIn; k++) sum += weights[c * fanIn + k]! * inputs[row + k]!;
          const index = layer.window ? c * positions + position : position * channels + c;
          expect(sum).toBeCloseTo(Number(out.data[index]), 4);
        }
      }
    });
  });

  it('cuts the output error of a layer on correlated inputs by at least 30% on samples it never saw', async () => {
    const { weights } = await optimizeRounding(graph, calibration, new Map(), { keep: new Map(), workers: 1 });
    // conv1 reads the correlated inputs themselves; fc3, the grouped Conv's outputs; the grouped Conv reads ReLU
    // outputs, whose errors cancel better, and gains less, but it must not lose.
    const cases: [string, string, number][] = [
      ['w1', 'c1', 0.7],
      ['w2', 'c2', 1],
      ['w3', 'g3', 0.7],
    ];
    for (const [name, output, ratio] of cases) {
      const tensor = graph.tensors.get(name)!;
      const axis = name === 'w3' ? 1 : 0;
      const data = tensor.data as Float32Array;
      const nearest = axis === 1 ? nearestKN(data, tensor.shape as [number, number]) : quantizeWeightsPerChannel(data, tensor.shape, 0);
      const learned = weights.get(name)!;
      expect(learned.axis).toBe(axis);
      const nearestError = meanSquaredDifference(graph, withWeights(graph, name, nearest), output, test);
      const learnedError = meanSquaredDifference(graph, withWeights(graph, name, learned), output, test);
      expect(learnedError, name).toBeLessThan(ratio * nearestError);
    }
  });

  it('gives the same weights on one thread and on three, and reports its progress and its note', async () => {
    const lines: string[] = [];
    const one = await optimizeRounding(graph, calibration, new Map(), { keep: new Map(), workers: 1 });
    const three = await optimizeRounding(graph, calibration, new Map(), { keep: new Map(), workers: 3, onProgress: (line) => lines.push(line) });
    expect([...three.weights.keys()]).toEqual(['w1', 'w2', 'w3', 'w4']);
    for (const [name, w] of one.weights) expect(three.weights.get(name), name).toEqual(w);
    expect(lines.at(-1)).toMatch(/^optimizing rounding: 4\/4 layers/);
    expect(three.notes).toEqual([
      expect.stringMatching(/^int8: learned rounding of 4 layers \(output error \d+% below nearest rounding on average\)$/),
    ]);
  });

  it('keeps the weights the model quantized itself', async () => {
    const own = quantizeWeightsPerChannel(graph.tensors.get('w1')!.data as Float32Array, [4, 2, 3, 3], 0);
    const { weights } = await optimizeRounding(graph, calibration, new Map(), { keep: new Map([['w1', own]]), workers: 1 });
    expect([...weights.keys()]).toEqual(['w2', 'w3', 'w4']);
  });

  it('runs in the post-training pipeline, whose int8 graph takes the learned weights', async () => {
    const { weights } = await optimizeRounding(graph, calibration, new Map(), { keep: new Map(), workers: 1 });
    const options = { method: 'minmax' as const, overrides: noOverrides(), io: 'float32' as const };
    const result = await postTrainingQuantize(graph, calibration, { ...options, techniques: { ...NO_TECHNIQUES, optimizeRounding: true } });
    expect(result.notes.some((n) => n.startsWith('int8: learned rounding of 4 layers'))).toBe(true);
    const int8Weights = (name: string): Int8Array => result.graph.tensors.get(`${name}_int8`)!.data as Int8Array;
    expect(int8Weights('w1')).toEqual(weights.get('w1')!.q);
    expect(int8Weights('w4')).toEqual(weights.get('w4')!.q);
    // fc3's [K, N] weights become the [N, K] rows of QGemm.
    const [k, n] = graph.tensors.get('w3')!.shape as [number, number];
    const rows = weights.get('w3')!.q;
    expect(int8Weights('w3')).toEqual(Int8Array.from({ length: n * k }, (_, i) => rows[(i % k) * n + Math.floor(i / k)]!));
  });
});

/** Nearest per-output-channel rounding of a [K, N] matrix (axis 1), as the int8 rewrite quantizes it. */
function nearestKN(data: Float32Array, [k, n]: [number, number]): PerChannelWeights {
  return quantizeWeightsPerChannel(data, [k, n], 1);
}
