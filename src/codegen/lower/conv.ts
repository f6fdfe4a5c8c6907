// Lowers Conv (1-D and 2-D: general, 1x1 and depthwise kernels; 3-D: plain loops) and ConvTranspose to the
// float conv kernels; a Conv with a fused pool, or planned in place, to the low-memory kernels.

import { attrInt, attrInts } from '../../ops/attrs.js';
import { convTransposeWindow } from '../../ops/conv.js';
import { forwardWindow, type WindowGeometry } from '../../ops/spatial.js';
import { constArg, intArg, optionalTensorArg, scratchArg, tensorArg, type KernelArg } from '../../kernels/call.js';
import { activationArgs, type LoweredStep, type LowerContext } from '../kernel-call.js';
import { CONV_POOL_BLOCK } from '../../kernels/conv-block.js';
import { isConv1x1, isDepthwise, to2d, type Window2d } from '../../kernels/window.js';
import { packOutputBlocks } from '../pack-weights.js';
import { constantFloats, input, SOURCES, unsupported } from './common.js';

export { to2d, type Window2d } from '../../kernels/window.js';

/** Check a spatial rank the kernels handle (1-D and 2-D, and 3-D when `volumes`). */
export function requirePlanar(ctx: LowerContext, rank: number, what: string, volumes = false): void {
  if (rank < 1 || rank > (volumes ? 3 : 2)) {
    unsupported(
      ctx,
      `${rank}-D ${what} is not supported by the float kernels (1-D${volumes ? ', 2-D and 3-D' : ' and 2-D'} are)`,
      'reshape the tensor so that it has layout [N, C, W], [N, C, H, W] or [N, C, D, H, W]',
    );
  }
}

/** The arguments of a 3-D window, in the order of the 3-D kernels (depth, height, width per field). */
export function volumeWindowArgs(g: WindowGeometry, withPadEnd: boolean): KernelArg[] {
  const axes = ['d', 'h', 'w'];
  const each = (prefix: string, values: number[]) => values.map((v, i) => intArg(`${prefix}_${axes[i]}`, v));
  return [
    ...each('kernel', g.kernel),
    ...each('stride', g.strides),
    intArg('pad_front', g.padsBegin[0]!),
    intArg('pad_top', g.padsBegin[1]!),
    intArg('pad_left', g.padsBegin[2]!),
    ...(withPadEnd ? [intArg('pad_back', g.padsEnd[0]!), intArg('pad_bottom', g.padsEnd[1]!), intArg('pad_right', g.padsEnd[2]!)] : []),
    ...each('dilation', g.dilations),
  ];
}

export function describeVolume(g: WindowGeometry, extra = ''): string {
  const parts = [`kernel ${g.kernel.join('x')}`, `stride ${g.strides.join('x')}`, `pads ${[...g.padsBegin, ...g.padsEnd].join(',')}`];
  if (g.dilations.some((d) => d !== 1)) parts.push(`dilation ${g.dilations.join('x')}`);
  if (extra) parts.push(extra);
  return parts.join(', ');
}

/** A 3-D convolution or transposed convolution call (weights in ONNX layout). */
function conv3dCall(ctx: LowerContext, fn: string, g: WindowGeometry, outC: number, group: number): LoweredStep {
  const x = input(ctx, 0, 'X');
  const out = ctx.outputs[0]!.shape;
  return {
    detail: describeVolume(g, group > 1 ? `${group} groups` : ''),
    calls: [
      {
        fn,
        source: SOURCES.conv,
        args: [
          tensorArg('input', x.name),
          tensorArg('weights', input(ctx, 1, 'W').name),
          optionalTensorArg('bias', ctx.inputs[2]),
          tensorArg('output', ctx.result.name),
          intArg('batches', x.shape[0]!),
          intArg('in_c', x.shape[1]!),
          intArg('in_d', x.shape[2]!),
          intArg('in_h', x.shape[3]!),
          intArg('in_w', x.shape[4]!),
          intArg('out_c', outC),
          intArg('out_d', out[2]!),
          intArg('out_h', out[3]!),
          intArg('out_w', out[4]!),
          intArg('groups', group),
          ...volumeWindowArgs(g, false),
          ...activationArgs(ctx.activation),
        ],
      },
    ],
  };
}

