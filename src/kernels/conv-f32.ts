// Contracts of the float convolution kernels (eenn_conv_f32.c, eenn_conv_in_place_f32.c, eenn_conv_pool_f32.c):
// which Conv goes to the general, 1x1 or depthwise kernel, which run over their own input and the scratch that
// takes (EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS, EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS), and which Convs the
// fused conv + pool kernel computes (EENN_CONV_POOL_F32_SCRATCH_FLOATS), and the tiles of the out-of-place ones.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { attrInt } from '../ops/attrs.js';
import { CONV_POOL_BLOCK } from './conv-block.js';
import type { CallArgs } from './call-args.js';
import { NOTHING_OPTIONAL, PIXELS_TILE, windowRowsTile, type CallCheck, type CallTiler, type KernelContract } from './contract.js';
import { checkRange, depthwiseChannelTiler, intOf, recall, tiler } from './tiles.js';
import { isConv1x1Node, isDepthwise, isDepthwiseConv } from './window.js';

/** Pixels the in-place 1x1 kernel gathers per pass (its register block; EENN_CONV_1X1_IN_PLACE_F32_PIXELS). */
export const POINTWISE_IN_PLACE_PIXELS = 4;

/** True for a float Conv node (the default domain, one output). */
function isFloatConv(conv: Node): boolean {
  return conv.op === 'Conv' && isDefaultDomain(conv) && conv.outputs.length === 1;
}

/**
 * True when `conv` is a 2-D Conv that the general float kernel computes (group 1, not a 1x1 kernel): the
 * kernel the fused conv + pool call runs a block of output channels at a time.
 */
export function isPoolFusableConv(graph: Graph, conv: Node): boolean {
  if (!isFloatConv(conv)) return false;
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || x.shape.length !== 4 || y.shape.length !== 4) return false;
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return false;
  if (attrInt(conv, 'group', 1) !== 1) return false;
  return !(w.shape[2] === 1 && w.shape[3] === 1);
}

/** How a Conv could write over its own input, and the scratch bytes that needs. */
export interface InPlaceConv {
  kind: 'depthwise' | 'pointwise';
  scratchBytes: number;
}

/**
 * Whether a float `conv` may run over its own input buffer, judged from shapes and attributes only (the planner
 * also requires the input to die at that step). Depthwise (isDepthwise, C_out = C_in, stride 1, output shape =
 * input shape): output channel c reads input channel c only, so each plane is computed into a one-plane scratch and
 * copied back. Pointwise (1x1, stride 1, no padding, group 1, C_out <= C_in): output pixel p reads input pixel p
 * only and writes element p of each plane, so a few pixels at a time are gathered into a scratch of C_in values each.
 */
export function floatInPlaceConv(graph: Graph, conv: Node): InPlaceConv | undefined {
  if (!isFloatConv(conv)) return undefined;
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || x.shape.length !== 4 || y.shape.length !== 4 || w.shape.length !== 4) return undefined;
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return undefined;
  const strides = conv.attrs['strides'];
  if (Array.isArray(strides) && strides.some((s) => s !== 1)) return undefined;
  const [n, cIn, h, wd] = x.shape as [number, number, number, number];
  const cOut = y.shape[1]!;
  if (y.shape[0] !== n || y.shape[2] !== h || y.shape[3] !== wd || h * wd === 0) return undefined;
  const group = attrInt(conv, 'group', 1);
  if (isDepthwise(group, cIn, w.shape[1]!) && cOut === cIn) {
    return { kind: 'depthwise', scratchBytes: depthwiseInPlaceF32ScratchFloats(h, wd) * 4 };
  }
  if (isConv1x1Node(graph, conv) && cOut <= cIn) {
    return { kind: 'pointwise', scratchBytes: conv1x1InPlaceF32ScratchFloats(cIn) * 4 };
  }
  return undefined;
}

/** EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS(height, width): one channel plane. */
export function depthwiseInPlaceF32ScratchFloats(height: number, width: number): number {
  return height * width;
}

/** EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS(in_c): the input channels of the pixels gathered per pass. */
export function conv1x1InPlaceF32ScratchFloats(inC: number): number {
  return POINTWISE_IN_PLACE_PIXELS * inC;
}

/** EENN_CONV_POOL_F32_SCRATCH_FLOATS(out_c, conv_h, conv_w): one block of conv output planes. */
export function convPoolF32ScratchFloats(outC: number, convH: number, convW: number): number {
  return Math.min(CONV_POOL_BLOCK, outC) * convH * convW;
}

/**
 * EENN_CONV_PAIR_F32_SCRATCH_FLOATS(slab_rows, mid_c, mid_w, band_rows, out_c, out_w, residual): the slab of
 * conv A's rows, and with a residual one band of conv B's output.
 */
export function convPairF32ScratchFloats(
  slabRows: number,
  midC: number,
  midW: number,
  bandRows: number,
  outC: number,
  outW: number,
  residual: boolean,
): number {
  return slabRows * midC * midW + (residual ? bandRows * outC * outW : 0);
}

/** A float check of a call's scratch (`scratchBytes` bytes, 4 per float) against the header's macro. */
function floatScratchCheck(macro: string, fn: string, scratchBytes: number | undefined): CallCheck[] {
  return scratchBytes === undefined ? [] : [{ expr: `${macro} <= ${Math.floor(scratchBytes / 4)}`, what: `scratch of ${fn}` }];
}

const ROW_TILE = windowRowsTile('every input channel');

/** Group of an eenn_conv2d_f32-family node, its input channels and its weights' axis 1 (for the selection tests). */
function shapesOf(graph: Graph, conv: Node): { group: number; inC: number; wInC: number } | undefined {
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  if (!x || !w || (x.shape.length !== 3 && x.shape.length !== 4)) return undefined;
  return { group: attrInt(conv, 'group', 1), inC: x.shape[1]!, wInC: w.shape[1]! };
}

/** True for a call of one group and one image, which the entry points of tiles compute. */
const oneGroupOneImage = (args: CallArgs) => intOf(args, 'batches') === 1 && (args.int('groups') ?? 1) === 1;

/** The arguments of eenn_conv2d_f32 that eenn_conv2d_units_f32 takes, in its order (before the range). */
const CONV_UNITS_ARGS = [
  ...['input', 'weights', 'bias', 'output', 'in_c', 'in_h', 'in_w', 'out_c', 'out_h', 'out_w'],
  ...['kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w', 'act_min', 'act_max'],
];

/**
 * Tiles of eenn_conv2d_f32 of one group and one image along its output rows, a unit being one output row of one
 * block of 4 output channels (the kernel's register block; unit b * out_h + oy): eenn_conv2d_units_f32 computes a
 * run of them, each output as the whole call computes it. Finer than rows: one row of every channel of a deep
 * layer can be more than a power-on window (an 8x8x64 3x3 convolution: 295k multiply-accumulates a row).
 */
const CONV_F32_UNITS: CallTiler = tiler(
  'rows',
  (args) => (oneGroupOneImage(args) ? Math.ceil(intOf(args, 'out_c') / CONV_POOL_BLOCK) * intOf(args, 'out_h') : undefined),
  () => 1,
  (_args, begin, end) => ({
    fn: 'eenn_conv2d_units_f32',
    keep: CONV_UNITS_ARGS,
    append: [
      ['unit_begin', begin],
      ['unit_end', end],
    ],
  }),
);

/** Pixels eenn_conv2d_1x1_strided_f32 computes at once: a tile of its pixels starts on a block. */
const POINTWISE_F32_BLOCK = 4;

/**
 * Pixel tiles of eenn_conv2d_1x1_f32 of one image (a unit of the 'rows' axis is one pixel):
 * eenn_conv2d_1x1_strided_f32 (the function it runs for each image) on the pixels [begin, end), in blocks of 4
 * pixels from the first, as the whole call computes them.
 */
