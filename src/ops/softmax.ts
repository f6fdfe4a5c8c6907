// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is read as a 2-D matrix [N, D] split
// at `axis` (default 1) and normalized over each row of D; from opset 13 the operator runs along one
// axis (default -1). MACs: one per element (the exponentials).

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Node } from '../ir/graph.js';
import { attrInt } from './attrs.js';
import { perOutputElement } from './pointwise.js';
import { checkType, newValue, requireInput } from './operands.js';
import type { OpDef } from './types.js';

const LATEST = 21;

/** The input seen as [outer, length, inner] with the normalization running over `length`. */
interface Rows {
  outer: number;
  length: number;
  inner: number;
}

function rowsOf(node: Node, shape: readonly number[], opset: number): Rows {
  const rank = shape.length;
  const raw = attrInt(node, 'axis', opset < 13 ? 1 : -1);
  const axis = raw < 0 ? raw + rank : raw;
  // Opset < 13 accepts axis == rank (an empty trailing block); a rank-0 input is one row of one element.
  const limit = opset < 13 ? rank : rank - 1;
  if (rank > 0 && (axis < 0 || axis > limit)) {
    throw nodeError('E_SHAPE', node, `axis ${raw} is out of range for a tensor of rank ${rank}`);
  }
  if (rank === 0) return { outer: 1, length: 1, inner: 1 };
  if (opset < 13) return { outer: sizeOf(shape.slice(0, axis)), length: sizeOf(shape.slice(axis)), inner: 1 };
  return { outer: sizeOf(shape.slice(0, axis)), length: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

type RowKind = 'softmax' | 'logsoftmax' | 'hardmax';

/**
 * Normalizes one row read at x[base + k * stride]. Subtracting the row maximum before exp keeps
 * large inputs finite, as onnxruntime does; sums run in float64.
 */
function normalizeRow(kind: RowKind, x: ArrayLike<number>, y: { [i: number]: number }, base: number, length: number, stride: number): void {
  let max = -Infinity;
  let argmax = 0;
  for (let k = 0; k < length; k++) {
    const v = x[base + k * stride]!;
    if (v > max) {
      max = v;
      argmax = k;
    }
  }
  if (kind === 'hardmax') {
    for (let k = 0; k < length; k++) y[base + k * stride] = k === argmax ? 1 : 0;
    return;
  }
  let sum = 0;
  for (let k = 0; k < length; k++) sum += Math.exp(x[base + k * stride]! - max);
  if (kind === 'softmax') {
    for (let k = 0; k < length; k++) y[base + k * stride] = Math.exp(x[base + k * stride]! - max) / sum;
  } else {
    const logSum = Math.log(sum);
    for (let k = 0; k < length; k++) y[base + k * stride] = x[base + k * stride]! - max - logSum;
  }
}

function normalizer(op: string, kind: RowKind): OpDef {
  return {
    op,
    opsets: [1, LATEST],
    // The kernels read a whole row before they write it.
    inPlace: true,
    inferShapes(node, inputs, opset) {
      const x = requireInput(node, inputs, 0);
      checkType(node, x.dtype, ['float32', 'float64']);
      rowsOf(node, x.shape, opset);
      return [{ shape: [...x.shape], dtype: x.dtype }];
    },
    evaluate(node, inputs, opset) {
      const x = requireInput(node, inputs, 0);
      const { outer, length, inner } = rowsOf(node, x.shape, opset);
      const y = newValue(x.dtype, x.shape);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) normalizeRow(kind, x.data, y.data, o * length * inner + i, length, inner);
      }
      return [y];
    },
    macs: perOutputElement,
  };
}

export const ops: OpDef[] = [normalizer('Softmax', 'softmax'), normalizer('LogSoftmax', 'logsoftmax'), normalizer('Hardmax', 'hardmax')];
