// Operand access for the float operators (Conv, Gemm, pooling, BatchNormalization): required inputs named
// as the ONNX spec names them, and float32 data for the references.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import type { Value } from './types.js';

/** Input `index` (spec name `what`, e.g. "W"), which the operator requires; E_GRAPH when the node leaves it out. */
export function requireOperand<T>(node: Node, inputs: readonly (T | undefined)[], index: number, what: string): T {
  const input = inputs[index];
  if (!input) throw nodeError('E_GRAPH', node, `input ${index} (${what}) is required`);
  return input;
}

/** The elements of a float32 operand; E_UNSUPPORTED for any other dtype. */
export function float32Data(node: Node, value: Value, what: string): Float32Array {
  if (!(value.data instanceof Float32Array)) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `${what} has dtype ${value.dtype}; the float reference expects float32`,
      'export the model in float32; eennc quantizes it to int8 itself (--calib)',
    );
  }
  return value.data;
}
