// The integer arithmetic of the int8 path, bit for bit the same as templates/c/runtime/eenn_fixedpoint.h.
// The int8 reference interpreter and every quantize pass use these functions; each mirrors one C function.
//
// The scheme (TFLite / CMSIS-NN int8): real = scale * (q - zeroPoint). Weights are symmetric per output channel,
// activations asymmetric per tensor, bias int32 with scale sIn * sW[c]. A real multiplier M is held as a Q31
// `multiplier` and a `shift` in [-31, 30] (M ~= multiplier * 2^(shift - 31), see multiplier.ts), and applied by
//
//   requantize(x, m, s) = divideByPowerOfTwo(doublingHighMultNoSat(x << max(s, 0), m), max(-s, 0))
//
// which is CMSIS-NN's arm_nn_requantize, default branch (CMSIS_NN_USE_SINGLE_ROUNDING not defined), as in
// Include/arm_nnsupportfunctions.h V.22.0.0 (30 April 2024): the high multiply is (a * b + 2^30) >> 31 (ties
// toward +infinity), the division rounds ties away from zero. TFLite's default MultiplyByQuantizedMultiplier
// (gemmlowp SaturatingRoundingDoublingHighMul + RoundingDivideByPOT) gives the same bits for every multiplier in
// [0, 2^31 - 1]: its nudge of 1 - 2^30 for negative products with truncating division equals the + 2^30 and
// shift. It differs only for INT32_MIN * INT32_MIN (TFLite saturates, CMSIS-NN wraps), which needs a multiplier
// of INT32_MIN that quantizeMultiplier never makes. The single-rounding builds of either library differ more.
//
// Exactness in JavaScript: int32 values are numbers, `Math.imul` gives the low 32 bits of a 32x32 product, and
// the high 32 bits come from the double product, whose error (< 2^10) is far below 2^32, so rounding
// (double product - low word) / 2^32 recovers them exactly. No BigInt, no allocation: the JIT inlines these.

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

const TWO_POW_32 = 4294967296;
const TWO_POW_31 = 2147483648;
const TWO_POW_30 = 1073741824;

/** Limits of an int16 activation (src/ir/int8.ts, "int16 activations"). */
export const INT16_MIN = -32768;
export const INT16_MAX = 32767;
/** eenn_clamp_s8: saturate an int32 to [-128, 127]. */
export function clampS8(value: number): number {
  return value < -128 ? -128 : value > 127 ? 127 : value;
}

/** eenn_clamp_s32: max(low, min(value, high)) in CMSIS-NN's order (MAX first, then MIN). */
export function clampS32(value: number, low: number, high: number): number {
  const v = value > low ? value : low;
  return v < high ? v : high;
}

/** eenn_add_wrap_s32: two's complement add, wrapping like the Cortex-M ADD instruction. */
export function addWrapS32(a: number, b: number): number {
  return (a + b) | 0;
}

/** High 32 bits (signed) of the exact 64-bit product a * b, given its low word `low` (unsigned). */
function highWord(a: number, b: number, low: number): number {
  return Math.round((a * b - low) / TWO_POW_32);
}

/**
 * eenn_doubling_high_mult_no_sat (CMSIS-NN arm_nn_doubling_high_mult_no_sat): bits 31..62 of
 * a * b + 2^30, i.e. round(a * b / 2^31) with ties toward +infinity; INT32_MIN * INT32_MIN wraps to INT32_MIN.
 */
export function doublingHighMultNoSat(a: number, b: number): number {
  const low = Math.imul(a, b) >>> 0;
  const high = highWord(a, b, low);
  // (high * 2^32 + low + 2^30) >> 31 = 2 high + floor((low + 2^30) / 2^31), taken mod 2^32.
  return (2 * high + Math.floor((low + TWO_POW_30) / TWO_POW_31)) | 0;
}

/**
 * eenn_doubling_high_mult (CMSIS-NN arm_nn_doubling_high_mult = gemmlowp SaturatingRoundingDoublingHighMul):
 * (a * b + nudge) / 2^31 truncated toward zero, nudge = 2^30, or 1 - 2^30 when the signs differ: ties toward
 * +infinity, the same bits as doublingHighMultNoSat except INT32_MAX for INT32_MIN * INT32_MIN.
 */
