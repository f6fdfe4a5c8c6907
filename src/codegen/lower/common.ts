// Small helpers shared by the float lowerings: error reporting, constant access, kernel source file names.

import { nodeError } from '../../ir/diagnostics.js';
import { sizeOf, type Tensor } from '../../ir/graph.js';
import { intArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { type LowerContext } from '../kernel-call.js';

/** Kernel source files, one family each (templates/c/kernels). */
export const SOURCES = {
  conv: 'eenn_conv_f32.c',
  fc: 'eenn_fc_f32.c',
  elementwise: 'eenn_elementwise_f32.c',
  activation: 'eenn_activation_f32.c',
  pool: 'eenn_pool_f32.c',
  softmax: 'eenn_softmax_f32.c',
  reduce: 'eenn_reduce_f32.c',
  normalization: 'eenn_normalization_f32.c',
  loss: 'eenn_loss_f32.c',
  indexing: 'eenn_indexing_f32.c',
  layout: 'eenn_layout_f32.c',
  convPool: 'eenn_conv_pool_f32.c',
  convInPlace: 'eenn_conv_in_place_f32.c',
  triluTyped: 'eenn_trilu_typed.c',
  cumsum: 'eenn_cumsum_f32.c',
  cumsumTyped: 'eenn_cumsum_typed.c',
} as const;

/**
 * The call of an elementwise kernel `fn(input, output, size, params...)` from `x` to the context's result; none
 * for an empty tensor.
 */
export function elementwiseCalls(ctx: LowerContext, x: Tensor, fn: string, source: string, params: KernelArg[]): KernelCall[] {
  const size = sizeOf(x.shape);
  if (size === 0) return [];
  return [{ fn, source, args: [tensorArg('input', x.name), tensorArg('output', ctx.result.name), intArg('size', size), ...params] }];
}

/** Throw E_UNSUPPORTED about the context's node. */
export function unsupported(ctx: LowerContext, message: string, hint?: string): never {
  throw nodeError('E_UNSUPPORTED', ctx.node, message, hint);
}

/** A required input. */
export function input(ctx: LowerContext, index: number, what: string): Tensor {
  const t = ctx.inputs[index];
  if (!t) unsupported(ctx, `input ${index} (${what}) is missing`);
  return t;
}

/** The float32 contents of a constant input, or an E_UNSUPPORTED error saying it must be constant. */
export function constantFloats(ctx: LowerContext, t: Tensor, what: string): Float32Array {
  if (!t.data) unsupported(ctx, `${what} ("${t.name}") must be a constant for the float kernels`, 'export the model with constant weights');
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(t.data as ArrayLike<number>);
}
