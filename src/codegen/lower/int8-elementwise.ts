// Lowers the element-wise int8 operators: QAdd (and Sub) and QMul with numpy broadcasting, QLut (every unary
// function and change of scale), and the float32 <-> int8 conversions Quantize and Dequantize at a model's edges.

import { intAttr, intsAttr } from '../../ir/int8.js';
import { constArg, floatArg, intArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { elementwiseCalls, input, unsupported } from './common.js';
import { binaryCalls } from './elementwise.js';
import { clampArgs, int8Array, int8Input, requireInt8, S8_SOURCES, scaleOf, zeroPointOf } from './int8-common.js';

/** Broadcast calls of an int8 binary kernel with its quantization parameters after the index space. */
function binaryS8(ctx: LowerContext, fn: string, params: KernelArg[]): LoweredStep {
  const a = int8Input(ctx, 0, 'A');
  const b = int8Input(ctx, 1, 'B');
  requireInt8(ctx, ctx.result, 'output');
  // binaryCalls walks the broadcast index space exactly as for float; only the kernel and its tail differ.
  const calls = binaryCalls(fn, a, b, ctx.result).map((call) => ({ ...call, source: S8_SOURCES.elementwise, args: [...call.args, ...params] }));
  return { calls };
}

export function lowerQAdd(ctx: LowerContext): LoweredStep {
  const a = int8Input(ctx, 0, 'A');
  const b = int8Input(ctx, 1, 'B');
  const subtract = intAttr(ctx.node, 'subtract') !== 0;
  const attr = (name: string) => intArg(name, intAttr(ctx.node, name));
  const step = binaryS8(ctx, subtract ? 'eenn_elementwise_sub_s8' : 'eenn_elementwise_add_s8', [
    intArg('input1_offset', -zeroPointOf(a)),
    attr('input1_multiplier'),
    attr('input1_shift'),
    intArg('input2_offset', -zeroPointOf(b)),
    attr('input2_multiplier'),
    attr('input2_shift'),
    attr('left_shift'),
    intArg('output_offset', zeroPointOf(ctx.result)),
    attr('output_multiplier'),
    attr('output_shift'),
    ...clampArgs(ctx),
  ]);
  return { ...step, detail: subtract ? 'A - B' : undefined };
}

export function lowerQMul(ctx: LowerContext): LoweredStep {
  const a = int8Input(ctx, 0, 'A');
  const b = int8Input(ctx, 1, 'B');
  return binaryS8(ctx, 'eenn_elementwise_mul_s8', [
    intArg('input1_offset', -zeroPointOf(a)),
    intArg('input2_offset', -zeroPointOf(b)),
    intArg('output_offset', zeroPointOf(ctx.result)),
    intArg('output_multiplier', intAttr(ctx.node, 'output_multiplier')),
    intArg('output_shift', intAttr(ctx.node, 'output_shift')),
    ...clampArgs(ctx),
  ]);
}

export function lowerQLut(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const table = intsAttr(ctx.node, 'table');
  if (table.length !== 256 || table.some((v) => !Number.isInteger(v) || v < -128 || v > 127)) {
    unsupported(ctx, 'table must hold 256 int8 values');
  }
  return {
    calls: elementwiseCalls(ctx, x, 'eenn_lut_s8', S8_SOURCES.lut, [
      constArg('table', int8Array(`${ctx.node.name}_table`, table, `output of "${ctx.node.name}" for each input q, at index q + 128`)),
    ]),
  };
}

export function lowerQuantize(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  if (x.dtype !== 'float32') unsupported(ctx, `input "${x.name}" is ${x.dtype}; Quantize takes float32`);
  requireInt8(ctx, ctx.result, 'output');
  return {
    detail: `scale ${scaleOf(ctx.result)}, zero point ${zeroPointOf(ctx.result)}`,
    calls: elementwiseCalls(ctx, x, 'eenn_quantize_s8', S8_SOURCES.quantize, [
      floatArg('scale', scaleOf(ctx.result)),
      intArg('zero_point', zeroPointOf(ctx.result)),
    ]),
  };
}

export function lowerDequantize(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  if (ctx.result.dtype !== 'float32') unsupported(ctx, `output "${ctx.result.name}" is ${ctx.result.dtype}; Dequantize gives float32`);
  return {
    detail: `scale ${scaleOf(x)}, zero point ${zeroPointOf(x)}`,
    calls: elementwiseCalls(ctx, x, 'eenn_dequantize_s8', S8_SOURCES.quantize, [floatArg('scale', scaleOf(x)), intArg('zero_point', zeroPointOf(x))]),
  };
}