/** The kernel size arguments of a 2-D window kernel (their names after `prefix`, as every helper below). */
function kernelSizeArgs(w: Window2d, prefix = ''): KernelArg[] {
  return [intArg(`${prefix}kernel_h`, w.kH), intArg(`${prefix}kernel_w`, w.kW)];
}

function strideArgs(w: Window2d, prefix = ''): KernelArg[] {
  return [intArg(`${prefix}stride_h`, w.sH), intArg(`${prefix}stride_w`, w.sW)];
}

/** The padding arguments: top and left, then bottom and right when the kernel takes them (`withPadEnd`). */
function padArgs(w: Window2d, withPadEnd: boolean, prefix = ''): KernelArg[] {
  return [
    intArg(`${prefix}pad_top`, w.padTop),
    intArg(`${prefix}pad_left`, w.padLeft),
    ...(withPadEnd ? [intArg(`${prefix}pad_bottom`, w.padBottom), intArg(`${prefix}pad_right`, w.padRight)] : []),
  ];
}

function dilationArgs(w: Window2d, prefix = ''): KernelArg[] {
  return [intArg(`${prefix}dilation_h`, w.dH), intArg(`${prefix}dilation_w`, w.dW)];
}

/**
 * The window arguments of a 2-D window kernel: kernel size, strides, padding, then dilations unless
 * `withDilation` is false; each name after `prefix` (the pool window of a fused conv-pool kernel).
 */
export function windowArgs(w: Window2d, withPadEnd: boolean, withDilation = true, prefix = ''): KernelArg[] {
  return [
    ...kernelSizeArgs(w, prefix),
    ...strideArgs(w, prefix),
    ...padArgs(w, withPadEnd, prefix),
    ...(withDilation ? dilationArgs(w, prefix) : []),
  ];
}

/** The batches, the input's channels and its size: the shape arguments every 2-D conv kernel opens with. */
function convInputArgs(batches: number, inC: number, w: Window2d): KernelArg[] {
  return [intArg('batches', batches), intArg('in_c', inC), intArg('in_h', w.inH), intArg('in_w', w.inW)];
}

/** The plane arguments of a pooling kernel: the channels (batches times channels), the input's size, the output's. */
export function poolPlaneArgs(channels: number, w: Window2d): KernelArg[] {
  return [intArg('channels', channels), intArg('in_h', w.inH), intArg('in_w', w.inW), intArg('out_h', w.outH), intArg('out_w', w.outW)];
}

/**
 * The shape arguments of a grouped 2-D convolution kernel (eenn_conv2d_*, eenn_conv_transpose2d_*): batches, the
 * input's channels and size, the output's, the groups, then the window.
 */
export function convShapeArgs(batches: number, inC: number, outC: number, groups: number, w: Window2d): KernelArg[] {
  return [
    ...convInputArgs(batches, inC, w),
    intArg('out_c', outC),
    intArg('out_h', w.outH),
    intArg('out_w', w.outW),
    intArg('groups', groups),
    ...windowArgs(w, false),
  ];
}

/** The shape arguments of a depthwise kernel: batches, the input's channels and size, the multiplier, the output's size. */
export function depthwiseShapeArgs(batches: number, inC: number, multiplier: number, w: Window2d): KernelArg[] {
  return [...convInputArgs(batches, inC, w), intArg('multiplier', multiplier), intArg('out_h', w.outH), intArg('out_w', w.outW)];
}

