// Typed access to node attributes, and to "attributes" that later opsets pass as constant inputs.

import { nodeError } from '../ir/diagnostics.js';
import type { Node, TensorData } from '../ir/graph.js';
import type { DeclaredAttributes, InputInfo, OpDef, Value } from './types.js';

export function attrInt(node: Node, name: string, fallback: number): number;
export function attrInt(node: Node, name: string): number | undefined;
export function attrInt(node: Node, name: string, fallback?: number): number | undefined {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw nodeError('E_GRAPH', node, `attribute "${name}" must be an integer`);
  return v;
}

export function attrFloat(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw nodeError('E_GRAPH', node, `attribute "${name}" must be a number`);
  return v;
}

/** The default `def` declares for attribute `name` (OpDef.attributes); a missing one is a bug in eennc. */
function declaredDefault(def: Pick<OpDef, 'op' | 'attributes'>, name: string): number | string {
  const fallback = def.attributes?.[name];
  if (fallback === undefined) throw new Error(`internal: ${def.op} declares no default for attribute "${name}"`);
  return fallback;
}

/** A float attribute of `node`, or the default its operator's definition declares. */
export function declaredFloat(def: Pick<OpDef, 'op' | 'attributes'>, node: Node, name: string): number {
  const fallback = declaredDefault(def, name);
  if (typeof fallback !== 'number') throw new Error(`internal: ${def.op} declares a string default for "${name}"`);
  return attrFloat(node, name, fallback);
}

/** A string attribute of `node`, or the default its operator's definition declares. */
export function declaredString(def: Pick<OpDef, 'op' | 'attributes'>, node: Node, name: string): string {
  const fallback = declaredDefault(def, name);
  if (typeof fallback !== 'string') throw new Error(`internal: ${def.op} declares a number default for "${name}"`);
  return attrString(node, name, fallback);
}

/** The attributes of `node` read through declaredFloat and declaredString. */
export function declaredAttributes(def: Pick<OpDef, 'op' | 'attributes'>, node: Node): DeclaredAttributes {
  return { float: (name) => declaredFloat(def, node, name), string: (name) => declaredString(def, node, name) };
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw nodeError('E_GRAPH', node, `attribute "${name}" must be a list of integers`);
  }
  return v as number[];
}

export function attrString(node: Node, name: string, fallback: string): string {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw nodeError('E_GRAPH', node, `attribute "${name}" must be a string`);
  return v;
}

/** Numbers of a constant input or value, as plain numbers. */
export function numbersOf(data: TensorData): number[] {
  return Array.from(data as ArrayLike<number>, Number);
}

/**
 * The numbers of input `index` ("`what`") of `node`, which must be a constant since static shapes need its value;
 * `hint` says how to make it one.
 */
export function constantNumbers(node: Node, input: { data?: TensorData | undefined }, index: number, what: string, hint: string): number[] {
  if (!input.data) throw nodeError('E_SHAPE', node, `input ${index} ("${what}") must be a constant so shapes are static`, hint);
  return numbersOf(input.data);
}

/**
 * A list of integers that is an attribute in old opsets and a constant input in new ones
 * (Squeeze/Unsqueeze axes, Pad pads, ReduceMean axes, ...). Returns undefined when neither is given.
 * Throws when the input exists but is not a constant, since static shapes need its value.
 */
export function intsFromAttrOrInput(
  node: Node,
  attr: string,
  inputs: readonly (InputInfo | Value | undefined)[],
  inputIndex: number,
): number[] | undefined {
  const input = inputs[inputIndex];
  if (input)
    return constantNumbers(node, input, inputIndex, attr, 'export the model with constant folding, or fix dynamic dimensions with --input-shape');
  return attrInts(node, attr);
}

/** Normalize a possibly negative axis against a rank, with a clear error when out of range. */
export function normalizeAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw nodeError('E_SHAPE', node, `axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}
