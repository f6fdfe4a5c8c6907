// Lowers the int8 layers with weights: QConv (general, depthwise, 1-D and 2-D), QConvTranspose and QGemm, to the
// kernels eenn_conv2d_s8, eenn_conv2d_1x1_s8, eenn_conv_transpose2d_s8 and eenn_fc_s8 (one file each). Convolutions
// and fully connected layers take their weights in the ONNX layout and a bias with the input zero point folded in
// (bias - zero point * sum of each weight row), so their multiply loops are plain dot products; convolutions
// gather im2col columns into the step's scratch (src/kernels/conv-s8.ts) when the step has one. A layer with an
// int16 input or output goes to the int16 kernels (int16.ts).

import { sizeOf, type Tensor } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { convTransposeWindow } from '../../ops/conv.js';
import { forwardWindow } from '../../ops/spatial.js';
import { constArg, intArg, nullArg, scratchArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { input, unsupported } from './common.js';
import { convShapeArgs, convTransposeCall, describeWindow } from './conv.js';
import {
  checkBias,
  clampArgs,
  constantInt8,
  int32Array,
  int8Array,
  int8Input,
  requantizationArgs,
  requireInt8,
  S8_SOURCES,
  zeroPointOf,
} from './int8-common.js';
import { lowerQConvFused } from './int8-conv-fused.js';
import { lowerInt16Conv, lowerInt16Gemm } from './int16.js';
import { isInt16Layer } from '../../kernels/int16.js';
import { foldInputZeroPoint, lowerQDepthwise } from './int8-depthwise.js';
import { lowerQPointwiseInPlace } from './int8-in-place.js';
import { conv1x1S8ScratchBytes, convS8ScratchBytes } from '../../kernels/conv-s8.js';
import { isInt8Depthwise } from '../../kernels/depthwise-s8.js';
import { fcWeightsNote, packFcWeights } from '../../kernels/fc-s8.js';
import { packPairs, PAIR_CHUNK_S8, pairedRowBytes } from '../../kernels/weight-layout-s8.js';
import { isConv1x1, to2d } from '../../kernels/window.js';

/** Widest transposed-convolution window per axis (eenn_conv_transpose2d_s8 resolves taps in a 16-entry table). */
const MAX_TRANSPOSE_KERNEL = 16;

/** The weights argument of a convolution or fully connected kernel: the rows packed in pairs. */
function weightRows(w: Tensor, data: Int8Array, groups: number, depth: number): KernelArg {
  const channels = w.shape[0]!;
  return constArg(
    'weights',
    int8Array(
      `${w.name}_packed`,
      packPairs(data, channels, groups, depth),
      `"${w.name}" [${w.shape.join(', ')}] int8: ${channels} rows of ${depth} values${pairedRowBytes(depth) > depth ? ` (padded to ${pairedRowBytes(depth)})` : ''} in pairs of output channels, ${PAIR_CHUNK_S8} values at a time`,
    ),
  );
}

/**
 * The bias of a layer with the input zero point folded in (foldInputZeroPoint: B - zero point * sum of each weight
 * row, wrapping), or NULL when every value is 0.
 */
function foldedBias(ctx: LowerContext, w: Tensor, data: Int8Array, channels: number, zeroPoint: number): KernelArg {
  const bias = ctx.inputs[2];
  const folded = foldInputZeroPoint(data, bias?.data as ArrayLike<number> | undefined, channels, zeroPoint);
  if (folded.every((v) => v === 0)) return nullArg('bias');
  return constArg(
    'bias',
    int32Array(
      bias?.name ?? `${w.name}_bias`,
      folded,
      `bias of "${ctx.node.name}" with the input zero point ${zeroPoint} folded in: B - ${zeroPoint} * sum(W) per output channel`,
    ),
  );
}

/** The step's scratch for a kernel that needs `bytes` of it, or NULL when the step has none that big. */
function columnScratch(ctx: LowerContext, bytes: number): KernelArg {
  const own = ctx.step.scratchBytes !== undefined && !ctx.step.pool && !ctx.step.inPlace;
  return own && ctx.step.scratchBytes! >= bytes ? scratchArg('scratch') : nullArg('scratch');
}

/** input_offset, output_offset, the requantization arrays and the clamp: the tail of every layer kernel. */
function outputStageArgs(ctx: LowerContext, inputZeroPoint: number, channels: number): KernelArg[] {
  return [
    intArg('input_offset', -inputZeroPoint),
    intArg('output_offset', zeroPointOf(ctx.result)),
    ...requantizationArgs(ctx, channels),
    ...clampArgs(ctx),
  ];
}

/** The input [N, C, ...] with 1 or 2 spatial axes. */
function planarInput(ctx: LowerContext, what: string) {
  const x = int8Input(ctx, 0, 'X');
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 2) {
    unsupported(ctx, `${spatial}-D int8 ${what} is not supported (1-D and 2-D are)`, 'try --precision float32');
  }
  requireInt8(ctx, ctx.result, 'output');
  return x;
}

