// int8 quantization parameters and constant quantization: activation scale / zero point from a calibrated range,
// per-channel symmetric weights, int32 bias, activation clamp ranges. Used by the quantize pass; pure functions.
//
// The scheme (TFLite / CMSIS-NN int8): real = scale * (q - zeroPoint).
//   activations  int8 asymmetric per tensor: q in [-128, 127], the range always contains 0 (exactly representable).
//   weights      int8 symmetric per output channel: zeroPoint 0, q in [-127, 127], scale = max|w| / 127.
//   bias         int32, zeroPoint 0, scale = sIn * sW[c], so it adds straight into the int32 accumulator.
// Scales are rounded to float32, the precision the C keeps them in (model.h, eenn_quantize_f32_s8).

import { EennError } from '../ir/diagnostics.js';
import type { Range } from './calibrate.js';
import { clampS8, INT16_MAX, INT16_MIN, INT32_MAX, INT32_MIN } from './fixedpoint.js';

export const INT8_MIN = -128;
export const INT8_MAX = 127;
/** Weights use [-127, 127] so that -w is representable and the range is symmetric (TFLite). */
export const WEIGHT_MAX = 127;

/** Smallest float32 normal: a scale below it (a range of ~1e-36 or less) is treated as a zero-width range. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/** Quantization of one int8 activation tensor. */
export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
}

/** round(x), ties away from zero (C's round / TFLite's TfLiteRound); never -0. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? 0 - Math.round(-x) : Math.round(x);
}

/**
 * Scale and zero point of an int8 asymmetric activation over `range` (onnxruntime's compute_scale_zp, TFLite's
 * ChooseQuantizationParams): the range is widened to contain 0, scale = (max - min) / 255 rounded to float32,
 * zeroPoint = round(-128 - min / scale) clamped to [-128, 127]. A zero-width range (or one too narrow for a
 * float32 scale) gets scale 1 and zeroPoint 0, as onnxruntime does; never a division by zero.
 */
export function chooseQuantParams(range: Range, tensor = 'activation'): ActivationQuant {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new EennError({
      code: 'E_DATA',
      message: `tensor "${tensor}" has no usable range [${range.min}, ${range.max}]`,
      hint: 'check the calibration data',
    });
  }
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = Math.fround((max - min) / (INT8_MAX - INT8_MIN));
  if (!(scale >= FLOAT32_MIN_NORMAL)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = clampS8(roundHalfAwayFromZero(INT8_MIN - min / scale));
  return { scale, zeroPoint };
}

/**
 * Scale of an int16 activation over `range` (the CMSIS-NN s16 scheme, src/ir/int8.ts): symmetric, zero point 0,
 * scale = max(|min|, |max|) / 32767 rounded to float32, q in [-32767, 32767]. A zero-width range gets scale 1.
 */
export function chooseQuantParamsS16(range: Range, tensor = 'activation'): ActivationQuant {
  chooseQuantParams(range, tensor); // the same refusal of an unusable range
  const scale = Math.fround(Math.max(Math.abs(range.min), Math.abs(range.max)) / INT16_MAX);
  return scale >= FLOAT32_MIN_NORMAL ? { scale, zeroPoint: 0 } : { scale: 1, zeroPoint: 0 };
}

/** The real range an int8 tensor can hold: [scale (-128 - zp), scale (127 - zp)]. */
export function representableRange(q: ActivationQuant): Range {
  return { min: q.scale * (INT8_MIN - q.zeroPoint), max: q.scale * (INT8_MAX - q.zeroPoint) };
}

/** Throw E_DATA naming `tensor` if a constant holds NaN or an infinity. */
export function assertFinite(data: ArrayLike<number>, tensor: string): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) {
      throw new EennError({
        code: 'E_DATA',
        message: `constant tensor "${tensor}" holds ${x} at element ${i}; it cannot be quantized`,
        hint: 'the model file has a NaN or infinite weight; re-export it from a trained checkpoint',
      });
    }
  }
}

/** int8 weights with one scale per channel along `axis`. */
export interface PerChannelWeights {
  q: Int8Array;
  scales: Float32Array;
  axis: number;
}

/**
 * Symmetric per-channel int8 weights (TFLite / CMSIS-NN): for each index c of `axis`, scale[c] = max|w| / 127
 * (float32) and q = clamp(round(w / scale[c]), -127, 127), ties away from zero. An all-zero ("dead") channel
 * gets scale 1 and q = 0. `axis` may be negative (counted from the end). NaN or infinity throws E_DATA.
 */
