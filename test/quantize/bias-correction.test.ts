// Bias correction: the mean input window it measures (padding, strides, dilations, groups, Gemm layouts), the shift
// it folds into each bias, and the int8 outputs it makes unbiased when weight rounding pushes them one way.

import { describe, expect, it } from 'vitest';
import { correctBias } from '../../src/bias-correction.js';
import { calibrate } from '../../src/calibration.js';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { postTrainingQuantize } from '../../src/post-training.js';
import { BIAS_CORRECTION_SAMPLES, biasCorrectionSamples, correctableLayers, expectedShift, WindowMean } from '../../src/quantize/bias-correction.js';
import { importQdq } from '../../src/quantize/import-qdq.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { noOverrides } from '../../src/quantize/overrides.js';
import { quantizeWeightsPerChannel, WEIGHT_MAX, type PerChannelWeights } from '../../src/quantize/quant-params.js';
import { NO_TECHNIQUES } from '../../src/quantize/techniques.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';
import { calibrateCnn, cnnInputs, cnnWeights, ortQdqCnn } from './qdq-models.js';

const shaped = (spec: GraphSpec): Graph => inferGraphShapes(buildGraph(spec)).graph;
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Inputs in [0, 1): a positive mean, so a one-sided weight error shifts every output the same way. */
function positiveSamples(shape: readonly number[], count: number, seed: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => Float32Array.from(randomFloats(size(shape), seed + i), (v) => (v + 1) / 2));
}

/**
 * `rows` rows of `taps` weights that all sit a little below half a step above an integer multiple of the row's
 * scale (1 / 127: each row's first weight is 1), so rounding to nearest lowers every one of them.
 */
function justBelowHalfStep(rows: number, taps: number, seed: number): Float32Array {
  const ints = randomFloats(rows * taps, seed);
  return Float32Array.from({ length: rows * taps }, (_, i) => {
    if (i % taps === 0) return 1;
    const q = Math.round(ints[i]! * 100);
    const fraction = 0.4 + (0.09 * ((i * 7) % 10)) / 10; // 0.40 .. 0.49 of a step
    return (q + fraction) / WEIGHT_MAX;
  });
}

/** Mean over output channels of |mean over samples and positions of (int8 output - float output)| (channel axis 1). */
async function meanOutputError(graph: Graph, calibration: Float32Array[], test: Float32Array[], biasCorrection: boolean): Promise<number> {
  const techniques = { ...NO_TECHNIQUES, biasCorrection };
  const { graph: int8 } = await postTrainingQuantize(graph, calibration, { method: 'minmax', techniques, overrides: noOverrides(), io: 'float32' });
  const x = graph.inputs[0]!;
  const y = graph.outputs[0]!;
  const shape = graph.tensors.get(x)!.shape;
  const outShape = graph.tensors.get(y)!.shape;
  const channels = outShape[1]!;
  const inner = size(outShape.slice(2));
  const sums = new Float64Array(channels);
  for (const data of test) {
    const want = runReference(graph, { [x]: { shape, dtype: 'float32', data } })[y]!.data as Float32Array;
    const got = runInt8Reference(int8, { [x]: { shape, dtype: 'float32', data } })[y]!.data as Float32Array;
    for (let i = 0; i < want.length; i++) {
      const channel = Math.floor(i / inner) % channels;
      sums[channel] = sums[channel]! + got[i]! - want[i]!;
    }
  }
  const count = (test.length * size(outShape)) / channels;
  return sums.reduce((a, s) => a + Math.abs(s / count), 0) / channels;
}

/** The mean of each channel (axis 1) of `values`, over the values, the batch and the positions. */
function channelMeans(values: Value[], channels: number): Float64Array {
  const sums = new Float64Array(channels);
  let count = 0;
  for (const value of values) {
    const inner = size(value.shape.slice(2));
    value.data.forEach((v, i) => {
      const channel = Math.floor(i / inner) % channels;
      sums[channel] = sums[channel]! + Number(v);
    });
    count += value.data.length / channels;
  }
  return sums.map((s) => s / count);
}

