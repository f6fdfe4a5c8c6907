// CumSum: the running sum along one axis (input 1, a scalar int32 or int64, negative counts from the end), inclusive
// or `exclusive` (each sum leaves out its own element), forward or `reverse`. The shape passes through. Float32
// sums accumulate in float32, one rounding per addition in axis order, as onnxruntime's loop does; float64 and
// integer sums are exact in a double up to 2^53. MACs: one addition per element.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { attrInt, normalizeAxis } from './attrs.js';
import { formatShape } from './broadcast.js';
import { perOutputElement } from './pointwise.js';
import { checkType, newValue, requireInput, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef } from './types.js';

const LATEST = 21;

/** The axis of a CumSum (normalized against `rank`), undefined when it is computed at run time. */
export function cumSumAxis(node: Node, axis: Pick<InputInfo, 'data' | 'shape'>, rank: number): number | undefined {
  if (axis.shape.some((d) => d !== 1)) throw nodeError('E_SHAPE', node, `axis must be a scalar, got shape ${formatShape(axis.shape)}`);
  return axis.data ? normalizeAxis(node, Number(axis.data[0]), rank) : undefined;
}

/** The tensor as [outer, length, inner] around `axis`: the sums run along `length`, `inner` elements apart. */
export function cumSumSpace(shape: readonly number[], axis: number): { outer: number; length: number; inner: number } {
  const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  return { outer: product(shape.slice(0, axis)), length: shape[axis]!, inner: product(shape.slice(axis + 1)) };
}

const cumSum: OpDef = {
  op: 'CumSum',
  opsets: [11, LATEST],
  inferShapes(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const axis = requireInput(node, inputs, 1);
    checkType(node, x.dtype, NUMERIC_TYPES);
    checkType(node, axis.dtype, ['int32', 'int64'], 'axis');
    if (x.shape.length === 0) throw nodeError('E_SHAPE', node, 'input must have rank 1 or more');
    cumSumAxis(node, axis, x.shape.length);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const axis = cumSumAxis(node, requireInput(node, inputs, 1), x.shape.length)!;
    const exclusive = attrInt(node, 'exclusive', 0) !== 0;
    const reverse = attrInt(node, 'reverse', 0) !== 0;
    const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
    const { outer, length, inner } = cumSumSpace(x.shape, axis);
    const y = newValue(x.dtype, x.shape);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0;
        for (let step = 0; step < length; step++) {
          const j = reverse ? length - 1 - step : step;
          const at = (o * length + j) * inner + i;
          const v = x.data[at]!;
          if (exclusive) {
            y.data[at] = sum;
            sum = round(sum + v);
          } else {
            sum = round(sum + v);
            y.data[at] = sum;
          }
        }
      }
    }
    return [y];
  },
  macs: perOutputElement,
};

export const ops: OpDef[] = [cumSum];