export function quantizeWeightsPerChannel(data: Float32Array, shape: readonly number[], axis: number, tensor = 'weights'): PerChannelWeights {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  let size = 1;
  for (const d of shape) size *= d;
  if (a < 0 || a >= rank || size !== data.length) {
    throw new EennError({
      code: 'E_SHAPE',
      message: `cannot quantize tensor "${tensor}" per channel: axis ${axis} of shape [${shape.join(', ')}] ` + `with ${data.length} elements`,
    });
  }
  assertFinite(data, tensor);
  const channels = shape[a]!;
  let inner = 1;
  for (let d = a + 1; d < rank; d++) inner *= shape[d]!;
  const outer = size / (channels * inner);

  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let k = 0; k < inner; k++) maxAbs = Math.max(maxAbs, Math.abs(data[base + k]!));
    }
    const scale = Math.fround(maxAbs / WEIGHT_MAX);
    scales[c] = scale >= FLOAT32_MIN_NORMAL ? scale : 1;
  }

  const q = new Int8Array(size);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const scale = scales[c]!;
      for (let k = 0; k < inner; k++) {
        const v = roundHalfAwayFromZero(data[base + k]! / scale);
        q[base + k] = v > WEIGHT_MAX ? WEIGHT_MAX : v < -WEIGHT_MAX ? -WEIGHT_MAX : v;
      }
    }
  }
  return { q, scales, axis: a };
}

/**
 * int32 bias with scale inputScale * weightScales[c] (one weight scale: per tensor), q = round(b / scale), ties
 * away from zero, saturated to the int32 range. NaN or infinity throws E_DATA.
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: ArrayLike<number>, tensor = 'bias'): Int32Array {
  assertFinite(bias, tensor);
  if (weightScales.length !== 1 && weightScales.length !== bias.length) {
    throw new EennError({
      code: 'E_SHAPE',
      message: `bias "${tensor}" has ${bias.length} elements but the weights have ${weightScales.length} scales`,
    });
  }
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = inputScale * weightScales[weightScales.length === 1 ? 0 : c]!;
    const v = roundHalfAwayFromZero(bias[c]! / scale);
    out[c] = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
  }
  return out;
}

/** Largest integer a Float64Array holds exactly (2^53 - 1): an int64 bias beyond it saturates. */
const INT64_EXACT_MAX = Number.MAX_SAFE_INTEGER;

/**
 * int64 bias of an int16-input layer (Float64Array of exact integers), scale inputScale * weightScales[c], q =
 * round(b / scale) ties away from zero, saturated to +-(2^53 - 1). NaN or infinity throws E_DATA.
 */
export function quantizeBiasS64(bias: Float32Array, inputScale: number, weightScales: ArrayLike<number>, tensor = 'bias'): Float64Array {
  assertFinite(bias, tensor);
  const out = new Float64Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = inputScale * weightScales[weightScales.length === 1 ? 0 : c]!;
    const v = roundHalfAwayFromZero(bias[c]! / scale);
    out[c] = v > INT64_EXACT_MAX ? INT64_EXACT_MAX : v < -INT64_EXACT_MAX ? -INT64_EXACT_MAX : v;
  }
  return out;
}

/** A fused activation folded into an int8 output stage. */
export type FusedActivation = { kind: 'none' } | { kind: 'relu' } | { kind: 'relu6' } | { kind: 'clip'; min: number; max: number };

/**
 * The int8 clamp [actMin, actMax] a fused activation becomes (TFLite CalculateActivationRangeQuantized):
 * a bound b maps to zeroPoint + round(b / scale), intersected with [-128, 127].
 */
export function activationRangeS8(activation: FusedActivation, q: ActivationQuant): { actMin: number; actMax: number } {
  return activationRange(activation, q, INT8_MIN, INT8_MAX);
}

/** The int16 clamp of a fused activation: as activationRangeS8, intersected with [-32768, 32767]. */
export function activationRangeS16(activation: FusedActivation, q: ActivationQuant): { actMin: number; actMax: number } {
  return activationRange(activation, q, INT16_MIN, INT16_MAX);
}

function activationRange(activation: FusedActivation, q: ActivationQuant, typeMin: number, typeMax: number): { actMin: number; actMax: number } {
  const quantize = (real: number): number => q.zeroPoint + roundHalfAwayFromZero(real / q.scale);
  let low = -Infinity;
  let high = Infinity;
  switch (activation.kind) {
    case 'none':
      break;
    case 'relu':
      low = 0;
      break;
    case 'relu6':
      low = 0;
      high = 6;
      break;
    case 'clip':
      low = activation.min;
      high = activation.max;
      break;
  }
  const actMin = Number.isFinite(low) ? Math.max(typeMin, Math.min(typeMax, quantize(low))) : typeMin;
  const actMax = Number.isFinite(high) ? Math.min(typeMax, Math.max(actMin, quantize(high))) : typeMax;
  return { actMin, actMax };
}
