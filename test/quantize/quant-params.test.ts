// int8 quantization parameters (src/quantize/quant-params.ts): activation scale / zero point, per-channel weights,
// int32 bias, fused activation ranges, and the E_DATA errors for non-finite constants.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { dequantizeS8F32, quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import {
  activationRangeS8,
  chooseQuantParams,
  quantizeBias,
  quantizeWeightsPerChannel,
  representableRange,
} from '../../src/quantize/quant-params.js';
import { Random } from './random.js';

function errorOf(f: () => unknown): EennError {
  try {
    f();
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('expected an EennError');
}

describe('chooseQuantParams', () => {
  it('gives the scale and zero point of known ranges', () => {
    expect(chooseQuantParams({ min: 0, max: 2.55 })).toEqual({ scale: Math.fround(0.01), zeroPoint: -128 });
    expect(chooseQuantParams({ min: -1.28, max: 1.27 })).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    expect(chooseQuantParams({ min: -2.55, max: 0 })).toEqual({ scale: Math.fround(0.01), zeroPoint: 127 });
    // [-1, 1]: scale 2/255, zero point round(-128 + 127.5) = round(-0.5) = -1 (ties away from zero)
    expect(chooseQuantParams({ min: -1, max: 1 })).toEqual({ scale: Math.fround(2 / 255), zeroPoint: -1 });
  });

  it('widens the range to contain zero, and represents zero exactly', () => {
    expect(chooseQuantParams({ min: 1, max: 3 })).toEqual({ scale: Math.fround(3 / 255), zeroPoint: -128 });
    expect(chooseQuantParams({ min: -6, max: -2 })).toEqual({ scale: Math.fround(6 / 255), zeroPoint: 127 });
    const rng = new Random(41);
    for (let i = 0; i < 2000; i++) {
      const a = rng.uniform(-50, 50);
      const b = a + rng.uniform(0, 80);
      const q = chooseQuantParams({ min: a, max: b });
      expect(Math.fround(q.scale)).toBe(q.scale);
      expect(q.zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(q.zeroPoint).toBeLessThanOrEqual(127);
      expect(dequantizeS8F32(q.zeroPoint, q.scale, q.zeroPoint)).toBe(0);
      expect(quantizeF32S8(0, q.scale, q.zeroPoint)).toBe(q.zeroPoint);
      // The calibrated range fits, within half a step at each end.
      const r = representableRange(q);
      expect(r.min).toBeLessThanOrEqual(Math.min(a, 0) + q.scale / 2 + 1e-9);
      expect(r.max).toBeGreaterThanOrEqual(Math.max(b, 0) - q.scale / 2 - 1e-9);
    }
  });

  it('gives a safe scale to a zero-width or vanishing range, and rejects a non-finite one', () => {
    expect(chooseQuantParams({ min: 0, max: 0 })).toEqual({ scale: 1, zeroPoint: 0 });
    expect(chooseQuantParams({ min: 0, max: 1e-45 })).toEqual({ scale: 1, zeroPoint: 0 });
    expect(chooseQuantParams({ min: 5, max: 5 })).toEqual({ scale: Math.fround(5 / 255), zeroPoint: -128 });
    expect(errorOf(() => chooseQuantParams({ min: NaN, max: 1 }, 'relu3')).message).toContain('"relu3"');
    expect(errorOf(() => chooseQuantParams({ min: 0, max: Infinity })).code).toBe('E_DATA');
  });
});

describe('quantizeWeightsPerChannel', () => {
  const rng = new Random(42);
  const randomWeights = (n: number, spread: (c: number) => number, channelOf: (i: number) => number) => {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = rng.normal() * spread(channelOf(i));
    return w;
  };

  it('round-trips every weight within half its channel scale, using the full [-127, 127] per channel', () => {
    const shape = [6, 4, 3, 3]; // Conv [O, I, kH, kW], channels on axis 0
    const inner = 4 * 3 * 3;
    const w = randomWeights(
      6 * inner,
      (c) => 10 ** (c - 3),
      (i) => Math.floor(i / inner),
    );
    const { q, scales, axis } = quantizeWeightsPerChannel(w, shape, 0, 'conv1.weight');
    expect(axis).toBe(0);
    expect(scales.length).toBe(6);
    for (let c = 0; c < 6; c++) {
      let maxAbsQ = 0;
      for (let k = 0; k < inner; k++) {
        const i = c * inner + k;
        expect(Math.abs(w[i]! - q[i]! * scales[c]!)).toBeLessThanOrEqual((scales[c]! / 2) * (1 + 1e-6));
        maxAbsQ = Math.max(maxAbsQ, Math.abs(q[i]!));
      }
      expect(maxAbsQ).toBe(127);
    }
    expect(Math.min(...q)).toBeGreaterThanOrEqual(-127);
    // Channel scales follow the channel spreads (1e-3 .. 1e2).
    expect(scales[5]! / scales[0]!).toBeGreaterThan(1e4);
  });

  it('takes the channel axis anywhere, negative counting from the end', () => {
    const shape = [2, 3, 2]; // channels on axis 1 (e.g. ConvTranspose [I, O, k])
    const w = new Float32Array([1, -2, 10, 20, 0.5, 0.25, -4, 3, -30, 5, 1, 0.125]);
    const { q, scales, axis } = quantizeWeightsPerChannel(w, shape, -2);
    expect(axis).toBe(1);
    expect([...scales]).toEqual([4 / 127, 30 / 127, 1 / 127].map(Math.fround));
    expect([...q]).toEqual([32, -64, 42, 85, 64, 32, -127, 95, -127, 21, 127, 16]);
  });

  it('gives a dead (all-zero) channel scale 1 and zeros, with no NaN', () => {
    const w = new Float32Array([0, 0, 0, 1, -0.5, 0.25]);
    const { q, scales } = quantizeWeightsPerChannel(w, [2, 3], 0);
    expect([...scales]).toEqual([1, Math.fround(1 / 127)]);
    expect([...q]).toEqual([0, 0, 0, 127, -64, 32]);
  });

  it('throws E_DATA naming the tensor for NaN or infinity, E_SHAPE for a bad axis or shape', () => {
    const e = errorOf(() => quantizeWeightsPerChannel(new Float32Array([1, NaN]), [2], 0, 'fc.weight'));
    expect(e.code).toBe('E_DATA');
    expect(e.message).toContain('"fc.weight"');
    expect(e.message).toContain('element 1');
    expect(errorOf(() => quantizeWeightsPerChannel(new Float32Array([1, -Infinity]), [2], 0)).code).toBe('E_DATA');
    expect(errorOf(() => quantizeWeightsPerChannel(new Float32Array(4), [2, 2], 2)).code).toBe('E_SHAPE');
    expect(errorOf(() => quantizeWeightsPerChannel(new Float32Array(5), [2, 2], 0)).code).toBe('E_SHAPE');
  });
});

describe('quantizeBias', () => {
  it('quantizes with scale sIn * sW[c], per channel or per tensor', () => {
    const bias = new Float32Array([0.5, -0.25, 0.0375]);
    expect([...quantizeBias(bias, 0.5, [0.01, 0.1, 0.0025])]).toEqual([100, -5, 30]);
    expect([...quantizeBias(bias, 0.5, [0.01])]).toEqual([100, -50, 8]); // 7.5 -> 8
  });

  it('saturates to int32 and rejects NaN or a scale count that does not match', () => {
    expect([...quantizeBias(new Float32Array([1e10, -1e10]), 1, [1e-3])]).toEqual([2147483647, -2147483648]);
    const e = errorOf(() => quantizeBias(new Float32Array([0, NaN]), 1, [1, 1], 'conv1.bias'));
    expect(e.code).toBe('E_DATA');
    expect(e.message).toContain('"conv1.bias"');
    expect(errorOf(() => quantizeBias(new Float32Array(3), 1, [1, 1])).code).toBe('E_SHAPE');
  });
});

describe('activationRangeS8', () => {
  it('folds Relu, Relu6 and Clip into the int8 clamp (TFLite CalculateActivationRangeQuantized)', () => {
    const q = { scale: 0.1, zeroPoint: -20 };
    expect(activationRangeS8({ kind: 'none' }, q)).toEqual({ actMin: -128, actMax: 127 });
    expect(activationRangeS8({ kind: 'relu' }, q)).toEqual({ actMin: -20, actMax: 127 });
    expect(activationRangeS8({ kind: 'relu6' }, q)).toEqual({ actMin: -20, actMax: 40 });
    expect(activationRangeS8({ kind: 'clip', min: -1, max: 1 }, { scale: 0.01, zeroPoint: 0 })).toEqual({ actMin: -100, actMax: 100 });
    expect(activationRangeS8({ kind: 'clip', min: -100, max: 100 }, { scale: 0.01, zeroPoint: 0 })).toEqual({ actMin: -128, actMax: 127 });
  });
});
