// Lowers a float Conv pair that the schedule runs depth-first (schedule/schedule.ts: fusableConvPair) to one call
// of eenn_conv2d_pair_f32: both convolutions, their clamps and the residual Add, a band of output rows at a time.

import type { Node, Tensor } from '../../ir/graph.js';
import { clampRange } from '../../ops/activation.js';
import { forwardWindow } from '../../ops/spatial.js';
import { convPairResult, type PlannedConvPair } from '../../schedule/conv-pair.js';
import { constArg, floatArg, intArg, nullArg, optionalTensorArg, scratchArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { packOutputBlocks } from '../pack-weights.js';
import { constantFloats, SOURCES } from './common.js';
import { describeWindow, to2d } from './conv.js';

const PAIR_SOURCE = 'eenn_conv_pair_f32.c';

/** The window, packed weights and bias of one convolution of the pair. */
function convParts(ctx: LowerContext, conv: Node, suffix: 'a' | 'b') {
  const { graph } = ctx;
  const x = graph.tensors.get(conv.inputs[0]!)!;
  const w = graph.tensors.get(conv.inputs[1]!)!;
  const bias: Tensor | undefined = conv.inputs[2] ? graph.tensors.get(conv.inputs[2]) : undefined;
  const window = to2d(forwardWindow(conv, x.shape.slice(2), w.shape.slice(2)));
  const outC = w.shape[0]!;
  const packed = packOutputBlocks(constantFloats(ctx, w, 'W'), outC, 1, x.shape[1]! * window.kH * window.kW);
  const weights = constArg(`weights_${suffix}`, {
    name: `${w.name}_packed`,
    ctype: 'float',
    data: packed,
    note: `"${w.name}" [${w.shape.join(', ')}], output channels interleaved in blocks of 4`,
  });
  const args: KernelArg[] = [
    intArg(`kernel_h_${suffix}`, window.kH),
    intArg(`kernel_w_${suffix}`, window.kW),
    intArg(`stride_h_${suffix}`, window.sH),
    intArg(`stride_w_${suffix}`, window.sW),
    intArg(`pad_top_${suffix}`, window.padTop),
    intArg(`pad_left_${suffix}`, window.padLeft),
    intArg(`dilation_h_${suffix}`, window.dH),
    intArg(`dilation_w_${suffix}`, window.dW),
  ];
  return { window, weights, bias: optionalTensorArg(`bias_${suffix}`, bias), windowArgs: args };
}

/**
 * The pair of `ctx.step` (ctx.node is its first Conv): weights packed in blocks of 4 output channels as for
 * eenn_conv2d_f32, the three clamps (after A, after B without a residual, after the Add), the band and slab rows
 * the plan chose; the scratch is the step's (schedule.ts: convPairScratchBytes).
 */
export function lowerConvPair(ctx: LowerContext): LoweredStep {
  const pair: PlannedConvPair | undefined = ctx.step.convPair;
  if (!pair) throw new Error(`internal: step ${ctx.step.index} is not a Conv pair`);
  const { graph } = ctx;
  const shapeOf = (name: string) => graph.tensors.get(name)!.shape;
  const input = pair.first.inputs[0]!;
  const [, inC, inH, inW] = shapeOf(input) as [number, number, number, number];
  const [, midC, midH, midW] = shapeOf(pair.first.outputs[0]!) as [number, number, number, number];
  const [, outC, outH, outW] = shapeOf(pair.second.outputs[0]!) as [number, number, number, number];
  const a = convParts(ctx, pair.first, 'a');
  const b = convParts(ctx, pair.second, 'b');
  const [minA, maxA] = clampRange(graph, pair.firstActivation);
  const [minB, maxB] = clampRange(graph, pair.secondActivation);
  const [outMin, outMax] = clampRange(graph, pair.outActivation);
  const residual = pair.add ? tensorArg('residual', pair.residual!) : nullArg('residual');
  const added = pair.add ? `, + "${pair.residual}"` : '';
  return {
    detail:
      `${describeWindow(a.window)} -> ${describeWindow(b.window)}${added}; depth-first, ${pair.bandRows} output ` +
      `row${pair.bandRows === 1 ? '' : 's'} per band, ${pair.slabRows} rows of the first conv's output held`,
    calls: [
      {
        fn: 'eenn_conv2d_pair_f32',
        source: PAIR_SOURCE,
        uses: [SOURCES.conv],
        args: [
          tensorArg('input', input),
          a.weights,
          a.bias,
          b.weights,
          b.bias,
          residual,
          tensorArg('output', convPairResult(pair)),
          scratchArg('scratch'),
          intArg('in_c', inC),
          intArg('in_h', inH),
          intArg('in_w', inW),
          intArg('mid_c', midC),
          intArg('mid_h', midH),
          intArg('mid_w', midW),
          intArg('out_c', outC),
          intArg('out_h', outH),
          intArg('out_w', outW),
          ...a.windowArgs,
          floatArg('act_min_a', minA),
          floatArg('act_max_a', maxA),
          ...b.windowArgs,
          floatArg('act_min_b', minB),
          floatArg('act_max_b', maxB),
          floatArg('out_min', outMin),
          floatArg('out_max', outMax),
          intArg('band_rows', pair.bandRows),
          intArg('slab_rows', pair.slabRows),
        ],
      },
    ],
  };
}
