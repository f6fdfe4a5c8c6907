// Differential test of the int8 arithmetic: src/quantize/fixedpoint.ts against templates/c/runtime/eenn_fixedpoint.h
// compiled for the host (plain -O2 and with -fsanitize=undefined), bit for bit on seeded random and edge vectors.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dequantizeS8F32,
  divideByPowerOfTwo,
  doublingHighMult,
  doublingHighMultNoSat,
  INT32_MAX,
  INT32_MIN,
  multByPowerOfTwo,
  quantizeF32S8,
  requantize,
  requantizeS8,
  roundingDivideS32,
} from '../../src/quantize/fixedpoint.js';
import { quantizeMultiplier } from '../../src/quantize/multiplier.js';
import { anyInt32, buildVectors, bytesOf, floatOfBits, mismatches, OP, type VectorSet } from './fixedpoint-vectors.js';
import { Random } from './random.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const runtimeDir = join(root, 'templates/c/runtime');
const harnessSource = join(here, 'fixedpoint-harness.c');
const CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c99', `-I${runtimeDir}`, `-I${here}`];

/** Compile the harness with `flags`, run it on the vectors, return its results. */
function runHarness(dir: string, name: string, flags: string[], vectorsPath: string): Int32Array {
  const exe = join(dir, name);
  execFileSync('gcc', [...CFLAGS, ...flags, harnessSource, '-o', exe], { stdio: 'pipe' });
  const outPath = join(dir, `${name}.out`);
  execFileSync(exe, [vectorsPath, outPath], { stdio: 'pipe' });
  const bytes = readFileSync(outPath);
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

describe('fixedpoint.ts against eenn_fixedpoint.h (host gcc)', () => {
  let dir = '';
  let vectors: VectorSet;
  let plain: Int32Array;
  let sanitized: Int32Array;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eenn-fixedpoint-'));
    vectors = buildVectors(new Random(0x5eed));
    const vectorsPath = join(dir, 'vectors.bin');
    writeFileSync(vectorsPath, bytesOf(vectors));
    plain = runHarness(dir, 'harness', [], vectorsPath);
    sanitized = runHarness(dir, 'harness-ubsan', ['-fsanitize=undefined', '-fno-sanitize-recover=all'], vectorsPath);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ran every vector of every function', () => {
    expect(plain.length).toBe(vectors.expected.length);
    expect(vectors.expected.length).toBeGreaterThan(400000);
    expect(new Set(vectors.ops).size).toBe(Object.keys(OP).length);
  });

  it('gives the same bits as the C for every vector (-O2)', () => {
    expect(mismatches(vectors, plain)).toEqual([]);
  });

  it('gives the same bits as the C built with -fsanitize=undefined (the C has no undefined behaviour)', () => {
    expect(sanitized.length).toBe(vectors.expected.length);
    expect(mismatches(vectors, sanitized)).toEqual([]);
  });

  it('has results that are not trivial (the vectors reach saturation, ties and both signs)', () => {
    const requantized = vectors.expected.filter((_, i) => vectors.ops[i] === 'requantize');
    expect(requantized.some((r) => r < 0)).toBe(true);
    expect(requantized.some((r) => r > 2 ** 20)).toBe(true);
    const s8 = vectors.expected.filter((_, i) => vectors.ops[i] === 'addS8');
    expect(s8.includes(-128) && s8.includes(127)).toBe(true);
    expect(vectors.expected.some((r, i) => vectors.ops[i] === 'dequantizeS8F32' && floatOfBits(r) < 0)).toBe(true);
  });
});

