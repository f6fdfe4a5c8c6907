// Lowers the int16 activations of the int8 dialect (src/ir/int8.ts, "int16 activations") to the kernels of
// eenn_kernels_s16.h: QConv (any group, 1-D and 2-D) and QGemm with an int16 input or output, QRequantize between
// int8 and int16, and the passthrough operators that move int16 tensors (aliases and copies, max pooling).
// Weights stay in the ONNX layout; a layer with an int16 input takes its int64 bias as an int64_t array.

import { sizeOf, type DType, type Tensor } from '../../ir/graph.js';
import { INT16_PASSTHROUGH_OPS, intAttr, intsAttr } from '../../ir/int8.js';
import { attrInt } from '../../ops/attrs.js';
import { forwardWindow } from '../../ops/spatial.js';
import { constArg, intArg, nullArg, scratchArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { int16ConvScratchBytes } from '../../kernels/int16.js';
import { to2d } from '../../kernels/window.js';
import type { LoweredStep, LowerContext } from '../kernel-call.js';
import { input, unsupported } from './common.js';
import { convShapeArgs, describeWindow } from './conv.js';
import { constantInt8, requantizationArgs, scaleOf, zeroPointOf } from './int8-common.js';

/** Kernel source files of the int16 activations (templates/c/kernels). */
export const S16_SOURCES = {
  conv: 'eenn_conv_s16.c',
  fc: 'eenn_fc_s16.c',
  requantize: 'eenn_requantize_s16.c',
  pool: 'eenn_pool_s16.c',
  layout: 'eenn_layout_s16.c',
} as const;

/** Output clamp limits of each activation type. */
const LIMITS: Partial<Record<DType, [number, number]>> = { int8: [-128, 127], int16: [-32768, 32767] };

/** Largest requantization shift of a layer with an int16 input (eenn_requantize_s64 shifts right by 14 - shift). */
const MAX_S64_SHIFT = 14;

/** Check that `t` is an int8 or int16 activation with one scale and zero point (zero point 0 when int16). */
function requireActivation(ctx: LowerContext, t: Tensor, what: string): 'int8' | 'int16' {
  if (t.dtype !== 'int8' && t.dtype !== 'int16') unsupported(ctx, `${what} ("${t.name}") is ${t.dtype}; ${ctx.node.op} takes int8 or int16`);
  const q = t.quant;
  if (!q || q.scale.length !== 1 || q.zeroPoint.length !== 1) {
    unsupported(ctx, `${what} ("${t.name}") has no per-tensor scale and zero point`, 'quantize the model with eennc (--precision int8)');
  }
  if (t.dtype === 'int16' && q.zeroPoint[0] !== 0)
    unsupported(ctx, `int16 ${what} ("${t.name}") has zero point ${q.zeroPoint[0]}; int16 tensors are symmetric`);
  return t.dtype;
}

/** act_min / act_max of the node's clamp, checked against the output type's limits. */
function clampArgs16(ctx: LowerContext, dtype: 'int8' | 'int16'): KernelArg[] {
  const [low, high] = LIMITS[dtype]!;
  const min = intAttr(ctx.node, 'act_min');
  const max = intAttr(ctx.node, 'act_max');
  if (min < low || max > high || min > max) unsupported(ctx, `activation range [${min}, ${max}] is not inside the ${dtype} range [${low}, ${high}]`);
  return [intArg('act_min', min), intArg('act_max', max)];
}

/**
 * The bias argument of an int16 layer: with an int16 input, an int64 constant (exact integers) as an int64_t
 * array; with an int8 input, the int32 constant as it is; NULL when absent.
 */
function biasArg(ctx: LowerContext, channels: number, wide: boolean): KernelArg {
  const bias = ctx.inputs[2];
  if (!bias) return nullArg('bias');
  const dtype = wide ? 'int64' : 'int32';
  if (!bias.data || bias.dtype !== dtype || sizeOf(bias.shape) !== channels) {
    unsupported(ctx, `bias ("${bias.name}") must be a constant ${dtype} tensor of ${channels} values`);
  }
  if (!wide) return tensorArg('bias', bias.name);
  const values = Float64Array.from(bias.data as ArrayLike<number>);
  if (!values.every((v) => Number.isSafeInteger(v))) unsupported(ctx, `bias ("${bias.name}") holds values that are not exact integers`);
  return constArg('bias', { name: bias.name, ctype: 'int64_t', data: values, note: `"${bias.name}" [${channels}] int64 bias of "${ctx.node.name}"` });
}

/** The requantization arrays, each shift checked against eenn_requantize_s64's range when the input is int16. */
function requantization(ctx: LowerContext, channels: number, wide: boolean): KernelArg[] {
  if (wide) {
    const over = intsAttr(ctx.node, 'shift').find((s) => s > MAX_S64_SHIFT);
    if (over !== undefined) unsupported(ctx, `requantization shift ${over} is above ${MAX_S64_SHIFT}, the most an int16-input layer takes`);
  }
  return requantizationArgs(ctx, channels);
}

/** The C kernel of a layer by its input and output types. */
function layerKernel(base: 'conv2d' | 'fc', x: 'int8' | 'int16', y: 'int8' | 'int16'): string {
  return x === 'int16' ? (y === 'int16' ? `eenn_${base}_s16` : `eenn_${base}_s16_s8`) : `eenn_${base}_s8_s16`;
}

/** The offset argument between the shape and the requantization: the int8 side's zero point, when there is one. */
function offsetArgs(x: Tensor, y: Tensor): KernelArg[] {
  if (x.dtype === 'int8') return [intArg('input_offset', -zeroPointOf(x))];
  return y.dtype === 'int8' ? [intArg('output_offset', zeroPointOf(y))] : [];
}

/** The input, weights and output types of an int16 layer, checked. */
function layerTypes(ctx: LowerContext): { x: Tensor; w: Tensor; xType: 'int8' | 'int16'; yType: 'int8' | 'int16' } {
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  const xType = requireActivation(ctx, x, 'X');
  const yType = requireActivation(ctx, ctx.result, 'output');
  constantInt8(ctx, w, 'W');
  return { x, w, xType, yType };
}

/** The step's scratch when it holds one window's column (int16ConvScratchBytes), else NULL: the kernel reads in place. */
function columnScratch(ctx: LowerContext): KernelArg {
  const bytes = int16ConvScratchBytes(ctx.graph, ctx.node);
  return bytes > 0 && (ctx.step.scratchBytes ?? 0) >= bytes ? scratchArg('scratch') : nullArg('scratch');
}

/** QConv with an int16 input or output (any group, 1-D or 2-D). */
export function lowerInt16Conv(ctx: LowerContext): LoweredStep {
  const { x, w, xType, yType } = layerTypes(ctx);
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 2) unsupported(ctx, `${spatial}-D int16 convolution is not supported (1-D and 2-D are)`, 'try --precision float32');
  if (ctx.step.pool || ctx.step.residual) throw new Error(`internal: int16 QConv "${ctx.node.name}" fused with another node`);
  const group = attrInt(ctx.node, 'group', 1);
  const outC = w.shape[0]!;
  const window = to2d(forwardWindow(ctx.node, x.shape.slice(2), w.shape.slice(2)));
  const wide = xType === 'int16';
  const calls: KernelCall[] =
    sizeOf(ctx.result.shape) === 0
      ? []
      : [
          {
            fn: layerKernel('conv2d', xType, yType),
            source: S16_SOURCES.conv,
            args: [
              tensorArg('input', x.name),
              tensorArg('weights', w.name),
              biasArg(ctx, outC, wide),
              tensorArg('output', ctx.result.name),
              columnScratch(ctx),
              ...convShapeArgs(x.shape[0]!, x.shape[1]!, outC, group, window),
              ...offsetArgs(x, ctx.result),
              ...requantization(ctx, outC, wide),
              ...clampArgs16(ctx, yType),
            ],
          },
        ];
  return { detail: describeWindow(window, [group > 1 ? `${group} groups` : '', `${xType} -> ${yType}`].filter(Boolean).join(', ')), calls };
}

