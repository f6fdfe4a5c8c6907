// The bytes a firmware image reads and writes for one sample: model inputs encoded from float samples (quantized
// for int8 inputs, with the same arithmetic the int8 reference uses) and outputs decoded back to float.

import { nonFiniteError } from './data/samples.js';
import type { Tensor } from './ir/graph.js';
import { scaleZeroOf } from './ir/int8.js';
import type { Value } from './ops/types.js';
import { dequantizeS8F32, quantizeF32S8 } from './quantize/fixedpoint.js';

/** One model input as the firmware reads it, and as the reference interpreters take it. */
export interface EncodedInput {
  bytes: Uint8Array;
  value: Value;
}

/**
 * Encode float values for model input `tensor` (float32 as is, int8 quantized with the tensor's scale). NaN and
 * infinite values have no int8 meaning: they are an E_DATA error naming the sample (`sample`, counted from 0).
 */
export function encodeInput(tensor: Tensor, values: Float32Array, sample = 0): EncodedInput {
  if (tensor.dtype === 'int8') {
    if (!values.every(Number.isFinite)) throw nonFiniteError(undefined, sample, values);
    const { scale, zeroPoint } = scaleZeroOf(tensor);
    const data = Int8Array.from(values, (v) => quantizeF32S8(v, scale, zeroPoint));
    return { bytes: new Uint8Array(data.buffer), value: { shape: [...tensor.shape], dtype: 'int8', data } };
  }
  const data = Float32Array.from(values);
  return { bytes: new Uint8Array(data.buffer), value: { shape: [...tensor.shape], dtype: 'float32', data } };
}

/** Encode several samples for model input `tensor`: each one, and the bytes of all of them back to back (a run's input). */
export function encodeSamples(tensor: Tensor, samples: readonly Float32Array[]): { encoded: EncodedInput[]; bytes: Uint8Array } {
  const encoded = samples.map((values, i) => encodeInput(tensor, values, i));
  const bytes = new Uint8Array(encoded.reduce((n, e) => n + e.bytes.length, 0));
  let offset = 0;
  for (const e of encoded) {
    bytes.set(e.bytes, offset);
    offset += e.bytes.length;
  }
  return { encoded, bytes };
}

/** A decoded model output: the raw value (bit-exact comparisons) and its float meaning (dequantized for int8). */
export interface DecodedOutput {
  raw: Int8Array | Float32Array;
  float: Float32Array;
}

/** Decode the firmware's bytes of model output `tensor`. */
export function decodeOutput(tensor: Tensor, bytes: Uint8Array): DecodedOutput {
  const copy = new Uint8Array(bytes); // aligned
  if (tensor.dtype === 'int8') {
    const raw = new Int8Array(copy.buffer, 0, copy.length);
    return { raw, float: rawToFloat(tensor, raw) };
  }
  const raw = new Float32Array(copy.buffer, 0, copy.length / 4);
  return { raw, float: raw };
}

/** The float meaning of an output value computed by a reference. */
export function rawToFloat(tensor: Tensor, data: ArrayLike<number>): Float32Array {
  if (tensor.dtype !== 'int8' && tensor.dtype !== 'int16') return Float32Array.from(data);
  const { scale, zeroPoint } = scaleZeroOf(tensor);
  return Float32Array.from(data, (q) => dequantizeS8F32(q, scale, zeroPoint));
}
