// Runs of elements of the binary kernels' index space (EENN_BINARY_PARAMS_S8 / EENN_BINARY_PARAMS_F32: output
// [d0, d1, d2, d3] contiguous, each operand read through its own strides): when both operands are read in the
// output's order (no broadcasting), a tile is a run of elements, each pointer moved on by the run's start.

import type { CallArgs } from './call-args.js';
import type { TileEdit } from './tiles.js';
import { intOf, sameTensor } from './tiles.js';

/** The four axes of the binary kernels' index space. */
const AXES = [0, 1, 2, 3] as const;

/** Elements of a tile of an element-wise call: a multiple of 4, so that each tile's runs start word-aligned. */
export const ELEMENT_GRANULE = 4;

/**
 * The elements of a binary call when both operands are read contiguously in the output's order (each has the
 * output's shape: no broadcasting), else undefined. An axis of one element may have any stride. Undefined too for
 * a call written over an operand tensor (a variadic operator's chain): a tile run again would read its own output.
 */
export function flatBinaryElements(args: CallArgs): number | undefined {
  if (sameTensor(args.call, 'a', 'output') || sameTensor(args.call, 'b', 'output')) return undefined;
  const dims = AXES.map((k) => intOf(args, `d${k}`));
  let expected = 1;
  for (let k = 3; k >= 0; k--) {
    const d = dims[k]!;
    if (d !== 1 && (intOf(args, `a_s${k}`) !== expected || intOf(args, `b_s${k}`) !== expected)) return undefined;
    expected *= d;
  }
  return expected;
}

/** Elements [begin, end) of a binary call read contiguously: a one-axis index space, each pointer moved on. */
export function binaryRunEdit(begin: number, end: number): TileEdit {
  return {
    advance: { a: begin, b: begin, output: begin },
    set: { d0: 1, d1: 1, d2: 1, d3: end - begin, a_s3: 1, b_s3: 1 },
  };
}
