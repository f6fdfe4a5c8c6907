// Lowers MaxPool, AveragePool (1-D, 2-D and 3-D; pads, dilations, ceil_mode, count_include_pad) and the global pools.

import { sizeOf } from '../../ir/graph.js';
import { attrInt, attrInts } from '../../ops/attrs.js';
import { forwardWindow } from '../../ops/spatial.js';
import { intArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { SOURCES, input, unsupported } from './common.js';
import { describeVolume, describeWindow, poolPlaneArgs, requirePlanar, to2d, volumeWindowArgs, windowArgs } from './conv.js';

export function lowerPool(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  requirePlanar(ctx, x.shape.length - 2, 'pooling', true);
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') unsupported(ctx, 'MaxPool with an Indices output is not supported');
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? unsupported(ctx, 'kernel_shape is missing');
  const ceilMode = attrInt(ctx.node, 'ceil_mode', 0) !== 0;
  const geometry = forwardWindow(ctx.node, x.shape.slice(2), kernel, { ceilMode });
  const channels = x.shape[0]! * x.shape[1]!;
  const max = ctx.node.op === 'MaxPool';
  const countPad = attrInt(ctx.node, 'count_include_pad', 0);
  if (x.shape.length === 5) {
    const out = ctx.outputs[0]!.shape;
    return {
      detail: describeVolume(geometry, [ceilMode ? 'ceil_mode' : '', !max && countPad ? 'count_include_pad' : ''].filter(Boolean).join(', ')),
      calls: [
        {
          fn: 'eenn_pool3d_f32',
          source: SOURCES.pool,
          args: [
            tensorArg('input', x.name),
            tensorArg('output', ctx.result.name),
            intArg('channels', channels),
            intArg('in_d', x.shape[2]!),
            intArg('in_h', x.shape[3]!),
            intArg('in_w', x.shape[4]!),
            intArg('out_d', out[2]!),
            intArg('out_h', out[3]!),
            intArg('out_w', out[4]!),
            ...volumeWindowArgs(geometry, true),
            intArg('is_average', max ? 0 : 1),
            intArg('count_include_pad', countPad),
          ],
        },
      ],
    };
  }
  const w = to2d(geometry);
  const head = [tensorArg('input', x.name), tensorArg('output', ctx.result.name), ...poolPlaneArgs(channels, w)];
  return {
    detail: describeWindow(w, [ceilMode ? 'ceil_mode' : '', !max && countPad ? 'count_include_pad' : ''].filter(Boolean).join(', ')),
    calls:
      sizeOf(ctx.outputs[0]!.shape) === 0
        ? []
        : [
            {
              fn: max ? 'eenn_max_pool2d_f32' : 'eenn_avg_pool2d_f32',
              source: SOURCES.pool,
              args: max ? [...head, ...windowArgs(w, false)] : [...head, ...windowArgs(w, true), intArg('count_include_pad', countPad)],
            },
          ],
  };
}

export function lowerGlobalPool(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  return {
    calls: [
      {
        fn: ctx.node.op === 'GlobalMaxPool' ? 'eenn_global_max_pool_f32' : 'eenn_global_avg_pool_f32',
        source: SOURCES.pool,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          intArg('channels', x.shape[0]! * (x.shape[1] ?? 1)),
          intArg('size', sizeOf(x.shape.slice(2))),
        ],
      },
    ],
  };
}
