// Lowers the int8 layers with weights: QConv (general, depthwise, 1-D and 2-D), QConvTranspose and QGemm, to the
// kernels of eenn_conv_s8.c and eenn_fc_s8.c. Weights are packed in blocks of 4 output channels, as for float.

import { sizeOf } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { convTransposeWindow } from '../../ops/conv.js';
import { forwardWindow } from '../../ops/spatial.js';
import {
  constArg, intArg, optionalTensorArg, tensorArg, type KernelArg, type LoweredStep, type LowerContext,
} from '../kernel-call.js';
import { packOutputBlocks } from '../pack-weights.js';
import { input, unsupported } from './common.js';
import { describeWindow, to2d, windowArgs } from './conv.js';
import {
  checkBias, clampArgs, constantInt8, int8Array, int8Input, requantizationArgs, requireInt8, S8_SOURCES, zeroPointOf,
} from './int8-common.js';

/** Widest transposed-convolution window per axis (eenn_conv_transpose2d_s8 resolves taps in a 16-entry table). */
const MAX_TRANSPOSE_KERNEL = 16;

/** Weights [channels, filterSize] interleaved in blocks of 4 output channels (pack-weights.ts, exact for int8). */
function packS8(weights: Int8Array, channels: number, groups: number, filterSize: number): Int8Array {
  return Int8Array.from(packOutputBlocks(Float32Array.from(weights), channels, groups, filterSize));
}

/** input_offset, output_offset, the requantization arrays and the clamp: the tail of every layer kernel. */
function outputStageArgs(ctx: LowerContext, inputZeroPoint: number, channels: number): KernelArg[] {
  return [
    intArg('input_offset', -inputZeroPoint), intArg('output_offset', zeroPointOf(ctx.result)),
    ...requantizationArgs(ctx, channels), ...clampArgs(ctx),
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

  if (group > 1 && group === inC && w.shape[1] === 1) {
    const multiplier = outC / inC;
    return {
      detail: describeWindow(window, multiplier > 1 ? `depthwise x${multiplier}` : 'depthwise'),
      calls: [{
        fn: 'eenn_depthwise_conv2d_s8',
        source: S8_SOURCES.conv,
        args: [
          tensorArg('input', x.name), tensorArg('weights', w.name), optionalTensorArg('bias', bias), tensorArg('output', ctx.result.name),
          intArg('batches', batches), intArg('in_c', inC), intArg('in_h', window.inH), intArg('in_w', window.inW),
          intArg('multiplier', multiplier), intArg('out_h', window.outH), intArg('out_w', window.outW),
          ...windowArgs(window, false), ...tail,
        ],
      }],
    };
  }
  const filterSize = (inC / group) * window.kH * window.kW;
  const weights = constArg('weights', int8Array(`${w.name}_packed`, packS8(data, outC, group, filterSize),
    `"${w.name}" [${w.shape.join(', ')}] int8, output channels interleaved in blocks of 4`));
  const pointwise = group === 1 && window.kH === 1 && window.kW === 1 && window.sH === 1 && window.sW === 1
    && window.padTop === 0 && window.padLeft === 0 && window.padBottom === 0 && window.padRight === 0;
  if (pointwise) {
    return {
      detail: 'kernel 1x1, stride 1, no padding',
      calls: [{
        fn: 'eenn_conv2d_1x1_s8',
        source: S8_SOURCES.conv,
        args: [
          tensorArg('input', x.name), weights, optionalTensorArg('bias', bias), tensorArg('output', ctx.result.name),
          intArg('batches', batches), intArg('in_c', inC), intArg('size', window.inH * window.inW), intArg('out_c', outC), ...tail,
        ],
      }],
    };
  }
  return {
    detail: describeWindow(window, group > 1 ? `${group} groups` : ''),
    calls: [{
      fn: 'eenn_conv2d_s8',
      source: S8_SOURCES.conv,
      args: [
        tensorArg('input', x.name), weights, optionalTensorArg('bias', bias), tensorArg('output', ctx.result.name),
        intArg('batches', batches), intArg('in_c', inC), intArg('in_h', window.inH), intArg('in_w', window.inW),
        intArg('out_c', outC), intArg('out_h', window.outH), intArg('out_w', window.outW), intArg('groups', group),
        ...windowArgs(window, false), ...tail,
      ],
    }],
  };
}

export function lowerQConvTranspose(ctx: LowerContext): LoweredStep {
  const x = planarInput(ctx, 'transposed convolution');
  const w = input(ctx, 1, 'W');
  constantInt8(ctx, w, 'W');
  const group = attrInt(ctx.node, 'group', 1);
  const outShape = ctx.result.shape;
  const outC = outShape[1]!;
  checkBias(ctx, ctx.inputs[2], outC);
  const geometry = convTransposeWindow(ctx.node, x, w);
  if (geometry.padsBegin.some((p) => p < 0)) unsupported(ctx, 'negative begin padding is not supported');
  if (geometry.kernel.some((k) => k > MAX_TRANSPOSE_KERNEL)) {
    unsupported(ctx, `kernel [${geometry.kernel.join(', ')}] is wider than ${MAX_TRANSPOSE_KERNEL} taps`, 'try --precision float32');
  }
  const window = to2d(geometry);
  return {
    detail: describeWindow(window, group > 1 ? `${group} groups` : ''),
    calls: [{
      fn: 'eenn_conv_transpose2d_s8',
      source: S8_SOURCES.conv,
      args: [
        tensorArg('input', x.name), tensorArg('weights', w.name), optionalTensorArg('bias', ctx.inputs[2]), tensorArg('output', ctx.result.name),
        intArg('batches', x.shape[0]!), intArg('in_c', x.shape[1]!), intArg('in_h', window.inH), intArg('in_w', window.inW),
        intArg('out_c', outC), intArg('out_h', window.outH), intArg('out_w', window.outW), intArg('groups', group),
        ...windowArgs(window, false), ...outputStageArgs(ctx, zeroPointOf(x), outC),
      ],
    }],
  };
}

/** QGemm: X [rows..., K] times W [N, K] (a fully connected layer; leading axes of X are rows). */
export function lowerQGemm(ctx: LowerContext): LoweredStep {
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
    calls: [{
      fn: 'eenn_fc_s8',
      source: S8_SOURCES.fc,
      args: [
        tensorArg('input', x.name),
        constArg('weights', int8Array(`${w.name}_packed`, packS8(data, n, 1, k), `"${w.name}" [${n}, ${k}] int8, rows interleaved in blocks of 4`)),
        optionalTensorArg('bias', ctx.inputs[2]), tensorArg('output', ctx.result.name),
        intArg('rows', rows), intArg('in_features', k), intArg('out_features', n),
        ...outputStageArgs(ctx, zeroPointOf(x), n),
      ],
    }],
  };
}
