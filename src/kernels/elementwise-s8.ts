// Contract of the int8 element-wise kernels that may write over an input (eenn_elementwise_add_s8 / _sub_s8 /
// _mul_s8, eenn_lut_s8, eenn_softmax_s8): which int8 operators they compute and how their output overlaps.

import type { Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { NOTHING_OPTIONAL, type KernelContract } from './contract.js';

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

export const ELEMENTWISE_S8: KernelContract = {
  kernels: ['eenn_elementwise_add_s8', 'eenn_elementwise_sub_s8', 'eenn_elementwise_mul_s8', 'eenn_lut_s8', 'eenn_softmax_s8'],
  header: 'eenn_kernels_s8.h',
  computes: (_graph, node) => isInt8InPlaceOp(node),
  scratchBytes: () => 0,
  aliasing: {
    overlap: 'same',
    rule: 'the output may be an input of the same size: element i (a softmax row) is written after the input at i (the row) is read',
  },
  tiles: [
    { axis: 'rows', reads: 'the same elements of each input (softmax: whole rows)' },
    { axis: 'channels', reads: 'the same elements of each input' },
  ],
  ...NOTHING_OPTIONAL,
};