/** QGemm with an int16 input or output: X [rows..., K] times W [N, K]. */
export function lowerInt16Gemm(ctx: LowerContext): LoweredStep {
  const { x, w, xType, yType } = layerTypes(ctx);
  if (w.shape.length !== 2) unsupported(ctx, `W must be a matrix [N, K], not [${w.shape.join(', ')}]`);
  const [n, k] = w.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== k) unsupported(ctx, `the last axis of X [${x.shape.join(', ')}] is not K = ${k}`);
  const rows = sizeOf(x.shape) / k;
  if (rows === 0 || n === 0) return { calls: [] };
  const wide = xType === 'int16';
  return {
    detail: `${rows} row${rows === 1 ? '' : 's'} x [${k}] -> [${n}], ${xType} -> ${yType}`,
    calls: [
      {
        fn: layerKernel('fc', xType, yType),
        source: S16_SOURCES.fc,
        args: [
          tensorArg('input', x.name),
          tensorArg('weights', w.name),
          biasArg(ctx, n, wide),
          tensorArg('output', ctx.result.name),
          intArg('rows', rows),
          intArg('in_features', k),
          intArg('out_features', n),
          ...offsetArgs(x, ctx.result),
          ...requantization(ctx, n, wide),
          ...clampArgs16(ctx, yType),
        ],
      },
    ],
  };
}

