// Contracts of the int8 pooling kernels (eenn_max_pool2d_s8, eenn_avg_pool2d_s8): no scratch, and when a pooling
// step may write its output over the start of its input (checked output by output against the kernels' windows),
// and their channel tiles.

import { isDefaultDomain, sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt, attrInts } from '../ops/attrs.js';
import { forwardWindow } from '../ops/spatial.js';
import { NOTHING_OPTIONAL, windowRowsTile, type CallTiler, type KernelContract } from './contract.js';
import { intOf, tiler } from './tiles.js';

/** True for a pooling node the int8 pooling kernels compute: QAveragePool, MaxPool / GlobalMaxPool of int8 tensors. */
function isInt8Pool(graph: Graph, node: Node): boolean {
  if (node.domain === INT8_DOMAIN) return node.op === 'QAveragePool';
  if (!isDefaultDomain(node) || (node.op !== 'MaxPool' && node.op !== 'GlobalMaxPool')) return false;
  return graph.tensors.get(node.inputs[0] ?? '')?.dtype === 'int8';
}

/**
 * True when a pooling step on int8 data (MaxPool / GlobalMaxPool on int8 tensors, QAveragePool) may write its
 * output over the start of its input. The kernels compute output element j (in memory order) from its window
 * and only then write it, so this is safe when every window j reads no input element before index j: the
 * elements below j are the outputs already written. Checked output by output against the window rules of
 * eenn_max_pool2d_s8 / eenn_avg_pool2d_s8 (a window reads from its first in-bounds row and column).
 */
export function poolRunsInPlace(graph: Graph, node: Node): boolean {
  if (!isInt8Pool(graph, node) || node.outputs.filter((o) => o !== '').length !== 1) return false;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  const y = graph.tensors.get(node.outputs[0] ?? '');
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

const POOL_ALIASING = {
  overlap: 'start',
  rule: 'the output may start where the input starts when no window reads an input element below the output element it writes (poolRunsInPlace)',
} as const;

const POOL_TILES = [windowRowsTile('the plane'), { axis: 'channels', reads: 'the same channel planes of the input' }] as const;

/**
 * Channel tiles of the pooling kernels (their `channels` are batches * C planes), by pointer arithmetic on the
 * input and output planes (eenn_max_pool2d_s16 takes the same arguments: src/kernels/int16.ts).
 */
export const POOL_S8_CHANNELS: CallTiler = tiler(
  'channels',
  (args) => intOf(args, 'channels'),
  () => 1,
  (args, begin, end) => ({
    advance: { input: begin * intOf(args, 'in_h') * intOf(args, 'in_w'), output: begin * intOf(args, 'out_h') * intOf(args, 'out_w') },
    set: { channels: end - begin },
  }),
);

export const MAX_POOL_S8: KernelContract = {
  kernels: ['eenn_max_pool2d_s8'],
  header: 'eenn_kernels_s8.h',
  computes: (graph, node) => isInt8Pool(graph, node) && node.op !== 'QAveragePool',
  scratchBytes: () => 0,
  aliasing: POOL_ALIASING,
  tiles: POOL_TILES,
  tiler: POOL_S8_CHANNELS,
  ...NOTHING_OPTIONAL,
};

export const AVG_POOL_S8: KernelContract = {
  ...MAX_POOL_S8,
  kernels: ['eenn_avg_pool2d_s8'],
  computes: (graph, node) => isInt8Pool(graph, node) && node.op === 'QAveragePool',
};
