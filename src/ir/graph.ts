// The graph IR every stage reads and writes: typed tensors and nodes in topological order.
// It depends on nothing; the frontend builds it from ONNX, later stages annotate it.

import type { GraphExits } from './exits.js';

/** Element types the compiler knows. int64 values are held in Float64Array (exact to 2^53). */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool' | 'uint16';

/** The typed array that holds a tensor's elements, by dtype (see `arrayFor`). */
export type TensorData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

/** int8 quantization of a tensor: real = scale * (q - zeroPoint); per-channel when `axis` is set. */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
}

/** A runtime value: a shape, an element type and the elements (the references' tensors, a data file's sample). */
export interface Value {
  shape: number[];
  dtype: DType;
  data: TensorData;
}

/** A value in the graph: a model input, a weight (with `data`) or an intermediate activation. */
export interface Tensor {
  name: string;
  /** Static shape; every dimension is a positive integer after shape inference (0 allowed for empty). */
  shape: number[];
  dtype: DType;
  /** Constant contents (initializers, folded constants); undefined for activations. */
  data?: TensorData;
  quant?: QuantParams;
}

/** Attribute values after import: ints become numbers, tensors become constant Tensors. */
export type AttrValue = number | string | number[] | string[] | Tensor | Graph;

export interface Node {
  /** Unique, never empty: the frontend names anonymous nodes `<op>_<index>`. */
  name: string;
  /** ONNX operator type, e.g. "Conv". */
  op: string;
  /** ONNX domain, "" for the default domain. */
  domain: string;
  /** Input tensor names; "" marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface Graph {
  name: string;
  /** Default-domain opset version the model was exported with. */
  opset: number;
  /** Every tensor by name: inputs, initializers, intermediates, outputs. */
  tensors: Map<string, Tensor>;
  /** Nodes in topological order. */
  nodes: Node[];
  /** Model inputs (names), excluding initializers. */
  inputs: string[];
  outputs: string[];
  /** The model's metadata_props (key -> value), as imported; absent when it has none. */
  metadata?: Record<string, string>;
  /** Early exits (src/ir/exits.ts), set by the exits stage; absent for a model that always runs to its end. */
  exits?: GraphExits;
}

/** ONNX's name for its default operator set, which a graph spells "". */
const ONNX_DEFAULT_DOMAIN = 'ai.onnx';

/** A domain as a graph spells it: "" for the default operator set, however the model named it ("" or "ai.onnx"). */
export function normalDomain(domain: string | null | undefined): string {
  return domain === ONNX_DEFAULT_DOMAIN ? '' : (domain ?? '');
}

/** True when a node is of the default ONNX operator set. */
export function isDefaultDomain(node: Pick<Node, 'domain'>): boolean {
  return normalDomain(node.domain) === '';
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/** A new zeroed typed array of the right kind for `dtype`. */
export function arrayFor(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
    case 'int64':
      return new Float64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
  }
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** The node that writes tensor `name`, if any. */
export function producerOf(graph: Graph, name: string): Node | undefined {
  return graph.nodes.find((n) => n.outputs.includes(name));
}
