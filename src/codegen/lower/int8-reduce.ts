// Lowers QReduce (ReduceSum / ReduceMean of int8 tensors over any axes, as the float reductions' runs of kept and
// reduced axes) and QLayerNorm (rows of the normalized axes) to eenn_reduce_s8.c and eenn_layer_norm_s8.c.

import { sizeOf } from '../../ir/graph.js';
import { intAttr, intsAttr } from '../../ir/int8.js';
import { constArg, intArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { unsupported } from './common.js';
import { clampArgs, int32Array, int8Input, requireInt8, S8_SOURCES, zeroPointOf } from './int8-common.js';
import { reduceRunArgs } from './reduce.js';

export function lowerQReduce(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const axes = intsAttr(ctx.node, 'axes');
  if (sizeOf(ctx.result.shape) === 0) return { calls: [] };
  if (axes.some((a) => x.shape[a] === 0)) unsupported(ctx, 'an int8 reduction over an empty axis is not supported');
  return {
    detail: `axes [${axes.join(', ')}], keepdims ${intAttr(ctx.node, 'keepdims')}`,
    calls: [
      {
        fn: 'eenn_reduce_sum_s8',
        source: S8_SOURCES.reduce,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          ...reduceRunArgs(ctx, x.shape, new Set(axes)),
          intArg('input_offset', -zeroPointOf(x)),
          intArg('multiplier', intAttr(ctx.node, 'multiplier')),
          intArg('shift', intAttr(ctx.node, 'shift')),
          intArg('output_offset', zeroPointOf(ctx.result)),
          ...clampArgs(ctx),
        ],
      },
    ],
  };
}

/** Longest QLayerNorm row (src/quantize/rewrite/normalization.ts checks it too). */
const MAX_ROW = 65536;

export function lowerQLayerNorm(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const rowSize = intAttr(ctx.node, 'row_size');
  const multiplier = intsAttr(ctx.node, 'multiplier');
  const shift = intsAttr(ctx.node, 'shift');
  const bias = intsAttr(ctx.node, 'bias');
  const params = multiplier.length;
  const size = sizeOf(x.shape);
  if (rowSize < 1 || rowSize > MAX_ROW || size % rowSize !== 0) unsupported(ctx, `row_size ${rowSize} does not fit [${x.shape.join(', ')}] (at most ${MAX_ROW})`);
  if (params < 1 || shift.length !== params || bias.length !== params || rowSize % params !== 0) {
    unsupported(ctx, `multiplier, shift and bias must hold one value per parameter (${params}), repeating along rows of ${rowSize}`);
  }
  if (shift.some((s) => s > 0 || s < -31)) unsupported(ctx, 'shift must be in [-31, 0]');
  const epsilonQ = intAttr(ctx.node, 'epsilon_q');
  if (!Number.isInteger(epsilonQ) || epsilonQ < 0 || epsilonQ > 2147483647) unsupported(ctx, 'epsilon_q must be an int32 >= 0');
  const base = ctx.node.name;
  return {
    detail: `${size / rowSize} rows of ${rowSize}`,
    calls:
      size === 0
        ? []
        : [
            {
              fn: 'eenn_layer_norm_s8',
              source: S8_SOURCES.layerNorm,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('rows', size / rowSize),
                intArg('row_size', rowSize),
                intArg('input_offset', -zeroPointOf(x)),
                intArg('epsilon_q', epsilonQ),
                constArg('multiplier', int32Array(`${base}_multiplier`, multiplier, `Q31 multipliers of |Scale| / (s_out 2^20), signed as Scale ("${base}")`)),
                constArg('shift', int32Array(`${base}_shift`, shift, `shifts of the multipliers ("${base}")`)),
                constArg('bias', int32Array(`${base}_bias`, bias, `round(B / s_out) ("${base}")`)),
                intArg('params', params),
                intArg('output_offset', zeroPointOf(ctx.result)),
                ...clampArgs(ctx),
              ],
            },
          ],
  };
}