export function lowerQConv(ctx: LowerContext): LoweredStep {
  if (isInt16Layer(ctx.graph, ctx.node)) return lowerInt16Conv(ctx);
  const x = planarInput(ctx, 'convolution');
  const w = input(ctx, 1, 'W');
  const data = constantInt8(ctx, w, 'W');
  const bias = ctx.inputs[2];
  const group = attrInt(ctx.node, 'group', 1);
  const [batches, inC] = [x.shape[0]!, x.shape[1]!];
  const outC = w.shape[0]!;
  checkBias(ctx, bias, outC);
  const window = to2d(forwardWindow(ctx.node, x.shape.slice(2), w.shape.slice(2)));
  const tail = outputStageArgs(ctx, zeroPointOf(x), outC);

  if (ctx.step.pool || ctx.step.residual) return lowerQConvFused(ctx, lowerQConv);
  if (isInt8Depthwise(ctx.graph, ctx.node)) return lowerQDepthwise(ctx, window);
  if (ctx.step.inPlace === 'pointwise') return lowerQPointwiseInPlace(ctx, lowerQConv);
  const depth = (inC / group) * window.kH * window.kW;
  const weights = weightRows(w, data, group, depth);
  const folded = foldedBias(ctx, w, data, outC, zeroPointOf(x));
  // The 1x1 kernel (stride 1, no padding) takes the image as a matrix: its shape is the pixel count.
  const pointwise = isConv1x1(window, group);
  const scratch = columnScratch(ctx, pointwise ? conv1x1S8ScratchBytes(depth) : convS8ScratchBytes(depth));
  const shape = pointwise
    ? [intArg('batches', batches), intArg('in_c', inC), intArg('size', window.inH * window.inW), intArg('out_c', outC)]
    : convShapeArgs(batches, inC, outC, group, window);
  return {
    detail: pointwise ? 'kernel 1x1, stride 1, no padding' : describeWindow(window, group > 1 ? `${group} groups` : ''),
    calls: [
      {
        fn: pointwise ? 'eenn_conv2d_1x1_s8' : 'eenn_conv2d_s8',
        source: pointwise ? S8_SOURCES.conv1x1 : S8_SOURCES.conv,
        uses: [S8_SOURCES.multiplyColumns],
        args: [tensorArg('input', x.name), weights, folded, tensorArg('output', ctx.result.name), scratch, ...shape, ...tail],
      },
    ],
  };
}

export function lowerQConvTranspose(ctx: LowerContext): LoweredStep {
  const x = planarInput(ctx, 'transposed convolution');
  const w = input(ctx, 1, 'W');
  constantInt8(ctx, w, 'W');
  const outShape = ctx.result.shape;
  const outC = outShape[1]!;
  checkBias(ctx, ctx.inputs[2], outC);
  const geometry = convTransposeWindow(ctx.node, x, w);
  if (geometry.padsBegin.some((p) => p < 0)) unsupported(ctx, 'negative begin padding is not supported');
  if (geometry.kernel.some((k) => k > MAX_TRANSPOSE_KERNEL)) {
    unsupported(ctx, `kernel [${geometry.kernel.join(', ')}] is wider than ${MAX_TRANSPOSE_KERNEL} taps`, 'try --precision float32');
  }
  return convTransposeCall(
    ctx,
    'eenn_conv_transpose2d_s8',
    S8_SOURCES.convTranspose,
    to2d(geometry),
    outC,
    outputStageArgs(ctx, zeroPointOf(x), outC),
  );
}

/** QGemm: X [rows..., K] times W [N, K] (a fully connected layer; leading axes of X are rows). */
export function lowerQGemm(ctx: LowerContext): LoweredStep {
  if (isInt16Layer(ctx.graph, ctx.node)) return lowerInt16Gemm(ctx);
  const x = int8Input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  const data = constantInt8(ctx, w, 'W');
  requireInt8(ctx, ctx.result, 'output');
  if (w.shape.length !== 2) unsupported(ctx, `W must be a matrix [N, K], not [${w.shape.join(', ')}]`);
  const [n, k] = w.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== k) unsupported(ctx, `the last axis of X [${x.shape.join(', ')}] is not K = ${k}`);
  checkBias(ctx, ctx.inputs[2], n);
  const rows = sizeOf(x.shape) / k;
  if (rows === 0 || n === 0) return { calls: [] };
  return {
    detail: `${rows} row${rows === 1 ? '' : 's'} x [${k}] -> [${n}]`,
    calls: [
      {
        fn: 'eenn_fc_s8',
        source: S8_SOURCES.fc,
        args: [
          tensorArg('input', x.name),
          constArg('weights', int8Array(`${w.name}_packed`, packFcWeights(data, n, k), `"${w.name}" [${n}, ${k}] int8: ${fcWeightsNote(n, k)}`)),
          foldedBias(ctx, w, data, n, zeroPointOf(x)),
          tensorArg('output', ctx.result.name),
          intArg('rows', rows),
          intArg('in_features', k),
          intArg('out_features', n),
          intArg('output_offset', zeroPointOf(ctx.result)),
          ...requantizationArgs(ctx, n),
          ...clampArgs(ctx),
        ],
      },
    ],
  };
}
