// Contract of the float binary element-wise kernels (eenn_add_f32, eenn_sub_f32, eenn_mul_f32, eenn_div_f32,
// eenn_pow_f32, eenn_max_f32, eenn_min_f32, eenn_prelu_f32, eenn_mod_f32): which operators they compute, how
// their output overlaps, and their tiles: runs of elements when no operand is broadcast.

import { isDefaultDomain, type Node } from '../ir/graph.js';
import { binaryRunEdit, ELEMENT_GRANULE, flatBinaryElements } from './binary-runs.js';
import { NOTHING_OPTIONAL, type CallTiler, type KernelContract } from './contract.js';
import { tiler } from './tiles.js';

/** The operators lowered to the binary kernels (variadic ones as a chain of them). */
const BINARY_OPS: ReadonlySet<string> = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Mod', 'Sum', 'Mean', 'Max', 'Min']);

/** Runs of elements of the flattened output (a unit of the 'rows' axis is one element), without broadcasting. */
const ELEMENTWISE_F32_RUNS: CallTiler = tiler(
  'rows',
  flatBinaryElements,
  () => ELEMENT_GRANULE,
  (_args, begin, end) => binaryRunEdit(begin, end),
);

export const ELEMENTWISE_F32: KernelContract = {
  kernels: [
    'eenn_add_f32',
    'eenn_sub_f32',
    'eenn_mul_f32',
    'eenn_div_f32',
    'eenn_pow_f32',
    'eenn_max_f32',
    'eenn_min_f32',
    'eenn_prelu_f32',
    'eenn_mod_f32',
  ],
  header: 'eenn_kernels_f32.h',
  computes: (_graph, node: Node) => isDefaultDomain(node) && BINARY_OPS.has(node.op),
  scratchBytes: () => 0,
  aliasing: { overlap: 'same', rule: "the output may be an operand that has the output's shape: element i is written after it is read" },
  tiles: [{ axis: 'rows', reads: 'the same elements of each operand (a broadcast operand: its own)' }],
  tiler: ELEMENTWISE_F32_RUNS,
  ...NOTHING_OPTIONAL,
};
