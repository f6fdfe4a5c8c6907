// quantizeMultiplier (TFLite QuantizeMultiplier), per-channel multipliers and the Add / Mul parameters
// (src/quantize/multiplier.ts), checked against hand-derived values and against float arithmetic.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { addS8, mulS8, requantize } from '../../src/quantize/fixedpoint.js';
import { ADD_LEFT_SHIFT_S8, addParams, channelMultipliers, mulParams, quantizeMultiplier, realMultiplierOf } from '../../src/quantize/multiplier.js';
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

describe('quantizeMultiplier', () => {
  it("gives TFLite's multiplier and shift for exact and rounded fractions", () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 3 * 2 ** 29, shift: 0 });
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 3 * 2 ** 29, shift: 2 });
    // 1/3 = (2/3) 2^-1; 2/3 2^31 = 1431655765.33 -> 1431655765
    expect(quantizeMultiplier(1 / 3)).toEqual({ multiplier: 1431655765, shift: -1 });
    expect(quantizeMultiplier(2 ** 29)).toEqual({ multiplier: 2 ** 30, shift: 30 });
  });

  it('carries a fraction that rounds up to 2^31 into the shift', () => {
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier((1 - 2 ** -40) * 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
  });

  it('flushes multipliers below 2^-32 to zero, as TFLite does', () => {
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1e-10)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(5e-324)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('rejects multipliers requantize cannot apply, and non-finite or negative ones', () => {
    expect(errorOf(() => quantizeMultiplier(2 ** 30, 'conv1 channel 0')).code).toBe('E_UNSUPPORTED');
    expect(errorOf(() => quantizeMultiplier(2 ** 30, 'conv1 channel 0')).message).toContain('conv1 channel 0');
    expect(errorOf(() => quantizeMultiplier(NaN)).code).toBe('E_DATA');
    expect(errorOf(() => quantizeMultiplier(Infinity)).code).toBe('E_DATA');
    expect(errorOf(() => quantizeMultiplier(-0.5)).code).toBe('E_DATA');
  });

  it('keeps the multiplier in [2^30, 2^31) and the relative error within 2^-31', () => {
    const rng = new Random(21);
    for (let i = 0; i < 5000; i++) {
      const m = 2 ** rng.uniform(-31, 29.9);
      const q = quantizeMultiplier(m);
      expect(q.multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(q.multiplier).toBeLessThan(2 ** 31);
      expect(q.shift).toBeGreaterThanOrEqual(-31);
      expect(q.shift).toBeLessThanOrEqual(30);
      expect(Math.abs(realMultiplierOf(q) - m) / m).toBeLessThanOrEqual(2 ** -31 * (1 + 1e-9));
    }
  });

  it('makes requantize(x) equal x * M within one unit', () => {
    const rng = new Random(22);
    for (let i = 0; i < 10000; i++) {
      const m = 2 ** rng.uniform(-20, 4);
      const x = rng.int(-(2 ** 20), 2 ** 20);
      const q = quantizeMultiplier(m);
      const exact = x * m;
      expect(Math.abs(requantize(x, q.multiplier, q.shift) - exact)).toBeLessThanOrEqual(1 + Math.abs(exact) * 2 ** -30);
    }
  });
});

describe('channelMultipliers', () => {
  it('quantizes sIn * sW[c] / sOut for every channel', () => {
    const weightScales = new Float32Array([0.01, 0.02, 0.5, 1e-12]);
    const { multipliers, shifts } = channelMultipliers(0.05, weightScales, 0.1);
    expect(multipliers.length).toBe(4);
    for (let c = 0; c < 4; c++) {
      const q = quantizeMultiplier((0.05 * weightScales[c]!) / 0.1);
      expect([multipliers[c], shifts[c]]).toEqual([q.multiplier, q.shift]);
    }
    expect(multipliers[3]).toBe(0); // 5e-12 is below 2^-32: flushed
  });
});

describe('addParams and mulParams', () => {
  const rng = new Random(23);
  const randomQuant = () => ({ scale: Math.fround(2 ** rng.uniform(-8, 0)), zeroPoint: rng.int(-128, 127) });
  const expectedS8 = (real: number, out: { scale: number; zeroPoint: number }) =>
    Math.max(-128, Math.min(127, Math.round(real / out.scale) + out.zeroPoint));

  it("follow TFLite's PrepareAdd: left shift 20, inputs scaled by s / (2 max s), output by 2 max s / (2^20 sOut)", () => {
    const p = addParams({ scale: 0.5, zeroPoint: 3 }, { scale: 0.25, zeroPoint: -7 }, { scale: 1, zeroPoint: 10 });
    expect(p.leftShift).toBe(ADD_LEFT_SHIFT_S8);
    expect([p.input1Offset, p.input2Offset, p.outputOffset]).toEqual([-3, 7, 10]);
    expect(p).toMatchObject({ input1Multiplier: 2 ** 30, input1Shift: 0, input2Multiplier: 2 ** 30, input2Shift: -1 });
    expect(realMultiplierOf({ multiplier: p.outputMultiplier, shift: p.outputShift })).toBe(2 ** -20);
  });

  it('make addS8 and mulS8 agree with float arithmetic within one unit', () => {
    for (let i = 0; i < 2000; i++) {
      const a = randomQuant();
      const b = randomQuant();
      const sum = randomQuant();
      const product = { scale: Math.fround(a.scale * b.scale * 2 ** rng.uniform(2, 7)), zeroPoint: rng.int(-128, 127) };
      const add = addParams(a, b, sum);
      const mul = mulParams(a, b, product);
      for (let j = 0; j < 8; j++) {
        const x = rng.int(-128, 127);
        const y = rng.int(-128, 127);
        const realA = a.scale * (x - a.zeroPoint);
        const realB = b.scale * (y - b.zeroPoint);
        expect(Math.abs(addS8(x, y, add) - expectedS8(realA + realB, sum))).toBeLessThanOrEqual(1);
        expect(Math.abs(mulS8(x, y, mul) - expectedS8(realA * realB, product))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('clamp to the activation range they are given', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    const add = addParams(q, q, q, 0, 50);
    expect(addS8(-100, -20, add)).toBe(0);
    expect(addS8(100, 20, add)).toBe(50);
    expect(addS8(10, 20, add)).toBe(30);
  });
});