export function doublingHighMult(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  let low = Math.imul(a, b) >>> 0;
  let high = highWord(a, b, low);
  low += a < 0 !== b < 0 ? 1 - TWO_POW_30 : TWO_POW_30;
  if (low >= TWO_POW_32) {
    low -= TWO_POW_32;
    high += 1;
  } else if (low < 0) {
    low += TWO_POW_32;
    high -= 1;
  }
  // x = high * 2^32 + low with low in [0, 2^32): floor(x / 2^31), then toward zero when x < 0 is inexact.
  let quotient = 2 * high + Math.floor(low / TWO_POW_31);
  if (high < 0 && low % TWO_POW_31 !== 0) quotient += 1;
  return quotient | 0;
}

/**
 * eenn_divide_by_power_of_two (CMSIS-NN arm_nn_divide_by_power_of_two = gemmlowp RoundingDivideByPOT):
 * dividend / 2^exponent rounded to nearest, ties away from zero. exponent in [0, 31].
 */
export function divideByPowerOfTwo(dividend: number, exponent: number): number {
  const remainderMask = ((1 << exponent) - 1) | 0;
  const remainder = remainderMask & dividend;
  let result = dividend >> exponent;
  let threshold = remainderMask >> 1;
  if (result < 0) threshold++;
  if (remainder > threshold) result++;
  return result;
}

/**
 * eenn_mult_by_power_of_two (CMSIS-NN arm_nn_mult_by_power_of_two): value * 2^exponent saturated to int32,
 * exponent in [0, 31]; as in CMSIS-NN the lower threshold is -(2^(31-exponent) - 1).
 */
export function multByPowerOfTwo(value: number, exponent: number): number {
  const threshold = ((1 << (31 - exponent)) - 1) | 0;
  let result = value << exponent;
  if (value > threshold) result = INT32_MAX;
  if (value < -threshold) result = INT32_MIN;
  return result;
}

/**
 * eenn_requantize (CMSIS-NN arm_nn_requantize, default branch): multiply by the Q31 `multiplier` and
 * 2^shift, shift in [-31, 30]. `value << shift` wraps for shift > 0 as on the hardware.
 */
export function requantize(value: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return divideByPowerOfTwo(doublingHighMultNoSat(value << leftShift, multiplier), rightShift);
}

/**
 * eenn_requantize_s8: the output stage of conv / depthwise / fully connected kernels — requantize,
 * add the output zero point (wrapping), clamp to [actMin, actMax].
 */
export function requantizeS8(accumulator: number, multiplier: number, shift: number, outOffset: number, actMin: number, actMax: number): number {
  return clampS32((requantize(accumulator, multiplier, shift) + outOffset) | 0, actMin, actMax);
}

