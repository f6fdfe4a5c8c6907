// Builders for operators that apply one scalar function per element (Relu, Exp, ...) or per
// broadcast pair (Add, Pow, Equal, ...); elementwise.ts and activation.ts define their operators with them.
//
// Arithmetic runs in float64 and is rounded once when stored into the output array: for float32
// +, -, *, / and sqrt that is exactly the IEEE float32 result onnxruntime computes; for exp, tanh, ...
// it is within an ulp or two of onnxruntime's vectorized float32 versions.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type DType, type Node } from '../ir/graph.js';
import { attrInt, declaredAttributes } from './attrs.js';
import { broadcastShapes, formatShape, mapBinary } from './broadcast.js';
import { checkType, newValue, requireInput, NUMERIC_TYPES } from './operands.js';
import type { DeclaredAttributes, InputInfo, Int8Form, OpDef, OutputInfo, UnaryKernel, Value } from './types.js';

/** Operation count of a pointwise operator: one per output element (an add, a compare, an exp, ...). */
export function perOutputElement(_node: Node, _inputs: (InputInfo | undefined)[], outputs: OutputInfo[]): number {
  return outputs.reduce((n, o) => n + sizeOf(o.shape), 0);
}

export interface UnaryOptions {
  /** Element types accepted (default: float32, float64). */
  types?: readonly DType[];
  /** Output type (default: the input's). */
  outType?: DType;
  /** Attribute defaults (OpDef.attributes). */
  attributes?: Readonly<Record<string, number | string>>;
  /** The float32 kernel; an operator with one also runs in place, as every unary kernel reads x[i] before writing y[i]. */
  kernel?: UnaryKernel;
  /** The int8 form (OpDef.int8). */
  int8?: Int8Form;
  /** Reads attributes once per node and returns the scalar function; shape inference calls it too, to check them. */
  make: (node: Node, attrs: DeclaredAttributes) => (x: number) => number;
}

/** An operator y = f(x) with y of x's shape (and type, unless `outType` says otherwise). */
export function unaryOp(op: string, opsets: [number, number], options: UnaryOptions): OpDef {
  const types = options.types ?? ['float32', 'float64'];
  const def: OpDef = {
    op,
    opsets,
    ...(options.attributes ? { attributes: options.attributes } : {}),
    ...(options.kernel ? { unaryKernel: options.kernel, inPlace: true } : {}),
    ...(options.int8 ? { int8: options.int8 } : {}),
    inferShapes(node, inputs) {
      const x = requireInput(node, inputs, 0);
      checkType(node, x.dtype, types);
      options.make(node, declaredAttributes(def, node));
      return [{ shape: [...x.shape], dtype: options.outType ?? x.dtype }];
    },
    evaluate(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const f = options.make(node, declaredAttributes(def, node));
      const y = newValue(options.outType ?? x.dtype, x.shape);
      const src = x.data;
      const dst = y.data;
      if (y.dtype === 'int64') {
        for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(f(src[i]!));
      } else {
        for (let i = 0; i < src.length; i++) dst[i] = f(src[i]!);
      }
      return [y];
    },
    macs: perOutputElement,
  };
  return def;
}

/**
 * The output shape of a binary operator, and the shape B is read with. From opset 7 this is numpy
 * broadcasting. Before opset 7 B broadcasts to A only when `broadcast=1`, aligned at `axis`
 * (default: B's trailing dimensions match A's), and shapes must be equal otherwise.
 */
export function binaryShapes(node: Node, aShape: readonly number[], bShape: readonly number[], opset: number): { out: number[]; b: number[] } {
  if (opset >= 7) return { out: broadcastShapes(node, [aShape, bShape]), b: [...bShape] };
  const legacy = attrInt(node, 'broadcast', 0);
  if (legacy === 0) {
    if (aShape.length !== bShape.length || aShape.some((d, i) => d !== bShape[i])) {
      throw nodeError('E_SHAPE', node, `shapes ${formatShape(aShape)} and ${formatShape(bShape)} differ and broadcast=0`);
    }
    return { out: [...aShape], b: [...bShape] };
  }
  // A scalar B stays a scalar; otherwise pad B with 1s so its dims start at `axis` of A.
  const axis = bShape.length === 0 ? aShape.length : attrInt(node, 'axis', aShape.length - bShape.length);
  if (axis < 0 || axis + bShape.length > aShape.length) {
    throw nodeError('E_SHAPE', node, `cannot broadcast ${formatShape(bShape)} into ${formatShape(aShape)} at axis ${axis}`);
  }
  const b = [...new Array<number>(axis).fill(1), ...bShape, ...new Array<number>(aShape.length - axis - bShape.length).fill(1)];
  const out = broadcastShapes(node, [aShape, b]);
  if (out.some((d, i) => d !== aShape[i])) {
    throw nodeError('E_SHAPE', node, `cannot broadcast ${formatShape(bShape)} into ${formatShape(aShape)} at axis ${axis}`);
  }
  return { out, b };
}

export interface BinaryOptions {
  /** Element types accepted for A (default: every numeric type). */
  types?: readonly DType[];
  /** When false (Pow), B may have another numeric type than A. Default true. */
  sameType?: boolean;
  /** Output type (default: A's). */
  outType?: (a: DType) => DType;
  /** Whether the float kernel may write C over A (OpDef.inPlace). */
  inPlace?: boolean;
  /** The int8 form (OpDef.int8). */
  int8?: Int8Form;
  /** The scalar function for the given input type (integer division truncates, float does not). */
  make: (node: Node, dtype: DType) => (x: number, y: number) => number;
}

/** An operator C = f(A, B) with multidirectional broadcasting. */
export function binaryOp(op: string, opsets: [number, number], options: BinaryOptions): OpDef {
  const types = options.types ?? NUMERIC_TYPES;
  const outType = options.outType ?? ((a: DType) => a);
  const check = (node: Node, a: InputInfo | Value, b: InputInfo | Value): void => {
    checkType(node, a.dtype, types, 'A');
    if (options.sameType === false) checkType(node, b.dtype, NUMERIC_TYPES, 'B');
    else if (a.dtype !== b.dtype) throw nodeError('E_SHAPE', node, `A is ${a.dtype} but B is ${b.dtype}; they must match`);
  };
  return {
    op,
    opsets,
    ...(options.inPlace ? { inPlace: true } : {}),
    ...(options.int8 ? { int8: options.int8 } : {}),
    inferShapes(node, inputs, opset) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      check(node, a, b);
      return [{ shape: binaryShapes(node, a.shape, b.shape, opset).out, dtype: outType(a.dtype) }];
    },
    evaluate(node, inputs, opset) {
      const a = requireInput(node, inputs, 0);
      const b = requireInput(node, inputs, 1);
      const shapes = binaryShapes(node, a.shape, b.shape, opset);
      const dtype = outType(a.dtype);
      const f = options.make(node, a.dtype);
      const c = newValue(dtype, shapes.out);
      mapBinary(c.data, c.shape, a.data, a.shape, b.data, shapes.b, dtype === 'int64' ? (x, y) => Math.trunc(f(x, y)) : f);
      return [c];
    },
    macs: perOutputElement,
  };
}
