// The constants of a convolution or fully connected layer: per-output-channel int8 weights (the model's own, or
// symmetric per channel), the int32 bias at scale input * weight, and the per-channel requantization multipliers.

import { EennError, nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { channelMultipliers } from '../multiplier.js';
import { quantizeBias, quantizeWeightsPerChannel, type PerChannelWeights } from '../quant-params.js';
import { constantFloats, type RewriteContext } from './context.js';

/**
 * Per-output-channel int8 weights of `data`: `own`, the model's own int8 form of them where it has one, or
 * symmetric per channel along `axis`.
 */
export function channelWeights(
  node: Node,
  name: string,
  data: Float32Array,
  shape: number[],
  axis: number,
  own: PerChannelWeights | undefined,
): PerChannelWeights {
  if (own && own.axis === axis && own.q.length === data.length && own.scales.length === shape[axis]) return own;
  if (own && own.scales.length === 1) {
    return { q: own.q, scales: new Float32Array(shape[axis]!).fill(own.scales[0]!), axis };
  }
  try {
    return quantizeWeightsPerChannel(data, shape, axis, name);
  } catch (err) {
    if (err instanceof EennError) throw nodeError('E_DATA', node, err.message, err.hint);
    throw err;
  }
}

/** Adds the int8 weights as a constant named after `name`; returns the name it got. */
export function addWeights(ctx: RewriteContext, name: string, shape: number[], w: PerChannelWeights): string {
  return ctx.addConstant(`${name}_int8`, {
    name,
    shape,
    dtype: 'int8',
    data: w.q,
    quant: { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: w.axis },
  });
}

/** Adds the int32 bias of `channels` outputs (constant `name`, the values `float`, or zeros); returns its name. */
export function addBias(
  ctx: RewriteContext,
  node: Node,
  name: string | undefined,
  channels: number,
  inputScale: number,
  w: PerChannelWeights,
  float?: Float32Array,
): string {
  const data = float ?? (name ? constantFloats(ctx, node, name, 'bias') : new Float32Array(channels));
  const q = quantizeBias(data, inputScale, w.scales, name ?? `${node.name}_bias`);
  const scales = Float32Array.from(w.scales, (s) => inputScale * s);
  return ctx.addConstant(`${name ?? `${node.name}_bias`}_int32`, {
    name: '',
    shape: [channels],
    dtype: 'int32',
    data: q,
    quant: { scale: scales, zeroPoint: new Int32Array(channels), axis: 0 },
  });
}

/** The per-channel multiplier and shift attributes that take the accumulators to the output scale. */
export function requantAttrs(inputScale: number, w: PerChannelWeights, outScale: number, node: Node): Node['attrs'] {
  const { multipliers, shifts } = channelMultipliers(inputScale, w.scales, outScale, node.name);
  return { multiplier: Array.from(multipliers), shift: Array.from(shifts) };
}
