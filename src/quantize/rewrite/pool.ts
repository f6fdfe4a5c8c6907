// Reductions over a window or an axis (int8 reference in ../int8/pool.ts): AveragePool, GlobalAveragePool and a
// spatial ReduceMean become QAveragePool, keeping their input's scale; Softmax becomes QSoftmax with its
// exponential table and the fixed output scale 1/256.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { attrInt, attrInts, normalizeAxis, numbersOf } from '../../ops/attrs.js';
import { forwardWindow } from '../../ops/spatial.js';
import { SOFTMAX_OUTPUT } from '../fixed-ranges.js';
import { int8Node, type RewriteContext } from './context.js';
import { fuseLayerNorm, reduce } from './normalization.js';

/** Fixed-point precision of the QSoftmax exponential table: exp values in Q16. */
const SOFTMAX_TABLE_BITS = 16;

/** Average pooling keeps its input's scale and zero point (TFLite); the mean of int8 values needs no rescale. */
export function averagePool(ctx: RewriteContext, node: Node): void {
  const x = ctx.activation(node, node.inputs[0]!);
  const spatial = x.tensor.shape.slice(2);
  const out = node.outputs[0]!;
  let attrs: Node['attrs'];
  if (node.op === 'GlobalAveragePool') {
    attrs = {
      kernel_shape: [...spatial],
      strides: spatial.map(() => 1),
      pads: spatial.map(() => 0).concat(spatial.map(() => 0)),
      count_include_pad: 0,
    };
  } else {
    const kernel = node.attrs['kernel_shape'] as number[];
    const countPad = attrInt(node, 'count_include_pad', 0);
    const g = forwardWindow(node, spatial, kernel, { ceilMode: attrInt(node, 'ceil_mode', 0) !== 0 });
    if (g.dilations.some((d) => d !== 1)) throw nodeError('E_UNSUPPORTED', node, 'int8 AveragePool needs dilations of 1');
    // ceil_mode: the last windows run past the end padding; as more end padding (not counted) they are the same.
    const padsEnd = g.outputSize.map((out, i) => Math.max(g.padsEnd[i]!, (out - 1) * g.strides[i]! + g.kernel[i]! - spatial[i]! - g.padsBegin[i]!));
    if (countPad && padsEnd.some((p, i) => p !== g.padsEnd[i])) {
      throw nodeError('E_UNSUPPORTED', node, 'int8 AveragePool with ceil_mode = 1 needs count_include_pad = 0 where windows run past the padding');
    }
    attrs = { kernel_shape: [...g.kernel], strides: [...g.strides], pads: [...g.padsBegin, ...padsEnd], count_include_pad: countPad };
  }
  ctx.addActivation(out, ctx.floatTensor(out).shape, x.q);
  ctx.addNode(int8Node('QAveragePool', node.name, [x.tensor.name], [out], { ...attrs, act_min: -128, act_max: 127 }));
}

/**
 * ReduceMean over every spatial axis (2 to the last) of an [N, C, ...] activation, the global average pooling
 * PyTorch writes as x.mean((2, 3)): a QAveragePool over the whole plane, then with keepdims = 0 a Flatten to
 * [N, C]. A ReduceMean that starts a decomposed LayerNorm becomes QLayerNorm; other axes become QReduce.
 */
export function reduceMean(ctx: RewriteContext, node: Node): void {
  if (fuseLayerNorm(ctx, node)) return;
  const x = ctx.activation(node, node.inputs[0]!);
  const shape = x.tensor.shape;
  const rank = shape.length;
  const axesInput = node.inputs[1] ? ctx.floatTensor(node.inputs[1]) : undefined;
  const given = axesInput?.data ? numbersOf(axesInput.data) : attrInts(node, 'axes');
  const axes = [
    ...new Set((given ?? (attrInt(node, 'noop_with_empty_axes', 0) ? [] : shape.map((_, i) => i))).map((a) => normalizeAxis(node, a, rank))),
  ].sort((a, b) => a - b);
  const spatialAxes = shape.slice(2).map((_, i) => i + 2);
  if (rank < 3 || (node.inputs[1] && !axesInput?.data) || axes.join() !== spatialAxes.join()) return reduce(ctx, node);
  const spatial = shape.slice(2);
  const keep = attrInt(node, 'keepdims', 1) !== 0;
  const out = node.outputs[0]!;
  const pooled = keep ? out : ctx.freshName(`${out}_pooled`);
  ctx.addActivation(pooled, [shape[0]!, shape[1]!, ...spatial.map(() => 1)], x.q);
  ctx.addNode(
    int8Node('QAveragePool', node.name, [x.tensor.name], [pooled], {
      kernel_shape: [...spatial],
      strides: spatial.map(() => 1),
      pads: [...spatial, ...spatial].map(() => 0),
      count_include_pad: 0,
      act_min: -128,
      act_max: 127,
    }),
  );
  if (keep) return;
  ctx.addActivation(out, ctx.floatTensor(out).shape, x.q);
  ctx.addNode({ name: `${node.name}_flatten`, op: 'Flatten', domain: '', inputs: [pooled], outputs: [out], attrs: { axis: 1 } });
}

export function softmax(ctx: RewriteContext, node: Node): void {
  const x = ctx.activation(node, node.inputs[0]!);
  const rank = x.tensor.shape.length;
  const axis = attrInt(node, 'axis', ctx.graph.opset >= 13 ? -1 : 1);
  const a = axis < 0 ? axis + rank : axis;
  const trailing = x.tensor.shape.slice(a + 1).every((d) => d === 1);
  if (a !== rank - 1 && !trailing)
    throw nodeError('E_UNSUPPORTED', node, `int8 Softmax works along the last axis, not axis ${axis} of a rank-${rank} tensor`);
  const table: number[] = [];
  for (let d = 0; d < 256; d++) table.push(Math.round(Math.exp(-x.q.scale * d) * 2 ** SOFTMAX_TABLE_BITS));
  const out = node.outputs[0]!;
  ctx.addActivation(out, ctx.floatTensor(out).shape, SOFTMAX_OUTPUT);
  ctx.addNode(int8Node('QSoftmax', node.name, [x.tensor.name], [out], { axis: a, table }));
}
