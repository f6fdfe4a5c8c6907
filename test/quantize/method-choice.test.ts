// Which calibration method suits an activation (src/quantize/method-choice.ts): on distributions where one method
// is known to win, it is named, and the error it expects agrees with the SQNR int8 over its range really gives.

import { describe, expect, it } from 'vitest';
import { compareCalibrationMethods } from '../../src/calibration.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import {
  createObserver,
  EntropyObserver,
  MethodsObserver,
  MinMaxObserver,
  PercentileObserver,
  type CalibrationMethod,
} from '../../src/quantize/calibrate.js';
import { chooseMethod, formatChoice, METHOD_TIE_DB, summarizeChoices, type MethodChoice } from '../../src/quantize/method-choice.js';
import { buildGraph } from '../frontend/build-graph.js';
import { Random } from './random.js';
import { rangeSqnr } from './range-sqnr.js';

/** Values per synthetic activation: clipping pays in squared error only over many values (the rounding noise of
 * every value against the clipping error of the few in the tail). */
const SAMPLES = 2_000_000;
/** Values per observed batch, as calibration feeds one tensor batch by batch. */
const BATCH = 200_000;
/** The one far outlier of the ReLU with an outlier. */
const OUTLIER = 40;
/** Values where no tail is to be cut (and where only ranges are compared). */
const FEW_SAMPLES = 200_000;

function observe(data: Float32Array): MethodsObserver {
  const observer = createObserver('t', { method: 'minmax', compareMethods: true });
  for (let i = 0; i < data.length; i += BATCH) observer.observe(data.subarray(i, i + BATCH));
  return observer as MethodsObserver;
}

/** A ReLU output with a long tail: max(0, Laplace). */
function reluLaplace(rng: Random, n = SAMPLES): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.float() - 0.5;
    out[i] = Math.max(0, -Math.sign(u) * Math.log(1 - 2 * Math.abs(u)));
  }
  return out;
}

/** A ReLU of a unit Gaussian with one value ten times beyond the rest. */
function reluWithOutlier(rng: Random): Float32Array {
  const out = new Float32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) out[i] = Math.max(0, rng.normal());
  out[SAMPLES / 2] = OUTLIER;
  return out;
}

/** Uniform in [-1, 1): every value matters as much, nothing to cut. */
function boundedUniform(rng: Random): Float32Array {
  const out = new Float32Array(FEW_SAMPLES);
  for (let i = 0; i < FEW_SAMPLES; i++) out[i] = 2 * rng.float() - 1;
  return out;
}

