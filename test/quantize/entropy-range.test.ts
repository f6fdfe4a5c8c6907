// Entropy (KL) calibration against minmax on activations of several shapes (src/quantize/calibrate.ts): the
// SQNR of the int8 range entropy picks is never far below the observed range's, and a long tail is still cut.

import { describe, expect, it } from 'vitest';
import { createObserver, EntropyObserver, expectedClipError, type Range } from '../../src/quantize/calibrate.js';
import { chooseQuantParams, INT8_MAX, INT8_MIN } from '../../src/quantize/quant-params.js';
import { Random } from './random.js';
import { rangeSqnr } from './range-sqnr.js';

/** Values per synthetic activation. */
const SAMPLES = 200000;
/** Values per observed batch, as calibration feeds one tensor batch by batch. */
const BATCH = 20000;
/** The most SQNR entropy may lose against minmax on the same data. */
const MAX_LOSS_DB = 3;

function gaussian(rng: Random, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.uniform(0, 1);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform(0, 1));
  }
  return out;
}

/** A chi-square value with `degrees` degrees of freedom. */
function chiSquare(rng: Random, degrees: number): number {
  let sum = 0;
  for (let i = 0; i < degrees; i++) sum += rng.normal() ** 2;
  return sum;
}

function calibrated(method: 'minmax' | 'entropy', data: Float32Array): Range {
  const o = createObserver('act', { method });
  for (let i = 0; i < data.length; i += BATCH) o.observe(data.subarray(i, i + BATCH));
  return o.range();
}

/** Synthetic activations, each from its own seed. */
const shapes: Record<string, () => Float32Array> = {
  // A ReLU output: half zeros, half |N(0, 1)|.
  relu: () => gaussian(new Random(1), SAMPLES).map((x) => Math.max(0, x)),
  // A ReLU6 output of a wide input: zeros, a spread, and a spike at 6.
  relu6: () => gaussian(new Random(2), SAMPLES).map((x) => Math.min(6, Math.max(0, 3 * x))),
  // A sigmoid's input: a Gaussian around zero.
  sigmoidInput: () => gaussian(new Random(3), SAMPLES).map((x) => 2 * x),
  // An image in [0, 1] with 80% of its pixels at 0, the others from 0.3 up, many saturated at 1.
  image: () => gaussian(new Random(4), SAMPLES).map((x, i) => (i % 5 === 0 ? Math.min(1, 0.3 + 0.5 * Math.abs(x)) : 0)),
  // An image in [0, 1] with 80% zeros and the other pixels spread evenly.
  imageUniform: () => {
    const rng = new Random(5);
    return new Float32Array(SAMPLES).map((_, i) => (i % 5 === 0 ? rng.uniform(0, 1) : 0));
  },
  // A Laplace distribution: long tails on both sides.
  laplace: () => {
    const rng = new Random(6);
    return new Float32Array(SAMPLES).map(() => (rng.uniform(0, 1) < 0.5 ? 1 : -1) * -Math.log(1 - rng.uniform(0, 1)));
  },
  // A Gaussian with one value in a thousand 40 times wider: the tail holds much of the signal.
  heavyTail: () => {
    const rng = new Random(7);
    return gaussian(rng, SAMPLES).map((x, i) => (i % 1000 === 0 ? 40 * x : x));
  },
};

describe('entropy calibration against minmax', () => {
  for (const [name, make] of Object.entries(shapes)) {
    it(`${name}: SQNR within ${MAX_LOSS_DB} dB of minmax`, () => {
      const data = make();
      const minmax = rangeSqnr(data, calibrated('minmax', data));
      const entropy = rangeSqnr(data, calibrated('entropy', data));
      expect(entropy).toBeGreaterThan(minmax - MAX_LOSS_DB);
    });
  }

  it('still cuts a long tail: on Laplace and Student-t data it narrows the range and gains over minmax', () => {
    const rng = new Random(8);
    // Student's t with 5 degrees of freedom: a Gaussian over the root of a chi-square with 5 degrees over 5.
    const studentT = gaussian(rng, SAMPLES).map((x) => x / Math.sqrt(chiSquare(rng, 5) / 5));
    for (const data of [studentT, shapes.laplace!()]) {
      const minmax = calibrated('minmax', data);
      const entropy = calibrated('entropy', data);
      expect(entropy.max - entropy.min).toBeLessThan(0.8 * (minmax.max - minmax.min));
      expect(rangeSqnr(data, entropy)).toBeGreaterThan(rangeSqnr(data, minmax));
    }
  });

  it('on rare outliers far beyond a Gaussian, narrows the range and stays within 1 dB of minmax', () => {
    const data = gaussian(new Random(10), SAMPLES).map((x, i) => (i % 20000 === 0 ? 40 * Math.sign(x) : x));
    const minmax = calibrated('minmax', data);
    const entropy = calibrated('entropy', data);
    expect(entropy.max - entropy.min).toBeLessThan(minmax.max - minmax.min);
    expect(rangeSqnr(data, entropy)).toBeGreaterThan(rangeSqnr(data, minmax) - 1);
  });

  it('keeps an image whose pixels saturate at 1 above a gap to zero at its full range, not at the gap', () => {
    const data = shapes.image!();
    expect(calibrated('entropy', data).max).toBeGreaterThan(0.95);
  });
});

describe('expectedClipError', () => {
  it('follows the measured squared error: rounding noise inside the range, the distance beyond it', () => {
    const data = gaussian(new Random(9), SAMPLES);
    const o = new EntropyObserver('act');
    for (let i = 0; i < data.length; i += BATCH) o.observe(data.subarray(i, i + BATCH));
    const observed = calibrated('minmax', data);
    for (const t of [1, 2, 3, 10]) {
      const range = { min: Math.max(observed.min, -t), max: Math.min(observed.max, t) };
      const q = chooseQuantParams(range);
      let measured = 0;
      for (const x of data) {
        const k = Math.min(INT8_MAX, Math.max(INT8_MIN, Math.round(x / q.scale) + q.zeroPoint));
        measured += (x - (k - q.zeroPoint) * q.scale) ** 2;
      }
      const expected = expectedClipError(o.histogram, observed, t);
      expect(expected / measured).toBeGreaterThan(0.8);
      expect(expected / measured).toBeLessThan(1.25);
    }
  });
});
