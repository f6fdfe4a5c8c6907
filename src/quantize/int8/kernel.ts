// What every int8 reference kernel is: prepared once per node (weights widened, geometry resolved, parameters
// read from the node's attributes), then run on each sample. Shared helpers for the kernel modules.

import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { intAttr, intsAttr, scaleZeroOf } from '../../ir/int8.js';
import type { Value } from '../../ops/types.js';
import { clampS32, requantize } from '../fixedpoint.js';

/** Computes a node's outputs from its input values (undefined for omitted optional inputs). */
export type Int8Kernel = (inputs: (Value | undefined)[]) => Value[];

/** Builds the kernel of one node of a quantized graph. */
export type PrepareKernel = (node: Node, graph: Graph) => Int8Kernel;

export function tensorOfNode(graph: Graph, node: Node, name: string): Tensor {
  const t = graph.tensors.get(name);
  if (!t) throw new Error(`internal: int8 node "${node.name}" (${node.op}) reads unknown tensor "${name}"`);
  return t;
}

/** Zero point of a per-tensor quantized tensor. */
export function zeroPointOf(t: Tensor): number {
  return scaleZeroOf(t).zeroPoint;
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

export function outputStageOf(graph: Graph, node: Node): OutputStage {
  return {
    multipliers: Int32Array.from(intsAttr(node, 'multiplier')),
    shifts: Int32Array.from(intsAttr(node, 'shift')),
    zeroPoint: zeroPointOf(tensorOfNode(graph, node, node.outputs[0]!)),
    actMin: intAttr(node, 'act_min'),
    actMax: intAttr(node, 'act_max'),
  };
}

/** requantizeS8 of fixedpoint.ts, for one output channel. */
export function applyStage(acc: number, stage: OutputStage, channel: number): number {
  return clampS32((requantize(acc | 0, stage.multipliers[channel]!, stage.shifts[channel]!) + stage.zeroPoint) | 0, stage.actMin, stage.actMax);
}

/** Spatial geometry as two axes (a 1-D window is a 2-D one of height 1). */
export interface Window2d {
  inH: number; inW: number; outH: number; outW: number;
  kH: number; kW: number; sH: number; sW: number; dH: number; dW: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number;
}

/** The window of a node with explicit kernel_shape, strides, dilations and pads (the int8 dialect's attributes). */
export function window2d(node: Node, inputSpatial: readonly number[], outputSpatial: readonly number[]): Window2d {
  const kernel = intsAttr(node, 'kernel_shape');
  const rank = kernel.length;
  const strides = (node.attrs['strides'] as number[] | undefined) ?? new Array<number>(rank).fill(1);
  const dilations = (node.attrs['dilations'] as number[] | undefined) ?? new Array<number>(rank).fill(1);
  const pads = (node.attrs['pads'] as number[] | undefined) ?? new Array<number>(2 * rank).fill(0);
  const two = rank === 2;
  const pick = (values: readonly number[], axis: 0 | 1, fallback: number) => (two ? values[axis]! : axis === 0 ? fallback : values[0]!);
  return {
    inH: pick(inputSpatial, 0, 1), inW: pick(inputSpatial, 1, 1),
    outH: pick(outputSpatial, 0, 1), outW: pick(outputSpatial, 1, 1),
    kH: pick(kernel, 0, 1), kW: pick(kernel, 1, 1),
    sH: pick(strides, 0, 1), sW: pick(strides, 1, 1),
    dH: pick(dilations, 0, 1), dW: pick(dilations, 1, 1),
    padTop: two ? pads[0]! : 0, padLeft: two ? pads[1]! : pads[0]!,
    padBottom: two ? pads[2]! : 0, padRight: two ? pads[3]! : pads[1]!,
  };
}

/** int8 Value of a given shape. */
export function int8Value(shape: readonly number[], data: Int8Array): Value {
  return { shape: [...shape], dtype: 'int8', data };
}
