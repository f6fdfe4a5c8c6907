// The model inputs and outputs whose type the QDQ import changes (src/quantize/qdq/rewrite.ts lists them): an
// int8/uint8 input that a DequantizeLinear (or a QLinear operator) reads, an int8/uint8 output that a QuantizeLinear
// (or a QLinear operator) writes. The import holds their real values in float32, which an int8 build quantizes again
// with the scale the model states; a float32 build has float32 inputs and outputs only, and would silently take or
// return other numbers than the model's: it refuses them with this module's error.

import { nodeError, type EennError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';

/** A model input or output of an integer type that the imported float graph holds as float32. */
export interface IntegerIo {
  role: 'input' | 'output';
  tensor: string;
  /** The model's type for it (uint8, int8...). */
  dtype: string;
  /** The node of the model that writes the output, or the first one that reads the input. */
  node: Node;
}

/**
 * The error for a float32 build of a model with integer inputs or outputs (the first of `changed`), naming the node
 * and the type: a float32 build computes QuantizeLinear / DequantizeLinear only between float32 tensors of its own.
 */
export function integerIoError(changed: IntegerIo): EennError {
  const { node, tensor, dtype } = changed;
  if (changed.role === 'output') {
    return nodeError(
      'E_UNSUPPORTED',
      node,
      `writes the model output "${tensor}" as ${dtype}; a float32 build's outputs are float32 and cannot hold it`,
      `build with --precision int8 (the output is then int8, its scale and zero point in model.h), or end the model with a DequantizeLinear so that "${tensor}" is float32`,
    );
  }
  return nodeError(
    'E_UNSUPPORTED',
    node,
    `reads the model input "${tensor}" of type ${dtype}; a float32 build's inputs are float32`,
    `build with --precision int8 (the input is then int8, its scale and zero point in model.h), or give the model a float32 input and a QuantizeLinear before this node`,
  );
}
