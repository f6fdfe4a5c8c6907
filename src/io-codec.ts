// The bytes a firmware image reads and writes for one sample: model inputs encoded from their values (quantized for
// int8 inputs, with the same arithmetic the int8 reference uses; every other element type as its C type holds it,
// little-endian: int64 as int64_t, bool as one byte 0/1, float64 as double) and outputs decoded back.

import { nonFiniteError } from './data/samples.js';
import { feedsOf, type InputSample } from './data/model-inputs.js';
import { EennError } from './ir/diagnostics.js';
import { arrayFor, bytesPerElement, type Graph, type Tensor, type TensorData } from './ir/graph.js';
import { scaleZeroOf } from './ir/int8.js';
import type { Value } from './ops/types.js';
import { dequantizeS8F32, quantizeF32S8 } from './quantize/fixedpoint.js';

/** One model input as the firmware reads it, and as the reference interpreters take it. */
export interface EncodedInput {
  bytes: Uint8Array;
  value: Value;
}

/** Every input of one sample: the bytes the firmware reads (the inputs in the model's order), and each input's value. */
export interface EncodedSample {
  bytes: Uint8Array;
  values: Record<string, Value>;
}

/** A tensor of the quantized graph whose values are real numbers held as int8 or int16 (scale and zero point). */
function isQuantized(tensor: Tensor): boolean {
  return (tensor.dtype === 'int8' || tensor.dtype === 'int16') && tensor.quant !== undefined;
}

/**
 * Encode one input value for model input `tensor`: float values of an int8 input are quantized with the tensor's
 * scale (NaN and infinite values have no int8 meaning: an E_DATA error naming the sample, `sample` counted from 0);
 * any other value is written as the tensor's element type, whose values it must already be (readTypedSamples).
 */
export function encodeInput(tensor: Tensor, values: Float32Array | Value, sample = 0): EncodedInput {
  const value: Value = values instanceof Float32Array ? { shape: [...tensor.shape], dtype: 'float32', data: values } : values;
  if (isQuantized(tensor) && (value.dtype === 'float32' || value.dtype === 'float64')) {
    if (!value.data.every(Number.isFinite)) throw nonFiniteError(undefined, sample, Float32Array.from(value.data));
    if (tensor.dtype !== 'int8') throw new Error(`internal: model input "${tensor.name}" is ${tensor.dtype}; inputs are quantized to int8`);
    const { scale, zeroPoint } = scaleZeroOf(tensor);
    const data = Int8Array.from(value.data, (v) => quantizeF32S8(v, scale, zeroPoint));
    return { bytes: new Uint8Array(data.buffer), value: { shape: [...tensor.shape], dtype: 'int8', data } };
  }
  if (value.dtype !== tensor.dtype && !(value.dtype === 'float32' && tensor.dtype === 'float32')) {
    throw new EennError({
      code: 'E_DATA',
      message: `model input "${tensor.name}" is ${tensor.dtype} in the build, and its sample ${sample} holds ${value.dtype} values`,
      hint: 'this is a bug in eennc: report it with the model',
    });
  }
  const data = arrayFor(tensor.dtype, value.data.length);
  data.set(value.data);
  return { bytes: tensorBytes(tensor.dtype, data), value: { shape: [...tensor.shape], dtype: tensor.dtype, data } };
}

/** The little-endian bytes of `data` as the C type of `dtype` holds it (int64 held in a Float64Array: int64_t). */
function tensorBytes(dtype: Tensor['dtype'], data: TensorData): Uint8Array {
  if (dtype === 'int64') return new Uint8Array(BigInt64Array.from(data, (v) => BigInt(v)).buffer);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Encode several samples for model input `tensor`: each one, and the bytes of all of them back to back (a run's input). */
export function encodeSamples(tensor: Tensor, samples: readonly Float32Array[]): { encoded: EncodedInput[]; bytes: Uint8Array } {
  const encoded = samples.map((values, i) => encodeInput(tensor, values, i));
  return { encoded, bytes: concat(encoded.map((e) => e.bytes)) };
}

/**
 * Encode samples of every input of `graph` (the built graph: int8 inputs are quantized): per sample, the inputs in
 * the model's order back to back; and the bytes of all samples back to back (a run's input).
 */
export function encodeModelSamples(graph: Graph, samples: readonly InputSample[]): { encoded: EncodedSample[]; bytes: Uint8Array } {
  const encoded = samples.map((sample, i): EncodedSample => {
    const feeds = feedsOf(graph, sample);
    const inputs = graph.inputs.map((name) => {
      const value = feeds[name];
      if (!value) throw new Error(`internal: sample ${i} has no value for model input "${name}"`);
      return encodeInput(graph.tensors.get(name)!, value, i);
    });
    return { bytes: concat(inputs.map((e) => e.bytes)), values: Object.fromEntries(graph.inputs.map((name, k) => [name, inputs[k]!.value])) };
  });
  return { encoded, bytes: concat(encoded.map((e) => e.bytes)) };
}

/** The int8 reference's inputs for one sample of `graph` (a quantized graph): each input encoded as the firmware reads it. */
export function encodeFeeds(graph: Graph, sample: InputSample, index = 0): Record<string, Value> {
  const feeds = feedsOf(graph, sample);
  return Object.fromEntries(graph.inputs.map((name) => [name, encodeInput(graph.tensors.get(name)!, feeds[name]!, index).value]));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return bytes;
}

/**
 * A decoded model output: the raw value as the firmware wrote it (bit-exact comparisons; int64 in a Float64Array),
 * its meaning in the model (`value`: dequantized to float32 for an int8 or int16 output, else the raw value in its
 * own element type) and that meaning as floats (argmax, float comparisons).
 */
export interface DecodedOutput {
  raw: TensorData;
  value: Value;
  float: Float32Array;
}

/** Decode the firmware's bytes of model output `tensor`. */
export function decodeOutput(tensor: Tensor, bytes: Uint8Array): DecodedOutput {
  const copy = new Uint8Array(bytes); // aligned
  const count = copy.length / bytesPerElement(tensor.dtype);
  let raw: TensorData;
  if (tensor.dtype === 'int64') {
    raw = Float64Array.from(new BigInt64Array(copy.buffer, 0, count), (v) => Number(v));
  } else {
    raw = arrayFor(tensor.dtype, count);
    raw.set(new (raw.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => TensorData)(copy.buffer, 0, count));
  }
  const float = raw instanceof Float32Array ? raw : rawToFloat(tensor, raw);
  const value: Value = isQuantized(tensor)
    ? { shape: [...tensor.shape], dtype: 'float32', data: float }
    : { shape: [...tensor.shape], dtype: tensor.dtype, data: raw };
  return { raw, value, float };
}

/** The float meaning of an output value computed by a reference (dequantized for an int8 or int16 tensor). */
export function rawToFloat(tensor: Tensor, data: ArrayLike<number>): Float32Array {
  if (!isQuantized(tensor)) return Float32Array.from(data);
  const { scale, zeroPoint } = scaleZeroOf(tensor);
  return Float32Array.from(data, (q) => dequantizeS8F32(q, scale, zeroPoint));
}
