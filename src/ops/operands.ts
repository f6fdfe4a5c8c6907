// Small helpers the operator files share to read their operands: required inputs, dtype classes,
// constant values that shape inference needs, and fresh output values.

import { nodeError } from '../ir/diagnostics.js';
import { arrayFor, sizeOf, type DType, type Node } from '../ir/graph.js';
import { formatShape } from './broadcast.js';
import { numbersOf } from './attrs.js';
import type { InputInfo, Value } from './types.js';

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float64'];
export const INTEGER_TYPES: readonly DType[] = ['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16'];
export const NUMERIC_TYPES: readonly DType[] = [...FLOAT_TYPES, ...INTEGER_TYPES];
export const ALL_TYPES: readonly DType[] = [...NUMERIC_TYPES, 'bool'];

export function isIntegerType(dtype: DType): boolean {
  return INTEGER_TYPES.includes(dtype) || dtype === 'bool';
}

/** Input `index`, which the operator requires; E_GRAPH when the node leaves it out. */
export function requireInput<T extends InputInfo | Value>(node: Node, inputs: readonly (T | undefined)[], index: number): T {
  const input = inputs[index];
  if (!input) throw nodeError('E_GRAPH', node, `input ${index} is required but missing`);
  return input;
}

/** Throw E_UNSUPPORTED unless `dtype` is one of `allowed`. */
export function checkType(node: Node, dtype: DType, allowed: readonly DType[], what = 'input'): void {
  if (!allowed.includes(dtype)) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `${what} of type ${dtype} is not supported (expected ${allowed.join(', ')})`,
      'export the model with the listed types (float32 for activations); eennc quantizes to int8 itself (--calib)',
    );
  }
}

/** Throw E_SHAPE unless every input has the dtype of the first (ONNX type constraint "T" shared by inputs). */
export function checkSameType(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): DType {
  const present = inputs.filter((i): i is InputInfo | Value => i !== undefined);
  const dtype = present[0]!.dtype;
  for (const input of present) {
    if (input.dtype !== dtype) {
      throw nodeError('E_SHAPE', node, `inputs must share one element type, got ${present.map((i) => i.dtype).join(' and ')}`);
    }
  }
  return dtype;
}

/**
 * The values of a constant input that decides output shapes (Reshape's shape, Slice's starts, ...).
 * E_SHAPE when the input is computed at run time, since every shape must be static.
 */
export function constantNumbers(node: Node, input: InputInfo | Value, what: string): number[] {
  if (!input.data) {
    throw nodeError(
      'E_SHAPE',
      node,
      `${what} (input "${'name' in input ? input.name : '?'}") must be a constant so shapes are static`,
      'export the model with constant folding enabled (torch.onnx.export(..., do_constant_folding=True)) and static input shapes',
    );
  }
  return numbersOf(input.data);
}

/** A scalar or one-element constant input (Range's start, Clip's min), as a number. */
export function constantScalar(node: Node, input: InputInfo | Value, what: string): number {
  const values = constantNumbers(node, input, what);
  if (values.length !== 1) throw nodeError('E_SHAPE', node, `${what} must hold one value, got shape ${formatShape(input.shape)}`);
  return values[0]!;
}

/** A zeroed value of the given dtype and shape. */
export function newValue(dtype: DType, shape: readonly number[]): Value {
  return { dtype, shape: [...shape], data: arrayFor(dtype, sizeOf(shape)) };
}

/** A value over existing data (shared, not copied; values are never written once produced): for Reshape, Squeeze, Identity, ... */
export function reshaped(value: Value, shape: readonly number[]): Value {
  return { dtype: value.dtype, shape: [...shape], data: value.data };
}

/** ONNX TensorProto.DataType codes and the dtypes they map to (undefined: not representable). */
const ONNX_TYPE_CODES: Record<number, DType | undefined> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
};
const ONNX_TYPE_NAMES: Record<number, string> = {
  4: 'uint16',
  8: 'string',
  10: 'float16',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

/** The dtype of an ONNX element-type code (Cast's `to`), E_UNSUPPORTED for types the IR cannot hold. */
export function dtypeOfOnnxCode(node: Node, code: number): DType {
  const dtype = ONNX_TYPE_CODES[code];
  if (!dtype) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `element type ${ONNX_TYPE_NAMES[code] ?? `code ${code}`} is not supported`,
      'supported element types: float32, float64, int64, int32, int16, int8, uint8, bool',
    );
  }
  return dtype;
}
