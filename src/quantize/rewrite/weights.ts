// The constants of a convolution or fully connected layer: per-output-channel int8 weights (the model's own, or
// symmetric per channel), the int32 bias at scale input * weight, and the per-channel requantization multipliers.

import { EennError, nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { channelMultipliers } from '../multiplier.js';
import { REQUANTIZE_S64_MAX_SHIFT } from '../fixedpoint.js';
import { quantizeBias, quantizeBiasS64, quantizeWeightsPerChannel, type PerChannelWeights } from '../quant-params.js';
import type { Int8Activation } from './context.js';
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

/**
 * Adds the bias of `channels` outputs (constant `name`, the values `float`, or zeros) for input `x`: int32, or
 * int64 (exact integers in a Float64Array) when `x` is int16; returns its name.
 */
export function addBias(
  ctx: RewriteContext,
  node: Node,
  name: string | undefined,
  channels: number,
  x: Int8Activation,
  w: PerChannelWeights,
  float?: Float32Array,
): string {
  const inputScale = x.q.scale;
  const data = float ?? (name ? constantFloats(ctx, node, name, 'bias') : new Float32Array(channels));
  const wide = x.tensor.dtype === 'int16';
  const base = name ?? `${node.name}_bias`;
  const q = wide ? quantizeBiasS64(data, inputScale, w.scales, base) : quantizeBias(data, inputScale, w.scales, base);
  const scales = Float32Array.from(w.scales, (s) => inputScale * s);
  return ctx.addConstant(`${base}_${wide ? 'int64' : 'int32'}`, {
    name: '',
    shape: [channels],
    dtype: wide ? 'int64' : 'int32',
    data: q,
    quant: { scale: scales, zeroPoint: new Int32Array(channels), axis: 0 },
  });
}

/**
 * The per-channel multiplier and shift attributes that take the accumulators of input `x` to the output scale.
 * An int16 input's requantization (arm_nn_requantize_s64) takes shift <= 14; a layer that needs more is refused.
 */
export function requantAttrs(x: Int8Activation, w: PerChannelWeights, outScale: number, node: Node): Node['attrs'] {
  const { multipliers, shifts } = channelMultipliers(x.q.scale, w.scales, outScale, node.name);
  if (x.tensor.dtype === 'int16') {
    const worst = Math.max(...shifts);
    if (worst > REQUANTIZE_S64_MAX_SHIFT) {
      throw nodeError(
        'E_USAGE',
        node,
        `cannot read int16 input "${x.tensor.name}": its output scale is so much finer than input x weight scale that ` +
          `the requantization needs shift ${worst}, and int16 layers take at most ${REQUANTIZE_S64_MAX_SHIFT}`,
        `leave the layer before it out of --int16-layers`,
      );
    }
  }
  return { multiplier: Array.from(multipliers), shift: Array.from(shifts) };
}
