// What a lowering produces: calls to hand-written kernels, described as data (function, source file, arguments).
// The model emitter turns them into C; nothing here knows C syntax.

import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { Step } from '../schedule/schedule.js';

/** C element types of constant arrays. */
export type ConstCType = 'float' | 'int32_t' | 'int8_t';

/** A constant array the lowering derives at compile time (packed weights, index tables, folded scales). */
export interface ConstArray {
  /** Base for the C identifier: usually the source tensor's name plus a suffix (made unique by the emitter). */
  name: string;
  ctype: ConstCType;
  data: Float32Array | Int32Array | Int8Array;
  /** One line for the comment above the array: what it holds and in which layout. */
  note: string;
}

/** One argument of a kernel call; `name` is the kernel's parameter name, shown in the generated comment. */
export type KernelArg =
  /** A pointer to a graph tensor (activation, model input/output or weight), `offset` elements in. */
  | { kind: 'tensor'; name: string; tensor: string; offset?: number }
  /** A derived constant array, `offset` elements in. */
  | { kind: 'const'; name: string; array: ConstArray; offset?: number }
  | { kind: 'int'; name: string; value: number }
  | { kind: 'float'; name: string; value: number }
  /** A C enum-like macro from the kernel header, e.g. EENN_PAD_REFLECT. */
  | { kind: 'macro'; name: string; value: string }
  | { kind: 'null'; name: string }
  /**
   * The step's scratch buffer (working memory in the arena, planned with the step: `Step.scratchBytes`), `offset`
   * elements of the arena pointer type in (bytes in an int8 model; a fused step giving part of its scratch to each
   * kernel).
   */
  | { kind: 'scratch'; name: string; offset?: number };

export interface KernelCall {
  /** C function, e.g. `eenn_conv2d_f32`. */
  fn: string;
  /** Kernel source file that defines it, e.g. `eenn_conv_f32.c`. */
  source: string;
  /** Other kernel source files the function calls into. */
  uses?: string[];
  args: KernelArg[];
}

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

// ---------------------------------------------------------------- argument helpers

export const tensorArg = (name: string, tensor: string, offset = 0): KernelArg => ({ kind: 'tensor', name, tensor, offset });
export const intArg = (name: string, value: number): KernelArg => ({ kind: 'int', name, value });
export const floatArg = (name: string, value: number): KernelArg => ({ kind: 'float', name, value });
export const constArg = (name: string, array: ConstArray): KernelArg => ({ kind: 'const', name, array });
export const nullArg = (name: string): KernelArg => ({ kind: 'null', name });
export const scratchArg = (name: string, offset = 0): KernelArg => ({ kind: 'scratch', name, ...(offset ? { offset } : {}) });
export const macroArg = (name: string, value: string): KernelArg => ({ kind: 'macro', name, value });

/** The optional bias: a pointer to the tensor, or NULL. */
export function optionalTensorArg(name: string, tensor: Tensor | undefined): KernelArg {
  return tensor ? tensorArg(name, tensor.name) : nullArg(name);
}

/** act_min / act_max arguments of the fused activation. */
export function activationArgs(range: ActivationRange): KernelArg[] {
  return [floatArg('act_min', range.min), floatArg('act_max', range.max)];
}