describe('method choice', () => {
  it('a ReLU with one far outlier: percentile, and int8 over its range measures better', () => {
    const data = reluWithOutlier(new Random(1));
    const observer = observe(data);
    const choice = chooseMethod(observer, 'minmax');
    expect(choice.best).toBe('percentile');
    expect(choice.gainDb).toBeGreaterThan(1);
    expect(rangeSqnr(data, choice.ranges.percentile)).toBeGreaterThan(rangeSqnr(data, choice.ranges.minmax) + 1);
    expect(formatChoice(choice)).toMatch(/^percentile \(\+\d+\.\d dB\)$/);
    // Used the best method already: it is named with "=".
    const again = chooseMethod(observer, 'percentile');
    expect(again).toMatchObject({ best: 'percentile', gainDb: 0 });
    expect(formatChoice(again)).toBe('= percentile');
  });

  it('a ReLU with a Laplace tail: entropy, and int8 over its range measures better', () => {
    const data = reluLaplace(new Random(2));
    const choice = chooseMethod(observe(data), 'minmax');
    expect(choice.best).toBe('entropy');
    expect(choice.gainDb).toBeGreaterThanOrEqual(METHOD_TIE_DB);
    expect(rangeSqnr(data, choice.ranges.entropy)).toBeGreaterThan(rangeSqnr(data, choice.ranges.minmax) + METHOD_TIE_DB);
  });

  it('a bounded uniform: minmax, and no method is named better than minmax', () => {
    const data = boundedUniform(new Random(2));
    const observer = observe(data);
    expect(chooseMethod(observer, 'minmax').best).toBe('minmax');
    for (const used of ['percentile', 'entropy'] as const) {
      const choice = chooseMethod(observer, used);
      // Either the used method gives (nearly) minmax's range, or minmax is named better.
      expect(choice.best === used ? choice.errors[used] <= choice.errors.minmax * 10 ** (METHOD_TIE_DB / 10) : choice.best === 'minmax').toBe(true);
    }
  });

  it('a method whose range clips the uniform is beaten by minmax', () => {
    // A coarse percentile (90) cuts 5% on each side of a uniform: minmax is better by several dB.
    const data = boundedUniform(new Random(3));
    const observer = createObserver('t', { method: 'percentile', percentile: 90, compareMethods: true }) as MethodsObserver;
    observer.observe(data);
    const choice = chooseMethod(observer, 'percentile');
    expect(choice.best).toBe('minmax');
    expect(choice.gainDb).toBeGreaterThan(3);
    expect(rangeSqnr(data, choice.ranges.minmax)).toBeGreaterThan(rangeSqnr(data, choice.ranges.percentile) + 3);
  });

  it('gives each method the range its own observer gives', () => {
    const data = reluLaplace(new Random(4), FEW_SAMPLES);
    const observer = observe(data);
    const percentile = new PercentileObserver('t');
    const entropy = new EntropyObserver('t');
    percentile.observe(data);
    entropy.observe(data);
    expect(observer.ranges().percentile).toEqual(percentile.range());
    expect(observer.ranges().entropy).toEqual(entropy.range());
    const minMax = new MinMaxObserver('t');
    minMax.observe(data);
    expect(observer.ranges().minmax).toEqual(minMax.range());
  });

  it('merges what worker threads saw into the same ranges as one pass', () => {
    const data = reluLaplace(new Random(5), FEW_SAMPLES);
    const whole = observe(data);
    const first = createObserver('t', { method: 'entropy', compareMethods: true });
    const second = createObserver('t', { method: 'entropy', compareMethods: true });
    first.observe(data.subarray(0, FEW_SAMPLES / 2));
    second.observe(data.subarray(FEW_SAMPLES / 2));
    first.merge(second.state());
    expect((first as MethodsObserver).ranges()).toEqual(whole.ranges());
    expect(first.range()).toEqual(whole.ranges().entropy);
  });

  it('refuses a percentile out of range before observing', () => {
    expect(() => createObserver('t', { method: 'percentile', percentile: 0, compareMethods: true })).toThrow(/percentile must be in \(0, 100\]/);
  });

  it('summarizes: the method best on the most tensors, the used one on a tie', () => {
    const measured = chooseMethod(observe(boundedUniform(new Random(6))), 'minmax');
    const choice = (best: CalibrationMethod): MethodChoice => ({ ...measured, best });
    expect(summarizeChoices([choice('entropy'), choice('entropy'), choice('minmax')], 'minmax')).toMatchObject({
      winner: 'entropy',
      wins: { minmax: 1, percentile: 0, entropy: 2 },
      tensors: 3,
    });
    expect(summarizeChoices([choice('entropy'), choice('minmax')], 'minmax').winner).toBe('minmax');
  });

  it('compares over a model: a Sigmoid output and a scale the model states are fixed, the rest calibrated', async () => {
    // x [1, 2] -> Gemm (z = x[0]) -> Sigmoid -> y
    const graph = inferGraphShapes(
      buildGraph({
        inputs: { x: ['float32', [1, 2]] },
        constants: { w: ['float32', [2, 1], [1, 0]], c: ['float32', [1], [0]] },
        nodes: [
          ['Gemm', ['x', 'w', 'c'], ['z'], {}, 'fc'],
          ['Sigmoid', ['z'], ['y'], {}, 'act'],
        ],
        outputs: ['y'],
      }),
    ).graph;
    const rng = new Random(7);
    const samples = Array.from({ length: 64 }, () => Float32Array.from({ length: 2 }, () => 2 * rng.float() - 1));
    const comparison = await compareCalibrationMethods(graph, samples, { method: 'entropy' });
    expect(comparison.fixed).toEqual(['y']);
    expect(comparison.choices.map((c) => c.tensor).sort()).toEqual(['x', 'z']);
    expect(comparison.choices.every((c) => c.used === 'entropy')).toBe(true);
    const stated = await compareCalibrationMethods(graph, samples, { method: 'entropy' }, new Set(['z']));
    expect(stated.fixed.sort()).toEqual(['y', 'z']);
  });
});
