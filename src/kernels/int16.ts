// Contracts of the kernels of int16 activations (templates/c/kernels/eenn_kernels_s16.h): the layers with an int16
// input or output (QConv of any group, QGemm), QRequantize, and max pooling of int16 tensors. Only the convolutions
// take a scratch (one window's column), none writes over its input; a convolution of one group and one image and a
// fully connected layer of one row split into tiles of output channels, the others always run whole.

import { isDefaultDomain, sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt } from '../ops/attrs.js';
import { NOTHING_OPTIONAL, PIXELS_TILE, windowRowsTile, type CallTiler, type KernelContract } from './contract.js';
import { POOL_S8_CHANNELS } from './pool-s8.js';
import { intOf, tiler } from './tiles.js';

/** True when an input or output activation of `node` (a constant aside) is int16. */
function touchesInt16(graph: Graph, node: Node): boolean {
  return [node.inputs[0], ...node.outputs].some((name) => {
    const t = graph.tensors.get(name ?? '');
    return t !== undefined && !t.data && t.dtype === 'int16';
  });
}

/**
 * True for a QConv or QGemm with an int16 input or output: the int16 kernels compute it (eenn_conv2d_s16,
 * eenn_conv2d_s16_s8, eenn_conv2d_s8_s16; eenn_fc_s16...), never the int8 ones.
 */
export function isInt16Layer(graph: Graph, node: Node): boolean {
  return node.domain === INT8_DOMAIN && (node.op === 'QConv' || node.op === 'QGemm') && touchesInt16(graph, node);
}

const SEPARATE = { overlap: 'separate', rule: 'the output never overlaps the input' } as const;

/** EENN_CONV_S16_SCRATCH_BYTES(depth): the int16 column of one output pixel's window. */
export function convS16ScratchBytes(depth: number): number {
  return 2 * depth;
}

/**
 * The scratch of an int16 QConv (isInt16Layer): the column of (C_in / group) * kernel values of one output pixel;
 * 0 for any other node and for an empty output.
 */
export function int16ConvScratchBytes(graph: Graph, node: Node): number {
  if (node.op !== 'QConv' || !isInt16Layer(graph, node)) return 0;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const w = graph.tensors.get(node.inputs[1] ?? '');
  const y = graph.tensors.get(node.outputs[0] ?? '');
  if (!x || !w || !y || sizeOf(y.shape) === 0 || w.shape.length !== x.shape.length) return 0;
  return convS16ScratchBytes((x.shape[1]! / attrInt(node, 'group', 1)) * sizeOf(w.shape.slice(2)));
}

/**
 * Tiles of output channels of an int16 convolution of one group and one image, by pointer arithmetic: each tile
 * is the same call over its channels' weight rows, biases, requantization and output planes.
 */
const CONV_S16_CHANNELS: CallTiler = tiler(
  'channels',
  (args) => (intOf(args, 'groups') === 1 && intOf(args, 'batches') === 1 ? intOf(args, 'out_c') : undefined),
  () => 1,
  (args, begin, end) => ({
    advance: {
      weights: begin * intOf(args, 'in_c') * intOf(args, 'kernel_h') * intOf(args, 'kernel_w'),
      bias: begin,
      output: begin * intOf(args, 'out_h') * intOf(args, 'out_w'),
      output_multiplier: begin,
      output_shift: begin,
    },
    set: { out_c: end - begin },
  }),
);

/** Tiles of output features of an int16 fully connected layer of one row, by pointer arithmetic. */
const FC_S16_FEATURES: CallTiler = tiler(
  'channels',
  (args) => (intOf(args, 'rows') === 1 ? intOf(args, 'out_features') : undefined),
  () => 1,
  (args, begin, end) => ({
    advance: { weights: begin * intOf(args, 'in_features'), bias: begin, output: begin, output_multiplier: begin, output_shift: begin },
    set: { out_features: end - begin },
  }),
);

/**
 * eenn_conv2d_s16, eenn_conv2d_s16_s8, eenn_conv2d_s8_s16: one loop nest, the window of each output pixel gathered
 * into the scratch (int16ConvScratchBytes) or, without one, read in place.
 */
export const CONV_S16: KernelContract = {
  kernels: ['eenn_conv2d_s16', 'eenn_conv2d_s16_s8', 'eenn_conv2d_s8_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => node.op === 'QConv' && isInt16Layer(graph, node),
  scratchBytes: int16ConvScratchBytes,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input or the scratch' },
  tiles: [
    windowRowsTile('every input channel of the group'),
    { axis: 'channels', reads: "the whole input of the output channels' groups, and those channels' weight rows" },
  ],
  tiler: CONV_S16_CHANNELS,
  switches: [],
  switchesOf: () => [],
  checksOf(args, scratchBytes) {
    const depth = ((args.int('in_c') ?? 0) / (args.int('groups') ?? 1)) * (args.int('kernel_h') ?? 1) * (args.int('kernel_w') ?? 1);
    return scratchBytes === undefined
      ? []
      : [{ expr: `EENN_CONV_S16_SCRATCH_BYTES(${depth}) <= ${scratchBytes}`, what: `scratch of ${args.call.fn}` }];
  },
};

/** eenn_fc_s16, eenn_fc_s16_s8, eenn_fc_s8_s16: weights [out_features, in_features] as ONNX stores them. */
export const FC_S16: KernelContract = {
  kernels: ['eenn_fc_s16', 'eenn_fc_s16_s8', 'eenn_fc_s8_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => node.op === 'QGemm' && isInt16Layer(graph, node),
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [
    { axis: 'rows', reads: 'the same rows of the input' },
    { axis: 'channels', reads: "the whole input, and those output features' weight rows" },
  ],
  tiler: FC_S16_FEATURES,
  ...NOTHING_OPTIONAL,
};

/** eenn_requantize_s8_s16, eenn_requantize_s16_s8, eenn_requantize_s16: element by element. */
export const REQUANTIZE_S16: KernelContract = {
  kernels: ['eenn_requantize_s8_s16', 'eenn_requantize_s16_s8', 'eenn_requantize_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (_graph, node) => node.domain === INT8_DOMAIN && node.op === 'QRequantize',
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [{ axis: 'rows', reads: 'the same elements of the input' }],
  ...NOTHING_OPTIONAL,
};

/** True for a MaxPool or GlobalMaxPool of an int16 tensor. */
function isInt16MaxPool(graph: Graph, node: Node, op: string): boolean {
  return isDefaultDomain(node) && node.op === op && graph.tensors.get(node.inputs[0] ?? '')?.dtype === 'int16';
}

/** eenn_max_pool2d_s16: MaxPool of int16 tensors, in tiles of channel planes as eenn_max_pool2d_s8. */
export const MAX_POOL_S16: KernelContract = {
  kernels: ['eenn_max_pool2d_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => isInt16MaxPool(graph, node, 'MaxPool'),
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [windowRowsTile('the plane'), { axis: 'channels', reads: 'the same channel planes of the input' }],
  tiler: POOL_S8_CHANNELS,
  ...NOTHING_OPTIONAL,
};

/** eenn_global_max_pool_s16: GlobalMaxPool of int16 tensors. */
export const GLOBAL_MAX_POOL_S16: KernelContract = {
  kernels: ['eenn_global_max_pool_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => isInt16MaxPool(graph, node, 'GlobalMaxPool'),
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [PIXELS_TILE],
  ...NOTHING_OPTIONAL,
};
