// Per-operator facts other stages ask by node: whether the operator's kernel may write over its input, whether its
// int8 form is a lookup table, and its attributes with their defaults. Read from the operators' definitions
// (registry.ts), never listed here.

import type { Node } from '../ir/graph.js';
import { declaredAttributes } from './attrs.js';
import { lookupOp } from './registry.js';
import type { DeclaredAttributes, OpDef } from './types.js';

/** The definition of `node`'s operator, or undefined (another domain, or unsupported). */
function definitionOf(node: Node): OpDef | undefined {
  return lookupOp(node.op, node.domain);
}

/**
 * True when the float kernel of `node` (default domain) may write its output over an input of the same size
 * (OpDef.inPlace). The planner runs it in place when that input dies at this step; code generation keeps its
 * kernel free of `restrict` on those pointers.
 */
export function runsInPlace(node: Node): boolean {
  return definitionOf(node)?.inPlace === true;
}

/** True when `node` (default domain), a function of its one activation input, becomes a QLut in int8. */
export function isLutOp(node: Node): boolean {
  return definitionOf(node)?.int8 === 'lut';
}

/** True when `node` (default domain), binary with one single-value constant operand, becomes a QLut in int8. */
export function isScalarLutOp(node: Node): boolean {
  return definitionOf(node)?.int8 === 'scalar-lut';
}

/** The attributes of `node`, each read with the default its operator's definition declares (OpDef.attributes). */
export function attributesOf(node: Node): DeclaredAttributes {
  const def = definitionOf(node);
  if (!def) throw new Error(`internal: operator ${node.op} has no definition`);
  return declaredAttributes(def, node);
}
