// What a lowering sees and produces: the context of one step, and the calls of hand-written kernels that compute it
// (a call as data is src/kernels/call.ts). The model emitter turns them into C; nothing here knows C syntax.

import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { Step } from '../schedule/schedule.js';

import { floatArg, type KernelArg, type KernelCall } from '../kernels/call.js';

/** The kernel calls for one step (a node and the activation fused into it). */
export interface LoweredStep {
  calls: KernelCall[];
  /** Short description of the layer's parameters for the comment (kernel size, strides, pads...). */
  detail?: string;
}

/** The output clamp of an activation fused into the kernel: [-Infinity, Infinity] when none. */
export interface ActivationRange {
  min: number;
  max: number;
  /** The fused node, if any. */
  node?: Node;
}

/** Everything a lowering may look at. */
export interface LowerContext {
  graph: Graph;
  node: Node;
  opset: number;
  /** The node's input tensors (undefined for omitted optional inputs). */
  inputs: (Tensor | undefined)[];
  /** The node's output tensors. */
  outputs: Tensor[];
  /** The tensor the step writes for output 0: the fused activation's output when there is one. */
  result: Tensor;
  activation: ActivationRange;
  /** The step being lowered: fused pool, in-place mode and scratch size as the memory plan decided them. */
  step: Step;
  /** True when the memory plan stores the two tensors in the same bytes (aliases / in place). */
  sameStorage(a: string, b: string): boolean;
}

export type Lowering = (ctx: LowerContext) => LoweredStep;

/** act_min / act_max arguments of the fused activation. */
export function activationArgs(range: ActivationRange): KernelArg[] {
  return [floatArg('act_min', range.min), floatArg('act_max', range.max)];
}
