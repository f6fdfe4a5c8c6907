// Matrices by their diagonals: Trilu (keep the upper or lower triangle of the last two axes, zero the rest) and
// EyeLike (ones on one diagonal of a 2-D tensor's shape, fold-only: its value depends on the input's shape alone).
// Diagonal k: the elements whose column minus row is k. Shapes pass through; values are copies (exact). MACs: none.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { attrInt } from './attrs.js';
import { formatShape } from './broadcast.js';
import { noMacs } from './movement.js';
import { checkType, dtypeOfOnnxCode, newValue, requireInput, ALL_TYPES, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef, OutputInfo } from './types.js';

const LATEST = 21;

/** The rows and columns of the matrices of a Trilu input (its last two axes), and how many matrices it holds. */
export function triluMatrices(node: Node, shape: readonly number[]): { batches: number; rows: number; cols: number } {
  if (shape.length < 2) throw nodeError('E_SHAPE', node, `input must have rank 2 or more, got shape ${formatShape(shape)}`);
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  return { batches: shape.slice(0, -2).reduce((a, b) => a * b, 1), rows, cols };
}

/** Trilu's diagonal k (input 1, a scalar; 0 when absent), undefined when it is computed at run time. */
export function triluDiagonal(node: Node, k: Pick<InputInfo, 'data' | 'shape'> | undefined): number | undefined {
  if (!k) return 0;
  if (k.shape.some((d) => d !== 1)) throw nodeError('E_SHAPE', node, `k must be a scalar, got shape ${formatShape(k.shape)}`);
  return k.data ? Number(k.data[0]) : undefined;
}

/** True when Trilu keeps the element at (row, col): on or above diagonal k (upper), on or below it (lower). */
export function triluKeeps(upper: boolean, k: number, row: number, col: number): boolean {
  return upper ? col - row >= k : col - row <= k;
}

const trilu: OpDef = {
  op: 'Trilu',
  opsets: [14, LATEST],
  inferShapes(node, inputs) {
    const x = requireInput(node, inputs, 0);
    checkType(node, x.dtype, ALL_TYPES);
    triluMatrices(node, x.shape);
    const k = inputs[1];
    if (k) checkType(node, k.dtype, ['int64'], 'k');
    triluDiagonal(node, k);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const { batches, rows, cols } = triluMatrices(node, x.shape);
    const k = triluDiagonal(node, inputs[1]) ?? 0;
    const upper = attrInt(node, 'upper', 1) !== 0;
    const y = newValue(x.dtype, x.shape);
    for (let b = 0, i = 0; b < batches; b++) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++, i++) if (triluKeeps(upper, k, r, c)) y.data[i] = x.data[i]!;
      }
    }
    return [y];
  },
  macs: noMacs,
};

/** EyeLike's output: the input's 2-D shape, of the type `dtype` names (the input's when absent). */
function eyeLikeOutput(node: Node, x: Pick<InputInfo, 'shape' | 'dtype'>): OutputInfo {
  if (x.shape.length !== 2) throw nodeError('E_SHAPE', node, `input must be 2-D, got shape ${formatShape(x.shape)}`);
  const code = attrInt(node, 'dtype');
  const dtype = code === undefined ? x.dtype : dtypeOfOnnxCode(node, code);
  checkType(node, dtype, [...NUMERIC_TYPES, 'bool'], 'output');
  return { shape: [...x.shape], dtype };
}

const eyeLike: OpDef = {
  op: 'EyeLike',
  opsets: [9, LATEST],
  foldOnly: true,
  inferShapes(node, inputs) {
    return [eyeLikeOutput(node, requireInput(node, inputs, 0))];
  },
  evaluate(node, inputs) {
    const out = eyeLikeOutput(node, requireInput(node, inputs, 0));
    const [rows, cols] = out.shape as [number, number];
    const k = attrInt(node, 'k', 0);
    const y = newValue(out.dtype, out.shape);
    for (let r = 0; r < rows; r++) {
      const c = r + k;
      if (c >= 0 && c < cols) y.data[r * cols + c] = 1;
    }
    return [y];
  },
  macs: noMacs,
};

export const ops: OpDef[] = [trilu, eyeLike];
