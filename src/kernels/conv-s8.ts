// Contracts of the int8 convolution kernels (eenn_conv2d_s8, eenn_conv2d_1x1_s8, eenn_conv2d_1x1_in_place_s8):
// which QConv goes to which, the im2col scratch each takes (EENN_CONV_S8_SCRATCH_BYTES,
// EENN_CONV_1X1_S8_SCRATCH_BYTES, EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES), when the 1x1 one runs over its input,
// which QConvs a fused step computes a block of output channels at a time, the optional paths they take, and the
// tiles of their calls through eenn_conv2d_s8_units and eenn_conv2d_1x1_s8_units (pairs of pixels of blocks of
// channels).

import { sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt } from '../ops/attrs.js';
import type { CallArgs } from './call-args.js';
import { PIXELS_TILE, windowRowsTile, type CallCheck, type CallTiler, type KernelContract, type KernelSwitch } from './contract.js';
import { isInt8Depthwise } from './depthwise-s8.js';
import { isInt16Layer } from './int16.js';
import { boundedOk, outputStageChecks, outputStageSwitches } from './output-stage-s8.js';
import { intOf, tiler } from './tiles.js';
import { PAIR_CHUNK_S8, pairedLayoutChecks } from './weight-layout-s8.js';
import { isConv1x1Node } from './window.js';

/** The optional paths of the int8 convolution kernels (eenn_kernels_s8.h documents each). */
export const CONV_S8_SWITCHES: readonly KernelSwitch[] = [
  { macro: 'EENN_CONV_S8_SATURATE', note: 'convolutions whose clamp is the whole int8 range' },
  { macro: 'EENN_CONV_S8_CLAMP', note: 'convolutions with a narrower clamp (a fused Relu)' },
  { macro: 'EENN_CONV_S8_FEW_VALUES', note: 'convolutions of fewer than 16 values per output (first layers)' },
  { macro: 'EENN_CONV_S8_3X3', note: 'convolutions of 3x3 windows' },
  { macro: 'EENN_CONV_S8_THREE_PIXELS', note: 'convolutions on DSP of 16 to 288 values per output, a multiple of 4, with a bias: three pixels per pass (a model links this or EENN_CONV_S8_TWO_PIXELS)' },
  { macro: 'EENN_CONV_S8_TWO_PIXELS', note: 'convolutions on DSP of 16 values or more, a multiple of 4, with a bias, that multiply two pixels per pass' },
  { macro: 'EENN_CONV_S8_UNALIGNED_ROWS', note: 'convolutions on DSP of 16 values or more, the depth not a multiple of 4' },
  { macro: 'EENN_CONV_S8_EXACT', note: 'convolutions that need the exact output stage (not a speed path: required when 1)', required: true },
  { macro: 'EENN_CONV_S8_DIRECT', note: 'convolutions without a scratch, reading the input in place (required when 1)', required: true },
];

const OUTPUT_STAGE = { exact: 'EENN_CONV_S8_EXACT', saturate: 'EENN_CONV_S8_SATURATE', clamp: 'EENN_CONV_S8_CLAMP' };

/** True for an int8 QConv (not one with an int16 input or output: src/kernels/int16.ts). */
const isQConv = (graph: Graph, node: Node) => node.domain === INT8_DOMAIN && node.op === 'QConv' && !isInt16Layer(graph, node);

/**
 * EENN_CONV_S8_SCRATCH_BYTES(depth): two columns of `depth` int16 values (eight below 16 values: the tiles of
 * first layers), each rounded up to 4 values.
 */
export function convS8ScratchBytes(depth: number): number {
  return (depth < PAIR_CHUNK_S8 ? 16 : 4) * Math.ceil(depth / 4) * 4;
}

/** Most values per output of the three-pixel path on DSP (EENN_CONV_S8_X3_MOST: its stack buffer holds 6 bytes per value). */
export const CONV_S8_THREE_PIXELS_MOST = 288;

/**
 * True when eenn_conv2d_s8 on DSP multiplies three pixels per pass for `depth` values per output (with a bias and
 * the bounded output stage, which the kernel checks): 16 to CONV_S8_THREE_PIXELS_MOST, a multiple of 4.
 */
export function takesThreePixels(depth: number): boolean {
  return depth >= PAIR_CHUNK_S8 && depth <= CONV_S8_THREE_PIXELS_MOST && depth % 4 === 0;
}

