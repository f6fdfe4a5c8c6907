// What every int8 reference kernel is: prepared once per node (weights widened, geometry resolved, parameters
// read from the node's attributes), then run on each sample. Shared helpers for the kernel modules.

import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { intAttr, intsAttr, scaleZeroOf } from '../../ir/int8.js';
import { to2d, type Window2d } from '../../ops/spatial.js';
import type { Value } from '../../ops/types.js';
import { requantize } from '../fixedpoint.js';

/** Computes a node's outputs from its input values (undefined for omitted optional inputs). */
export type Int8Kernel = (inputs: (Value | undefined)[]) => Value[];

/** Builds the kernel of one node of a quantized graph. */
export type PrepareKernel = (node: Node, graph: Graph) => Int8Kernel;

export function tensorOfNode(graph: Graph, node: Node, name: string): Tensor {
  const t = graph.tensors.get(name);
  if (!t) throw new Error(`internal: int8 node "${node.name}" (${node.op}) reads unknown tensor "${name}"`);
  return t;
}

/**
 * A tensor's shape as small integers. Shapes read from a model can hold their numbers as doubles; the kernels'
 * geometry is copied through `| 0` so that the JIT keeps every index computation in int32 arithmetic.
 */
export function dimsOf(t: Tensor): number[] {
  return t.shape.map((d) => d | 0);
}

/** Number of elements of a shape, as a small integer. */
export function countOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n = (n * d) | 0;
  return n;
}

/** Zero point of a per-tensor quantized tensor. */
export function zeroPointOf(t: Tensor): number {
  return scaleZeroOf(t).zeroPoint | 0;
}

/** An integer attribute, as a small integer. */
export function intOf(node: Node, name: string): number {
  return intAttr(node, name) | 0;
}

/** A constant input's values widened to Int32Array (weights, bias), or zeros of `length` when absent. */
export function constantInts(graph: Graph, node: Node, index: number, length?: number): Int32Array {
  const name = node.inputs[index];
  if (!name) return new Int32Array(length ?? 0);
  const t = tensorOfNode(graph, node, name);
  if (!t.data) throw new Error(`internal: int8 node "${node.name}" (${node.op}) needs constant input ${index}`);
  return Int32Array.from(t.data as ArrayLike<number>);
}

/** The conv / fully connected output stage: per-channel requantization, output zero point, clamp. */
export interface OutputStage {
  multipliers: Int32Array;
  shifts: Int32Array;
  zeroPoint: number;
  actMin: number;
  actMax: number;
}

export function outputStageOf(graph: Graph, node: Node, channels: number): OutputStage {
  const stage = {
    multipliers: Int32Array.from(intsAttr(node, 'multiplier')),
    shifts: Int32Array.from(intsAttr(node, 'shift')),
    zeroPoint: zeroPointOf(tensorOfNode(graph, node, node.outputs[0]!)),
    actMin: intOf(node, 'act_min'),
    actMax: intOf(node, 'act_max'),
  };
  if (stage.multipliers.length !== channels || stage.shifts.length !== channels) {
    throw new Error(`internal: int8 node "${node.name}" (${node.op}) needs ${channels} multipliers and shifts`);
  }
  return stage;
}

const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;
const TWO_POW_52 = 4503599627370496;

/**
 * The output stage of one channel over a run of accumulators: out[outAt + i * outStep] =
 * requantizeS8((acc[accAt + i] + bias) wrapped to int32, multiplier, shift, zero point, act_min, act_max).
 *
 * Bit for bit fixedpoint.ts's requantizeS8, computed in doubles where that is exact: when the product p of the
 * (left-shifted) accumulator and the multiplier is below 2^52 in magnitude it is exact, floor((p + 2^30) / 2^31)
 * is exactly doublingHighMultNoSat's result, and scaling that (|value| <= 2^21) by 2^shift and rounding half away
 * from zero is exactly divideByPowerOfTwo. Larger products go through requantize itself.
 */
