// The quantization a QuantizeLinear / DequantizeLinear / QLinear node states (scale, zero point, axis), checked,
// and the ONNX QuantizeLinear / DequantizeLinear arithmetic on constant tensors. Part of the QDQ import.
//
// ONNX: real = scale * (q - zeroPoint); QuantizeLinear q = saturate(roundHalfToEven(x / scale) + zeroPoint). Both
// run in float32 as onnxruntime computes them: (float)(q - zp) * scale and x / scale, each rounded once.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import type { ScaleZero } from '../../ir/int8.js';
import type { PerChannelWeights } from '../quant-params.js';
import { KIND_RANGE, QDQ_MODEL_HINT, roundHalfToEven, UNSUPPORTED_HINT, type StatedQuant } from '../../ops/stated-quant.js';

/**
 * The int8 scale and zero point of a per-tensor activation: uint8 (onnxruntime QUInt8, PyTorch quint8) becomes
 * the int8 equivalent with the same scale and zero point - 128, which stands for the same real values.
 */
export function activationScaleZero(node: Node, q: StatedQuant, tensor: string): ScaleZero {
  if (q.scales.length !== 1) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `tensor "${tensor}" is quantized per channel (${q.scales.length} scales); int8 activations have one scale and zero point`,
      'quantize activations per tensor (onnxruntime and PyTorch do by default)',
    );
  }
  if (q.kind === 'int32')
    throw nodeError('E_UNSUPPORTED', node, `tensor "${tensor}" is quantized to int32; activations must be int8 or uint8`, UNSUPPORTED_HINT);
  const scale = q.scales[0]!;
  if (!(scale > 0)) {
    throw nodeError(
      'E_MODEL',
      node,
      `tensor "${tensor}" has scale ${scale}; a scale must be positive`,
      'the model file is damaged or its quantizer saw a constant tensor; re-run the quantizer',
    );
  }
  return { scale, zeroPoint: q.kind === 'uint8' ? q.zeroPoints[0]! - 128 : q.zeroPoints[0]! };
}

/** Channel count, elements per channel step and channel of element i, for per-axis loops. */
interface ChannelLayout {
  channels: number;
  inner: number;
}

function channelLayout(node: Node, shape: readonly number[], q: StatedQuant, tensor: string): ChannelLayout {
  if (q.axis === undefined || q.scales.length === 1) return { channels: 1, inner: 1 };
  const channels = shape[q.axis];
  if (channels !== q.scales.length) {
    throw nodeError(
      'E_MODEL',
      node,
      `tensor "${tensor}" has ${channels ?? 0} channels along axis ${q.axis} but ${q.scales.length} scales`,
      QDQ_MODEL_HINT,
    );
  }
  let inner = 1;
  for (let d = q.axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { channels, inner };
}

const channelOf = (i: number, layout: ChannelLayout): number => Math.floor(i / layout.inner) % layout.channels;

/**
 * A scale of 0 is accepted on a dead channel (every value zero) and replaced by 1, as the int8 weights use;
 * anywhere else it is E_MODEL. `isZero(c)` says whether channel c holds only zeros.
 */
function usableScales(node: Node, q: StatedQuant, tensor: string, isZero: (c: number) => boolean): Float32Array {
  const scales = Float32Array.from(q.scales);
  for (let c = 0; c < scales.length; c++) {
    if (scales[c]! > 0) continue;
    if (!isZero(c)) {
      throw nodeError(
        'E_MODEL',
        node,
        `tensor "${tensor}" has scale 0${scales.length > 1 ? ` for channel ${c}` : ''} but non-zero values`,
        'a scale must be positive; re-run the quantizer',
      );
    }
    scales[c] = 1;
  }
  return scales;
}

/** Which channels of an integer tensor hold only their zero point. */
function zeroChannels(values: ArrayLike<number>, q: StatedQuant, layout: ChannelLayout): boolean[] {
  const zero = new Array<boolean>(layout.channels).fill(true);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i, layout);
    if (values[i] !== q.zeroPoints[c]) zero[c] = false;
  }
  return zero;
}

/** DequantizeLinear of a constant: float32 (q - zp) * scale per channel. */
export function dequantizeConstant(node: Node, values: ArrayLike<number>, shape: readonly number[], q: StatedQuant, tensor: string): Float32Array {
  const layout = channelLayout(node, shape, q, tensor);
  const dead = zeroChannels(values, q, layout);
  const scales = usableScales(node, q, tensor, (c) => dead[c]!);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i, layout);
    out[i] = Math.fround(Math.fround(values[i]! - q.zeroPoints[c]!) * scales[c]!);
  }
  return out;
}

/** QuantizeLinear of a constant (PyTorch fake-quant weights): saturate(roundHalfToEven(x / scale) + zp). */
export function quantizeConstant(node: Node, values: ArrayLike<number>, shape: readonly number[], q: StatedQuant, tensor: string): Int32Array {
  const layout = channelLayout(node, shape, q, tensor);
  const zero = new Array<boolean>(layout.channels).fill(true);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x))
      throw nodeError(
        'E_MODEL',
        node,
        `constant "${tensor}" holds ${x} at element ${i}; it cannot be quantized`,
        'a weight that is not a finite number: check the trained model, and export it again',
      );
    if (x !== 0) zero[channelOf(i, layout)] = false;
  }
  const scales = usableScales(node, q, tensor, (c) => zero[c]!);
  const [low, high] = KIND_RANGE[q.kind];
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i, layout);
    const v = roundHalfToEven(Math.fround(values[i]! / scales[c]!)) + q.zeroPoints[c]!;
    out[i] = v < low ? low : v > high ? high : v;
  }
  return out;
}

/**
 * The model's own int8 weights for the quantize stage: int8 values with zero point 0 and one scale per channel
 * (per tensor: one scale, axis 0). uint8 weights (zero point 128) and int8 weights with a non-zero zero point
 * become q - zp when every value fits in int8; otherwise undefined (the quantize stage re-quantizes the exact
 * dequantized floats). int32 constants (biases) are not weights.
 */
export function weightOverride(
  node: Node,
  values: ArrayLike<number>,
  shape: readonly number[],
  q: StatedQuant,
  tensor: string,
): PerChannelWeights | undefined {
  if (q.kind === 'int32') return undefined;
  const layout = channelLayout(node, shape, q, tensor);
  const dead = zeroChannels(values, q, layout);
  const scales = usableScales(node, q, tensor, (c) => dead[c]!);
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! - q.zeroPoints[channelOf(i, layout)]!;
    if (v < -128 || v > 127) return undefined;
    out[i] = v;
  }
  return { q: out, scales, axis: q.axis ?? 0 };
}
