// Activation range observers (src/quantize/calibrate.ts): min/max, percentile and entropy (KL) calibration
// on seeded synthetic distributions fed in batches.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { createObserver, EntropyObserver, Histogram, klThreshold, MinMaxObserver, PercentileObserver } from '../../src/quantize/calibrate.js';
import { Random } from './random.js';

function uniform(rng: Random, n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(low, high);
  return out;
}

function gaussian(rng: Random, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Split `data` into batches of `size` and feed them. */
function feed(observer: { observe(b: Float32Array): void }, data: Float32Array, size = 10000): void {
  for (let i = 0; i < data.length; i += size) observer.observe(data.subarray(i, i + size));
}

function withOutliers(data: Float32Array, outliers: number[]): Float32Array {
  const out = new Float32Array(data.length + outliers.length);
  out.set(data);
  out.set(outliers, data.length);
  return out;
}

describe('MinMaxObserver', () => {
  it('keeps the minimum and maximum over every batch', () => {
    const o = new MinMaxObserver('relu1');
    o.observe(new Float32Array([0.5, -1, 2]));
    o.observe(new Float32Array([3.25, 0]));
    o.observe(new Float32Array([]));
    o.observe(new Float32Array([-4.5]));
    expect(o.range()).toEqual({ min: -4.5, max: 3.25 });
  });

  it('throws E_DATA naming the tensor for NaN, infinity or no data', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const o = new MinMaxObserver('conv2_out');
      let error: unknown;
      try {
        o.observe(new Float32Array([1, bad, 2]));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EennError);
      expect((error as EennError).code).toBe('E_DATA');
      expect((error as EennError).message).toContain('"conv2_out"');
    }
    expect(() => new MinMaxObserver('x').range()).toThrow(/no calibration data reached tensor "x"/);
  });
});

describe('Histogram', () => {
  it('doubles its extent, merging bins, and keeps every count', () => {
    const h = new Histogram(16, true);
    h.add(new Float32Array([0, 0, 0])); // no extent yet
    h.add(new Float32Array([-1, 0.5, 1]));
    expect(h.limit).toBe(2); // the power of two above max |x|
    expect(h.binWidth).toBe(0.25);
    expect(h.counts[8]).toBe(3); // the zeros: bin [0, 0.25)
    expect(h.counts[10]).toBe(1); // 0.5
    expect(h.counts[12]).toBe(1); // 1
    expect(h.counts[4]).toBe(1); // -1
    h.add(new Float32Array([3.5]));
    expect(h.limit).toBe(4);
    expect(h.binWidth).toBe(0.5);
    expect(h.total).toBe(7);
    expect(h.counts[8]).toBe(3); // [0, 0.5): the zeros
    expect(h.counts[9]).toBe(1); // [0.5, 1)
    expect(h.counts[10]).toBe(1); // [1, 1.5)
    expect(h.counts[6]).toBe(1); // [-1, -0.5)
    expect(h.counts[15]).toBe(1); // 3.5
  });

  it('merges histograms of parts into exactly the histogram of the whole', () => {
    const rng = new Random(7);
    const parts = [uniform(rng, 500, -0.3, 0.2), new Float32Array(40), uniform(rng, 700, -5, 3), uniform(rng, 300, -1, 1)];
    for (const method of ['percentile', 'entropy'] as const) {
      const whole = createObserver('t', { method });
      for (const part of parts) whole.observe(part);
      for (const split of [
        [0, 1],
        [2, 3],
        [1, 2, 3],
      ]) {
        const merged = createObserver('t', { method });
        const rest = createObserver('t', { method });
        parts.forEach((part, i) => (split.includes(i) ? merged : rest).observe(part));
        merged.merge(rest.state());
        expect(merged.state()).toEqual(whole.state());
        expect(merged.range()).toEqual(whole.range());
      }
    }
  });

  it('histograms |x| from 0 when unsigned', () => {
    const h = new Histogram(8, false);
    h.add(new Float32Array([-2, 1, 0.1]));
    expect(h.edge(0)).toBe(0);
    expect(h.edge(8)).toBe(4);
    expect([...h.counts]).toEqual([1, 0, 1, 0, 1, 0, 0, 0]);
  });
});

