// What the memory planner needs to know about the int8 kernels (src/ir/int8.ts dialect): the scratch rows of the
// depthwise kernel, which int8 steps may write over their input, and when a pooling kernel may run in place.
// schedule.ts and memory-plan.ts ask these; the rules mirror templates/c/kernels/eenn_*_s8.c.

import { sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt, attrInts } from '../ops/attrs.js';
import { forwardWindow } from '../ops/spatial.js';
import { convS8ScratchBytes, isInt8Depthwise } from './int8-conv-scratch.js';

/**
 * int8 operators whose kernels may write their output over an input of the same size: QAdd/QMul (each output
 * element from the input elements at its own index), QLut (one table lookup per element) and QSoftmax (each row
 * is read whole before any of it is written).
 */
export const INT8_IN_PLACE_OPS: ReadonlySet<string> = new Set(['QAdd', 'QMul', 'QLut', 'QSoftmax']);

/** True for an element-wise int8 step that may write over one of its inputs (INT8_IN_PLACE_OPS). */
export function isInt8InPlaceOp(node: Node): boolean {
  return node.domain === INT8_DOMAIN && INT8_IN_PLACE_OPS.has(node.op);
}

function tensorOf(graph: Graph, name: string | undefined): Tensor | undefined {
  return name ? graph.tensors.get(name) : undefined;
}

/** The last two entries of an axis attribute (1-D: [fill, value]), or fills when absent. */
function lastTwo(node: Node, name: string, rank: number, fill: number): [number, number] {
  const values = attrInts(node, name) ?? new Array<number>(rank).fill(fill);
  return rank === 2 ? [values[0] ?? fill, values[1] ?? fill] : [fill, values[0] ?? fill];
}

/** Round up to a multiple of 4. */
const up4 = (n: number) => Math.ceil(n / 4) * 4;

/** Output rows eenn_depthwise_conv2d_s8 computes per pass over its scratch (EENN_DEPTHWISE_S8_BAND). */
export const DEPTHWISE_S8_BAND = 8;

/**
 * Scratch bytes of eenn_depthwise_conv2d_s8 for `node` (EENN_DEPTHWISE_S8_SCRATCH_BYTES in eenn_kernels_s8.h):
 * the (min(out_h, band) - 1) * stride_h + (kernel_h - 1) * dilation_h + 1 padded input rows a band of output rows
 * reads, each round4(round4(out_w) * stride_w + (kernel_w - 1) * dilation_w + 4) bytes. The attributes of the
 * int8 dialect are explicit (no auto_pad).
 */
export function int8DepthwiseScratchBytes(graph: Graph, node: Node): number {
  const y = tensorOf(graph, node.outputs[0]);
  const w = tensorOf(graph, node.inputs[1]);
  if (!y || !w) return 0;
  const rank = y.shape.length - 2;
  const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
  const [kH, kW] = rank === 2 ? [kernel[0]!, kernel[1]!] : [1, kernel[0]!];
  const [sH, sW] = lastTwo(node, 'strides', rank, 1);
  const [dH, dW] = lastTwo(node, 'dilations', rank, 1);
  const outH = rank === 2 ? y.shape[2]! : 1;
  const outW = y.shape[y.shape.length - 1]!;
  if (outH === 0 || outW === 0) return 0;
  const rowBytes = up4(up4(outW) * sW + (kW - 1) * dW + 4);
  return ((Math.min(outH, DEPTHWISE_S8_BAND) - 1) * sH + (kH - 1) * dH + 1) * rowBytes;
}

/**
 * The scratch of an int8 depthwise QConv written over its own input, when that is possible: one input channel
 * per output channel, stride 1, output shape = input shape (eenn_depthwise_conv2d_s8 then writes output row oy
 * only after copying input row oy into its scratch). Judged from shapes and attributes only; the planner also
 * requires the input to die at that step.
 */
export function int8DepthwiseInPlaceScratch(graph: Graph, node: Node): number | undefined {
  if (!isInt8Depthwise(graph, node)) return undefined;
  const x = tensorOf(graph, node.inputs[0])!;
  const y = tensorOf(graph, node.outputs[0]);
  if (!y || x.data || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i]) || sizeOf(x.shape) === 0) return undefined;
  const strides = attrInts(node, 'strides');
  if (strides && strides.some((s) => s !== 1)) return undefined;
  return int8DepthwiseScratchBytes(graph, node);
}

/** Pixels eenn_conv2d_1x1_in_place_s8 gathers per pass (EENN_CONV_1X1_IN_PLACE_S8_PIXELS). */
export const POINTWISE_S8_IN_PLACE_PIXELS = 8;

/**
 * The scratch of an int8 1x1 QConv written over its own input, when that is possible: one group, stride 1, no
 * padding, C_out <= C_in, one image (or C_out = C_in). eenn_conv2d_1x1_in_place_s8 gathers a few pixels of every
 * input channel into the scratch, computes their outputs there and writes them back over those same pixels, so
 * the scratch holds (C_in + C_out) values per pixel, then the 1x1 kernel's own scratch (int8-conv-scratch.ts).
 * The planner also requires the input to die at that step.
 */
