// Small quantized graphs built by hand for the int8 reference tests: tensors, one-node graphs, seeded int8 data,
// and the real-valued yardstick (the float32 operator run on dequantized values, quantized to the output's scale).

import { sizeOf, type Graph, type Node, type Tensor } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant } from '../../src/ir/int8.js';
import { lookupOp } from '../../src/ops/registry.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeMultiplier } from '../../src/quantize/multiplier.js';
import { Random } from './random.js';

export interface ScaleZero {
  scale: number;
  zeroPoint: number;
}

/** An int8 activation (no data) with per-tensor quantization. */
export function activation(name: string, shape: number[], q: ScaleZero): Tensor {
  return { name, shape, dtype: 'int8', quant: perTensorQuant(q.scale, q.zeroPoint) };
}

/** A float32 activation (the float side of Quantize / Dequantize). */
export function floatActivation(name: string, shape: number[]): Tensor {
  return { name, shape, dtype: 'float32' };
}

/** An int8 constant with per-tensor quantization (an operand of QAdd, Pad's constant value). */
export function int8Constant(name: string, shape: number[], data: ArrayLike<number>, q: ScaleZero): Tensor {
  return { name, shape, dtype: 'int8', data: Int8Array.from(data), quant: perTensorQuant(q.scale, q.zeroPoint) };
}

/** Symmetric int8 weights quantized per output channel (axis 0). */
export function channelWeights(name: string, shape: number[], data: ArrayLike<number>, scales: number[], axis = 0): Tensor {
  return {
    name,
    shape,
    dtype: 'int8',
    data: Int8Array.from(data),
    quant: { scale: Float32Array.from(scales), zeroPoint: new Int32Array(scales.length), axis },
  };
}

export function int32Constant(name: string, data: ArrayLike<number>): Tensor {
  return { name, shape: [data.length], dtype: 'int32', data: Int32Array.from(data) };
}

export function int64Constant(name: string, data: number[]): Tensor {
  return { name, shape: [data.length], dtype: 'int64', data: Float64Array.from(data) };
}

export function int8Node(op: string, inputs: string[], outputs: string[], attrs: Node['attrs']): Node {
  return { name: `${op.toLowerCase()}_node`, op, domain: INT8_DOMAIN, inputs, outputs, attrs };
}

export function onnxNode(op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node {
  return { name: `${op.toLowerCase()}_node`, op, domain: '', inputs, outputs, attrs };
}

/** A graph of `nodes` over `tensors`; inputs and outputs by name. */
export function graphOf(nodes: Node[], tensors: Tensor[], inputs: string[], outputs: string[]): Graph {
  return { name: 'test', opset: 13, inputs, outputs, nodes, tensors: new Map(tensors.map((t) => [t.name, t])) };
}

export function int8Value(shape: number[], data: ArrayLike<number>): Value {
  return { shape, dtype: 'int8', data: Int8Array.from(data) };
}

export function randomInt8(random: Random, count: number, low = -128, high = 127): Int8Array {
  return Int8Array.from({ length: count }, () => random.int(low, high));
}

/** Dequantized values of an int8 tensor's data (per channel along `quant.axis` when set). */
export function dequantized(t: Tensor, data: ArrayLike<number>): Float32Array {
  const q = t.quant!;
  const inner = q.axis === undefined ? data.length : sizeOf(t.shape.slice(q.axis + 1));
  const channels = q.scale.length;
  return Float32Array.from(data, (v, i) => {
    const c = q.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    return q.scale[c]! * (v - q.zeroPoint[c]!);
  });
}

/** Scale and zero point covering [min(real, 0), max(real, 0)] in 255 steps (the calibration rule). */
export function rangeQuant(real: ArrayLike<number>): ScaleZero {
  let low = 0;
  let high = 0;
  for (let i = 0; i < real.length; i++) {
    low = Math.min(low, real[i]!);
    high = Math.max(high, real[i]!);
  }
  const scale = Math.fround(Math.max(high - low, 1e-6) / 255);
  return { scale, zeroPoint: Math.max(-128, Math.min(127, Math.round(-128 - low / scale))) };
}

/** The multiplier and shift attributes of real multipliers, one per output channel. */
export function multiplierAttrs(reals: number[]): { multiplier: number[]; shift: number[] } {
  const q = reals.map((r) => quantizeMultiplier(r));
  return { multiplier: q.map((m) => m.multiplier), shift: q.map((m) => m.shift) };
}

/** Runs the float32 reference of a default-domain operator. */
export function runFloat(op: string, attrs: Node['attrs'], inputs: (Value | undefined)[]): Value {
  return lookupOp(op)!.evaluate(onnxNode(op, [], [], attrs), inputs, 13)[0]!;
}

export function floatValue(shape: number[], data: ArrayLike<number>): Value {
  return { shape, dtype: 'float32', data: Float32Array.from(data) };
}

/** The int8 values nearest to `real` at the output quantization, clamped to [actMin, actMax]. */
export function quantizedExpectation(real: ArrayLike<number>, q: ScaleZero, actMin = -128, actMax = 127): number[] {
  return Array.from(real, (r) => Math.min(actMax, Math.max(actMin, Math.round(r / q.scale) + q.zeroPoint)));
}

/** Largest elementwise |a - b|. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export { Random };