const CONV_1X1_F32_PIXELS: CallTiler = {
  axis: 'rows',
  units: (args) => (intOf(args, 'batches') === 1 ? intOf(args, 'size') : undefined),
  granule: () => POINTWISE_F32_BLOCK,
  part(call, args, begin, end) {
    checkRange(CONV_1X1_F32_PIXELS, args, begin, end);
    const size = intOf(args, 'size');
    if (begin === 0 && end === size) return call;
    const order: (string | [string, number])[] = [
      'input',
      'weights',
      'bias',
      'output',
      'in_c',
      ['size', end - begin],
      ['in_stride', size],
      ['out_stride', size],
      'out_c',
      'act_min',
      'act_max',
    ];
    return recall(call, 'eenn_conv2d_1x1_strided_f32', order, { input: begin, output: begin });
  },
};

/** Channel tiles of the float depthwise kernels: whole input channels (the 3x3 kernel takes no kernel size). */
const DEPTHWISE_F32_CHANNELS: CallTiler = depthwiseChannelTiler((args) =>
  args.call.fn === 'eenn_depthwise_conv2d_3x3_f32' ? 9 : intOf(args, 'kernel_h') * intOf(args, 'kernel_w'),
);

/** eenn_conv2d_f32: any groups, stride, dilation and padding. */
export const CONV_F32: KernelContract = {
  kernels: ['eenn_conv2d_f32', 'eenn_conv2d_units_f32'],
  header: 'eenn_kernels_f32.h',
  computes: (graph, node) => {
    const s = shapesOf(graph, node);
    return isFloatConv(node) && s !== undefined && !isDepthwise(s.group, s.inC, s.wInC) && !isConv1x1Node(graph, node);
  },
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input' },
  tiles: [ROW_TILE, { axis: 'channels', reads: "the whole input of the output channels' groups" }],
  tiler: CONV_F32_UNITS,
  ...NOTHING_OPTIONAL,
};

/** eenn_conv2d_1x1_f32: a matrix product per image. */
export const CONV_1X1_F32: KernelContract = {
  ...CONV_F32,
  kernels: ['eenn_conv2d_1x1_f32', 'eenn_conv2d_1x1_strided_f32'],
  computes: (graph, node) => isFloatConv(node) && isConv1x1Node(graph, node),
  tiles: [PIXELS_TILE, { axis: 'channels', reads: 'the whole input' }],
  tiler: CONV_1X1_F32_PIXELS,
};

/** eenn_depthwise_conv2d_f32 and its 3x3 (dilation 1) form. */
export const DEPTHWISE_F32: KernelContract = {
  ...CONV_F32,
  kernels: ['eenn_depthwise_conv2d_f32', 'eenn_depthwise_conv2d_3x3_f32'],
  computes: (graph, node) => isFloatConv(node) && isDepthwiseConv(graph, node),
  tiles: [ROW_TILE, { axis: 'channels', reads: 'input channel m / multiplier of each output channel m' }],
  tiler: DEPTHWISE_F32_CHANNELS,
};

/** The contract of a float Conv kernel that writes over its input (floatInPlaceConv of that `kind`). */
function inPlaceConvContract(
  kind: InPlaceConv['kind'],
  kernel: string,
  rest: Pick<KernelContract, 'aliasing' | 'tiles' | 'checksOf'>,
): KernelContract {
  const scratch = (graph: Graph, node: Node) => {
    const conv = floatInPlaceConv(graph, node);
    return conv?.kind === kind ? conv.scratchBytes : undefined;
  };
  return {
    kernels: [kernel],
    header: 'eenn_kernels_f32.h',
    computes: (graph, node) => scratch(graph, node) !== undefined,
    scratchBytes: (graph, node) => scratch(graph, node) ?? 0,
    ...NOTHING_OPTIONAL,
    ...rest,
  };
}