const FEATURES = 64;
const OUTPUTS = 8;

describe('bias correction', () => {
  const gemmCases: { name: string; attrs: Record<string, AttrValue>; bias: boolean; transB: boolean; alpha: number }[] = [
    { name: 'Gemm transB = 1 with a bias', attrs: { transB: 1 }, bias: true, transB: true, alpha: 1 },
    { name: 'Gemm transB = 0, alpha 0.5, beta 2', attrs: { alpha: 0.5, beta: 2 }, bias: true, transB: false, alpha: 0.5 },
    { name: 'Gemm without a bias', attrs: { transB: 1 }, bias: false, transB: true, alpha: 1 },
    { name: 'Gemm with beta 0', attrs: { transB: 1, beta: 0 }, bias: true, transB: true, alpha: 1 },
  ];
  for (const c of gemmCases) {
    it(`removes most of the mean output error that weight rounding causes (${c.name})`, async () => {
      const rowsNK = justBelowHalfStep(OUTPUTS, FEATURES, 3);
      const b = new Float32Array(OUTPUTS * FEATURES);
      for (let n = 0; n < OUTPUTS; n++) {
        for (let k = 0; k < FEATURES; k++) b[c.transB ? n * FEATURES + k : k * OUTPUTS + n] = rowsNK[n * FEATURES + k]! / c.alpha;
      }
      const graph = shaped({
        inputs: { x: ['float32', [1, FEATURES]] },
        constants: {
          w: ['float32', c.transB ? [OUTPUTS, FEATURES] : [FEATURES, OUTPUTS], b],
          c: ['float32', [OUTPUTS], randomFloats(OUTPUTS, 5)],
        },
        nodes: [['Gemm', c.bias ? ['x', 'w', 'c'] : ['x', 'w'], ['y'], c.attrs, 'fc']],
        outputs: ['y'],
      });
      const calibration = positiveSamples([1, FEATURES], 64, 100);
      const test = positiveSamples([1, FEATURES], 100, 1000);
      const without = await meanOutputError(graph, calibration, test, false);
      const withCorrection = await meanOutputError(graph, calibration, test, true);
      expect(withCorrection * 4).toBeLessThan(without);
    });
  }

  it('removes the mean error of a padded Conv, where the border windows read zeros', async () => {
    const channels = 4;
    const graph = shaped({
      inputs: { x: ['float32', [1, 3, 5, 5]] },
      constants: { w: ['float32', [channels, 3, 3, 3], justBelowHalfStep(channels, 27, 7)] },
      nodes: [['Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, 'conv']],
      outputs: ['y'],
    });
    const calibration = positiveSamples([1, 3, 5, 5], 64, 200);
    const test = positiveSamples([1, 3, 5, 5], 100, 2000);
    const without = await meanOutputError(graph, calibration, test, false);
    const withCorrection = await meanOutputError(graph, calibration, test, true);
    expect(withCorrection * 4).toBeLessThan(without);
  });

  const convCases: { name: string; x: number[]; w: number[]; attrs: Record<string, AttrValue> }[] = [
    { name: '2-D, pads 1', x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
    {
      name: '2-D, stride 2, dilation 2, uneven pads',
      x: [1, 2, 7, 6],
      w: [3, 2, 3, 2],
      attrs: { pads: [2, 0, 1, 1], strides: [2, 2], dilations: [2, 2] },
    },
    { name: '2-D, group 2', x: [1, 4, 4, 4], w: [6, 2, 3, 3], attrs: { pads: [1, 1, 1, 1], group: 2 } },
    { name: 'depthwise, SAME_UPPER, stride 2', x: [1, 3, 6, 5], w: [3, 1, 3, 3], attrs: { group: 3, auto_pad: 'SAME_UPPER', strides: [2, 2] } },
    { name: '1-D, pads 2, stride 3', x: [1, 2, 11], w: [3, 2, 4], attrs: { pads: [2, 1], strides: [3] } },
  ];
  for (const c of convCases) {
    it(`measures the mean window exactly, borders included (Conv ${c.name})`, () => {
      // A sawtooth input that is never 0: the windows at the borders, which read padding, differ from the middle.
      const samples = Array.from({ length: 3 }, (_, s) => Float32Array.from({ length: size(c.x) }, (_, i) => 1 + ((i * (s + 1)) % 17) / 4));
      const weights = randomFloats(size(c.w), 13);
      const graph = shaped({
        inputs: { x: ['float32', c.x] },
        constants: { w: ['float32', c.w, weights] },
        nodes: [['Conv', ['x', 'w'], ['y'], c.attrs, 'conv']],
        outputs: ['y'],
      });
      const [layer] = correctableLayers(graph, new Map());
      const mean = new WindowMean(layer!);
      for (const data of samples) mean.add(data);
      const shift = expectedShift(layer!, mean.mean());

      // The shift is the mean output of the same Conv run with the weight error as its weights.
      const errorGraph = shaped({
        inputs: { x: ['float32', c.x] },
        constants: { w: ['float32', c.w, Float32Array.from(layer!.error)] },
        nodes: [['Conv', ['x', 'w'], ['y'], c.attrs, 'conv']],
        outputs: ['y'],
      });
      const want = channelMeans(
        samples.map((data) => runReference(errorGraph, { x: { shape: c.x, dtype: 'float32', data } })['y']!),
        c.w[0]!,
      );
      const scale = Math.max(...Array.from(want, Math.abs));
      shift.forEach((s, m) => expect(Math.abs(s - want[m]!)).toBeLessThan(1e-5 * scale));

      // The per-channel mean of the input alone (padding ignored) would be wrong by far more than that.
      const perChannel = channelMeans(
        samples.map((data) => ({ shape: c.x, dtype: 'float32', data })),
        c.x[1]!,
      );
      const group = (c.attrs['group'] as number | undefined) ?? 1;
      const kernel = size(c.w.slice(2));
      const channelsPerGroup = c.x[1]! / group;
      const naiveWindow = Float64Array.from({ length: group * layer!.taps }, (_, t) => {
        const channel = Math.floor(t / layer!.taps) * channelsPerGroup + Math.floor((t % layer!.taps) / kernel);
        return perChannel[channel]!;
      });
      const naive = expectedShift(layer!, naiveWindow);
      expect(Math.max(...Array.from(naive, (s, m) => Math.abs(s - want[m]!)))).toBeGreaterThan(1e-3 * scale);
    });
  }

  it('uses the given int8 weights (learned rounding) rather than rounding to nearest', () => {
    const graph = shaped({
      inputs: { x: ['float32', [1, 4]] },
      constants: { w: ['float32', [2, 4], [1, 0.5, -0.25, 0.1, -1, 0.3, 0.2, 0.7]], c: ['float32', [2], [0.5, -0.5]] },
      nodes: [['Gemm', ['x', 'w', 'c'], ['y'], { transB: 1 }, 'fc']],
      outputs: ['y'],
    });
    const nearest = quantizeWeightsPerChannel(graph.tensors.get('w')!.data as Float32Array, [2, 4], 0);
    const q = Int8Array.from(nearest.q, (v, i) => (i % 4 === 0 ? v : v + 1)); // every weight but the first one step up
    const own: PerChannelWeights = { q, scales: nearest.scales, axis: 0 };
    const ones = [Float32Array.from([1, 1, 1, 1])];
    const corrected = correctBias(graph, ones, new Map([['w', own]]), new Map());
    const bias = corrected.graph.tensors.get(corrected.graph.nodes[0]!.inputs[2]!)!.data as Float32Array;
    const w = graph.tensors.get('w')!.data as Float32Array;
    for (let n = 0; n < 2; n++) {
      let shift = 0;
      for (let k = 0; k < 4; k++) shift += Math.fround(q[n * 4 + k]! * nearest.scales[n]!) - w[n * 4 + k]!;
      expect(bias[n]).toBeCloseTo((n === 0 ? 0.5 : -0.5) - shift, 6);
    }
  });

  it('adds a bias under a fresh name, leaves the input graph as it was and says what it did', async () => {
    const graph = shaped({
      inputs: { x: ['float32', [1, 3, 5, 5]] },
      constants: { w: ['float32', [4, 3, 3, 3], justBelowHalfStep(4, 27, 7)], conv_bias_corrected: ['float32', [1], [0]] },
      nodes: [['Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, 'conv']],
      outputs: ['y'],
    });
    const before = { nodes: structuredClone(graph.nodes), tensors: [...graph.tensors.keys()] };
    const samples = positiveSamples([1, 3, 5, 5], 8, 300);
    const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
    const corrected = correctBias(graph, samples, new Map(), ranges);
    expect(graph.nodes).toEqual(before.nodes);
    expect([...graph.tensors.keys()]).toEqual(before.tensors);
    const conv = corrected.graph.nodes[0]!;
    expect(conv.inputs[2]).toBe('conv_bias_corrected_1');
    const bias = corrected.graph.tensors.get(conv.inputs[2]!)!.data as Float32Array;
    for (const b of bias) expect(b).toBeGreaterThan(0); // every weight was rounded down, the inputs are positive
    expect(corrected.notes).toEqual([expect.stringMatching(/^int8: bias correction on 1 layer \(largest shift \d+\.\d\d output steps, in conv\)$/)]);

    // The pipeline quantizes the corrected graph but measures against the model.
    const techniques = { ...NO_TECHNIQUES, biasCorrection: true };
    const result = await postTrainingQuantize(graph, samples, { method: 'minmax', techniques, overrides: noOverrides(), io: 'int8' });
    expect(result.floatGraph).toBe(graph);
    expect(result.notes).toContain(corrected.notes[0]);
  });

  it('keeps the graph as it is where the weights are exactly int8 already', () => {
    const scale = 2 ** -7; // max |w| = 127 / 128: the per-channel scale is exactly this, and q * scale exactly w
    const graph = shaped({
      inputs: { x: ['float32', [1, 4]] },
      constants: { w: ['float32', [2, 4], [127, 3, -5, 8, -127, 1, 0, 60].map((q) => q * scale)] },
      nodes: [['Gemm', ['x', 'w'], ['y'], { transB: 1 }, 'fc']],
      outputs: ['y'],
    });
    const result = correctBias(graph, positiveSamples([1, 4], 4, 1), new Map(), new Map());
    expect(result.graph).toBe(graph);
    expect(result.notes[0]).toMatch(/left every bias as it was/);
  });

  it('leaves the layers of a model that quantized its own weights (onnxruntime QDQ) as they are', () => {
    const cnn = cnnWeights(7);
    const { graph, overrides } = importQdq(ortQdqCnn(cnn, calibrateCnn(cnn, cnnInputs(8, 11)), 'int8').graph);
    const shaped = inferGraphShapes(graph).graph;
    expect(correctableLayers(shaped, overrides.weights).map((l) => l.node.op)).toEqual(['Conv', 'Gemm']);
    const result = correctBias(shaped, cnnInputs(8, 21), overrides.weights, new Map());
    expect(result.graph).toBe(shaped);
  });

  it(`measures at most ${BIAS_CORRECTION_SAMPLES} samples, spread over the set`, () => {
    const all = Array.from({ length: 1000 }, (_, i) => i);
    const picked = biasCorrectionSamples(all);
    expect(picked).toHaveLength(BIAS_CORRECTION_SAMPLES);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBeGreaterThan(900);
    expect(biasCorrectionSamples(all.slice(0, 10))).toEqual(all.slice(0, 10));
  });
});