export function describeWindow(w: Window2d, extra = ''): string {
  const parts = [`kernel ${w.kH}x${w.kW}`, `stride ${w.sH}x${w.sW}`, `pads ${w.padTop},${w.padLeft},${w.padBottom},${w.padRight}`];
  if (w.dH !== 1 || w.dW !== 1) parts.push(`dilation ${w.dH}x${w.dW}`);
  if (extra) parts.push(extra);
  return parts.join(', ');
}

export function lowerConv(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  const bias = ctx.inputs[2];
  requirePlanar(ctx, x.shape.length - 2, 'convolution', true);
  const group = attrInt(ctx.node, 'group', 1);
  if (x.shape.length === 5)
    return conv3dCall(ctx, 'eenn_conv3d_f32', forwardWindow(ctx.node, x.shape.slice(2), w.shape.slice(2)), w.shape[0]!, group);
  const window = to2d(forwardWindow(ctx.node, x.shape.slice(2), w.shape.slice(2)));
  if (ctx.step.pool) return lowerConvPool(ctx, window, group);
  const [batches, inC] = [x.shape[0]!, x.shape[1]!];
  const outC = w.shape[0]!;
  const out = ctx.result.name;
  const head = [tensorArg('input', x.name)];

  if (isDepthwise(group, inC, w.shape[1]!)) {
    const multiplier = outC / inC;
    if (ctx.step.inPlace === 'depthwise') {
      return {
        detail: describeWindow(window, 'depthwise, in place'),
        calls: [
          {
            fn: 'eenn_depthwise_conv2d_in_place_f32',
            source: SOURCES.convInPlace,
            uses: [SOURCES.conv],
            args: [
              tensorArg('data', out),
              tensorArg('weights', w.name),
              optionalTensorArg('bias', bias),
              scratchArg('scratch'),
              intArg('batches', batches),
              intArg('channels', inC),
              intArg('height', window.inH),
              intArg('width', window.inW),
              ...kernelSizeArgs(window),
              ...padArgs(window, false),
              ...dilationArgs(window),
              ...activationArgs(ctx.activation),
            ],
          },
        ],
      };
    }
    // 3x3 windows with dilation 1 have a kernel of their own, which takes no dilation.
    const threeByThree = window.kH === 3 && window.kW === 3 && window.dH === 1 && window.dW === 1;
    const windowOf3x3 = [...strideArgs(window), ...padArgs(window, false)];
    return {
      detail: describeWindow(window, multiplier > 1 ? `depthwise x${multiplier}` : 'depthwise'),
      calls: [
        {
          fn: threeByThree ? 'eenn_depthwise_conv2d_3x3_f32' : 'eenn_depthwise_conv2d_f32',
          source: SOURCES.conv,
          args: [
            ...head,
            tensorArg('weights', w.name),
            optionalTensorArg('bias', bias),
            tensorArg('output', out),
            ...depthwiseShapeArgs(batches, inC, multiplier, window),
            ...(threeByThree ? windowOf3x3 : windowArgs(window, false)),
            ...activationArgs(ctx.activation),
          ],
        },
      ],
    };
  }

  if (!w.data) return runtimeWeightsConv(ctx, window, group);
  const filterSize = (inC / group) * window.kH * window.kW;
  const packed = packOutputBlocks(constantFloats(ctx, w, 'W'), outC, group, filterSize);
  const weights = constArg('weights', {
    name: `${w.name}_packed`,
    ctype: 'float',
    data: packed,
    note: `"${w.name}" [${w.shape.join(', ')}], output channels interleaved in blocks of 4`,
  });
  // The tensors of the out-of-place kernels: input, packed weights, bias, output.
  const operands = [...head, weights, optionalTensorArg('bias', bias), tensorArg('output', out)];
  const pointwise = isConv1x1(window, group);
  if (pointwise && ctx.step.inPlace === 'pointwise') {
    return {
      detail: 'kernel 1x1, stride 1, no padding, in place',
      calls: [
        {
          fn: 'eenn_conv2d_1x1_in_place_f32',
          source: SOURCES.convInPlace,
          uses: [SOURCES.conv],
          args: [
            tensorArg('data', out),
            weights,
            optionalTensorArg('bias', bias),
            scratchArg('scratch'),
            intArg('batches', batches),
            intArg('in_c', inC),
            intArg('size', window.inH * window.inW),
            intArg('out_c', outC),
            ...activationArgs(ctx.activation),
          ],
        },
      ],
    };
  }
  if (pointwise) {
    return {
      detail: 'kernel 1x1, stride 1, no padding',
      calls: [
        {
          fn: 'eenn_conv2d_1x1_f32',
          source: SOURCES.conv,
          args: [
            ...operands,
            intArg('batches', batches),
            intArg('in_c', inC),
            intArg('size', window.inH * window.inW),
            intArg('out_c', outC),
            ...activationArgs(ctx.activation),
          ],
        },
      ],
    };
  }
  if (ctx.step.inPlace) throw new Error(`internal: Conv "${ctx.node.name}" was planned in place but has no in-place kernel`);
  return {
    detail: describeWindow(window, group > 1 ? `${group} groups` : ''),
    calls: [
      {
        fn: 'eenn_conv2d_f32',
        source: SOURCES.conv,
        args: [...operands, ...convShapeArgs(batches, inC, outC, group, window), ...activationArgs(ctx.activation)],
      },
    ],
  };
}

