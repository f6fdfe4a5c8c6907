// Test vectors for the differential tests of the int8 (and int16 layers') arithmetic: seeded random and edge-case arguments for every
// function of eenn_fixedpoint.h, each with the result src/quantize/fixedpoint.ts gives, packed as the records
// fixedpoint-ops.h reads (16 int32: operation code, arguments).

import {
  addS8,
  addWrapS32,
  clampS32,
  clampS8,
  dequantizeS8F32,
  divideByPowerOfTwo,
  doublingHighMult,
  doublingHighMultNoSat,
  INT32_MAX,
  INT32_MIN,
  multByPowerOfTwo,
  mulS8,
  quantizeF32S8,
  requantize,
  requantizeS64,
  requantizeS8,
  roundingDivideS32,
  type AddParamsS8,
  type MulParamsS8,
} from '../../src/quantize/fixedpoint.js';
import { addParams, mulParams } from '../../src/quantize/multiplier.js';
import { Random } from './random.js';

export const RECORD_WORDS = 16;
/** 2^32: splits a 64-bit accumulator into the two words of a record. */
const TWO_POW_32 = 4294967296;
/** Operation codes, as in fixedpoint-ops.h. */
export const OP = {
  clampS8: 0,
  clampS32: 1,
  addWrapS32: 2,
  doublingHighMultNoSat: 3,
  doublingHighMult: 4,
  divideByPowerOfTwo: 5,
  multByPowerOfTwo: 6,
  requantize: 7,
  requantizeS8: 8,
  addS8: 9,
  mulS8: 10,
  roundingDivideS32: 11,
  quantizeF32S8: 12,
  dequantizeS8F32: 13,
  requantizeS64: 14,
} as const;
export type OpName = keyof typeof OP;

const bitsView = new DataView(new ArrayBuffer(4));
export function bitsOfFloat(value: number): number {
  bitsView.setFloat32(0, value, true);
  return bitsView.getInt32(0, true);
}
export function floatOfBits(bits: number): number {
  bitsView.setInt32(0, bits, true);
  return bitsView.getFloat32(0, true);
}

/** Records for the harness, with the TS result of each computed as it is added. */
export class VectorSet {
  words: number[] = [];
  expected: number[] = [];
  ops: OpName[] = [];

  add(op: OpName, args: number[], expected: number): void {
    const record = new Array<number>(RECORD_WORDS).fill(0);
    record[0] = OP[op];
    args.forEach((a, i) => (record[i + 1] = a | 0));
    this.words.push(...record);
    this.expected.push(expected | 0);
    this.ops.push(op);
  }
}

export const EDGES = [
  INT32_MIN,
  INT32_MIN + 1,
  -(2 ** 30) - 1,
  -(2 ** 30),
  -(2 ** 30) + 1,
  -65536,
  -32769,
  -256,
  -129,
  -128,
  -2,
  -1,
  0,
  1,
  2,
  127,
  128,
  255,
  65535,
  2 ** 30 - 1,
  2 ** 30,
  2 ** 30 + 1,
  INT32_MAX - 1,
  INT32_MAX,
];

/** An int32 drawn from edges, full-range uniform, random magnitude (log-uniform) and small values. */
export function anyInt32(rng: Random): number {
  switch (rng.int(0, 3)) {
    case 0:
      return rng.pick(EDGES);
    case 1:
      return rng.int32();
    case 2:
      return rng.int(-(2 ** rng.int(0, 31)), 2 ** rng.int(0, 31) - 1) | 0;
    default:
      return rng.int(-300, 300);
  }
}

/** A requantization multiplier: mostly Q31 in [2^30, 2^31), plus 0, 2^30, INT32_MAX, small and negative ones. */
export function anyMultiplier(rng: Random): number {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.pick([0, 1, 2 ** 30, INT32_MAX, -(2 ** 30), INT32_MIN + 1]);
    case 1:
      return rng.int32();
    default:
      return rng.int(2 ** 30, INT32_MAX);
  }
}

