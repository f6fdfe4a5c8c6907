// Contract of the int8 depthwise convolution kernel (eenn_depthwise_conv2d_s8): which QConvs it computes, the
// ring of padded input rows it takes as scratch (EENN_DEPTHWISE_S8_SCRATCH_BYTES, a band of
// EENN_DEPTHWISE_S8_BAND output rows), when it may write over its own input, its 3x3 path, and its channel tiles.

import { sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInts } from '../ops/attrs.js';
import { windowRowsTile, type CallTiler, type KernelContract } from './contract.js';
import { isInt16Layer } from './int16.js';
import { depthwiseChannelTiler, intOf } from './tiles.js';
import { isDepthwiseConv } from './window.js';

/** Output rows eenn_depthwise_conv2d_s8 computes per pass over its scratch (EENN_DEPTHWISE_S8_BAND). */
export const DEPTHWISE_S8_BAND = 8;

/** True when `node` is a QConv the depthwise kernel computes (isDepthwiseConv: one input channel per group, 1-D or 2-D). */
export function isInt8Depthwise(graph: Graph, node: Node): boolean {
  return node.domain === INT8_DOMAIN && node.op === 'QConv' && isDepthwiseConv(graph, node) && !isInt16Layer(graph, node);
}

/** The last two entries of an axis attribute (1-D: [fill, value]), or fills when absent. */
function lastTwo(node: Node, name: string, rank: number, fill: number): [number, number] {
  const values = attrInts(node, name) ?? new Array<number>(rank).fill(fill);
  return rank === 2 ? [values[0] ?? fill, values[1] ?? fill] : [fill, values[0] ?? fill];
}

/** Round up to a multiple of 4. */
const up4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * EENN_DEPTHWISE_S8_SCRATCH_BYTES: the (min(out_h, band) - 1) * stride_h + (kernel_h - 1) * dilation_h + 1
 * padded input rows a band of output rows reads, each round4(round4(out_w) * stride_w + (kernel_w - 1) *
 * dilation_w + 4) bytes (EENN_DEPTHWISE_S8_ROW_BYTES); 0 for an empty output.
 */
export function depthwiseS8ScratchBytes(outH: number, outW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number): number {
  if (outH === 0 || outW === 0) return 0;
  const rowBytes = up4(up4(outW) * sW + (kW - 1) * dW + 4);
  return ((Math.min(outH, DEPTHWISE_S8_BAND) - 1) * sH + (kH - 1) * dH + 1) * rowBytes;
}

/**
 * Scratch bytes of eenn_depthwise_conv2d_s8 for `node` (depthwiseS8ScratchBytes of its window). The attributes
 * of the int8 dialect are explicit (no auto_pad).
 */
export function int8DepthwiseScratchBytes(graph: Graph, node: Node): number {
  const y = graph.tensors.get(node.outputs[0] ?? '');
  const w = graph.tensors.get(node.inputs[1] ?? '');
  if (!y || !w) return 0;
  const rank = y.shape.length - 2;
  const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
  const [kH, kW] = rank === 2 ? [kernel[0]!, kernel[1]!] : [1, kernel[0]!];
  const [sH, sW] = lastTwo(node, 'strides', rank, 1);
  const [dH, dW] = lastTwo(node, 'dilations', rank, 1);
  const outH = rank === 2 ? y.shape[2]! : 1;
  const outW = y.shape[y.shape.length - 1]!;
  return depthwiseS8ScratchBytes(outH, outW, kH, kW, sH, sW, dH, dW);
}

/**
 * The scratch of an int8 depthwise QConv written over its own input, when that is possible: one input channel
 * per output channel, stride 1, output shape = input shape (eenn_depthwise_conv2d_s8 then writes output row oy
 * only after copying input row oy into its scratch). Judged from shapes and attributes only; the planner also
 * requires the input to die at that step.
 */
export function int8DepthwiseInPlaceScratch(graph: Graph, node: Node): number | undefined {
  if (!isInt8Depthwise(graph, node)) return undefined;
  const x = graph.tensors.get(node.inputs[0] ?? '')!;
  const y = graph.tensors.get(node.outputs[0] ?? '');
  if (!y || x.data || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i]) || sizeOf(x.shape) === 0) return undefined;
  const strides = attrInts(node, 'strides');
  if (strides && strides.some((s) => s !== 1)) return undefined;
  return int8DepthwiseScratchBytes(graph, node);
}

