// Lowers Softmax / LogSoftmax / Hardmax (both opset conventions) and the Reduce* operators over any axes.

import { sizeOf, type DType } from '../../ir/graph.js';
import { attrInt, intsFromAttrOrInput, normalizeAxis } from '../../ops/attrs.js';
import { intArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { stridedCopyCalls } from '../data-movement.js';
import { contiguousStrides } from '../strided.js';
import { SOURCES, input, unsupported } from './common.js';

export function lowerSoftmax(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  const rank = x.shape.length;
  const raw = attrInt(ctx.node, 'axis', ctx.opset < 13 ? 1 : -1);
  const axis = raw < 0 ? raw + rank : raw;
  // Before opset 13 the input is a matrix [prod(shape[:axis]), prod(shape[axis:])] normalized by rows.
  const outer = sizeOf(x.shape.slice(0, axis));
  const axisSize = ctx.opset < 13 ? sizeOf(x.shape.slice(axis)) : (x.shape[axis] ?? 1);
  const inner = ctx.opset < 13 ? 1 : sizeOf(x.shape.slice(axis + 1));
  return {
    detail: `axis ${axis}`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: ctx.node.op === 'LogSoftmax' ? 'eenn_log_softmax_f32' : ctx.node.op === 'Hardmax' ? 'eenn_hardmax_f32' : 'eenn_softmax_f32',
              source: SOURCES.softmax,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('outer', outer),
                intArg('axis_size', axisSize),
                intArg('inner', inner),
              ],
            },
          ],
  };
}

export const REDUCE_KERNELS: Record<string, string> = {
  ReduceSum: 'eenn_reduce_sum_f32',
  ReduceMean: 'eenn_reduce_mean_f32',
  ReduceMax: 'eenn_reduce_max_f32',
  ReduceMin: 'eenn_reduce_min_f32',
  ReduceProd: 'eenn_reduce_prod_f32',
  ReduceL1: 'eenn_reduce_l1_f32',
  ReduceL2: 'eenn_reduce_l2_f32',
  ReduceSumSquare: 'eenn_reduce_sum_square_f32',
  ReduceLogSum: 'eenn_reduce_log_sum_f32',
  ReduceLogSumExp: 'eenn_reduce_log_sum_exp_f32',
};

export const REDUCE_OPS: readonly string[] = Object.keys(REDUCE_KERNELS);

/** Runs of adjacent axes of the same kind (kept / reduced), with the stride of their innermost axis. */
interface Run {
  reduced: boolean;
  size: number;
  stride: number;
}

export function lowerReduce(ctx: LowerContext): LoweredStep {
  return reduceWith(ctx, REDUCE_KERNELS[ctx.node.op]!, SOURCES.reduce, 'float32');
}

/** A Reduce* node on the kernel `fn` of `source`, moving elements of `dtype` where it only copies (no axes). */
export function reduceWith(ctx: LowerContext, fn: string, source: string, dtype: DType): LoweredStep {
  const x = input(ctx, 0, 'data');
  const rank = x.shape.length;
  const axes = intsFromAttrOrInput(ctx.node, 'axes', ctx.inputs, 1) ?? [];
  if (axes.length === 0 && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) {
    const calls = ctx.sameStorage(x.name, ctx.result.name)
      ? []
      : stridedCopyCalls(
          x.name,
          0,
          ctx.result.name,
          0,
          { dims: [...x.shape], strides: [contiguousStrides(x.shape), contiguousStrides(x.shape)] },
          dtype,
        );
    return { detail: 'no axes: identity', calls };
  }
  const reduced = new Set(axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => normalizeAxis(ctx.node, a, rank)));
  if (sizeOf(ctx.outputs[0]!.shape) === 0) return { calls: [] };
  return {
    detail: `axes [${[...reduced].sort((p, q) => p - q).join(', ')}], keepdims ${attrInt(ctx.node, 'keepdims', 1)}`,
    calls: [
      {
        fn,
        source,
        args: [tensorArg('input', x.name), tensorArg('output', ctx.result.name), ...reduceRunArgs(ctx, x.shape, reduced)],
      },
    ],
  };
}

/**
 * The k0..k2, k_s0..k_s2, r0..r2, r_s0..r_s2 arguments of the reduction kernels (eenn_kernels_f32.h,
 * eenn_kernels_s8.h) for folding the axes `reduced` of `shape`: adjacent kept and reduced axes merged into
 * up to three runs of each.
 */
export function reduceRunArgs(ctx: LowerContext, shape: readonly number[], reduced: ReadonlySet<number>): KernelArg[] {
  const strides = contiguousStrides(shape);
  const runs: Run[] = [];
  shape.forEach((size, axis) => {
    if (size === 1) return;
    const isReduced = reduced.has(axis);
    const last = runs[runs.length - 1];
    if (last && last.reduced === isReduced) {
      last.size *= size;
      last.stride = strides[axis]!;
    } else {
      runs.push({ reduced: isReduced, size, stride: strides[axis]! });
    }
  });
  const kept = runs.filter((r) => !r.reduced);
  const folded = runs.filter((r) => r.reduced);
  if (kept.length > 3 || folded.length > 3) unsupported(ctx, 'more than three separate runs of kept or reduced axes');
  const pad = (list: Run[]) => [...list, ...new Array<Run>(3 - list.length).fill({ reduced: false, size: 1, stride: 0 })];
  const k = pad(kept);
  const r = pad(folded);
  if (shape.some((d) => d === 0)) r[0] = { reduced: true, size: 0, stride: 0 };
  return [
    ...k.map((run, i) => intArg(`k${i}`, run.size)),
    ...k.map((run, i) => intArg(`k_s${i}`, run.stride)),
    ...r.map((run, i) => intArg(`r${i}`, run.size)),
    ...r.map((run, i) => intArg(`r_s${i}`, run.stride)),
  ];
}
