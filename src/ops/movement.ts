// Builder for the operators that move, select, pad or resample the elements of their first input, with no weights
// (Reshape, Transpose, Slice, Tile, Pad, Resize, ...): the output's shape comes from one function. They count no MACs.

import { stridesOf, type Node } from '../ir/graph.js';
import { gatherInto, stridedOffsets } from './broadcast.js';
import { newValue, requireInput } from './operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

export type Operands = readonly (InputInfo | Value | undefined)[];

/** Operation count of an operator that moves data: none. */
export const noMacs = (): number => 0;

/**
 * An operator whose output Y has the shape `shapeOf` gives (which also checks the node) and the type of input 0,
 * X; `compute` makes Y from X and that shape.
 */
export function movementOp(
  op: string,
  opsets: [number, number],
  shapeOf: (node: Node, inputs: Operands, opset: number) => number[],
  compute: (node: Node, x: Value, shape: number[], inputs: readonly (Value | undefined)[], opset: number) => Value,
): OpDef {
  return {
    op,
    opsets,
    inferShapes(node, inputs, opset) {
      return [{ shape: shapeOf(node, inputs, opset), dtype: requireInput(node, inputs, 0).dtype }];
    },
    evaluate(node, inputs, opset) {
      return [compute(node, requireInput(node, inputs, 0), shapeOf(node, inputs, opset), inputs, opset)];
    },
    macs: noMacs,
  };
}

/** X viewed with shape `view`, its axes permuted by `perm`, copied out with shape `shape` (as many elements). */
export function permuted(x: Value, view: readonly number[], perm: readonly number[], shape: readonly number[]): Value {
  const strides = stridesOf(view);
  const y = newValue(x.dtype, shape);
  gatherInto(
    y.data,
    x.data,
    stridedOffsets(
      perm.map((p) => view[p]!),
      perm.map((p) => strides[p]!),
    ),
  );
  return y;
}
