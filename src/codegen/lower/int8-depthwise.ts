// Lowers a depthwise QConv (group = C_in, one input channel per group; 1-D and 2-D) to eenn_depthwise_conv2d_s8:
// the input zero point folded into the bias at compile time, the ring of padded rows in the step's scratch
// (sized by its contract, src/kernels/depthwise-s8.ts), and the output over the input when planned in place.

import { sizeOf } from '../../ir/graph.js';
import { int8DepthwiseInPlaceScratch } from '../../kernels/depthwise-s8.js';
import { constArg, intArg, nullArg, scratchArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { input, unsupported } from './common.js';
import { depthwiseShapeArgs, describeWindow, windowArgs, type Window2d } from './conv.js';
import { checkBias, clampArgs, constantInt8, int32Array, requantizationArgs, zeroPointOf } from './int8-common.js';

/** The kernel's source file. */
export const DEPTHWISE_S8_SOURCE = 'eenn_depthwise_s8.c';

/**
 * bias'[m] = B[m] - zeroPoint * sum of channel m's weights, in wrapping int32 arithmetic (the kernel adds raw
 * inputs, and the zero point for padded taps, so every output equals the int8 dialect's sum of (x - zp) * w).
 */
export function foldInputZeroPoint(weights: Int8Array, bias: ArrayLike<number> | undefined, channels: number, zeroPoint: number): Int32Array {
  const taps = channels === 0 ? 0 : weights.length / channels;
  const folded = new Int32Array(channels);
  for (let m = 0; m < channels; m++) {
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += weights[m * taps + t]!;
    folded[m] = ((bias ? bias[m]! : 0) - Math.imul(zeroPoint, sum)) | 0;
  }
  return folded;
}

export function lowerQDepthwise(ctx: LowerContext, window: Window2d): LoweredStep {
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  const weights = constantInt8(ctx, w, 'W');
  const bias = ctx.inputs[2];
  const [batches, inC] = [x.shape[0]!, x.shape[1]!];
  const outC = w.shape[0]!;
  checkBias(ctx, bias, outC);
  if (outC % inC !== 0) unsupported(ctx, `${outC} output channels are not a multiple of the ${inC} input channels`);
  const multiplier = outC / inC;
  if (ctx.step.scratchBytes === undefined) throw new Error(`internal: depthwise QConv "${ctx.node.name}" was planned without its scratch`);
  const inPlace = ctx.step.inPlace === 'depthwise';
  if (inPlace && int8DepthwiseInPlaceScratch(ctx.graph, ctx.node) === undefined) {
    throw new Error(`internal: depthwise QConv "${ctx.node.name}" was planned in place but its contract does not allow it`);
  }
  if (sizeOf(ctx.result.shape) === 0) return { calls: [] };
  const zeroPoint = zeroPointOf(x);
  const folded = foldInputZeroPoint(weights, bias?.data as ArrayLike<number> | undefined, outC, zeroPoint);
  const biasArg: KernelArg = folded.every((v) => v === 0)
    ? nullArg('bias')
    : constArg(
        'bias',
        int32Array(
          `${bias?.name ?? w.name}_folded`,
          folded,
          `bias of "${ctx.node.name}" with the input zero point ${zeroPoint} folded in: B - ${zeroPoint} * sum(W) per channel`,
        ),
      );
  const extra = [multiplier > 1 ? `depthwise x${multiplier}` : 'depthwise', ...(inPlace ? ['in place'] : [])].join(', ');
  return {
    detail: describeWindow(window, extra),
    calls: [
      {
        fn: 'eenn_depthwise_conv2d_s8',
        source: DEPTHWISE_S8_SOURCE,
        args: [
          tensorArg('input', x.name),
          tensorArg('weights', w.name),
          biasArg,
          tensorArg('output', ctx.result.name),
          scratchArg('scratch'),
          ...depthwiseShapeArgs(batches, inC, multiplier, window),
          ...windowArgs(window, false),
          intArg('input_offset', -zeroPoint),
          intArg('output_offset', zeroPointOf(ctx.result)),
          ...requantizationArgs(ctx, outC),
          ...clampArgs(ctx),
        ],
      },
    ],
  };
}
