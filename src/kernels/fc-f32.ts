// Contract of the float fully connected kernel (eenn_fc_f32): the Gemm and MatMul layers of a constant weight
// matrix, weights interleaved in blocks of 4 output features (codegen/pack-weights.ts), no scratch, and its tiles
// of output features.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { NOTHING_OPTIONAL, type CallTiler, type KernelContract } from './contract.js';
import { intOf, tiler } from './tiles.js';

/** Output features eenn_fc_f32 computes together (the blocks of its packed weights). */
export const FC_F32_BLOCK = 4;

/** True for a float Gemm, or a MatMul by a constant matrix: the layers the float lowering gives eenn_fc_f32. */
function isFloatFullyConnected(graph: Graph, node: Node): boolean {
  if (!isDefaultDomain(node) || (node.op !== 'Gemm' && node.op !== 'MatMul')) return false;
  if (graph.tensors.get(node.inputs[0] ?? '')?.dtype !== 'float32') return false;
  const b = graph.tensors.get(node.inputs[1] ?? '');
  return node.op === 'Gemm' || (b?.data !== undefined && b.shape.length === 2);
}

/**
 * Tiles of output features of eenn_fc_f32, by pointer arithmetic: whole blocks of 4 features (a block's weights
 * are interleaved, and the features after the last block are summed another way), the last tile ending at the
 * last feature. One input row only: the output's row stride is out_features.
 */
const FC_F32_FEATURES: CallTiler = tiler(
  'channels',
  (args) => (intOf(args, 'rows') === 1 ? intOf(args, 'out_features') : undefined),
  () => FC_F32_BLOCK,
  (args, begin, end) => ({
    advance: { weights: begin * intOf(args, 'in_features'), bias: begin, output: begin },
    set: { out_features: end - begin },
  }),
);

export const FC_F32: KernelContract = {
  kernels: ['eenn_fc_f32'],
  header: 'eenn_kernels_f32.h',
  computes: isFloatFullyConnected,
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input' },
  tiles: [
    { axis: 'rows', reads: 'the same rows of the input' },
    { axis: 'channels', reads: "the whole input, and those output features' weights" },
  ],
  tiler: FC_F32_FEATURES,
  ...NOTHING_OPTIONAL,
};