/**
 * A 1-D or 2-D Conv whose weights are computed at run time (a graph input, or the output of another node): they
 * cannot be packed at compile time, so the plain-loop kernel that reads the ONNX layout computes it, as a 3-D
 * convolution of depth 1 (the same weights memory: [out_c, in_c/groups, 1, kernel_h, kernel_w]).
 */
function runtimeWeightsConv(ctx: LowerContext, window: Window2d, group: number): LoweredStep {
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  if (ctx.step.inPlace) throw new Error(`internal: Conv "${ctx.node.name}" with run-time weights was planned in place`);
  // The window as 3-D numbers: depth (and for 1-D, height) of size 1, stride 1, no padding.
  const g = forwardWindow(ctx.node, x.shape.slice(2), w.shape.slice(2));
  const lift = (values: number[], fill: number) => [...new Array<number>(3 - values.length).fill(fill), ...values];
  const volume: WindowGeometry = {
    inputSize: lift(g.inputSize, 1),
    outputSize: lift(g.outputSize, 1),
    kernel: lift(g.kernel, 1),
    strides: lift(g.strides, 1),
    dilations: lift(g.dilations, 1),
    padsBegin: lift(g.padsBegin, 0),
    padsEnd: lift(g.padsEnd, 0),
  };
  const [inD, inH, inW] = volume.inputSize as [number, number, number];
  const [outD, outH, outW] = volume.outputSize as [number, number, number];
  return {
    detail: describeWindow(window, `${group > 1 ? `${group} groups, ` : ''}weights read at run time`),
    calls: [
      {
        fn: 'eenn_conv3d_f32',
        source: SOURCES.conv,
        args: [
          tensorArg('input', x.name),
          tensorArg('weights', w.name),
          optionalTensorArg('bias', ctx.inputs[2]),
          tensorArg('output', ctx.result.name),
          intArg('batches', x.shape[0]!),
          intArg('in_c', x.shape[1]!),
          intArg('in_d', inD),
          intArg('in_h', inH),
          intArg('in_w', inW),
          intArg('out_c', w.shape[0]!),
          intArg('out_d', outD),
          intArg('out_h', outH),
          intArg('out_w', outW),
          intArg('groups', group),
          ...volumeWindowArgs(volume, false),
          ...activationArgs(ctx.activation),
        ],
      },
    ],
  };
}

