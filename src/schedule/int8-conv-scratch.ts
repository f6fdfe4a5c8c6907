// What the memory planner needs to know about the int8 convolution kernels: which kernel a QConv goes to (the
// depthwise one of eenn_depthwise_s8.c, or those of eenn_conv_s8.c), and the scratch eenn_conv2d_s8 and
// eenn_conv2d_1x1_s8 gather the im2col columns of output pixels into (EENN_CONV_S8_SCRATCH_BYTES,
// EENN_CONV_1X1_S8_SCRATCH_BYTES in eenn_kernels_s8.h). schedule.ts asks this for every step.

import { sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt, attrInts } from '../ops/attrs.js';

/**
 * True when `node` is a QConv the depthwise kernel computes: group = C_in > 1, one input channel per group,
 * 1-D or 2-D. The int8 lowering (codegen/lower/int8-depthwise.ts) uses the same test.
 */
export function isInt8Depthwise(graph: Graph, node: Node): boolean {
  if (node.domain !== INT8_DOMAIN || node.op !== 'QConv') return false;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const w = graph.tensors.get(node.inputs[1] ?? '');
  if (!x || !w || (x.shape.length !== 3 && x.shape.length !== 4) || w.shape.length !== x.shape.length) return false;
  const group = attrInt(node, 'group', 1);
  return group > 1 && group === x.shape[1] && w.shape[1] === 1;
}

/**
 * EENN_CONV_S8_SCRATCH_BYTES(depth): two columns of `depth` int16 values (eight below 16 values: the tiles of
 * first layers), each rounded up to 4 values.
 */
export function convS8ScratchBytes(depth: number): number {
  return (depth < 16 ? 16 : 4) * Math.ceil(depth / 4) * 4;
}

/** EENN_CONV_1X1_S8_SCRATCH_BYTES(inC): two columns of `inC` int16 values, each rounded up to 4 values. */
export function conv1x1S8ScratchBytes(inC: number): number {
  return 4 * Math.ceil(inC / 4) * 4;
}

/**
 * True when the int8 lowering computes `node` (a QConv) with eenn_conv2d_1x1_s8: one group, a 1x1 kernel, stride 1,
 * no padding (the test of src/codegen/lower/int8-conv.ts).
 */
export function isInt8Pointwise(node: Node): boolean {
  const ones = (name: string) => (attrInts(node, name) ?? []).every((v) => v === 1);
  return attrInt(node, 'group', 1) === 1 && ones('kernel_shape') && ones('strides')
    && (attrInts(node, 'pads') ?? []).every((p) => p === 0);
}

/**
 * Scratch bytes of an int8 QConv computed by eenn_conv2d_s8 or eenn_conv2d_1x1_s8 (1-D or 2-D, not depthwise:
 * that kernel has its own scratch), for its depth (C_in / group) * kernel values per output pixel; 0 for any
 * other node, and for a convolution with an empty output.
 */
export function int8ConvScratchBytes(graph: Graph, node: Node): number {
  if (node.domain !== INT8_DOMAIN || node.op !== 'QConv' || isInt8Depthwise(graph, node)) return 0;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const w = graph.tensors.get(node.inputs[1] ?? '');
  const y = graph.tensors.get(node.outputs[0] ?? '');
  if (!x || !w || !y || (x.shape.length !== 3 && x.shape.length !== 4) || w.shape.length !== x.shape.length) return 0;
  if (sizeOf(y.shape) === 0) return 0;
  const group = attrInt(node, 'group', 1);
  const depth = (x.shape[1]! / group) * sizeOf(w.shape.slice(2));
  if (depth <= 0) return 0;
  return isInt8Pointwise(node) && sizeOf(w.shape.slice(2)) === 1 ? conv1x1S8ScratchBytes(depth) : convS8ScratchBytes(depth);
}
