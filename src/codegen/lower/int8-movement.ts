// Lowers the default-domain operators that run unchanged on int8 tensors (src/ir/int8.ts INT8_PASSTHROUGH_OPS):
// aliases, data movement, Pad, nearest Resize and max pooling. The float lowerings compute the index rules and
// the calls; on int8 data the calls go to the int8 kernels with the same arguments (int8-common.ts retypeCalls), on
// int16 data to the int16 ones (int16.ts retypeCallsS16).

import type { Lowering, LoweredStep, LowerContext } from '../kernel-call.js';
import { unsupported } from './common.js';
import { retypeCalls } from './int8-common.js';
import { retypeCallsS16 } from './int16.js';

/** The int8 lowering of a passthrough operator whose float lowering is `float`. */
export function passthrough(float: Lowering): Lowering {
  return (ctx: LowerContext): LoweredStep => {
    const data = ctx.inputs[0];
    const dtypes = new Set([data, ...ctx.outputs].filter((t) => t !== undefined && !t.data).map((t) => t!.dtype));
    if (ctx.node.op === 'Concat') for (const part of ctx.inputs) if (part) dtypes.add(part.dtype);
    if (dtypes.size > 1) unsupported(ctx, `mixes ${[...dtypes].join(' and ')} tensors`);
    const lowered = float(ctx);
    if (dtypes.has('float32')) return lowered; // a float tensor at the model's edge: the float kernels move it
    if (dtypes.has('int16')) return { ...lowered, calls: retypeCallsS16(ctx, lowered.calls) };
    if (!dtypes.has('int8')) unsupported(ctx, `moves ${[...dtypes].join(', ')} tensors; int8, int16 and float32 are supported`);
    return { ...lowered, calls: retypeCalls(ctx, lowered.calls) };
  };
}