/** Channel tiles of eenn_depthwise_conv2d_s8: whole input channels, with their requantization. */
const DEPTHWISE_S8_CHANNELS: CallTiler = depthwiseChannelTiler(
  (args) => intOf(args, 'kernel_h') * intOf(args, 'kernel_w'),
  ['output_multiplier', 'output_shift'],
);

export const DEPTHWISE_S8: KernelContract = {
  kernels: ['eenn_depthwise_conv2d_s8'],
  header: 'eenn_kernels_s8.h',
  computes: isInt8Depthwise,
  scratchBytes: int8DepthwiseScratchBytes,
  aliasing: {
    overlap: 'same',
    rule: 'the output may be the input itself when multiplier == 1, stride 1 and out_h/out_w == in_h/in_w (row oy is written after input row oy is in the scratch)',
  },
  tiles: [windowRowsTile('the channel'), { axis: 'channels', reads: 'input channel m / multiplier of each output channel m' }],
  tiler: DEPTHWISE_S8_CHANNELS,
  switches: [
    { macro: 'EENN_DEPTHWISE_S8_3X3', note: 'depthwise 3x3 convolutions' },
    { macro: 'EENN_DEPTHWISE_S8_3X3_WIDE', note: 'depthwise 3x3 convolutions at stride 1 of rows of a multiple of 8 pixels (4 with a clamp)' },
    { macro: 'EENN_DEPTHWISE_S8_3X3_CLAMP', note: 'depthwise 3x3 convolutions at stride 1 with a narrower clamp (a fused Relu)' },
    { macro: 'EENN_DEPTHWISE_S8_3X3_STRIDED', note: 'depthwise 3x3 convolutions at stride_w > 1, on DSP' },
  ],
  switchesOf: (args) => {
    if (args.int('kernel_h') !== 3 || args.int('kernel_w') !== 3 || args.int('dilation_w') !== 1) return [];
    const strideW = args.int('stride_w');
    if (strideW !== 1) return ['EENN_DEPTHWISE_S8_3X3', ...(strideW === undefined ? ['EENN_DEPTHWISE_S8_3X3_WIDE', 'EENN_DEPTHWISE_S8_3X3_CLAMP'] : []), 'EENN_DEPTHWISE_S8_3X3_STRIDED'];
    // The wide fused loops take rows of out_w pixels (even) or out_w - 1 (odd: the last row; the others go as out_w + 1
    // pixels in the overlapping loop).
    const outW = args.int('out_w');
    const actMin = args.int('act_min');
    const actMax = args.int('act_max');
    const clamp = actMin === undefined || actMax === undefined || actMin > -128 || actMax < 127;
    const fullRange = actMin === -128 && actMax === 127;
    const widths = outW === undefined ? [] : outW % 2 === 0 ? [outW] : [outW - 1];
    const wide = outW === undefined || widths.some((w) => w > 0 && (w % 8 === 0 || (!fullRange && w % 4 === 0)));
    return ['EENN_DEPTHWISE_S8_3X3', ...(wide ? ['EENN_DEPTHWISE_S8_3X3_WIDE'] : []), ...(clamp ? ['EENN_DEPTHWISE_S8_3X3_CLAMP'] : [])];
  },
  checksOf(args, scratchBytes) {
    const geometry = ['out_h', 'out_w', 'kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'dilation_h', 'dilation_w'].map((n) => args.int(n) ?? 0);
    return [
      { expr: `EENN_DEPTHWISE_S8_BAND == ${DEPTHWISE_S8_BAND}`, what: 'output rows eenn_depthwise_conv2d_s8 computes per pass' },
      ...(scratchBytes === undefined
        ? []
        : [{ expr: `EENN_DEPTHWISE_S8_SCRATCH_BYTES(${geometry.join(', ')}) <= ${scratchBytes}`, what: 'scratch of eenn_depthwise_conv2d_s8' }]),
    ];
  },
};