/** eenn_depthwise_conv2d_in_place_f32: each plane computed into the scratch and copied back over the input. */
export const DEPTHWISE_IN_PLACE_F32 = inPlaceConvContract('depthwise', 'eenn_depthwise_conv2d_in_place_f32', {
  aliasing: { overlap: 'same', rule: 'output channel c reads input channel c only: multiplier 1, stride 1, output shape = input shape' },
  tiles: [{ axis: 'channels', reads: 'the same channel planes of the input' }],
  checksOf: (args, scratchBytes) =>
    floatScratchCheck(
      `EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS(${args.int('height') ?? 0}, ${args.int('width') ?? 0})`,
      args.call.fn,
      scratchBytes,
    ),
});

/** eenn_conv2d_1x1_in_place_f32: a few pixels gathered into the scratch, their outputs written back over them. */
export const CONV_1X1_IN_PLACE_F32 = inPlaceConvContract('pointwise', 'eenn_conv2d_1x1_in_place_f32', {
  aliasing: { overlap: 'same', rule: 'output pixel p reads input pixel p only: C_out <= C_in' },
  tiles: [PIXELS_TILE],
  checksOf: (args, scratchBytes) => [
    { expr: `EENN_CONV_1X1_IN_PLACE_F32_PIXELS == ${POINTWISE_IN_PLACE_PIXELS}`, what: 'pixels eenn_conv2d_1x1_in_place_f32 gathers per pass' },
    ...floatScratchCheck(`EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS(${args.int('in_c') ?? 0})`, args.call.fn, scratchBytes),
  ],
});

/** eenn_conv2d_pool_f32: a block of output channels into the scratch, pooled from there. */
export const CONV_POOL_F32: KernelContract = {
  kernels: ['eenn_conv2d_pool_f32'],
  header: 'eenn_kernels_f32.h',
  computes: isPoolFusableConv,
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the pooled output never overlaps the input or the scratch' },
  tiles: [{ axis: 'channels', reads: 'the whole input, a block of output channels at a time' }],
  ...NOTHING_OPTIONAL,
  checksOf: (args, scratchBytes) => [
    { expr: `EENN_CONV_POOL_F32_BLOCK == ${CONV_POOL_BLOCK}`, what: 'output channels eenn_conv2d_pool_f32 computes per pass' },
    ...floatScratchCheck(
      `EENN_CONV_POOL_F32_SCRATCH_FLOATS(${['out_c', 'conv_h', 'conv_w'].map((n) => args.int(n) ?? 0).join(', ')})`,
      args.call.fn,
      scratchBytes,
    ),
  ],
};

/**
 * eenn_conv2d_pair_f32: two Convs depth-first, a band of output rows at a time, the first one's rows through a
 * slab of the scratch (schedule/conv-pair.ts sizes it from the planned pair: convPairScratchBytes).
 */
export const CONV_PAIR_F32: KernelContract = {
  kernels: ['eenn_conv2d_pair_f32'],
  header: 'eenn_kernels_f32.h',
  computes: () => false,
  scratchBytes: () => 0,
  aliasing: {
    overlap: 'same',
    rule: "the output may be the input itself when no band's output rows are read by a later band (replayBands); the residual may be the output",
  },
  tiles: [{ axis: 'rows', reads: "the input rows conv A needs for the rows of mid that conv B's band reads" }],
  ...NOTHING_OPTIONAL,
  checksOf: (args, scratchBytes) =>
    floatScratchCheck(
      `EENN_CONV_PAIR_F32_SCRATCH_FLOATS(${['slab_rows', 'mid_c', 'mid_w', 'band_rows', 'out_c', 'out_w'].map((n) => args.int(n) ?? 0).join(', ')}, ${args.isNull('residual') ? 0 : 1})`,
      args.call.fn,
      scratchBytes,
    ),
};
