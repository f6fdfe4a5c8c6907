// QRequantize (src/ir/int8.ts; int8 reference in ../int8/requantize.ts): a change of scale or of width between
// int8 and int16, where an int16 tensor meets a reader without an int16 form and before a model output.

import type { ScaleZero } from '../../ir/int8.js';
import { INT16_MAX, INT16_MIN } from '../fixedpoint.js';
import { quantizeMultiplier } from '../multiplier.js';
import { INT8_MAX, INT8_MIN } from '../quant-params.js';
import { int8Node, type Int8Activation, type RewriteContext } from './context.js';

/** The width of a quantized activation. */
export type ActivationDtype = 'int8' | 'int16';

/** Limits of each activation width: the clamp of a QRequantize to it. */
const LIMITS: Record<ActivationDtype, [number, number]> = { int8: [INT8_MIN, INT8_MAX], int16: [INT16_MIN, INT16_MAX] };

/**
 * Adds a QRequantize node `nodeName` from `from` to a new activation `to` (scale and zero point `q`, width
 * `dtype`) of `from`'s shape; returns the activation it wrote.
 */
export function addRequantize(
  ctx: RewriteContext,
  nodeName: string,
  from: Int8Activation,
  to: string,
  q: ScaleZero,
  dtype: ActivationDtype,
): Int8Activation {
  const { multiplier, shift } = quantizeMultiplier(from.q.scale / q.scale, `requantization of "${from.tensor.name}" to ${dtype}`);
  const [actMin, actMax] = LIMITS[dtype];
  const tensor = ctx.addActivation(to, from.tensor.shape, q, dtype);
  ctx.addNode(int8Node('QRequantize', nodeName, [from.tensor.name], [to], { multiplier, shift, act_min: actMin, act_max: actMax }));
  return { tensor, q };
}
