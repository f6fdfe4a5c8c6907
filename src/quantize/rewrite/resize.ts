// Linear and cubic Resize (and Upsample) become QResize (src/ir/int8.ts; int8 reference in ../int8/resize.ts): the
// sampling taps of the operator itself with their weights in Q10, and one multiplier to the output scale.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { RESIZE_WEIGHT_BITS } from '../../ir/int8.js';
import { attrString } from '../../ops/attrs.js';
import { resizeTaps } from '../../ops/resize.js';
import { quantizeMultiplier } from '../multiplier.js';
import { roundHalfAwayFromZero } from '../quant-params.js';
import { int8Node, type RewriteContext } from './context.js';

/**
 * Sampling weights of one resized axis in Q10; each output's weights are rounded to sum exactly to 1024 (the
 * rounding error goes to its largest weight), so a constant input stays constant.
 */
export function fixedPointWeights(weights: ArrayLike<number>, taps: number): number[] {
  const one = 1 << RESIZE_WEIGHT_BITS;
  const out: number[] = [];
  for (let o = 0; o < weights.length; o += taps) {
    const row = Array.from({ length: taps }, (_, t) => roundHalfAwayFromZero(weights[o + t]! * one));
    let largest = 0;
    for (let t = 1; t < taps; t++) if (Math.abs(row[t]!) > Math.abs(row[largest]!)) largest = t;
    row[largest]! += one - row.reduce((a, b) => a + b, 0);
    out.push(...row);
  }
  return out;
}

/** Linear or cubic Resize: sampling taps from the operator itself, weights in Q10 (src/ir/int8.ts QResize). */
export function resize(ctx: RewriteContext, node: Node): void {
  const x = ctx.activation(node, node.inputs[0]!);
  const rank = x.tensor.shape.length;
  if (rank < 3 || rank > 4) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} resamples [N, C, W] or [N, C, H, W] tensors, not rank ${rank}`);
  const infos = node.inputs.map((name) => (name === '' ? undefined : ctx.floatTensor(name)));
  const { axes } = resizeTaps(node, infos, ctx.graph.opset);
  if (!axes[0]!.identity || !axes[1]!.identity) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} resamples the spatial axes only, not N or C`);
  if (axes.some((a) => a.outside.some((flag) => flag !== 0))) {
    throw nodeError('E_UNSUPPORTED', node, 'tf_crop_and_resize with samples outside the input (extrapolation) is not supported in int8');
  }
  const attrs: Node['attrs'] = {};
  const names = rank === 4 ? ['h', 'w'] : ['w'];
  names.forEach((axisName, i) => {
    const axis = axes[2 + i]!;
    attrs[`taps_${axisName}`] = axis.taps;
    attrs[`index_${axisName}`] = Array.from(axis.index);
    attrs[`weight_${axisName}`] = fixedPointWeights(axis.weight, axis.taps);
  });
  // Linear interpolation stays inside the input's range; cubic overshoots it and gets a range of its own.
  const out = node.outputs[0]!;
  const q = attrString(node, 'mode', 'nearest') === 'cubic' ? ctx.activationQuant(out) : x.q;
  const m = quantizeMultiplier(x.q.scale / (q.scale * 2 ** (2 * RESIZE_WEIGHT_BITS)), `${node.name} output multiplier`);
  attrs['output_multiplier'] = m.multiplier;
  attrs['output_shift'] = m.shift;
  ctx.addActivation(out, ctx.floatTensor(out).shape, q);
  ctx.addNode(int8Node('QResize', node.name, [x.tensor.name], [out], attrs));
}