/** A scalar integer attribute, also given as a list of one. */
function scalarAttr(ctx: LowerContext, name: string): number {
  const v = ctx.node.attrs[name];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return intAttr(ctx.node, name);
}

/** QRequantize: int8 -> int16, int16 -> int8 or int16 -> int16, element by element. */
export function lowerQRequantize(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const y = ctx.result;
  const xType = requireActivation(ctx, x, 'X');
  const yType = requireActivation(ctx, y, 'output');
  if (xType === 'int8' && yType === 'int8') unsupported(ctx, 'int8 -> int8 requantization has no kernel (the quantize stage writes a QLut)');
  if (x.shape.join() !== y.shape.join()) unsupported(ctx, `changes the shape [${x.shape.join(', ')}] to [${y.shape.join(', ')}]`);
  const size = sizeOf(x.shape);
  const fn = xType === 'int8' ? 'eenn_requantize_s8_s16' : yType === 'int8' ? 'eenn_requantize_s16_s8' : 'eenn_requantize_s16';
  const args = [
    tensorArg('input', x.name),
    tensorArg('output', y.name),
    intArg('size', size),
    ...offsetArgs(x, y),
    intArg('multiplier', scalarAttr(ctx, 'multiplier')),
    intArg('shift', scalarAttr(ctx, 'shift')),
    ...clampArgs16(ctx, yType),
  ];
  return {
    detail: `${xType} (scale ${scaleOf(x)}) -> ${yType} (scale ${scaleOf(y)})`,
    calls: size === 0 ? [] : [{ fn, source: S16_SOURCES.requantize, args }],
  };
}

/** The int16 kernel of each float data-movement kernel the int16 passthrough operators lower to. */
const S16_VARIANTS: Record<string, { fn: string; source: string }> = {
  eenn_copy_f32: { fn: 'eenn_copy_s16', source: S16_SOURCES.layout },
  eenn_strided_copy_f32: { fn: 'eenn_strided_copy_s16', source: S16_SOURCES.layout },
  eenn_max_pool2d_f32: { fn: 'eenn_max_pool2d_s16', source: S16_SOURCES.pool },
  eenn_global_max_pool_f32: { fn: 'eenn_global_max_pool_s16', source: S16_SOURCES.pool },
};

/** The calls of a float data-movement lowering of int16 tensors, on the int16 kernels (same arguments). */
export function retypeCallsS16(ctx: LowerContext, calls: KernelCall[]): KernelCall[] {
  if (!INT16_PASSTHROUGH_OPS.has(ctx.node.op)) {
    unsupported(
      ctx,
      `${ctx.node.op} does not run on int16 tensors (${[...INT16_PASSTHROUGH_OPS].join(', ')} do)`,
      'requantize to int8 before it (QRequantize)',
    );
  }
  return calls.map((call) => {
    const variant = S16_VARIANTS[call.fn];
    if (!variant) unsupported(ctx, `${call.fn} has no int16 variant`);
    return { ...call, fn: variant.fn, source: variant.source };
  });
}
