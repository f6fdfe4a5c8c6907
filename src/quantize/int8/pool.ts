// int8 reference of QAveragePool and QSoftmax (src/ir/int8.ts).

import type { Graph, Node } from '../../ir/graph.js';
import { intsAttr } from '../../ir/int8.js';
import { clampS32, clampS8, roundingDivideS32 } from '../fixedpoint.js';
import { countOf, dimsOf, int8Value, intOf, tapRanges, tensorOfNode, window2d, zeroPointOf, type Int8Kernel } from './kernel.js';

/**
 * sum = the in-bounds x of the window (+ zpX for each padded tap when count_include_pad), count = the taps counted
 * (padded taps only inside the declared pads), y = clamp(roundingDivideS32(sum, count)); an empty window gives 0.
 */
export function prepareAveragePool(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const { inH, inW, outH, outW, kH, kW, sH, sW, padTop, padLeft, padBottom, padRight } = window2d(node, x, y);
  const includePad = intOf(node, 'count_include_pad') !== 0;
  const actMin = intOf(node, 'act_min');
  const actMax = intOf(node, 'act_max');
  const zpX = zeroPointOf(x);
  const [batch, channels] = dimsOf(x) as [number, number];
  const planes = batch * channels;
  const outDims = dimsOf(y);
  const rowsIn = tapRanges(outH, sH, padTop, kH, 1, 0, inH);
  const colsIn = tapRanges(outW, sW, padLeft, kW, 1, 0, inW);
  const rowsPadded = tapRanges(outH, sH, padTop, kH, 1, -padTop, inH + padBottom);
  const colsPadded = tapRanges(outW, sW, padLeft, kW, 1, -padLeft, inW + padRight);
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(countOf(outDims));
    let at = 0;
    for (let p = 0; p < planes; p++) {
      const plane = p * inH * inW;
      for (let oy = 0; oy < outH; oy++) {
        const ky0 = rowsIn[2 * oy]!;
        const ky1 = rowsIn[2 * oy + 1]!;
        const rowOrigin = plane + (oy * sH - padTop) * inW - padLeft;
        for (let ox = 0; ox < outW; ox++) {
          const kx0 = colsIn[2 * ox]!;
          const kx1 = colsIn[2 * ox + 1]!;
          let sum = 0;
          for (let ky = ky0; ky < ky1; ky++) {
            const row = rowOrigin + ky * inW + ox * sW;
            for (let kx = kx0; kx < kx1; kx++) sum += xs[row + kx]!;
          }
          let count = (ky1 - ky0) * (kx1 - kx0);
          if (includePad) {
            const padded = (rowsPadded[2 * oy + 1]! - rowsPadded[2 * oy]!) * (colsPadded[2 * ox + 1]! - colsPadded[2 * ox]!);
            sum += (padded - count) * zpX; // each padded tap holds a real 0
            count = padded;
          }
          out[at++] = clampS32(count > 0 ? roundingDivideS32(sum, count) : 0, actMin, actMax);
        }
      }
    }
    return [int8Value(outDims, out)];
  };
}

/**
 * Rows of shape[axis] contiguous values (axis is the last one, or followed only by axes of size 1):
 * sum = sum of table[max - x]; y = clamp((table[max - x] * 256 + floor(sum / 2)) / sum - 128), unsigned division.
 */
export function prepareSoftmax(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const table = Int32Array.from(intsAttr(node, 'table'));
  if (table.length !== 256) throw new Error(`internal: QSoftmax "${node.name}" has a table of ${table.length} entries`);
  const dims = dimsOf(x);
  const axisAttr = node.attrs['axis'];
  const axis = typeof axisAttr === 'number' ? (axisAttr < 0 ? axisAttr + dims.length : axisAttr) : dims.length - 1;
  if (dims.slice(axis + 1).some((d) => d !== 1)) {
    throw new Error(`internal: QSoftmax "${node.name}" along axis ${axis} of [${dims.join(', ')}] has rows that are not contiguous`);
  }
  const row = dims[axis] ?? 1;
  const outDims = dimsOf(y);
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(xs.length);
    for (let r = 0; r < xs.length; r += row) {
      let max = -128;
      for (let i = 0; i < row; i++) if (xs[r + i]! > max) max = xs[r + i]!;
      let sum = 0;
      for (let i = 0; i < row; i++) sum += table[max - xs[r + i]!]!;
      // Unsigned 32-bit arithmetic in C; the row length is bounded so that none of it wraps.
      const half = Math.floor(sum / 2);
      for (let i = 0; i < row; i++) out[r + i] = clampS8(Math.floor((table[max - xs[r + i]!]! * 256 + half) / sum) - 128);
    }
    return [int8Value(outDims, out)];
  };
}
