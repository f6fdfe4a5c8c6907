// What the pipeline needs to know about one ONNX operator: the contract every file in src/ops implements.
// Depends on the IR only. The registry (registry.ts) maps op names to these definitions.

import type { DType, Graph, Node, Tensor, Value } from '../ir/graph.js';

/** A concrete tensor value flowing through a reference interpreter (src/ir/graph.ts). */
export type { Value };

/** What shape inference knows about an input: its shape and dtype, and its contents when constant. */
export type InputInfo = Pick<Tensor, 'name' | 'shape' | 'dtype' | 'data'>;

/** Shape and dtype of one output. */
export interface OutputInfo {
  shape: number[];
  dtype: DType;
}

/** A node's attributes, each read with the default its operator's definition declares (OpDef.attributes). */
export interface DeclaredAttributes {
  float(name: string): number;
  string(name: string): string;
}

/** The float32 kernel of an element-wise unary operator: output[i] = f(input[i]) over the whole tensor. */
export interface UnaryKernel {
  /** The C function (templates/c/kernels/eenn_activation_f32.c), or the choice of one by the node's attributes. */
  fn: string | ((attrs: DeclaredAttributes) => string);
  /** Float attributes the function takes after `size`, in its parameter order, each read with its default. */
  params?: readonly string[];
}

/**
 * How the quantizer computes an operator in int8 when the operator says so itself (the layers with weights,
 * pooling, Softmax and the data-movement operators are chosen in src/quantize): 'lut', a function of its one
 * activation input, becomes a 256-entry lookup table (QLut) tabulated from the float reference; 'scalar-lut',
 * a binary operator whose other operand is one constant value, becomes the same table.
 */
export type Int8Form = 'lut' | 'scalar-lut';

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
  /**
   * Defaults of the attributes the ONNX spec gives one (LeakyRelu's alpha 0.01, ...), declared here once and
   * read by the reference, the lowering and the quantizer alike through attrs.ts (declaredFloat, declaredString).
   */
  attributes?: Readonly<Record<string, number | string>>;
  /**
   * True when the float kernel may write its output over an input of the same size: each output element is
   * computed from the input elements at the same index only (element-wise operators), or the kernel reads each
   * input element before it writes the output at that index (Softmax, BatchNormalization). The planner runs
   * such a node in place when that input dies at its step; the kernel takes no `restrict` on those pointers.
   */
  inPlace?: boolean;
  /** Its int8 form, when the operator decides it (see Int8Form); absent: the quantizer's own choice or none. */
  int8?: Int8Form;
  /** Its float32 kernel when it is an element-wise unary operator lowered to one call over the tensor. */
  unaryKernel?: UnaryKernel;
}

export type { Graph, Node, Tensor };