describe('eenn_fixedpoint.h on Arm', () => {
  for (const cpu of ['cortex-m0plus', 'cortex-m4', 'cortex-m55']) {
    it(`compiles warning-free for ${cpu} (-Wall -Wextra -Werror -std=c99)`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'eenn-fixedpoint-arm-'));
      try {
        execFileSync('arm-none-eabi-gcc', [...CFLAGS, `-mcpu=${cpu}`, '-mthumb', '-c', harnessSource, '-o', join(dir, 'harness.o')], {
          stdio: 'pipe',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// Straight BigInt transliterations of the CMSIS-NN and TFLite formulas: an independent oracle for the
// split-arithmetic TS, and a record of where CMSIS-NN's requantize and TFLite's differ.
function bigHighMultNoSat(a: number, b: number): number {
  return Number(BigInt.asIntN(32, (BigInt(a) * BigInt(b) + (1n << 30n)) >> 31n));
}
function bigHighMultTflite(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number(BigInt.asIntN(32, (ab + nudge) / (1n << 31n))); // BigInt division truncates toward zero, as C
}
function bigRoundingDivide(x: number, e: number): number {
  const mask = (1n << BigInt(e)) - 1n;
  const remainder = BigInt(x) & mask;
  const threshold = (mask >> 1n) + (x < 0 ? 1n : 0n);
  return Number((BigInt(x) >> BigInt(e)) + (remainder > threshold ? 1n : 0n));
}
function bigRequantize(x: number, m: number, shift: number, highMult: (a: number, b: number) => number): number {
  const shifted = Number(BigInt.asIntN(32, BigInt(x) << BigInt(Math.max(shift, 0))));
  return bigRoundingDivide(highMult(shifted, m), Math.max(-shift, 0));
}

describe('fixedpoint.ts against BigInt transliterations', () => {
  it('matches CMSIS-NN arm_nn_requantize and its parts on 50000 random vectors', () => {
    const rng = new Random(7);
    for (let i = 0; i < 50000; i++) {
      const a = anyInt32(rng);
      const b = anyInt32(rng);
      const shift = rng.int(-31, 30);
      expect(doublingHighMultNoSat(a, b)).toBe(bigHighMultNoSat(a, b));
      expect(doublingHighMult(a, b)).toBe(bigHighMultTflite(a, b));
      expect(requantize(a, b, shift)).toBe(bigRequantize(a, b, shift, bigHighMultNoSat));
    }
  });

  it('agrees with TFLite MultiplyByQuantizedMultiplier (double rounding) except for INT32_MIN * INT32_MIN', () => {
    // gemmlowp nudges a negative product by 1 - 2^30 and truncates; CMSIS-NN adds 2^30 and floors: same ties.
    expect(requantize(-1, 2 ** 30, 0)).toBe(0); // -0.5 -> 0
    expect(bigRequantize(-1, 2 ** 30, 0, bigHighMultTflite)).toBe(0);
    expect(requantize(-3, 2 ** 30, 0)).toBe(-1); // -1.5 -> -1
    expect(bigRequantize(-3, 2 ** 30, 0, bigHighMultTflite)).toBe(-1);
    const rng = new Random(11);
    for (let i = 0; i < 30000; i++) {
      const tie = i % 2 === 0;
      const x = tie ? -(2 * rng.int(0, 2 ** 24) + 1) : anyInt32(rng);
      const m = tie ? 2 ** 30 : rng.int(0, INT32_MAX);
      const shift = tie ? -rng.int(0, 12) : rng.int(-31, 30);
      expect(requantize(x, m, shift)).toBe(bigRequantize(x, m, shift, bigHighMultTflite));
    }
    // The one difference: the saturation of the doubling multiply, reachable only with multiplier INT32_MIN.
    expect(requantize(INT32_MIN, INT32_MIN, 0)).toBe(INT32_MIN);
    expect(bigRequantize(INT32_MIN, INT32_MIN, 0, bigHighMultTflite)).toBe(INT32_MAX);
  });

  it('is the double-rounding variant, not CMSIS_NN_USE_SINGLE_ROUNDING', () => {
    // Single rounding: (x * m + 2^(30 - s)) >> (31 - s). Double rounding rounds at 2^31 first, then at 2^-s.
    const single = (x: number, m: number, shift: number): number =>
      Number((BigInt(x) * BigInt(m) + (1n << BigInt(30 - shift))) >> BigInt(31 - shift));
    // 6 * 0.75 / 2: the high multiply rounds 4.5 to 5, then 5 / 2 = 2.5 rounds to 3; single rounding: 2.25 -> 2.
    expect(requantize(6, 3 * 2 ** 29, -1)).toBe(3);
    expect(single(6, 3 * 2 ** 29, -1)).toBe(2);
    const m = 3 * 2 ** 29; // 0.75
    let differences = 0;
    for (let x = -5000; x <= 5000; x++) {
      for (const shift of [-1, -2, -3, -5]) if (requantize(x, m, shift) !== single(x, m, shift)) differences++;
    }
    expect(differences).toBeGreaterThan(0);
  });
});

describe('fixedpoint.ts values derived by hand', () => {
  it('requantizes with a Q31 multiplier and shift', () => {
    const half = quantizeMultiplier(0.5); // 2^30, shift 0
    expect(requantize(100, half.multiplier, half.shift)).toBe(50);
    expect(requantize(101, half.multiplier, half.shift)).toBe(51); // 50.5 -> up
    expect(requantize(-101, half.multiplier, half.shift)).toBe(-50); // -50.5 -> toward +infinity in the high multiply
    const three = quantizeMultiplier(3); // 0.75 * 2^2
    expect(requantize(7, three.multiplier, three.shift)).toBe(21);
    const tiny = quantizeMultiplier(2 ** -35 * 1.5); // shift < -31 flushes to zero
    expect(requantize(INT32_MAX, tiny.multiplier, tiny.shift)).toBe(0);
    expect(requantize(1000, 2 ** 30, -3)).toBe(63); // 1000 / 16 = 62.5 -> away from zero
    expect(requantize(-1000, 2 ** 30, -3)).toBe(-63);
  });

  it('divides by powers of two with ties away from zero', () => {
    expect(divideByPowerOfTwo(5, 1)).toBe(3);
    expect(divideByPowerOfTwo(-5, 1)).toBe(-3);
    expect(divideByPowerOfTwo(-6, 2)).toBe(-2);
    expect(divideByPowerOfTwo(INT32_MIN, 31)).toBe(-1);
    expect(divideByPowerOfTwo(INT32_MAX, 31)).toBe(1);
    expect(divideByPowerOfTwo(-7, 0)).toBe(-7);
  });

  it('saturates the doubling multiplies and the power-of-two multiply', () => {
    expect(doublingHighMult(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(doublingHighMultNoSat(INT32_MIN, INT32_MIN)).toBe(INT32_MIN);
    expect(doublingHighMult(2 ** 30, 2 ** 30)).toBe(2 ** 29);
    expect(multByPowerOfTwo(2 ** 20, 11)).toBe(INT32_MAX);
    expect(multByPowerOfTwo(-(2 ** 20), 11)).toBe(INT32_MIN);
    expect(multByPowerOfTwo(3, 4)).toBe(48);
  });

  it('quantizes floats with ties away from zero and saturation, and dequantizes', () => {
    expect(quantizeF32S8(0.25, 0.5, 0)).toBe(1); // 0.5 -> 1
    expect(quantizeF32S8(-0.25, 0.5, 0)).toBe(-1);
    expect(quantizeF32S8(1000, 0.5, 10)).toBe(127);
    expect(quantizeF32S8(-Infinity, 0.5, 10)).toBe(-128);
    expect(quantizeF32S8(NaN, 0.5, 10)).toBe(10);
    expect(dequantizeS8F32(-128, 0.5, 10)).toBe(-69);
  });

  it('averages with rounding like CMSIS-NN avgpool', () => {
    expect(roundingDivideS32(5, 2)).toBe(3);
    expect(roundingDivideS32(-5, 2)).toBe(-3);
    expect(roundingDivideS32(7, 3)).toBe(2);
    expect(roundingDivideS32(-8, 3)).toBe(-3);
  });
});

describe('fixedpoint.ts speed', () => {
  it('requantizes 1e6 accumulators to int8 in well under a second', () => {
    const rng = new Random(3);
    const n = 1_000_000;
    const channels = 64;
    const acc = new Int32Array(n);
    for (let i = 0; i < n; i++) acc[i] = rng.int(-(2 ** 20), 2 ** 20);
    const multipliers = new Int32Array(channels).map(() => rng.int(2 ** 30, INT32_MAX));
    const shifts = new Int32Array(channels).map(() => rng.int(-12, 0));
    const out = new Int8Array(n);
    const pass = (): number => {
      const start = process.cpuUsage(); // CPU time: a loaded machine does not slow it down
      for (let i = 0; i < n; i++) {
        const c = i % channels;
        out[i] = requantizeS8(acc[i]!, multipliers[c]!, shifts[c]!, -3, -128, 127);
      }
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    };
    pass(); // warm up the JIT
    const ms = Math.min(pass(), pass());
    console.log(`requantizeS8: 1e6 values in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(500);
    expect(out.some((x) => x === 127) && out.some((x) => x < 0)).toBe(true);
  });
});

describe('fixedpoint.ts results are plain int32 numbers', () => {
  it('never returns -0 (Object.is comparisons and Int32Array round trips stay exact)', () => {
    expect(Object.is(roundingDivideS32(0, 3), 0)).toBe(true);
    expect(Object.is(roundingDivideS32(-1, 3), 0)).toBe(true);
    expect(Object.is(quantizeF32S8(-0.1, 1, 0), 0)).toBe(true);
    expect(Object.is(requantize(-1, 1, -31), 0)).toBe(true);
    expect(Object.is(doublingHighMult(-1, 1), 0)).toBe(true);
  });
});