/** EENN_CONV_1X1_S8_SCRATCH_BYTES(inC): two columns of `inC` int16 values, each rounded up to 4 values. */
export function conv1x1S8ScratchBytes(inC: number): number {
  return 4 * Math.ceil(inC / 4) * 4;
}

/** Pixels eenn_conv2d_1x1_in_place_s8 gathers per pass (EENN_CONV_1X1_IN_PLACE_S8_PIXELS). */
export const POINTWISE_S8_IN_PLACE_PIXELS = 8;

/**
 * EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES(inC, outC): the (C_in + C_out) values of each pixel gathered per pass,
 * then the scratch of the convolution kernel it runs on them.
 */
export function conv1x1InPlaceS8ScratchBytes(inC: number, outC: number): number {
  return (inC + outC) * POINTWISE_S8_IN_PLACE_PIXELS + convS8ScratchBytes(inC);
}

/** True when the int8 lowering computes `node` (a QConv) with eenn_conv2d_1x1_s8: one group, 1x1, stride 1, no padding. */
export function isInt8Pointwise(graph: Graph, node: Node): boolean {
  return isQConv(graph, node) && isConv1x1Node(graph, node);
}

/**
 * Scratch bytes of an int8 QConv computed by eenn_conv2d_s8 or eenn_conv2d_1x1_s8 (1-D or 2-D, not depthwise:
 * that kernel has its own scratch), for its depth (C_in / group) * kernel values per output pixel; 0 for any
 * other node, and for a convolution with an empty output.
 */
export function int8ConvScratchBytes(graph: Graph, node: Node): number {
  if (!isQConv(graph, node) || isInt8Depthwise(graph, node)) return 0;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const w = graph.tensors.get(node.inputs[1] ?? '');
  const y = graph.tensors.get(node.outputs[0] ?? '');
  if (!x || !w || !y || (x.shape.length !== 3 && x.shape.length !== 4) || w.shape.length !== x.shape.length) return 0;
  if (sizeOf(y.shape) === 0) return 0;
  const group = attrInt(node, 'group', 1);
  const depth = (x.shape[1]! / group) * sizeOf(w.shape.slice(2));
  if (depth <= 0) return 0;
  return isInt8Pointwise(graph, node) ? conv1x1S8ScratchBytes(depth) : convS8ScratchBytes(depth);
}

/**
 * The scratch of an int8 1x1 QConv written over its own input, when that is possible: one group, stride 1, no
 * padding, C_out <= C_in, one image (or C_out = C_in). eenn_conv2d_1x1_in_place_s8 gathers a few pixels of every
 * input channel into the scratch, computes their outputs there and writes them back over those same pixels
 * (conv1x1InPlaceS8ScratchBytes). The planner also requires the input to die at that step.
 */
export function int8PointwiseInPlaceScratch(graph: Graph, node: Node): number | undefined {
  if (!isInt8Pointwise(graph, node)) return undefined;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const y = graph.tensors.get(node.outputs[0] ?? '');
  if (!x || !y || x.data || x.dtype !== 'int8' || y.dtype !== 'int8' || y.shape.length !== x.shape.length) return undefined;
  const [n, cIn] = [x.shape[0]!, x.shape[1]!];
  const cOut = y.shape[1]!;
  if (x.shape.slice(2).some((d, i) => d !== y.shape[i + 2]) || y.shape[0] !== n || sizeOf(x.shape) === 0) return undefined;
  if (cOut > cIn || (n > 1 && cOut !== cIn)) return undefined;
  return conv1x1InPlaceS8ScratchBytes(cIn, cOut);
}

/**
 * True when `conv` is a 2-D int8 QConv with one group and one image: a fused conv + pool or conv + add step
 * computes it a block of output channels at a time (codegen/lower/int8-conv-fused.ts), then pools each block
 * from the scratch or adds it to the residual.
 */
export function isInt8BlockwiseConv(graph: Graph, conv: Node): boolean {
  if (!isQConv(graph, conv) || conv.outputs.length !== 1) return false;
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || x.shape.length !== 4 || y.shape.length !== 4 || x.shape[0] !== 1) return false;
  return x.dtype === 'int8' && y.dtype === 'int8' && attrInt(conv, 'group', 1) === 1;
}

/** EENN_CONV_S8_DIRECT when a convolution call gives no scratch (anything but a scratch counts as none). */
function directSwitch(args: CallArgs): string[] {
  return args.isScratch('scratch') ? [] : ['EENN_CONV_S8_DIRECT'];
}

