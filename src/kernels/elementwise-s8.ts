// Contract of the int8 element-wise kernels that may write over an input (eenn_elementwise_add_s8 / _sub_s8 /
// _mul_s8, eenn_lut_s8, eenn_softmax_s8): which int8 operators they compute, how their output overlaps, and their
// tiles: runs of elements (softmax: of rows) of the flattened output.

import type { Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import type { CallArgs } from './call-args.js';
import { NOTHING_OPTIONAL, type CallTiler, type KernelContract } from './contract.js';
import { binaryRunEdit, ELEMENT_GRANULE, flatBinaryElements } from './binary-runs.js';
import { intOf, tiler, type TileEdit } from './tiles.js';

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

/**
 * The 'rows' units of a call of the family: elements of the flattened output (a unit is a row of one element;
 * the binary kernels only without broadcasting), or rows of a softmax.
 */
function elementUnits(args: CallArgs): number | undefined {
  switch (args.call.fn) {
    case 'eenn_lut_s8':
      return intOf(args, 'size');
    case 'eenn_softmax_s8':
      return intOf(args, 'rows');
    default:
      return flatBinaryElements(args);
  }
}

/** Elements [begin, end) (softmax: rows) of a call: every pointer moved on, the count shrunk. */
function elementEdit(args: CallArgs, begin: number, end: number): TileEdit {
  switch (args.call.fn) {
    case 'eenn_lut_s8':
      return { advance: { input: begin, output: begin }, set: { size: end - begin } };
    case 'eenn_softmax_s8': {
      const rowSize = intOf(args, 'row_size');
      return { advance: { input: begin * rowSize, output: begin * rowSize }, set: { rows: end - begin } };
    }
    default:
      return binaryRunEdit(begin, end);
  }
}

const ELEMENTWISE_S8_RUNS: CallTiler = tiler('rows', elementUnits, (args) => (args.call.fn === 'eenn_softmax_s8' ? 1 : ELEMENT_GRANULE), elementEdit);

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
  tiler: ELEMENTWISE_S8_RUNS,
  ...NOTHING_OPTIONAL,
};
