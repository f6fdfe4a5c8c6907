// Contract of the float 2-D and global pooling kernels (eenn_max_pool2d_f32, eenn_avg_pool2d_f32,
// eenn_global_max_pool_f32, eenn_global_avg_pool_f32): no scratch, separate output, and their channel tiles.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import type { CallArgs } from './call-args.js';
import { NOTHING_OPTIONAL, windowRowsTile, type CallTiler, type KernelContract } from './contract.js';
import { intOf, tiler, type TileEdit } from './tiles.js';

const POOL_OPS: ReadonlySet<string> = new Set(['MaxPool', 'AveragePool', 'GlobalMaxPool', 'GlobalAveragePool']);

/** True for a pooling node of float32 data with one or two spatial axes (3-D pooling has a kernel of its own). */
function isFloatPool(graph: Graph, node: Node): boolean {
  if (!isDefaultDomain(node) || !POOL_OPS.has(node.op)) return false;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  return x?.dtype === 'float32' && (x.shape.length === 3 || x.shape.length === 4 || node.op.startsWith('Global'));
}

/** Planes [begin, end) of a pooling call: input and output pointers moved on by whole planes. */
function planeEdit(args: CallArgs, begin: number, end: number): TileEdit {
  const global = args.call.fn.startsWith('eenn_global_');
  const inPlane = global ? intOf(args, 'size') : intOf(args, 'in_h') * intOf(args, 'in_w');
  const outPlane = global ? 1 : intOf(args, 'out_h') * intOf(args, 'out_w');
  return { advance: { input: begin * inPlane, output: begin * outPlane }, set: { channels: end - begin } };
}

/** Channel tiles of the float pools (their `channels` are batches * C planes), by pointer arithmetic. */
const POOL_F32_CHANNELS: CallTiler = tiler(
  'channels',
  (args) => intOf(args, 'channels'),
  () => 1,
  planeEdit,
);

export const POOL_F32: KernelContract = {
  kernels: ['eenn_max_pool2d_f32', 'eenn_avg_pool2d_f32', 'eenn_global_max_pool_f32', 'eenn_global_avg_pool_f32'],
  header: 'eenn_kernels_f32.h',
  computes: isFloatPool,
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input' },
  tiles: [windowRowsTile('the plane'), { axis: 'channels', reads: 'the same channel planes of the input' }],
  tiler: POOL_F32_CHANNELS,
  ...NOTHING_OPTIONAL,
};
