// Quantization a model fixes for itself (ONNX QDQ pairs, QLinearConv / QLinearMatMul): the quantize stage takes
// these instead of calibrated ranges, so a pre-quantized model keeps its own scales.

import type { ScaleZero } from '../ir/int8.js';
import type { PerChannelWeights } from './quant-params.js';

export interface QuantOverrides {
  /** Activation tensors (names in the float graph) whose scale and zero point the model states. */
  activations: Map<string, ScaleZero>;
  /** Weight tensors (constant float tensors of the float graph) already quantized by the model. */
  weights: Map<string, PerChannelWeights>;
}

/** No overrides: every tensor is calibrated. */
export function noOverrides(): QuantOverrides {
  return { activations: new Map(), weights: new Map() };
}
