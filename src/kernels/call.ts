// A call of a hand-written kernel, described as data: the function, the source file that defines it, and its
// arguments by parameter name. The lowering (src/codegen/lower/) makes them; the kernel contracts read their
// constant arguments to decide optional paths and checks; the model emitter prints them as C.

import type { Tensor } from '../ir/graph.js';

/**
 * C element types of constant arrays ('int64_t': the int16 layers' biases, exact integers in a Float64Array; the
 * others: constants of that element type read by the typed kernels of float32 builds, bool as uint8_t 0/1).
 */
export type ConstCType = 'float' | 'int32_t' | 'int8_t' | 'int64_t' | 'double' | 'int16_t' | 'uint8_t' | 'uint16_t';

/** A constant array the lowering derives at compile time (packed weights, index tables, folded scales). */
export interface ConstArray {
  /** Base for the C identifier: usually the source tensor's name plus a suffix (made unique by the emitter). */
  name: string;
  ctype: ConstCType;
  data: Float32Array | Int32Array | Int8Array | Float64Array;
  /** One line for the comment above the array: what it holds and in which layout. */
  note: string;
}

/** One argument of a kernel call; `name` is the kernel's parameter name, shown in the generated comment. */
export type KernelArg =
  /**
   * A pointer to a graph tensor (activation, model input/output or weight), `offset` elements in. `stored`: a
   * constant is read in its own C type (int64_t, uint8_t...: the typed kernels), else as float by the float kernels.
   */
  | { kind: 'tensor'; name: string; tensor: string; offset?: number; stored?: boolean }
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