/** A Conv and the pool fused after it (schedule.ts: fusablePool): the pooled result, through the step's scratch. */
function lowerConvPool(ctx: LowerContext, window: Window2d, group: number): LoweredStep {
  const pool = ctx.step.pool!;
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  const outC = w.shape[0]!;
  if (group !== 1) unsupported(ctx, 'a pool is fused only after a one-group convolution');
  const kernel = attrInts(pool, 'kernel_shape') ?? unsupported(ctx, `kernel_shape of "${pool.name}" is missing`);
  const ceilMode = attrInt(pool, 'ceil_mode', 0) !== 0;
  const pw = to2d(forwardWindow(pool, [window.outH, window.outW], kernel, { ceilMode }));
  const average = pool.op === 'AveragePool';
  const countPad = average ? attrInt(pool, 'count_include_pad', 0) : 0;
  const filterSize = x.shape[1]! * window.kH * window.kW;
  const packed = packOutputBlocks(constantFloats(ctx, w, 'W'), outC, 1, filterSize);
  const weights = constArg('weights', {
    name: `${w.name}_packed`,
    ctype: 'float',
    data: packed,
    note: `"${w.name}" [${w.shape.join(', ')}], output channels interleaved in blocks of 4`,
  });
  return {
    detail: `${describeWindow(window)}; ${pool.op} ${describeWindow(pw, ceilMode ? 'ceil_mode' : '')}, ${Math.min(CONV_POOL_BLOCK, outC)} channels at a time`,
    calls: [
      {
        fn: 'eenn_conv2d_pool_f32',
        source: SOURCES.convPool,
        uses: [SOURCES.conv, SOURCES.pool],
        args: [
          tensorArg('input', x.name),
          weights,
          optionalTensorArg('bias', ctx.inputs[2]),
          tensorArg('output', ctx.result.name),
          scratchArg('scratch'),
          ...convInputArgs(x.shape[0]!, x.shape[1]!, window),
          intArg('out_c', outC),
          intArg('conv_h', window.outH),
          intArg('conv_w', window.outW),
          ...windowArgs(window, false),
          ...activationArgs(ctx.activation),
          intArg('pool_is_average', average ? 1 : 0),
          intArg('out_h', pw.outH),
          intArg('out_w', pw.outW),
          ...windowArgs(pw, true, true, 'pool_'),
          intArg('count_include_pad', countPad),
        ],
      },
    ],
  };
}

export function lowerConvTranspose(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const w = input(ctx, 1, 'W');
  requirePlanar(ctx, x.shape.length - 2, 'transposed convolution', true);
  const group = attrInt(ctx.node, 'group', 1);
  const outShape = ctx.outputs[0]!.shape;
  const geometry = convTransposeWindow(ctx.node, x, w);
  if (geometry.padsBegin.some((p) => p < 0)) unsupported(ctx, 'negative begin padding is not supported');
  if (x.shape.length === 5) return conv3dCall(ctx, 'eenn_conv_transpose3d_f32', geometry, outShape[1]!, group);
  return convTransposeCall(ctx, 'eenn_conv_transpose2d_f32', SOURCES.conv, to2d(geometry), outShape[1]!, activationArgs(ctx.activation));
}

/**
 * The call of a 2-D transposed convolution kernel (eenn_conv_transpose2d_f32 / _s8): the input, the weights in
 * the ONNX layout, the optional bias, the output, their shapes and the window, then `tail` (the output stage).
 */
export function convTransposeCall(ctx: LowerContext, fn: string, source: string, window: Window2d, outC: number, tail: KernelArg[]): LoweredStep {
  const [x, w] = [input(ctx, 0, 'X'), input(ctx, 1, 'W')];
  const group = attrInt(ctx.node, 'group', 1);
  return {
    detail: describeWindow(window, group > 1 ? `${group} groups` : ''),
    calls: [
      {
        fn,
        source,
        args: [
          tensorArg('input', x.name),
          tensorArg('weights', w.name),
          optionalTensorArg('bias', ctx.inputs[2]),
          tensorArg('output', ctx.result.name),
          ...convShapeArgs(x.shape[0]!, x.shape[1]!, outC, group, window),
          ...tail,
        ],
      },
    ],
  };
}