export function buildVectors(rng: Random): VectorSet {
  const v = new VectorSet();

  for (let i = 0; i < 5000; i++) {
    const x = anyInt32(rng);
    v.add('clampS8', [x], clampS8(x));
    const lo = rng.int(-128, 127);
    const hi = rng.int(lo, 127);
    v.add('clampS32', [x, lo, hi], clampS32(x, lo, hi));
    const y = anyInt32(rng);
    v.add('addWrapS32', [x, y], addWrapS32(x, y));
  }

  // Doubling high multiplies: random pairs, every edge pair, and products exactly on a rounding tie.
  for (const a of EDGES)
    for (const b of EDGES) {
      v.add('doublingHighMultNoSat', [a, b], doublingHighMultNoSat(a, b));
      v.add('doublingHighMult', [a, b], doublingHighMult(a, b));
    }
  for (let i = 0; i < 60000; i++) {
    let a = anyInt32(rng);
    let b = rng.int(0, 4) === 0 ? anyMultiplier(rng) : anyInt32(rng);
    if (i % 4 === 0) {
      // a * 2^k with a = odd * 2^(30 - k): the product is an odd multiple of 2^30, a tie of the >> 31.
      const k = rng.int(0, 30);
      b = ((rng.bool() ? -1 : 1) * 2 ** k) | 0;
      a = (Math.imul(2 * rng.int(0, 2 ** 20) + 1, (2 ** (30 - k)) | 0) * (rng.bool() ? -1 : 1)) | 0;
    }
    v.add('doublingHighMultNoSat', [a, b], doublingHighMultNoSat(a, b));
    v.add('doublingHighMult', [a, b], doublingHighMult(a, b));
  }

  for (let exponent = 0; exponent <= 31; exponent++) {
    for (const x of EDGES) {
      v.add('divideByPowerOfTwo', [x, exponent], divideByPowerOfTwo(x, exponent));
      v.add('multByPowerOfTwo', [x, exponent], multByPowerOfTwo(x, exponent));
    }
  }
  for (let i = 0; i < 40000; i++) {
    const exponent = rng.int(0, 31);
    let x = anyInt32(rng);
    // Ties: (2k + 1) * 2^(e - 1), both signs.
    if (i % 3 === 0 && exponent > 0) x = Math.imul(2 * rng.int(-(2 ** 20), 2 ** 20) + 1, (2 ** (exponent - 1)) | 0);
    v.add('divideByPowerOfTwo', [x, exponent], divideByPowerOfTwo(x, exponent));
    v.add('multByPowerOfTwo', [x, exponent], multByPowerOfTwo(x, exponent));
  }

  // Requantize: every shift in [-31, 30] with edge values and multipliers, random triples, and ties.
  for (let shift = -31; shift <= 30; shift++) {
    for (const x of EDGES) {
      for (const m of [0, 1, 2 ** 30, 2 ** 30 + 1, INT32_MAX]) v.add('requantize', [x, m, shift], requantize(x, m, shift));
    }
  }
  for (let i = 0; i < 100000; i++) {
    let x = anyInt32(rng);
    let m = anyMultiplier(rng);
    let shift = rng.int(-31, 30);
    if (i % 5 === 0) {
      // Negative odd value times 0.5: a tie of the high multiply, where CMSIS-NN and TFLite part ways.
      x = -(2 * rng.int(0, 2 ** 24) + 1);
      m = 2 ** 30;
      shift = -rng.int(0, 8);
    } else if (i % 5 === 1) {
      // value = 2 r with r a tie of the division by 2^e: the high multiply by 0.5 gives r exactly.
      const e = rng.int(1, 20);
      x = 2 * (2 * rng.int(-(2 ** 8), 2 ** 8) + 1) * 2 ** (e - 1);
      m = 2 ** 30;
      shift = -e;
    }
    v.add('requantize', [x, m, shift], requantize(x, m, shift));
  }

  for (let i = 0; i < 30000; i++) {
    const acc = rng.int(0, 3) === 0 ? anyInt32(rng) : rng.int(-(2 ** 24), 2 ** 24);
    const m = rng.int(2 ** 30, INT32_MAX);
    const shift = rng.int(0, 3) === 0 ? rng.int(-31, 30) : rng.int(-20, 1);
    const offset = rng.int(-128, 127);
    const lo = rng.int(-128, 127);
    const hi = rng.int(lo, 127);
    v.add('requantizeS8', [acc, m, shift, offset, lo, hi], requantizeS8(acc, m, shift, offset, lo, hi));
  }

  // Add and Mul: parameters from realistic scales, and raw parameters over their documented ranges.
  for (let i = 0; i < 3000; i++) {
    const scale = () => Math.fround(2 ** rng.uniform(-10, 2));
    const zp = () => rng.int(-128, 127);
    const a = { scale: scale(), zeroPoint: zp() };
    const b = { scale: scale(), zeroPoint: zp() };
    const out = { scale: scale(), zeroPoint: zp() };
    const lo = rng.int(-128, 0);
    const add: AddParamsS8 = rng.bool()
      ? addParams(a, b, out, lo, 127)
      : {
          input1Offset: rng.int(-127, 128),
          input1Multiplier: anyMultiplier(rng),
          input1Shift: rng.int(-31, 0),
          input2Offset: rng.int(-127, 128),
          input2Multiplier: anyMultiplier(rng),
          input2Shift: rng.int(-31, 0),
          leftShift: 20,
          outputOffset: zp(),
          outputMultiplier: anyMultiplier(rng),
          outputShift: rng.int(-31, 10),
          actMin: lo,
          actMax: rng.int(lo, 127),
        };
    const mul: MulParamsS8 = rng.bool()
      ? mulParams(a, b, out, lo, 127)
      : {
          input1Offset: rng.int(-127, 128),
          input2Offset: rng.int(-127, 128),
          outputOffset: zp(),
          outputMultiplier: anyMultiplier(rng),
          outputShift: rng.int(-31, 30),
          actMin: lo,
          actMax: rng.int(lo, 127),
        };
    const addArgs = [
      add.input1Offset,
      add.input1Multiplier,
      add.input1Shift,
      add.input2Offset,
      add.input2Multiplier,
      add.input2Shift,
      add.leftShift,
      add.outputOffset,
      add.outputMultiplier,
      add.outputShift,
      add.actMin,
      add.actMax,
    ];
    const mulArgs = [mul.input1Offset, mul.input2Offset, mul.outputOffset, mul.outputMultiplier, mul.outputShift, mul.actMin, mul.actMax];
    for (let j = 0; j < 10; j++) {
      const x = rng.int(-128, 127);
      const y = rng.int(-128, 127);
      v.add('addS8', [x, y, ...addArgs], addS8(x, y, add));
      v.add('mulS8', [x, y, ...mulArgs], mulS8(x, y, mul));
    }
  }

  for (let i = 0; i < 20000; i++) {
    const count = rng.int(1, 4096);
    let sum = rng.int(-(2 ** 24), 2 ** 24);
    if (i % 3 === 0) sum = count * rng.int(-4096, 4096) + (rng.bool() ? 1 : -1) * (count >> 1);
    v.add('roundingDivideS32', [sum, count], roundingDivideS32(sum, count));
  }

  // Float <-> int8 at the model boundary: ties (power-of-two scales), NaN, infinities, random float32 values.
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e30, 1e30];
  for (let i = 0; i < 30000; i++) {
    const scale = i % 4 === 0 ? 2 ** -rng.int(0, 10) : Math.fround(2 ** rng.uniform(-12, 4));
    const zp = rng.int(-128, 127);
    let value = Math.fround(rng.normal() * scale * 100);
    if (i % 4 === 0) value = Math.fround((rng.int(-200, 200) + 0.5) * scale);
    if (i % 50 === 1) value = rng.pick(specials);
    v.add('quantizeF32S8', [bitsOfFloat(value), bitsOfFloat(scale), zp], quantizeF32S8(value, scale, zp));
    const q = rng.int(-128, 127);
    v.add('dequantizeS8F32', [q, bitsOfFloat(scale), zp], bitsOfFloat(dequantizeS8F32(q, scale, zp)));
  }

  // The int16 layers' 64-bit requantization: accumulators of every magnitude up to the header's 2^47, as two
  // words (low, high); the result compared saturated to int32 (the harness returns one int32; the kernels clamp it
  // to int16 or int8 anyway, and beyond 2^53 requantizeS64 keeps only the sign and magnitude).
  for (let i = 0; i < 20000; i++) {
    const magnitude = Math.floor(rng.uniform(0, 1) * 2 ** rng.int(0, 47));
    const acc = rng.bool() ? -magnitude : magnitude;
    const high = Math.floor(acc / TWO_POW_32);
    const multiplier = i % 10 === 0 ? rng.pick([0, 1, 32767, 32768, 2 ** 30, 0x7ffeffff, 0x7fff0000, INT32_MAX]) : rng.int(2 ** 30, INT32_MAX);
    const shift = rng.int(-31, 14);
    const result = requantizeS64(acc, multiplier, shift);
    v.add('requantizeS64', [acc - high * TWO_POW_32, high, multiplier, shift], Math.max(INT32_MIN, Math.min(INT32_MAX, result)));
  }
  return v;
}

/** `v` padded with copies of its first records to a multiple of `multiple` records (whole firmware samples). */
export function paddedTo(v: VectorSet, multiple: number): VectorSet {
  const out = new VectorSet();
  out.words = [...v.words];
  out.expected = [...v.expected];
  out.ops = [...v.ops];
  for (let i = 0; out.expected.length % multiple !== 0; i++) {
    out.words.push(...v.words.slice(i * RECORD_WORDS, (i + 1) * RECORD_WORDS));
    out.expected.push(v.expected[i]!);
    out.ops.push(v.ops[i]!);
  }
  return out;
}

/** The records as little-endian bytes. */
export function bytesOf(v: VectorSet): Uint8Array {
  return new Uint8Array(Int32Array.from(v.words).buffer);
}

/** The first ten records whose result differs from `got`, described. */
export function mismatches(v: VectorSet, got: Int32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < v.expected.length && out.length < 10; i++) {
    if (got[i] !== v.expected[i]) {
      const args = v.words.slice(i * RECORD_WORDS + 1, i * RECORD_WORDS + 8).join(', ');
      out.push(`${v.ops[i]}(${args}): C ${got[i]}, TS ${v.expected[i]}`);
    }
  }
  return out;
}
