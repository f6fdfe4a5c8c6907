// Lowers QResize (linear / cubic Resize of int8 NCHW tensors) to eenn_resize_s8 with the sampling tables the
// quantize stage computed (positions and Q10 weights per output row and column).

import { sizeOf } from '../../ir/graph.js';
import { intAttr, intsAttr, RESIZE_WEIGHT_BITS } from '../../ir/int8.js';
import { constArg, intArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { unsupported } from './common.js';
import { int32Array, int8Input, requireInt8, zeroPointOf } from './int8-common.js';

const SOURCE = 'eenn_resize_s8.c';

export function lowerQResize(ctx: LowerContext): LoweredStep {
  const x = int8Input(ctx, 0, 'X');
  requireInt8(ctx, ctx.result, 'output');
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) unsupported(ctx, `int8 resize of a rank-${rank} tensor is not supported ([N, C, W] and [N, C, H, W] are)`);
  const four = rank === 4;
  const [inH, inW] = four ? [x.shape[2]!, x.shape[3]!] : [1, x.shape[2]!];
  const [outH, outW] = four ? [ctx.result.shape[2]!, ctx.result.shape[3]!] : [1, ctx.result.shape[2]!];
  const axisArgs = (axis: 'h' | 'w', out: number): KernelArg[] => {
    const present = ctx.node.attrs[`taps_${axis}`] !== undefined;
    const taps = present ? intAttr(ctx.node, `taps_${axis}`) : 1;
    const index = present ? intsAttr(ctx.node, `index_${axis}`) : Array.from({ length: out }, (_, o) => o);
    const weight = present ? intsAttr(ctx.node, `weight_${axis}`) : new Array<number>(out).fill(1 << RESIZE_WEIGHT_BITS);
    if (index.length !== out * taps || weight.length !== out * taps)
      unsupported(ctx, `the ${axis} sampling table does not match the output size ${out}`);
    const what = axis === 'h' ? 'row' : 'column';
    return [
      intArg(`taps_${axis}`, taps),
      constArg(
        `index_${axis}`,
        int32Array(`${ctx.node.name}_${axis}_index`, index, `input ${what} of each of the ${taps} taps of every output ${what} ("${ctx.node.name}")`),
      ),
      constArg(`weight_${axis}`, int32Array(`${ctx.node.name}_${axis}_weight`, weight, `Q10 weight of each tap of every output ${what}`)),
    ];
  };
  if (sizeOf(ctx.result.shape) === 0) return { calls: [] };
  return {
    detail: `${inH}x${inW} -> ${outH}x${outW}`,
    calls: [
      {
        fn: 'eenn_resize_s8',
        source: SOURCE,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          intArg('planes', x.shape[0]! * x.shape[1]!),
          intArg('in_h', inH),
          intArg('in_w', inW),
          intArg('out_h', outH),
          intArg('out_w', outW),
          ...axisArgs('h', outH),
          ...axisArgs('w', outW),
          intArg('input_offset', -zeroPointOf(x)),
          intArg('output_multiplier', intAttr(ctx.node, 'output_multiplier')),
          intArg('output_shift', intAttr(ctx.node, 'output_shift')),
          intArg('output_offset', zeroPointOf(ctx.result)),
        ],
      },
    ],
  };
}
