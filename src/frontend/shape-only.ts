// Evaluates ops whose result depends only on an input's shape (Shape, Size) when that input is not a constant:
// the op sees a zero-filled stand-in of the right shape. Used by shape propagation and constant folding.

import { arrayFor, sizeOf, type Node } from '../ir/graph.js';
import type { InputInfo, OpDef, Value } from '../ops/types.js';

export function valueOfShapeOnly(def: OpDef, node: Node, input: InputInfo, opset: number): Value[] {
  const data = input.data ?? arrayFor(input.dtype, sizeOf(input.shape));
  return def.evaluate(node, [{ shape: input.shape, dtype: input.dtype, data }], opset);
}
