// Lowers an int8 1x1 QConv that the memory planner runs over its own input (src/kernels/conv-s8.ts:
// int8PointwiseInPlaceScratch) to eenn_conv2d_1x1_in_place_s8, which gathers a few pixels into the step's
// scratch and calls the ordinary 1x1 kernel on them: the call takes that kernel's weights and parameters as the
// ordinary lowering prepares them.

import { scratchArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type Lowering, type LoweredStep, type LowerContext } from '../kernel-call.js';

/** The kernel's source file. */
export const CONV_IN_PLACE_S8_SOURCE = 'eenn_conv2d_1x1_in_place_s8.c';

/** Parameters of eenn_conv2d_1x1_s8 that eenn_conv2d_1x1_in_place_s8 passes through, in its own order. */
const PASSED = [
  'weights',
  'bias',
  'batches',
  'in_c',
  'size',
  'out_c',
  'input_offset',
  'output_offset',
  'output_multiplier',
  'output_shift',
  'act_min',
  'act_max',
];

/** `outOfPlace` is the ordinary QConv lowering; it is asked for the 1x1 call without the in-place mode. */
export function lowerQPointwiseInPlace(ctx: LowerContext, outOfPlace: Lowering): LoweredStep {
  const ordinary = outOfPlace({ ...ctx, step: { ...ctx.step, inPlace: undefined } });
  const call = ordinary.calls.length === 1 ? ordinary.calls[0]! : undefined;
  if (!call || call.fn !== 'eenn_conv2d_1x1_s8') {
    throw new Error(
      `internal: QConv "${ctx.node.name}" was planned as a 1x1 convolution in place but lowers to ${ordinary.calls.map((c) => c.fn).join(', ') || 'nothing'}`,
    );
  }
  const byName = new Map(call.args.map((arg) => [arg.name, arg]));
  const passed = PASSED.map((name): KernelArg => {
    const arg = byName.get(name);
    if (!arg) throw new Error(`internal: eenn_conv2d_1x1_s8 has no argument ${name}`);
    return arg;
  });
  return {
    detail: `${ordinary.detail ?? 'kernel 1x1'}, in place`,
    calls: [
      {
        fn: 'eenn_conv2d_1x1_in_place_s8',
        source: CONV_IN_PLACE_S8_SOURCE,
        uses: [call.source, ...(call.uses ?? [])],
        args: [tensorArg('data', ctx.result.name), scratchArg('scratch'), ...passed],
      },
    ],
  };
}
