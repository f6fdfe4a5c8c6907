// Requantization parameters, computed once at compile time: real multipliers (ratios of scales) turned into
// the Q31 multiplier + shift pairs that fixedpoint.ts and eenn_fixedpoint.h apply. Used by the quantize pass.
//
// The scheme: real = scale * (q - zeroPoint). A conv / fully connected output channel c computes
// acc = sum (x - zpIn) * w + bias (scale sIn * sW[c]) and rescales it by M = sIn * sW[c] / sOut; Add and Mul
// use TFLite's PrepareAdd / PrepareMul formulas. The multipliers follow TFLite's QuantizeMultiplier exactly.

import { EennError } from '../ir/diagnostics.js';
import type { AddParamsS8, MulParamsS8 } from './fixedpoint.js';

/** A real multiplier M as a Q31 `multiplier` in [2^30, 2^31) (or 0) and a `shift`: M ~= multiplier * 2^(shift - 31). */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** Left shift CMSIS-NN's arm_elementwise_add_s8 applies to int8 Add inputs (TFLite: `left_shift = 20`). */
export const ADD_LEFT_SHIFT_S8 = 20;

const TWO_POW_31 = 2147483648;
const TWO_POW_MINUS_40 = Math.pow(2, -40);

/** frexp for a normal value > 0: [fraction in [0.5, 1), exponent] with value = fraction * 2^exponent, exact. */
function frexp(value: number): [number, number] {
  let exponent = Math.floor(Math.log2(value)) + 1;
  let fraction = value * Math.pow(2, -exponent);
  // log2 may be one off near powers of two: fix up exactly (scaling by 2 is exact for normal values).
  while (fraction >= 1) {
    fraction /= 2;
    exponent += 1;
  }
  while (fraction < 0.5) {
    fraction *= 2;
    exponent -= 1;
  }
  return [fraction, exponent];
}

/**
 * TFLite's QuantizeMultiplier: M = fraction * 2^shift with fraction in [0.5, 1) (frexp), multiplier =
 * round(fraction * 2^31) (ties away from zero), a fraction that rounds up to 2^31 becomes 2^30 with shift + 1.
 * M = 0 gives { 0, 0 }; a multiplier below ~2^-32 (shift < -31) flushes to { 0, 0 } as TFLite does.
 * M must be finite and >= 0; M >= 2^30 (shift > 30) cannot be applied by eenn_requantize and throws E_UNSUPPORTED.
 * `what` names the multiplier in errors (e.g. 'node "conv1" (Conv) output channel 3').
 */
export function quantizeMultiplier(realMultiplier: number, what = 'requantization multiplier'): QuantizedMultiplier {
  if (!Number.isFinite(realMultiplier) || realMultiplier < 0) {
    throw new EennError({
      code: 'E_DATA',
      message: `${what} is ${realMultiplier}; it must be a finite number >= 0`,
      hint: 'a scale of 0, NaN or infinity reached the quantizer; check the calibration data and the weights',
    });
  }
  // Below 2^-40 the shift is far under -31 (rounding moves it by at most one): flush without frexp.
  if (realMultiplier < TWO_POW_MINUS_40) return { multiplier: 0, shift: 0 };
  const [fraction, exponent] = frexp(realMultiplier);
  let fixed = Math.round(fraction * TWO_POW_31); // fraction > 0: Math.round's ties-up is ties away from zero
  let shift = exponent;
  if (fixed === TWO_POW_31) {
    fixed /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `${what} is ${realMultiplier}, too large for int8 requantization (at most 2^30)`,
      hint: 'an output scale is far smaller than its input scales; check the calibration ranges',
    });
  }
  return { multiplier: fixed, shift };
}

/** The real multiplier a quantized one stands for: multiplier * 2^(shift - 31). */
export function realMultiplierOf(q: QuantizedMultiplier): number {
  return q.multiplier * Math.pow(2, q.shift - 31);
}

/**
 * Per-channel multipliers of a conv / depthwise conv / fully connected layer: M[c] = sIn * sW[c] / sOut.
 * Returns the arrays the C kernels take (CMSIS-NN's cmsis_nn_per_channel_quant_params).
 */
export function channelMultipliers(
  inputScale: number,
  weightScales: ArrayLike<number>,
  outputScale: number,
  what = 'layer',
): { multipliers: Int32Array; shifts: Int32Array } {
  const multipliers = new Int32Array(weightScales.length);
  const shifts = new Int32Array(weightScales.length);
  for (let c = 0; c < weightScales.length; c++) {
    const real = (inputScale * weightScales[c]!) / outputScale;
    const q = quantizeMultiplier(real, `${what} output channel ${c} multiplier`);
    multipliers[c] = q.multiplier;
    shifts[c] = q.shift;
  }
  return { multipliers, shifts };
}

/** An int8 tensor's quantization: real = scale * (q - zeroPoint). */
export interface TensorQuant {
  scale: number;
  zeroPoint: number;
}

/**
 * Parameters of an int8 Add as TFLite's PrepareAdd computes them: inputs shifted left by 20, each input scaled
 * by s_i / (2 max(s1, s2)), the sum by 2 max(s1, s2) / (2^20 sOut). `actMin`/`actMax` come from activationRangeS8.
 */
export function addParams(input1: TensorQuant, input2: TensorQuant, output: TensorQuant, actMin = -128, actMax = 127, what = 'Add'): AddParamsS8 {
  const twiceMaxInputScale = 2 * Math.max(input1.scale, input2.scale);
  const in1 = quantizeMultiplier(input1.scale / twiceMaxInputScale, `${what} input 1 multiplier`);
  const in2 = quantizeMultiplier(input2.scale / twiceMaxInputScale, `${what} input 2 multiplier`);
  const out = quantizeMultiplier(twiceMaxInputScale / (Math.pow(2, ADD_LEFT_SHIFT_S8) * output.scale), `${what} output multiplier`);
  return {
    input1Offset: -input1.zeroPoint,
    input1Multiplier: in1.multiplier,
    input1Shift: in1.shift,
    input2Offset: -input2.zeroPoint,
    input2Multiplier: in2.multiplier,
    input2Shift: in2.shift,
    leftShift: ADD_LEFT_SHIFT_S8,
    outputOffset: output.zeroPoint,
    outputMultiplier: out.multiplier,
    outputShift: out.shift,
    actMin,
    actMax,
  };
}

/** Parameters of an int8 Mul as TFLite's PrepareMul computes them: one multiplier s1 s2 / sOut. */
export function mulParams(input1: TensorQuant, input2: TensorQuant, output: TensorQuant, actMin = -128, actMax = 127, what = 'Mul'): MulParamsS8 {
  const out = quantizeMultiplier((input1.scale * input2.scale) / output.scale, `${what} output multiplier`);
  return {
    input1Offset: -input1.zeroPoint,
    input2Offset: -input2.zeroPoint,
    outputOffset: output.zeroPoint,
    outputMultiplier: out.multiplier,
    outputShift: out.shift,
    actMin,
    actMax,
  };
}
