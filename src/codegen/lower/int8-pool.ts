// Lowers QAveragePool (AveragePool and GlobalAveragePool of int8 tensors, 1-D and 2-D) and QSoftmax (rows of
// contiguous values through the exponential table the quantize stage computed).

import { sizeOf } from '../../ir/graph.js';
import { intAttr, intsAttr } from '../../ir/int8.js';
import { normalizeAxis } from '../../ops/attrs.js';
import { forwardWindow } from '../../ops/spatial.js';
import { constArg, intArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { unsupported } from './common.js';
import { describeWindow, poolPlaneArgs, to2d, windowArgs } from './conv.js';
import { clampArgs, int32Array, int8Input, requireInt8, S8_SOURCES, zeroPointOf } from './int8-common.js';

/** Longest softmax row: the sum of 2^16-scaled exponentials must fit in uint32 (eenn_softmax_s8). */
const MAX_SOFTMAX_ROW = 65535;

export function lowerQAveragePool(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 2) unsupported(ctx, `${spatial}-D int8 average pooling is not supported (1-D and 2-D are)`, 'try --precision float32');
  const geometry = forwardWindow(ctx.node, x.shape.slice(2), intsAttr(ctx.node, 'kernel_shape'));
  if (geometry.dilations.some((d) => d !== 1)) unsupported(ctx, 'dilated int8 average pooling is not supported');
  const w = to2d(geometry);
  const countPad = intAttr(ctx.node, 'count_include_pad');
  if (sizeOf(ctx.result.shape) === 0) return { calls: [] };
  return {
    detail: describeWindow(w, countPad ? 'count_include_pad' : ''),
    calls: [
      {
        fn: 'eenn_avg_pool2d_s8',
        source: S8_SOURCES.pool,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          ...poolPlaneArgs(x.shape[0]! * x.shape[1]!, w),
          ...windowArgs(w, true, false),
          intArg('count_include_pad', countPad ? 1 : 0),
          intArg('input_offset', -zeroPointOf(x)),
          ...clampArgs(ctx),
        ],
      },
    ],
  };
}

/**
 * QSoftmax normalizes the last axis (src/ir/int8.ts). A node that names an `axis` is accepted when every axis
 * after it has size 1: its rows are still contiguous.
 */
export function lowerQSoftmax(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const rank = x.shape.length;
  const axis = typeof ctx.node.attrs['axis'] === 'number' ? normalizeAxis(ctx.node, ctx.node.attrs['axis'], rank) : rank - 1;
  if (x.shape.slice(axis + 1).some((d) => d !== 1))
    unsupported(ctx, `int8 softmax along axis ${axis} of [${x.shape.join(', ')}] is not supported (the last axis is)`);
  const rowSize = sizeOf(x.shape.slice(axis));
  if (rowSize > MAX_SOFTMAX_ROW) unsupported(ctx, `rows of ${rowSize} values are longer than ${MAX_SOFTMAX_ROW}`);
  const table = intsAttr(ctx.node, 'table');
  if (table.length !== 256 || table.some((v) => !Number.isInteger(v) || v < 0 || v > 65536))
    unsupported(ctx, 'table must hold 256 values in [0, 65536]');
  const size = sizeOf(x.shape);
  return {
    detail: `rows of ${rowSize}`,
    calls:
      size === 0
        ? []
        : [
            {
              fn: 'eenn_softmax_s8',
              source: S8_SOURCES.softmax,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('rows', size / rowSize),
                intArg('row_size', rowSize),
                constArg(
                  'table',
                  int32Array(`${ctx.node.name}_exp_table`, table, `round(exp(-scale * d) * 2^16) for d = max - x in [0, 255] ("${ctx.node.name}")`),
                ),
              ],
            },
          ],
  };
}