function directChecks(args: CallArgs): CallCheck[] {
  return args.isScratch('scratch')
    ? []
    : [{ expr: 'EENN_CONV_S8_DIRECT', what: `calls ${args.call.fn} without a scratch: EENN_CONV_S8_DIRECT must be 1` }];
}

/** The check that a call's scratch holds what the header's macro says the kernel takes. */
function scratchCheck(macro: string, fn: string, scratchBytes: number | undefined): CallCheck[] {
  return scratchBytes === undefined ? [] : [{ expr: `${macro} <= ${scratchBytes}`, what: `scratch of ${fn}` }];
}

/**
 * The multiply loops of a call on DSP for rows of whole words (`depth` a multiple of 4, 16 or more, with a bias):
 * three pixels per pass (EENN_CONV_S8_THREE_PIXELS, up to CONV_S8_THREE_PIXELS_MOST values), the
 * one or two pixels left by the C loops; the others, and the tiles of eenn_conv2d_s8_units (pairs of pixels), the
 * two-pixel loop (EENN_CONV_S8_TWO_PIXELS). A model whose every such layer takes three pixels links no two-pixel
 * loop.
 */
function pixelsPerPass(kernel: string, args: CallArgs, depth: number): string[] {
  if (args.isNull('scratch') || args.isNull('bias') || depth < PAIR_CHUNK_S8 || depth % 4 !== 0) return [];
  const three = takesThreePixels(depth);
  const tiles = args.call.fn !== kernel;
  return [...(three ? ['EENN_CONV_S8_THREE_PIXELS'] : []), ...(!three || tiles ? ['EENN_CONV_S8_TWO_PIXELS'] : [])];
}

/** Values one output of an eenn_conv2d_s8 call sums. */
function convDepth(args: CallArgs): number {
  return ((args.int('in_c') ?? 0) / (args.int('groups') ?? 1)) * (args.int('kernel_h') ?? 1) * (args.int('kernel_w') ?? 1);
}

/** Output pixels of a unit of eenn_conv2d_s8_units (EENN_CONV_S8_UNIT_PIXELS): the pairs the multiply loops take. */
const CONV_S8_UNIT_PIXELS = 2;

/**
 * Units (pairs of pixels) of a tile of a layer of fewer than 16 values per output: 8 pixels, each tile a run of its
 * own (its input rows copied, each channel set up once) or EENN_CONV_S8_TILE on DSP with dilation_w > 1.
 */
const CONV_S8_FEW_VALUES_UNITS = 4;

/**
 * Most multiply-accumulates of one unit of an eenn_conv2d_s8 tile (a pair of pixels of a block of channels): at
 * most ~72,000 instructions on Cortex-M4 with the columns' gathering (over the border, ~21,000 for a pair of 576
 * values). ResNet-8's 64 -> 64 3x3 layer: a pair in two blocks of 32, its columns gathered twice; in three blocks
 * each pair cost a third gathering and a third task (+29% over the whole call at a 100,000 budget, +16% in two).
 */
const CONV_S8_UNIT_MACS = 40960;

/**
 * Output channels of each block of an eenn_conv2d_s8 tile (per group): all of them when a pair of pixels of every
 * channel is at most CONV_S8_UNIT_MACS, else the fewest blocks within it, of even counts as equal as they come (96
 * channels of 576 values: 32, 32 and 32, not 34, 34 and 28): the planner takes every unit for the same work.
 */
export function convS8BlockChannels(groupOut: number, depth: number): number {
  const perChannel = CONV_S8_UNIT_PIXELS * depth;
  if (groupOut * perChannel <= CONV_S8_UNIT_MACS) return groupOut;
  const most = Math.max(2, Math.floor(CONV_S8_UNIT_MACS / perChannel / 2) * 2);
  const blocks = Math.ceil(groupOut / most);
  return Math.min(groupOut, most, Math.ceil(groupOut / blocks / 2) * 2);
}

/**
 * The `bounded` argument of a tile: the layer's eenn_requantize_bounded_ok_s8 as the compiler finds it (1 or 0), so
 * that no tile tests every channel again (640 instructions a tile of 64 channels), or -1 (the kernel tests it)
 * when an argument is not a constant.
 */
function boundedArg(args: CallArgs, channels: number, depth: number): number {
  const bounded = boundedOk(args, channels, depth);
  return bounded === undefined ? -1 : bounded ? 1 : 0;
}

/** Output channels of each group of an eenn_conv2d_s8 call, and of its tiles' blocks. */
function convBlocks(args: CallArgs): { groupOut: number; block: number } {
  const groupOut = intOf(args, 'out_c') / (args.int('groups') ?? 1);
  return { groupOut, block: convS8BlockChannels(groupOut, convDepth(args)) };
}

