// What the pipeline needs to know about one ONNX operator: the contract every file in src/ops implements.
// Depends on the IR only. The registry (registry.ts) maps op names to these definitions.

import type { DType, Graph, Node, Tensor, TensorData } from '../ir/graph.js';

/** A concrete tensor value flowing through a reference interpreter. */
export interface Value {
  shape: number[];
  dtype: DType;
  data: TensorData;
}

/** What shape inference knows about an input: its shape and dtype, and its contents when constant. */
export type InputInfo = Pick<Tensor, 'name' | 'shape' | 'dtype' | 'data'>;

/** Shape and dtype of one output. */
export interface OutputInfo {
  shape: number[];
  dtype: DType;
}

export interface OpDef {
  /** ONNX operator type, e.g. "Conv". */
  op: string;
  /** ONNX domain; "" (default) when omitted. */
  domain?: string;
  /** Oldest and newest default-domain opset this definition was checked against. */
  opsets: [number, number];
  /**
   * Output shapes and dtypes. `inputs[i]` is undefined for an omitted optional input.
   * Attributes that moved to inputs across opsets (Clip min/max, Pad pads, Squeeze axes, ...)
   * are read from either place (see attrs.ts). Throws EennError (E_SHAPE) on a mismatch.
   */
  inferShapes(node: Node, inputs: (InputInfo | undefined)[], opset: number): OutputInfo[];
  /** The float reference (float32 math, as onnxruntime computes it). */
  evaluate(node: Node, inputs: (Value | undefined)[], opset: number): Value[];
  /** Multiply-accumulates of one inference (0 when the op has none). */
  macs?(node: Node, inputs: (InputInfo | undefined)[], outputs: OutputInfo[]): number;
  /**
   * True when the op only exists to compute shapes or constants (Shape, ConstantOfShape, ...):
   * it is supported as long as constant folding removes it, and never reaches codegen.
   */
  foldOnly?: boolean;
}

export type { Graph, Node, Tensor };
