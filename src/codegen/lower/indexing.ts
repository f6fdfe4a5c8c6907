// Lowers the operators that read indices or targets at run time (src/ops/indexing.ts, src/ops/loss.ts) to the
// kernels of eenn_indexing_f32.c and eenn_loss_f32.c: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, GatherND,
// ScatterElements / Scatter, ScatterND, OneHot and TopK.
//
// The kernels read int64 indices. A constant index tensor (any integer type) is passed as an int64 array derived
// from it; a run-time one must be int64.

import { bytesPerElement, sizeOf, stridesOf, type Tensor } from '../../ir/graph.js';
import { attrInt, normalizeAxis } from '../../ops/attrs.js';
import {
  gatherNdLayout,
  oneHotLayout,
  scatterElementsAxis,
  scatterNdDepth,
  scatterReduction,
  topKLayout,
  type ScatterReduction,
} from '../../ops/indexing.js';
import { hasLogProb, lossLayout } from '../../ops/loss.js';
import { constArg, intArg, macroArg, nullArg, optionalTensorArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { SOURCES, input, unsupported } from './common.js';

/**
 * The operators lowered here: each reads its integer index or target tensors itself (indexArg) and refuses data of
 * another element type than its kernel computes on, so the float32 table hands them every step as it is.
 */
export const INDEX_OPS: ReadonlySet<string> = new Set([
  'NegativeLogLikelihoodLoss',
  'SoftmaxCrossEntropyLoss',
  'GatherND',
  'ScatterND',
  'ScatterElements',
  'Scatter',
  'OneHot',
  'TopK',
]);

/** The int64 indices the kernels read: a derived array for a constant tensor, the tensor itself at run time. */
function indexArg(ctx: LowerContext, name: string, t: Tensor): KernelArg {
  if (t.data) {
    const data = Float64Array.from(t.data as ArrayLike<number>, (v) => Math.trunc(v));
    return constArg(name, { name: `${t.name}_int64`, ctype: 'int64_t', data, note: `"${t.name}" as int64` });
  }
  if (t.dtype !== 'int64') {
    unsupported(ctx, `${name} ("${t.name}") is ${t.dtype} at run time; the kernels read int64 indices`, 'export the indices as int64');
  }
  return tensorArg(name, t.name);
}

/** Refuses a data operand the float kernels do not compute on. */
function requireFloat(ctx: LowerContext, t: Tensor, what: string): void {
  if (t.dtype !== 'float32') unsupported(ctx, `${what} ("${t.name}") is ${t.dtype}; the ${ctx.node.op} kernel computes on float32`);
}

/** A constant int32 table (the sizes and strides of indexed axes). */
function int32Table(name: string, tensor: string, values: number[], note: string): KernelArg {
  return constArg(name, { name: `${tensor}_${name}`, ctype: 'int32_t', data: Int32Array.from(values), note });
}

const LOSS_REDUCTIONS = { none: 'EENN_LOSS_NONE', sum: 'EENN_LOSS_SUM', mean: 'EENN_LOSS_MEAN' } as const;

/** NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (with its optional log_prob output). */
export function lowerLoss(ctx: LowerContext): LoweredStep {
  const scores = input(ctx, 0, 'scores');
  const target = input(ctx, 1, 'target');
  const weight = ctx.inputs[2];
  requireFloat(ctx, scores, 'scores');
  if (weight) requireFloat(ctx, weight, 'weight');
  const layout = lossLayout(ctx.node, ctx.inputs);
  const ignore = layout.ignoreIndex;
  if (ignore !== undefined && (ignore < -2147483648 || ignore > 2147483647)) {
    unsupported(ctx, `ignore_index ${ignore} is outside the int32 range the kernels take`);
  }
  const sce = ctx.node.op === 'SoftmaxCrossEntropyLoss';
  const logProb = sce && hasLogProb(ctx.node) ? ctx.outputs[1] : undefined;
  if (sizeOf(scores.shape) === 0 && layout.reduction === 'none') return { calls: [] };
  return {
    detail: `reduction ${layout.reduction}${ignore !== undefined ? `, ignore_index ${ignore}` : ''}${weight ? ', weighted' : ''}`,
    calls: [
      {
        fn: sce ? 'eenn_softmax_cross_entropy_loss_f32' : 'eenn_nll_loss_f32',
        source: SOURCES.loss,
        args: [
          tensorArg('input', scores.name),
          indexArg(ctx, 'target', target),
          optionalTensorArg('weight', weight),
          tensorArg('loss', ctx.result.name),
          ...(sce ? [logProb ? tensorArg('log_prob', logProb.name) : nullArg('log_prob')] : []),
          intArg('batch', layout.batch),
          intArg('classes', layout.classes),
          intArg('inner', layout.inner),
          macroArg('reduction', LOSS_REDUCTIONS[layout.reduction]),
          intArg('has_ignore_index', ignore !== undefined ? 1 : 0),
          intArg('ignore_index', ignore ?? 0),
        ],
      },
    ],
  };
}

export function lowerGatherNd(ctx: LowerContext): LoweredStep {
  const data = input(ctx, 0, 'data');
  const indices = input(ctx, 1, 'indices');
  const { batchDims, depth } = gatherNdLayout(ctx.node, data, indices);
  const strides = stridesOf(data.shape);
  const dims = data.shape.slice(batchDims, batchDims + depth);
  if (sizeOf(ctx.outputs[0]!.shape) === 0) return { calls: [] };
  return {
    detail: `batch_dims ${batchDims}, ${depth} indices per tuple`,
    calls: [
      {
        fn: 'eenn_gather_nd',
        source: SOURCES.indexing,
        args: [
          // Any element type: a constant is read in its own C type.
          { kind: 'tensor', name: 'data', tensor: data.name, stored: true },
          indexArg(ctx, 'indices', indices),
          tensorArg('output', ctx.result.name),
          intArg('batches', sizeOf(data.shape.slice(0, batchDims))),
          intArg('batch_stride', sizeOf(data.shape.slice(batchDims))),
          intArg('tuples', sizeOf(indices.shape.slice(batchDims, -1))),
          intArg('depth', depth),
          int32Table('dims', data.name, dims, 'sizes of the indexed axes'),
          int32Table('strides', data.name, strides.slice(batchDims, batchDims + depth), 'strides of the indexed axes, in elements'),
          intArg('slice', sizeOf(data.shape.slice(batchDims + depth))),
          intArg('element_bytes', bytesPerElement(data.dtype)),
        ],
      },
    ],
  };
}

const SCATTER_REDUCTIONS: Record<ScatterReduction, string> = {
  none: 'EENN_SCATTER_NONE',
  add: 'EENN_SCATTER_ADD',
  mul: 'EENN_SCATTER_MUL',
  max: 'EENN_SCATTER_MAX',
  min: 'EENN_SCATTER_MIN',
};

export function lowerScatterNd(ctx: LowerContext): LoweredStep {
  const data = input(ctx, 0, 'data');
  const indices = input(ctx, 1, 'indices');
  const updates = input(ctx, 2, 'updates');
  requireFloat(ctx, data, 'data');
  const depth = scatterNdDepth(ctx.node, data, indices, updates);
  const reduction = scatterReduction(ctx.node);
  if (sizeOf(data.shape) === 0) return { calls: [] };
  return {
    detail: `reduction ${reduction}, ${depth} indices per tuple`,
    calls: [
      {
        fn: 'eenn_scatter_nd_f32',
        source: SOURCES.indexing,
        args: [
          tensorArg('data', data.name),
          indexArg(ctx, 'indices', indices),
          tensorArg('updates', updates.name),
          tensorArg('output', ctx.result.name),
          intArg('size', sizeOf(data.shape)),
          intArg('tuples', sizeOf(indices.shape.slice(0, -1))),
          intArg('depth', depth),
          int32Table('dims', data.name, data.shape.slice(0, depth), 'sizes of the indexed axes'),
          int32Table('strides', data.name, stridesOf(data.shape).slice(0, depth), 'strides of the indexed axes, in elements'),
          intArg('slice', sizeOf(data.shape.slice(depth))),
          macroArg('reduction', SCATTER_REDUCTIONS[reduction]),
        ],
      },
    ],
  };
}

/** ScatterElements and Scatter. */
export function lowerScatterElements(ctx: LowerContext): LoweredStep {
  const data = input(ctx, 0, 'data');
  const indices = input(ctx, 1, 'indices');
  const updates = input(ctx, 2, 'updates');
  requireFloat(ctx, data, 'data');
  const axis = scatterElementsAxis(ctx.node, data, indices, updates);
  const reduction = scatterReduction(ctx.node);
  if (sizeOf(data.shape) === 0) return { calls: [] };
  return {
    detail: `axis ${axis}, reduction ${reduction}`,
    calls: [
      {
        fn: 'eenn_scatter_elements_f32',
        source: SOURCES.indexing,
        args: [
          tensorArg('data', data.name),
          indexArg(ctx, 'indices', indices),
          tensorArg('updates', updates.name),
          tensorArg('output', ctx.result.name),
          intArg('size', sizeOf(data.shape)),
          intArg('count', sizeOf(indices.shape)),
          intArg('rank', indices.shape.length),
          int32Table('index_dims', indices.name, indices.shape, 'shape of the indices'),
          int32Table('data_strides', data.name, stridesOf(data.shape), 'strides of data, in elements'),
          intArg('axis', axis),
          intArg('axis_size', data.shape[axis]!),
          macroArg('reduction', SCATTER_REDUCTIONS[reduction]),
        ],
      },
    ],
  };
}

export function lowerOneHot(ctx: LowerContext): LoweredStep {
  const indices = input(ctx, 0, 'indices');
  const values = input(ctx, 2, 'values');
  requireFloat(ctx, values, 'values');
  const { depth, axis } = oneHotLayout(ctx.node, indices, input(ctx, 1, 'depth'));
  if (sizeOf(ctx.outputs[0]!.shape) === 0) return { calls: [] };
  return {
    detail: `depth ${depth}, axis ${axis}`,
    calls: [
      {
        fn: 'eenn_one_hot_f32',
        source: SOURCES.indexing,
        args: [
          indexArg(ctx, 'indices', indices),
          tensorArg('values', values.name),
          tensorArg('output', ctx.result.name),
          intArg('outer', sizeOf(indices.shape.slice(0, axis))),
          intArg('depth', depth),
          intArg('inner', sizeOf(indices.shape.slice(axis))),
        ],
      },
    ],
  };
}

export function lowerTopK(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  requireFloat(ctx, x, 'X');
  const { axis, k } = topKLayout(ctx.node, ctx.inputs, ctx.opset);
  const indices = ctx.outputs[1];
  if (!indices) unsupported(ctx, 'TopK without its Indices output');
  if (k === 0 || sizeOf(x.shape) === 0) return { calls: [] };
  const largest = attrInt(ctx.node, 'largest', 1) !== 0;
  return {
    detail: `axis ${normalizeAxis(ctx.node, axis, x.shape.length)}, k ${k}, ${largest ? 'largest' : 'smallest'}`,
    calls: [
      {
        fn: 'eenn_top_k_f32',
        source: SOURCES.indexing,
        args: [
          tensorArg('input', x.name),
          tensorArg('values', ctx.result.name),
          tensorArg('indices', indices.name),
          intArg('outer', sizeOf(x.shape.slice(0, axis))),
          intArg('axis_size', x.shape[axis]!),
          intArg('inner', sizeOf(x.shape.slice(axis + 1))),
          intArg('k', k),
          intArg('largest', largest ? 1 : 0),
        ],
      },
    ],
  };
}