/**
 * Tiles of eenn_conv2d_s8 along its output pixels (axis 'rows', row-major: row r is pixels [r * out_w,
 * (r + 1) * out_w)), in pairs of pixels (the multiply loops take two: a lone pixel costs 1.9x its share), a pair
 * cut in blocks of output channels when a pair of every channel is too much for a unit (unit q * blocks + k: block
 * k of pair q): eenn_conv2d_s8_units computes a run of units of every group and image, each output as the whole
 * call computes it, on every path (the runs of first layers, im2col columns, the direct path without a scratch).
 * Pixels rather than channels: a channel tile gathers every im2col column again (here only a tile that starts or
 * ends inside a pair gathers that pair's columns again); but a pair of every channel of a deep layer can be more
 * than a window (ResNet-8's 8x8x64 3x3 convolution: 98k instructions a pair on Cortex-M4). First layers (fewer
 * than 16 values) take tiles of 8 pixels (CONV_S8_FEW_VALUES_UNITS). Without a scratch, a tile that cuts a row pays
 * each weight's setup once more for that row's run (tiles of 2 to 6 pixels cost 1.7x the whole call); the units do
 * not depend on the scratch, which a plan may give the call or not.
 */
const CONV_S8_UNITS: CallTiler = tiler(
  'rows',
  (args) => {
    const { groupOut, block } = convBlocks(args);
    return Math.ceil(groupOut / block) * Math.ceil((intOf(args, 'out_h') * intOf(args, 'out_w')) / CONV_S8_UNIT_PIXELS);
  },
  (args) => (convDepth(args) < PAIR_CHUNK_S8 ? CONV_S8_FEW_VALUES_UNITS : 1),
  (args, begin, end) => ({
    fn: 'eenn_conv2d_s8_units',
    append: [
      ['bounded', boundedArg(args, intOf(args, 'out_c'), convDepth(args))],
      ['block_channels', convBlocks(args).block],
      ['unit_begin', begin],
      ['unit_end', end],
    ],
  }),
);

/**
 * Tiles of eenn_conv2d_1x1_s8 as those of eenn_conv2d_s8 (its image is a matrix of `size` pixels; unit
 * q * blocks + k: the block k of output channels of the pair of pixels q, blocks of convS8BlockChannels(out_c,
 * in_c)): eenn_conv2d_1x1_s8_units computes a run of them in every image. Pairs, the pairs the DSP path gathers
 * (Helium gathers 4 pixels a pass: two units, a lone pair of a tile in a pass of its own), so that every tile runs
 * the whole call's code path; blocks for a wide layer (256 -> 256: 131k multiply-accumulates a pair).
 */
const CONV_1X1_S8_UNITS: CallTiler = tiler(
  'rows',
  (args) => {
    const outC = intOf(args, 'out_c');
    const block = convS8BlockChannels(outC, intOf(args, 'in_c'));
    return Math.ceil(outC / block) * Math.ceil(intOf(args, 'size') / CONV_S8_UNIT_PIXELS);
  },
  () => 1,
  (args, begin, end) => ({
    fn: 'eenn_conv2d_1x1_s8_units',
    append: [
      ['bounded', boundedArg(args, intOf(args, 'out_c'), intOf(args, 'in_c'))],
      ['block_channels', convS8BlockChannels(intOf(args, 'out_c'), intOf(args, 'in_c'))],
      ['unit_begin', begin],
      ['unit_end', end],
    ],
  }),
);

/**
 * The contract of a convolution kernel that gathers the im2col columns of `depthOf(args)` values per output pixel
 * into its scratch (`scratchMacro` of the header), or reads its input in place without one (EENN_CONV_S8_DIRECT),
 * with weight rows in the paired layout; `tileKernel`: the entry point of its tiles.
 */