describe('PercentileObserver', () => {
  it('clips rare outliers to the bulk of the distribution (99.99 by default)', () => {
    const rng = new Random(31);
    const data = withOutliers(uniform(rng, 100000, -1, 1), [50, 60, -45]);
    const o = createObserver('act', { method: 'percentile' });
    feed(o, data);
    const r = o.range();
    expect(r.max).toBeGreaterThan(0.9);
    expect(r.max).toBeLessThan(1.2);
    expect(r.min).toBeLessThan(-0.9);
    expect(r.min).toBeGreaterThan(-1.2);
  });

  it('keeps the observed range at 100 and cuts more at lower percentiles', () => {
    const rng = new Random(32);
    const data = uniform(rng, 50000, 0, 10);
    const all = new PercentileObserver('a', 100);
    feed(all, data);
    const minMax = new MinMaxObserver('a');
    feed(minMax, data);
    expect(all.range()).toEqual(minMax.range());
    const p90 = new PercentileObserver('a', 90);
    feed(p90, data);
    // Uniform on [0, 10]: 5 % cut on each side -> about [0.5, 9.5], within a few bins.
    expect(p90.range().min).toBeCloseTo(0.5, 0);
    expect(p90.range().max).toBeCloseTo(9.5, 0);
  });

  it('works when the range grows from batch to batch', () => {
    const rng = new Random(33);
    const o = new PercentileObserver('grow', 99);
    o.observe(uniform(rng, 10000, -0.01, 0.01));
    o.observe(uniform(rng, 10000, -1, 1));
    o.observe(uniform(rng, 10000, -100, 100));
    expect(o.histogram.total).toBe(30000);
    expect(o.range().max).toBeGreaterThan(90);
    expect(o.range().max).toBeLessThan(101);
  });

  it('rejects a percentile outside (0, 100]', () => {
    expect(() => createObserver('a', { method: 'percentile', percentile: 0 })).toThrow(EennError);
    expect(() => createObserver('a', { method: 'percentile', percentile: 100.5 })).toThrow(EennError);
  });
});

describe('EntropyObserver', () => {
  it('on a ReLU output (mostly zeros) keeps the bulk of the positive values', () => {
    const rng = new Random(35);
    const positive = Float32Array.from(gaussian(rng, 60000), Math.abs);
    const data = withOutliers(
      new Float32Array(140000).fill(0).map((_, i) => (i < 60000 ? positive[i]! : 0)),
      [30, 28, 31],
    );
    const o = createObserver('relu', { method: 'entropy' }) as EntropyObserver;
    feed(o, data, 20000);
    const r = o.range();
    expect(r.min).toBe(0);
    // |N(0,1)| has 99% of its mass below 2.58: the clip keeps the bulk and cuts into the outliers (up to 31), no
    // deeper than keeps the squared error within ENTROPY_GUARD_DB of the observed range's.
    expect(r.max).toBeGreaterThan(2);
    expect(r.max).toBeLessThan(28);
  });

  it('picks a threshold between the bulk of a Gaussian and its outliers', () => {
    const rng = new Random(34);
    const data = withOutliers(gaussian(rng, 200000), [40, -38, 35, 41, -40, 39, 37, -36, 40, 38]);
    const o = createObserver('act', { method: 'entropy' }) as EntropyObserver;
    feed(o, data, 25000);
    const t = o.threshold();
    // Between the bulk and the outliers (35 to 41), as far in as the error guard lets it.
    expect(t).toBeGreaterThan(2.5);
    expect(t).toBeLessThan(35);
    expect(o.range()).toEqual({ min: -t, max: t });
  });

  it('keeps (almost) the whole range of a uniform distribution, and the sign of a one-sided one', () => {
    const rng = new Random(35);
    const o = new EntropyObserver('relu');
    feed(o, uniform(rng, 100000, 0, 6));
    const r = o.range();
    expect(r.min).toBeGreaterThanOrEqual(0);
    expect(r.max).toBeGreaterThan(5.4);
    expect(r.max).toBeLessThanOrEqual(6);
  });

  it('gives the observed range when the data fills too few bins to search, and [0, 0] for zeros', () => {
    const o = new EntropyObserver('few');
    o.observe(new Float32Array([0, 1, 2, 3]));
    expect(o.range()).toEqual({ min: 0, max: 3 });
    expect(klThreshold(new Float64Array([5, 0, 3, 0]), 128)).toBeUndefined();
    const zeros = new EntropyObserver('dead');
    zeros.observe(new Float32Array(100));
    expect(zeros.range()).toEqual({ min: 0, max: 0 });
  });

  it('keeps every bin when quantizing them loses nothing, and cuts a tail that would cost resolution', () => {
    // Uniform over 256 bins: 64 groups of 4 equal bins reproduce it exactly at i = 256 (KL 0).
    expect(klThreshold(new Float64Array(256).fill(10), 64)).toBe(256);
    // A dense block of 128 bins and a thin tail over the next 128 with varying counts: the groups would average
    // block bins with tail bins, so the search keeps (about) the block.
    const counts = new Float64Array(256);
    for (let i = 0; i < 128; i++) counts[i] = 1000 + (i % 7) * 100;
    for (let i = 128; i < 256; i++) counts[i] = (i % 3) + 1;
    const kept = klThreshold(counts, 64)!;
    expect(kept).toBeGreaterThanOrEqual(128);
    expect(kept).toBeLessThan(256);
  });
});