export function int8PointwiseInPlaceScratch(graph: Graph, node: Node): number | undefined {
  if (node.domain !== INT8_DOMAIN || node.op !== 'QConv' || attrInt(node, 'group', 1) !== 1) return undefined;
  const x = tensorOf(graph, node.inputs[0]);
  const w = tensorOf(graph, node.inputs[1]);
  const y = tensorOf(graph, node.outputs[0]);
  if (!x || !w || !y || x.data || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  if ((x.shape.length !== 3 && x.shape.length !== 4) || y.shape.length !== x.shape.length) return undefined;
  if (w.shape.slice(2).some((k) => k !== 1)) return undefined;
  const attrsOne = (name: string) => (attrInts(node, name) ?? []).every((v) => v === 1);
  if (!attrsOne('strides') || !(attrInts(node, 'pads') ?? []).every((p) => p === 0)) return undefined;
  const [n, cIn] = [x.shape[0]!, x.shape[1]!];
  const cOut = y.shape[1]!;
  if (x.shape.slice(2).some((d, i) => d !== y.shape[i + 2]) || y.shape[0] !== n || sizeOf(x.shape) === 0) return undefined;
  if (cOut > cIn || (n > 1 && cOut !== cIn)) return undefined;
  return (cIn + cOut) * POINTWISE_S8_IN_PLACE_PIXELS + convS8ScratchBytes(cIn);
}

/**
 * True when a pooling step on int8 data (MaxPool / GlobalMaxPool on int8 tensors, QAveragePool) may write its
 * output over the start of its input. The kernels compute output element j (in memory order) from its window
 * and only then write it, so this is safe when every window j reads no input element before index j: the
 * elements below j are the outputs already written. Checked output by output against the window rules of
 * eenn_max_pool2d_s8 / eenn_avg_pool2d_s8 (a window reads from its first in-bounds row and column).
 */
export function poolRunsInPlace(graph: Graph, node: Node): boolean {
  const isInt8Pool = node.domain === INT8_DOMAIN ? node.op === 'QAveragePool'
    : (node.domain === '' || node.domain === 'ai.onnx') && (node.op === 'MaxPool' || node.op === 'GlobalMaxPool');
  if (!isInt8Pool || node.outputs.filter((o) => o !== '').length !== 1) return false;
  const x = tensorOf(graph, node.inputs[0]);
  const y = tensorOf(graph, node.outputs[0]);
  if (!x || !y || x.data || x.dtype !== 'int8' || y.dtype !== 'int8') return false;
  if (x.shape.length < 3 || x.shape.length > 4 || y.shape.length !== x.shape.length) return false;
  if (sizeOf(y.shape) > sizeOf(x.shape) || sizeOf(y.shape) === 0) return false;
  const planes = x.shape[0]! * x.shape[1]!;
  if (y.shape[0]! * y.shape[1]! !== planes) return false;
  if (node.op === 'GlobalMaxPool') return true; // output c reads input [c * size, (c + 1) * size), size >= 1
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) return false;
  let geometry;
  try {
    geometry = forwardWindow(node, x.shape.slice(2), kernel, { ceilMode: attrInt(node, 'ceil_mode', 0) !== 0 });
  } catch {
    return false;
  }
  const two = x.shape.length === 4;
  const pick = (values: number[], fill: number): [number, number] => (two ? [values[0]!, values[1]!] : [fill, values[0]!]);
  const [inH, inW] = pick(geometry.inputSize, 1);
  const [outH, outW] = pick(geometry.outputSize, 1);
  if (outH * outW * planes !== sizeOf(y.shape)) return false;
  const [sH, sW] = pick(geometry.strides, 1);
  const [dH, dW] = pick(geometry.dilations, 1);
  const [kH, kW] = pick(geometry.kernel, 1);
  const [padTop, padLeft] = pick(geometry.padsBegin, 0);
  // First in-bounds row (column) of each output row (column), or undefined when the window has none.
  const firstIn = (origin: number, size: number, k: number, d: number): number | undefined => {
    const first = origin < 0 ? Math.ceil(-origin / d) : 0;
    const at = origin + first * d;
    return first < k && at < size ? at : undefined;
  };
  const rows = Array.from({ length: outH }, (_, oy) => firstIn(oy * sH - padTop, inH, kH, dH));
  const cols = Array.from({ length: outW }, (_, ox) => firstIn(ox * sW - padLeft, inW, kW, dW));
  for (let c = 0; c < planes; c++) {
    for (let oy = 0; oy < outH; oy++) {
      const row = rows[oy];
      if (row === undefined) continue;
      for (let ox = 0; ox < outW; ox++) {
        const col = cols[ox];
        if (col === undefined) continue;
        const j = (c * outH + oy) * outW + ox;
        if ((c * inH + row) * inW + col < j) return false;
      }
    }
  }
  return true;
}