export function requantizeChannel(
  stage: OutputStage,
  channel: number,
  bias: number,
  acc: Int32Array,
  accAt: number,
  count: number,
  out: Int8Array | Int16Array,
  outAt: number,
  outStep: number,
): void {
  const multiplier = stage.multipliers[channel]!;
  const shift = stage.shifts[channel]!;
  const leftShift = shift > 0 ? shift : 0;
  const rightScale = shift < 0 ? 2 ** shift : 1;
  const { zeroPoint, actMin, actMax } = stage;
  for (let i = 0, o = outAt; i < count; i++, o += outStep) {
    const value = (acc[accAt + i]! + bias) | 0;
    const product = (value << leftShift) * multiplier;
    let scaled: number;
    if (product < TWO_POW_52 && product > -TWO_POW_52) {
      const q = Math.floor((product + TWO_POW_30) / TWO_POW_31) * rightScale;
      scaled = q >= 0 ? Math.floor(q + 0.5) : Math.ceil(q - 0.5);
    } else {
      scaled = requantize(value, multiplier, shift);
    }
    const y = (scaled + zeroPoint) | 0;
    const low = y > actMin ? y : actMin; // clampS32's order: max first, then min
    out[o] = low < actMax ? low : actMax;
  }
}

/**
 * The window of a node with explicit kernel_shape, strides, dilations and pads (the int8 dialect's attributes)
 * between input and output tensors [N, C, W] or [N, C, H, W].
 */
export function window2d(node: Node, input: Tensor, output: Tensor): Window2d {
  const kernel = intsAttr(node, 'kernel_shape').map((v) => v | 0);
  const rank = kernel.length;
  if (rank !== 1 && rank !== 2) throw new Error(`internal: int8 node "${node.name}" (${node.op}) has ${rank} spatial axes`);
  const ints = (name: string, fallback: number, length: number) => {
    const values = node.attrs[name];
    return Array.isArray(values) ? (values as number[]).map((v) => v | 0) : new Array<number>(length).fill(fallback);
  };
  const strides = ints('strides', 1, rank);
  const dilations = ints('dilations', 1, rank);
  const pads = ints('pads', 0, 2 * rank);
  return to2d({
    inputSize: dimsOf(input).slice(2),
    outputSize: dimsOf(output).slice(2),
    kernel,
    strides,
    dilations,
    padsBegin: pads.slice(0, rank),
    padsEnd: pads.slice(rank),
  });
}

/**
 * For each output position o along one axis, the taps [first, end) of the kernel whose input position
 * o * stride - pad + tap * dilation lies in [low, high), as pairs in one array (the C kernels' window clipping).
 */
export function tapRanges(outSize: number, stride: number, pad: number, kernel: number, dilation: number, low: number, high: number): Int32Array {
  const ranges = new Int32Array(2 * outSize);
  for (let o = 0; o < outSize; o++) {
    const origin = o * stride - pad;
    let first = 0;
    while (first < kernel && origin + first * dilation < low) first++;
    let end = kernel;
    while (end > first && origin + (end - 1) * dilation >= high) end--;
    ranges[2 * o] = first;
    ranges[2 * o + 1] = end;
  }
  return ranges;
}

/** The output positions [first, end) along one axis whose tap `tap` reads inside the input, for each tap (pairs). */
export function outputRanges(outSize: number, stride: number, pad: number, kernel: number, dilation: number, size: number): Int32Array {
  const ranges = new Int32Array(2 * kernel);
  for (let k = 0; k < kernel; k++) {
    const offset = k * dilation - pad;
    const first = Math.min(outSize, Math.max(0, Math.ceil(-offset / stride)));
    const end = Math.min(outSize, Math.floor((size - 1 - offset) / stride) + 1);
    ranges[2 * k] = first;
    ranges[2 * k + 1] = Math.max(first, end);
  }
  return ranges;
}

/** shifted[i] = xs[from + i] - zeroPoint over all of `shifted`: one sample's offset int8 values, as the accumulators take them. */
export function shiftInput(xs: Int8Array, from: number, zeroPoint: number, shifted: Int32Array): void {
  for (let i = 0; i < shifted.length; i++) shifted[i] = xs[from + i]! - zeroPoint;
}

/** int8 Value of a given shape. */
export function int8Value(shape: readonly number[], data: Int8Array): Value {
  return { shape: [...shape], dtype: 'int8', data };
}

/** The elements of a new int8 or int16 activation (the type of tensor `t`). */
export function activationArray(t: Tensor, length: number): Int8Array | Int16Array {
  return t.dtype === 'int16' ? new Int16Array(length) : new Int8Array(length);
}

/** int8 or int16 Value of a given shape (the type follows the array). */
export function activationValue(shape: readonly number[], data: Int8Array | Int16Array): Value {
  return { shape: [...shape], dtype: data instanceof Int16Array ? 'int16' : 'int8', data };
}