function columnConv(
  kernel: string,
  tileKernel: string,
  scratchMacro: string,
  depthOf: (args: CallArgs) => number,
  rest: Pick<KernelContract, 'computes' | 'aliasing' | 'tiles' | 'tiler'>,
): KernelContract {
  return {
    kernels: [kernel, tileKernel],
    header: 'eenn_kernels_s8.h',
    scratchBytes: int8ConvScratchBytes,
    switches: CONV_S8_SWITCHES,
    ...rest,
    switchesOf(args) {
      const depth = depthOf(args);
      const few = !args.isNull('scratch') && depth < PAIR_CHUNK_S8 ? ['EENN_CONV_S8_FEW_VALUES'] : [];
      const unaligned = depth >= PAIR_CHUNK_S8 && depth % 4 !== 0 ? ['EENN_CONV_S8_UNALIGNED_ROWS'] : [];
      const kernelH = args.int('kernel_h');
      const kernelW = args.int('kernel_w');
      const is3x3 = kernel === 'eenn_conv2d_s8' && (kernelH === undefined || kernelW === undefined || (kernelH === 3 && kernelW === 3));
      return [...few, ...unaligned, ...(is3x3 ? ['EENN_CONV_S8_3X3'] : []), ...pixelsPerPass(kernel, args, depth), ...directSwitch(args), ...outputStageSwitches(args, args.int('out_c') ?? 0, depth, OUTPUT_STAGE)];
    },
    checksOf(args, scratchBytes) {
      const depth = depthOf(args);
      return [
        ...scratchCheck(`${scratchMacro}(${depth})`, kernel, scratchBytes),
        ...directChecks(args),
        ...pairedLayoutChecks(depth),
        ...outputStageChecks(args, args.int('out_c') ?? 0, depth, OUTPUT_STAGE.exact),
      ];
    },
  };
}

/** eenn_conv2d_s8: any groups, stride, dilation and padding. */
export const CONV_S8 = columnConv('eenn_conv2d_s8', 'eenn_conv2d_s8_units', 'EENN_CONV_S8_SCRATCH_BYTES', convDepth, {
  computes: (graph, node) => isQConv(graph, node) && !isInt8Depthwise(graph, node) && !isInt8Pointwise(graph, node),
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input or the scratch' },
  tiles: [
    windowRowsTile('every channel of the group'),
    { axis: 'channels', reads: "the whole input of the output channels' groups, and those channels' weight rows" },
  ],
  tiler: CONV_S8_UNITS,
});

/** eenn_conv2d_1x1_s8: a matrix product per image. */
export const CONV_1X1_S8 = columnConv(
  'eenn_conv2d_1x1_s8',
  'eenn_conv2d_1x1_s8_units',
  'EENN_CONV_1X1_S8_SCRATCH_BYTES',
  (args) => args.int('in_c') ?? 0,
  {
    computes: isInt8Pointwise,
    aliasing: { overlap: 'separate', rule: 'the output never overlaps the input (eenn_conv2d_1x1_in_place_s8 does)' },
    tiles: [PIXELS_TILE, { axis: 'channels', reads: "the whole input, and those channels' weight rows" }],
    tiler: CONV_1X1_S8_UNITS,
  },
);

/** eenn_conv2d_1x1_in_place_s8: eenn_conv2d_1x1_s8 written over its input, a few pixels at a time. */
export const CONV_1X1_IN_PLACE_S8: KernelContract = {
  kernels: ['eenn_conv2d_1x1_in_place_s8'],
  header: 'eenn_kernels_s8.h',
  computes: (graph, node) => int8PointwiseInPlaceScratch(graph, node) !== undefined,
  scratchBytes: (graph, node) => int8PointwiseInPlaceScratch(graph, node) ?? 0,
  aliasing: {
    overlap: 'same',
    rule: 'output pixel p reads input pixel p only: C_out <= C_in, and C_out == C_in for more than one image',
  },
  tiles: [PIXELS_TILE],
  switches: CONV_S8_SWITCHES,
  switchesOf: (args) => [
    ...(args.isNull('bias') || (args.int('in_c') ?? 0) < PAIR_CHUNK_S8 || (args.int('in_c') ?? 0) % 4 !== 0 ? [] : ['EENN_CONV_S8_TWO_PIXELS']),
    ...outputStageSwitches(args, args.int('out_c') ?? 0, args.int('in_c') ?? 0, OUTPUT_STAGE),
  ],
  checksOf(args, scratchBytes) {
    const [inC, outC] = [args.int('in_c') ?? 0, args.int('out_c') ?? 0];
    return [
      { expr: `EENN_CONV_1X1_IN_PLACE_S8_PIXELS == ${POINTWISE_S8_IN_PLACE_PIXELS}`, what: 'pixels eenn_conv2d_1x1_in_place_s8 gathers per pass' },
      ...scratchCheck(`EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES(${inC}, ${outC})`, 'eenn_conv2d_1x1_in_place_s8', scratchBytes),
      ...pairedLayoutChecks(inC),
      ...outputStageChecks(args, outC, inC, OUTPUT_STAGE.exact),
    ];
  },
};
