// Helpers shared by the int8 lowerings: kernel source files, zero points and requantization arrays read from the
// int8 dialect's attributes (src/ir/int8.ts), and the int8 variants of the float data-movement kernels.

import { sizeOf, type Tensor } from '../../ir/graph.js';
import { intAttr, intsAttr } from '../../ir/int8.js';
import { constArg, intArg, type ConstArray, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { type LowerContext } from '../kernel-call.js';
import { input, unsupported } from './common.js';

/** int8 kernel source files (templates/c/kernels): one per convolution kernel, one per family for the others. */
export const S8_SOURCES = {
  conv: 'eenn_conv2d_s8.c',
  conv1x1: 'eenn_conv2d_1x1_s8.c',
  convTranspose: 'eenn_conv_transpose2d_s8.c',
  /** The column multiply that eenn_conv2d_s8 and eenn_conv2d_1x1_s8 call (one copy when a model uses both). */
  multiplyColumns: 'eenn_multiply_columns_s8.c',
  fc: 'eenn_fc_s8.c',
  elementwise: 'eenn_elementwise_s8.c',
  lut: 'eenn_lut_s8.c',
  quantize: 'eenn_quantize_s8.c',
  pool: 'eenn_pool_s8.c',
  softmax: 'eenn_softmax_s8.c',
  layout: 'eenn_layout_s8.c',
  reduce: 'eenn_reduce_s8.c',
  layerNorm: 'eenn_layer_norm_s8.c',
} as const;

/** A required int8 activation or constant input with per-tensor quantization. */
export function int8Input(ctx: LowerContext, index: number, what: string): Tensor {
  const t = input(ctx, index, what);
  requireInt8(ctx, t, what);
  return t;
}

/** Check that `t` is int8 with one scale and zero point. */
export function requireInt8(ctx: LowerContext, t: Tensor, what: string): void {
  if (t.dtype !== 'int8') unsupported(ctx, `${what} ("${t.name}") is ${t.dtype}; ${ctx.node.op} takes int8`);
  const q = t.quant;
  if (!q || q.scale.length !== 1 || q.zeroPoint.length !== 1) {
    unsupported(ctx, `${what} ("${t.name}") has no per-tensor scale and zero point`, 'quantize the model with eennc (--precision int8)');
  }
}

/** The zero point of a per-tensor int8 tensor (checked by requireInt8). */
export function zeroPointOf(t: Tensor): number {
  return t.quant!.zeroPoint[0]!;
}

/** The scale of a per-tensor int8 tensor, a float32 value. */
export function scaleOf(t: Tensor): number {
  return t.quant!.scale[0]!;
}

/** The int8 data of a constant (weights), or E_UNSUPPORTED. */
export function constantInt8(ctx: LowerContext, t: Tensor, what: string): Int8Array {
  if (!t.data || t.dtype !== 'int8') unsupported(ctx, `${what} ("${t.name}") must be a constant int8 tensor`);
  return t.data instanceof Int8Array ? t.data : Int8Array.from(t.data as ArrayLike<number>);
}

/** Check an optional bias: absent, or a constant int32 tensor of `channels` values. */
export function checkBias(ctx: LowerContext, bias: Tensor | undefined, channels: number): void {
  if (!bias) return;
  if (!bias.data || bias.dtype !== 'int32' || sizeOf(bias.shape) !== channels) {
    unsupported(ctx, `bias ("${bias.name}") must be a constant int32 tensor of ${channels} values`);
  }
}

/** An int32 constant array for a kernel argument. */
export function int32Array(name: string, values: ArrayLike<number>, note: string): ConstArray {
  return { name, ctype: 'int32_t', data: Int32Array.from(values), note };
}

/** An int8 constant array for a kernel argument. */
export function int8Array(name: string, values: ArrayLike<number>, note: string): ConstArray {
  return { name, ctype: 'int8_t', data: Int8Array.from(values), note };
}

/**
 * output_multiplier / output_shift arrays of a layer with `channels` output channels, from the node's
 * `multiplier` and `shift` attributes.
 */
export function requantizationArgs(ctx: LowerContext, channels: number): KernelArg[] {
  const multiplier = intsAttr(ctx.node, 'multiplier');
  const shift = intsAttr(ctx.node, 'shift');
  if (multiplier.length !== channels || shift.length !== channels) {
    unsupported(ctx, `has ${multiplier.length} multipliers and ${shift.length} shifts for ${channels} output channels`);
  }
  const base = ctx.node.name;
  return [
    constArg(
      'output_multiplier',
      int32Array(`${base}_multiplier`, multiplier, `Q31 requantization multiplier of each of the ${channels} output channels of "${base}"`),
    ),
    constArg('output_shift', int32Array(`${base}_shift`, shift, `requantization shift of each output channel of "${base}"`)),
  ];
}

/** act_min / act_max of an int8 node's output clamp. */
export function clampArgs(ctx: LowerContext): KernelArg[] {
  const min = intAttr(ctx.node, 'act_min');
  const max = intAttr(ctx.node, 'act_max');
  if (min < -128 || max > 127 || min > max) unsupported(ctx, `activation range [${min}, ${max}] is not inside [-128, 127]`);
  return [intArg('act_min', min), intArg('act_max', max)];
}

/**
 * The int8 kernel of each float data-movement kernel: the same index rules and arguments on one-byte
 * elements. The float lowerings (data-movement.ts, lower/layout.ts, lower/pool.ts) compute the calls, and
 * retypeCalls swaps the kernels, so both precisions move exactly the same elements.
 */
const S8_VARIANTS: Record<string, { fn: string; source: string }> = {
  eenn_copy_f32: { fn: 'eenn_copy_s8', source: S8_SOURCES.layout },
  eenn_strided_copy_f32: { fn: 'eenn_strided_copy_s8', source: S8_SOURCES.layout },
  eenn_gather_rows_f32: { fn: 'eenn_gather_rows_s8', source: S8_SOURCES.layout },
  eenn_pad_f32: { fn: 'eenn_pad_s8', source: S8_SOURCES.layout },
  eenn_resize_nearest_f32: { fn: 'eenn_resize_nearest_s8', source: S8_SOURCES.layout },
  eenn_max_pool2d_f32: { fn: 'eenn_max_pool2d_s8', source: S8_SOURCES.pool },
  eenn_global_max_pool_f32: { fn: 'eenn_global_max_pool_s8', source: S8_SOURCES.pool },
  eenn_reduce_max_f32: { fn: 'eenn_reduce_max_s8', source: S8_SOURCES.reduce },
  eenn_reduce_min_f32: { fn: 'eenn_reduce_min_s8', source: S8_SOURCES.reduce },
};

/** Why a float kernel has no int8 variant, for the E_UNSUPPORTED message. */
const NO_S8_VARIANT: Record<string, string> = {
  eenn_resize_f32: 'only nearest-neighbour Resize runs on int8 tensors',
  eenn_pool3d_f32: '3-D pooling has no int8 kernel (1-D and 2-D have)',
};

/** The calls of a float data-movement lowering with the int8 kernels in place of the float ones. */
export function retypeCalls(ctx: LowerContext, calls: KernelCall[]): KernelCall[] {
  return calls.map((call) => {
    const variant = S8_VARIANTS[call.fn];
    if (!variant) unsupported(ctx, NO_S8_VARIANT[call.fn] ?? `${call.fn} has no int8 variant`, 'try --precision float32');
    const args = call.args.map((arg): KernelArg => {
      if (arg.kind === 'float') {
        // The one float parameter of these kernels is Pad's constant, an int8 value in an int8 graph.
        if (!Number.isInteger(arg.value) || arg.value < -128 || arg.value > 127) {
          unsupported(ctx, `${arg.name} ${arg.value} is not an int8 value`);
        }
        return intArg(arg.name, arg.value);
      }
      if (arg.kind === 'const' && arg.array.ctype === 'float') throw new Error(`internal: ${call.fn} takes float table ${arg.name}`);
      return arg;
    });
    return { fn: variant.fn, source: variant.source, args };
  });
}