/** eenn_add_params_s8: the quantization parameters of an int8 Add (see addParams in multiplier.ts). */
export interface AddParamsS8 {
  input1Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Offset: number;
  input2Multiplier: number;
  input2Shift: number;
  leftShift: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

/** eenn_add_s8: one element of an int8 Add, the arithmetic of CMSIS-NN arm_elementwise_add_s8. */
export function addS8(a: number, b: number, p: AddParamsS8): number {
  const aScaled = requantize((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const bScaled = requantize((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  return requantizeS8((aScaled + bScaled) | 0, p.outputMultiplier, p.outputShift, p.outputOffset, p.actMin, p.actMax);
}

/** eenn_mul_params_s8: the quantization parameters of an int8 Mul (see mulParams in multiplier.ts). */
export interface MulParamsS8 {
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

/** eenn_mul_s8: one element of an int8 Mul, the arithmetic of CMSIS-NN arm_elementwise_mul_s8. */
export function mulS8(a: number, b: number, p: MulParamsS8): number {
  const product = Math.imul(a + p.input1Offset, b + p.input2Offset);
  return requantizeS8(product, p.outputMultiplier, p.outputShift, p.outputOffset, p.actMin, p.actMax);
}

/**
 * eenn_rounding_divide_s32: sum / count rounded to nearest, ties away from zero (CMSIS-NN arm_avgpool_s8,
 * TFLite reference AveragePool). count > 0, |sum| + count / 2 < 2^31.
 */
export function roundingDivideS32(sum: number, count: number): number {
  const half = (count / 2) | 0;
  // C's `/` truncates toward zero; the double quotient of two int32 never rounds across an integer.
  return (sum > 0 ? Math.trunc((sum + half) / count) : Math.trunc((sum - half) / count)) | 0; // | 0: never -0
}

/**
 * eenn_quantize_f32_s8: TFLite's AffineQuantize with float32 arithmetic, clamp(round(value / scale) + zeroPoint)
 * with ties away from zero; NaN gives zeroPoint, infinities saturate. `scale` must be a float32 value.
 */
export function quantizeF32S8(value: number, scale: number, zeroPoint: number): number {
  // One float32 division: the double quotient of two float32 values rounds to the same float32.
  let scaled = Math.fround(Math.fround(value) / scale);
  if (scaled !== scaled) scaled = 0;
  if (scaled < -512) scaled = -512;
  if (scaled > 512) scaled = 512;
  let rounded = Math.trunc(scaled) | 0; // | 0: an int, never -0
  const fraction = scaled - rounded;
  if (fraction >= 0.5) rounded++;
  if (fraction <= -0.5) rounded--;
  return clampS8(rounded + zeroPoint);
}

/** eenn_dequantize_s8_f32: scale * (q - zeroPoint) as one float32 multiply. `scale` must be a float32 value. */
export function dequantizeS8F32(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(scale * (q - zeroPoint));
}

/** Largest Q31 multiplier that arm_nn_requantize_s64 still rounds to Q15 (CMSIS-NN REDUCE_MULTIPLIER). */
const REDUCE_MULTIPLIER_LIMIT = 0x7fff0000;
/** The Q15 multiplier REDUCE_MULTIPLIER gives from the limit up: the largest int16. */
const Q15_MAX = 0x7fff;
const TWO_POW_15 = 32768;
const TWO_POW_16 = 65536;
/** Products below this magnitude are exact as doubles (2^53). */
const EXACT_DOUBLE = 9007199254740992;
/** Largest `shift` of an int16-input layer: arm_nn_requantize_s64 shifts right by 14 - shift. */
export const REQUANTIZE_S64_MAX_SHIFT = 14;

/**
 * CMSIS-NN REDUCE_MULTIPLIER (the first line of eenn_requantize_s64): a Q31 multiplier rounded to the Q15
 * multiplier of arm_nn_requantize_s64, (multiplier + 2^15) >> 16, or 0x7FFF from 0x7FFF0000 up (where the sum
 * would leave Q15).
 */
export function reduceMultiplier(multiplier: number): number {
  return multiplier < REDUCE_MULTIPLIER_LIMIT ? Math.floor((multiplier + TWO_POW_15) / TWO_POW_16) : Q15_MAX;
}

/**
 * eenn_requantize_s64 (CMSIS-NN arm_nn_requantize_s64 with the Q15 multiplier of reduceMultiplier): the output
 * stage of an int16-input layer, ((acc * reduced) >> (14 - shift)) + 1) >> 1 with arithmetic shifts of 64-bit
 * values (src/ir/int8.ts), i.e. acc * reduced / 2^(15 - shift) rounded half toward +infinity. `acc` is an exact
 * integer (a 64-bit accumulator held in a double, |acc| <= 2^53), `shift` in [-31, 14].
 *
 * Exactness: when |acc * reduced| < 2^53 the double product is exact and flooring its quotient by a power of two
 * is exact, so floor(p / 2^(14 - shift)) is the arithmetic shift; otherwise the product is taken in BigInt. The
 * result is exact up to 2^53 in magnitude; a larger one (which every caller clamps to int16 or int8) is rounded
 * to a double.
 */
export function requantizeS64(acc: number, multiplier: number, shift: number): number {
  const reduced = reduceMultiplier(multiplier);
  const rightShift = REQUANTIZE_S64_MAX_SHIFT - shift;
  const product = acc * reduced;
  if (product < EXACT_DOUBLE && product > -EXACT_DOUBLE) {
    return Math.floor((Math.floor(product / 2 ** rightShift) + 1) / 2);
  }
  const shifted = (BigInt(acc) * BigInt(reduced)) >> BigInt(rightShift);
  return Number((shifted + 1n) >> 1n);
}
