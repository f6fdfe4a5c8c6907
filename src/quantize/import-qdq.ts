// Import of models that carry their own quantization (ONNX QDQ and QOperator formats, as onnxruntime's
// quantize_static and PyTorch's ONNX export write them): between the frontend and the quantize stage, the graph
// becomes the float graph it stands for, and the scales it states become overrides that replace calibration.
//
//   QDQ        x -> QuantizeLinear -> DequantizeLinear -> op    the pair goes, x keeps the pair's scale
//              DequantizeLinear(int8 W [, axis])                 a float constant W, and W's own int8 values
//              DequantizeLinear(int32 B, sX * sW)                a float constant bias
//              QuantizeLinear(float W) -> DequantizeLinear       (fake quant) the same, W quantized here once
//   QOperator  QLinearConv / QLinearMatMul (and onnxruntime's QLinearAdd, QGemm, QLinearConcat, ...)
//              become Conv / MatMul (Add, Gemm, Concat, ...) on the real values of their operands
//
// uint8 quantization becomes the int8 equivalent (same scale, zero point - 128). Where the stated quantization
// clamps a Conv/Gemm/MatMul/Add output at zero (a Relu onnxruntime folded into it), the float graph gets a Relu.
// The float graph's shapes are inferred (a dynamic batch dimension becomes 1); the frontend's fold runs after.

import type { Graph } from '../ir/graph.js';
import type { QuantOverrides } from './overrides.js';
import { inferFloatShapes } from './qdq/infer-shapes.js';
import type { IntegerIo } from './qdq/integer-io.js';
import { isDequantizeLinear, isQuantizeLinear, qOperatorSpec } from './qdq/qoperator.js';
import { rewriteQdq, type RewriteOptions } from './qdq/rewrite.js';

/** True when the graph carries its own quantization (QuantizeLinear/DequantizeLinear pairs, QLinearConv, QLinearMatMul). */
export function hasOwnQuantization(graph: Graph): boolean {
  return graph.nodes.some((node) => isQuantizeLinear(node) || isDequantizeLinear(node) || qOperatorSpec(node) !== undefined);
}

/**
 * A float graph without the Q/DQ nodes (QLinearConv -> Conv with dequantized float weights and bias, QLinearMatMul -> MatMul),
 * and the scales the model states: activations (scale, zero point of every tensor that a QuantizeLinear/DequantizeLinear
 * pair or a QLinear op quantizes, under the tensor's name in the returned float graph) and weights (the int8 values and
 * per-channel scales of every constant weight given as DequantizeLinear(int8 initializer)). The quantize stage then
 * uses these instead of calibration. With `keepRounding` (a float32 build), each quantized activation is rounded
 * and saturated to its grid in float operators, so that the float graph computes what the model computes.
 * `integerIo` lists the model's int8/uint8 inputs and outputs, held as float32 in the result (a float32 build refuses them).
 *
 * `graph` is the model as loadModel reads it (intermediate shapes may be unknown); the result is shaped. Bad
 * numbers (a scale of zero on live values, negative or NaN) throw E_MODEL naming the node; 16-bit, float8 and
 * blocked quantization, per-channel activations and dynamic quantization throw E_UNSUPPORTED naming the node.
 */
export function importQdq(graph: Graph, options: RewriteOptions = {}): { graph: Graph; overrides: QuantOverrides; integerIo: IntegerIo[] } {
  const rewritten = rewriteQdq(graph, options);
  return { graph: inferFloatShapes(rewritten.graph), overrides: rewritten.overrides, integerIo: rewritten.integerIo };
}
