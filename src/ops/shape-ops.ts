// Operators PyTorch exports to compute shapes and indices: Shape, Size, ConstantOfShape, Range (fold-only),
// and Gather, GatherElements, Slice, Cast, CastLike, Expand, Where, which also run on float data. Shapes are computed
// from the values of constant inputs; values are exact (int64 shape math stays integral). MACs: none.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, stridesOf, type DType, type Node, type Tensor } from '../ir/graph.js';
import { attrInt, intsFromAttrOrInput, normalizeAxis } from './attrs.js';
import { broadcastOffsets, broadcastShapes, formatShape, gatherInto, mapTernary, stridedOffsets } from './broadcast.js';
import { checkType, constantNumbers, constantScalar, dtypeOfOnnxCode, isIntegerType, newValue, requireInput, ALL_TYPES } from './operands.js';
import { movementOp, noMacs } from './movement.js';
import type { InputInfo, OpDef, Value } from './types.js';

const LATEST = 21;

/** Shape's [start, end) range of dimensions (opset 15): negative counts from the end, both clamp to [0, rank]. */
function shapeRange(node: Node, rank: number): [number, number] {
  const clampIndex = (i: number) => Math.min(rank, Math.max(0, i < 0 ? i + rank : i));
  return [clampIndex(attrInt(node, 'start', 0)), clampIndex(attrInt(node, 'end', rank))];
}

const shape: OpDef = {
  op: 'Shape',
  opsets: [1, LATEST],
  foldOnly: true,
  inferShapes(node, inputs) {
    const [start, end] = shapeRange(node, requireInput(node, inputs, 0).shape.length);
    return [{ shape: [Math.max(0, end - start)], dtype: 'int64' }];
  },
  evaluate(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const [start, end] = shapeRange(node, x.shape.length);
    const dims = x.shape.slice(start, Math.max(start, end));
    return [{ shape: [dims.length], dtype: 'int64', data: Float64Array.from(dims) }];
  },
  macs: noMacs,
};

const size: OpDef = {
  op: 'Size',
  opsets: [1, LATEST],
  foldOnly: true,
  inferShapes(node, inputs) {
    requireInput(node, inputs, 0);
    return [{ shape: [], dtype: 'int64' }];
  },
  evaluate(node, inputs) {
    return [{ shape: [], dtype: 'int64', data: Float64Array.of(sizeOf(requireInput(node, inputs, 0).shape)) }];
  },
  macs: noMacs,
};

/** ConstantOfShape's fill: the `value` attribute (a one-element tensor), float32 0 by default. */
function fillOf(node: Node): { dtype: DType; value: number } {
  const attr = node.attrs['value'];
  if (attr === undefined) return { dtype: 'float32', value: 0 };
  const tensor = attr as Tensor;
  if (typeof attr !== 'object' || Array.isArray(attr) || !('data' in attr) || !tensor.data || tensor.data.length !== 1) {
    throw nodeError('E_GRAPH', node, 'attribute "value" must be a tensor with one element');
  }
  return { dtype: tensor.dtype, value: tensor.data[0]! };
}

function requestedShape(node: Node, input: InputInfo | Value, what: string): number[] {
  const dims = constantNumbers(node, input, what);
  if (input.shape.length !== 1 || dims.some((d) => d < 0 || !Number.isInteger(d))) {
    throw nodeError('E_SHAPE', node, `${what} must be a 1-D list of non-negative sizes, got ${formatShape(dims)}`);
  }
  return dims;
}

const constantOfShape: OpDef = {
  op: 'ConstantOfShape',
  opsets: [9, LATEST],
  foldOnly: true,
  inferShapes(node, inputs) {
    return [{ shape: requestedShape(node, requireInput(node, inputs, 0), 'the shape'), dtype: fillOf(node).dtype }];
  },
  evaluate(node, inputs) {
    const { dtype, value } = fillOf(node);
    const y = newValue(dtype, requestedShape(node, requireInput(node, inputs, 0), 'the shape'));
    y.data.fill(value);
    return [y];
  },
  macs: noMacs,
};

/** Range's start, delta and element count: ceil((limit - start) / delta), at least 0. */
function rangeOf(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): { start: number; delta: number; count: number } {
  const [start, limit, delta] = ['start', 'limit', 'delta'].map((what, i) => constantScalar(node, requireInput(node, inputs, i), what)) as [
    number,
    number,
    number,
  ];
  if (delta === 0) throw nodeError('E_SHAPE', node, 'delta must not be 0');
  return { start, delta, count: Math.max(0, Math.ceil((limit - start) / delta)) };
}

const range: OpDef = {
  op: 'Range',
  opsets: [11, LATEST],
  foldOnly: true,
  inferShapes(node, inputs) {
    const dtype = requireInput(node, inputs, 0).dtype;
    checkType(node, dtype, ['float32', 'float64', 'int64', 'int32', 'int16']);
    return [{ shape: [rangeOf(node, inputs).count], dtype }];
  },
  evaluate(node, inputs) {
    const { start, delta, count } = rangeOf(node, inputs);
    const y = newValue(requireInput(node, inputs, 0).dtype, [count]);
    for (let i = 0; i < count; i++) y.data[i] = start + i * delta;
    return [y];
  },
  macs: noMacs,
};

/** Gather's axis and output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
function gatherLayout(node: Node, data: InputInfo | Value, indices: InputInfo | Value): { axis: number; shape: number[] } {
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), data.shape.length);
  checkType(node, indices.dtype, ['int64', 'int32'], 'indices');
  return { axis, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] };
}

/** Indices with negatives counted from the end; E_SHAPE when one falls outside [-dim, dim). */
function resolveIndices(node: Node, indices: InputInfo | Value, dim: number): number[] {
  return Array.from(indices.data as ArrayLike<number>, (raw) => {
    const index = raw < 0 ? raw + dim : raw;
    if (index < 0 || index >= dim) throw nodeError('E_SHAPE', node, `index ${raw} is out of range for an axis of size ${dim}`);
    return index;
  });
}

const gather = movementOp(
  'Gather',
  [1, LATEST],
  (node, inputs) => {
    const data = requireInput(node, inputs, 0);
    const indices = requireInput(node, inputs, 1);
    const { axis, shape } = gatherLayout(node, data, indices);
    if (indices.data) resolveIndices(node, indices, data.shape[axis]!);
    return shape;
  },
  (node, data, shape, inputs) => {
    const indices = requireInput(node, inputs, 1);
    const { axis } = gatherLayout(node, data, indices);
    const dim = data.shape[axis]!;
    const picks = resolveIndices(node, indices, dim);
    const y = newValue(data.dtype, shape);
    const outer = sizeOf(data.shape.slice(0, axis));
    const inner = sizeOf(data.shape.slice(axis + 1));
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (const index of picks) {
        const from = (b * dim + index) * inner;
        y.data.set(data.data.subarray(from, from + inner), o);
        o += inner;
      }
    }
    return y;
  },
);

/** GatherElements: out[i][j][k] = data[indices[i][j][k]][j][k] for axis 0 (likewise for other axes). */
const gatherElements: OpDef = {
  op: 'GatherElements',
  opsets: [11, LATEST],
  inferShapes(node, inputs) {
    const data = requireInput(node, inputs, 0);
    const indices = requireInput(node, inputs, 1);
    normalizeAxis(node, attrInt(node, 'axis', 0), data.shape.length);
    checkType(node, indices.dtype, ['int64', 'int32'], 'indices');
    if (indices.shape.length !== data.shape.length) {
      throw nodeError('E_SHAPE', node, `indices ${formatShape(indices.shape)} must have the rank of data ${formatShape(data.shape)}`);
    }
    return [{ shape: [...indices.shape], dtype: data.dtype }];
  },
  evaluate(node, inputs) {
    const data = requireInput(node, inputs, 0);
    const indices = requireInput(node, inputs, 1);
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), data.shape.length);
    const dim = data.shape[axis]!;
    const dataStrides = stridesOf(data.shape);
    const indexStrides = stridesOf(indices.shape);
    const y = newValue(data.dtype, indices.shape);
    for (let i = 0; i < y.data.length; i++) {
      let offset = 0;
      for (let d = 0; d < indexStrides.length; d++) {
        let coordinate = Math.floor(i / indexStrides[d]!) % indices.shape[d]!;
        if (d === axis) {
          const raw = indices.data[i]!;
          coordinate = raw < 0 ? raw + dim : raw;
          if (coordinate < 0 || coordinate >= dim) throw nodeError('E_SHAPE', node, `index ${raw} is out of range for an axis of size ${dim}`);
        }
        offset += coordinate * dataStrides[d]!;
      }
      y.data[i] = data.data[offset]!;
    }
    return [y];
  },
  macs: noMacs,
};

/**
 * Slice's window per axis after the ONNX rules: negative starts/ends count from the end, then clamp
 * to [0, dim] for a positive step and to [0, dim-1] / [-1, dim-1] for a negative one (so INT64_MAX
 * means "to the end"). Parameters are attributes before opset 10 and inputs from 10.
 */
function sliceWindow(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): { shape: number[]; starts: number[]; steps: number[] } {
  const x = requireInput(node, inputs, 0);
  const rank = x.shape.length;
  const param = (attr: string, index: number) => intsFromAttrOrInput(node, attr, inputs, index);
  const starts = param('starts', 1);
  const ends = param('ends', 2);
  if (!starts || !ends || starts.length !== ends.length) {
    throw nodeError('E_SHAPE', node, 'starts and ends must be given with one value per sliced axis');
  }
  const axes = (param('axes', 3) ?? starts.map((_, i) => i)).map((a) => normalizeAxis(node, a, rank));
  const steps = param('steps', 4) ?? starts.map(() => 1);
  if (axes.length !== starts.length || steps.length !== starts.length || new Set(axes).size !== axes.length) {
    throw nodeError('E_SHAPE', node, `starts, ends, axes and steps must have one value per distinct axis`);
  }
  const shape = [...x.shape];
  const first = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  axes.forEach((axis, i) => {
    const dim = x.shape[axis]!;
    const s = steps[i]!;
    if (s === 0) throw nodeError('E_SHAPE', node, 'steps must not be 0');
    let begin = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
    let end = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
    if (s > 0) {
      begin = Math.min(Math.max(begin, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      begin = Math.min(Math.max(begin, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    shape[axis] = Math.max(0, Math.ceil((end - begin) / s));
    first[axis] = begin;
    step[axis] = s;
  });
  return { shape, starts: first, steps: step };
}

const slice = movementOp(
  'Slice',
  [1, LATEST],
  (node, inputs) => sliceWindow(node, inputs).shape,
  (node, x, shape, inputs) => {
    const { starts, steps } = sliceWindow(node, inputs);
    const strides = stridesOf(x.shape);
    const base = starts.reduce((sum, s, i) => sum + s * strides[i]!, 0);
    const y = newValue(x.dtype, shape);
    if (y.data.length > 0)
      gatherInto(
        y.data,
        x.data,
        stridedOffsets(
          shape,
          strides.map((s, i) => s * steps[i]!),
          base,
        ),
      );
    return y;
  },
);

/** Converts `data` into a fresh array of `dtype`: floats to integers truncate toward zero, anything non-zero is true. */
function convert(x: Value, dtype: DType): Value {
  const y = newValue(dtype, x.shape);
  const src = x.data;
  const dst = y.data;
  if (dtype === 'bool') {
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  } else if (isIntegerType(dtype) && !isIntegerType(x.dtype)) {
    // Typed-array stores of int8..int32 truncate and wrap like a C cast; int64 (a Float64Array) needs the trunc.
    for (let i = 0; i < src.length; i++) dst[i] = Number.isFinite(src[i]!) ? Math.trunc(src[i]!) : 0;
  } else {
    for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
  }
  return y;
}

/** Cast and CastLike: X converted to the type `target` names, shape kept. */
function castOp(op: string, opsets: [number, number], target: (node: Node, inputs: readonly (InputInfo | Value | undefined)[]) => DType): OpDef {
  return {
    op,
    opsets,
    inferShapes(node, inputs) {
      const x = requireInput(node, inputs, 0);
      checkType(node, x.dtype, ALL_TYPES);
      return [{ shape: [...x.shape], dtype: target(node, inputs) }];
    },
    evaluate(node, inputs) {
      return [convert(requireInput(node, inputs, 0), target(node, inputs))];
    },
    macs: noMacs,
  };
}

const cast = castOp('Cast', [1, LATEST], castTarget);

function castTarget(node: Node): DType {
  const to = node.attrs['to'];
  // Opset 1 to 5 spelled the type as a string ("FLOAT"); later opsets use the TensorProto code.
  if (typeof to === 'string') {
    const codes: Record<string, number> = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 };
    return dtypeOfOnnxCode(node, codes[to] ?? -1);
  }
  if (typeof to !== 'number') throw nodeError('E_GRAPH', node, 'attribute "to" is required');
  return dtypeOfOnnxCode(node, to);
}

const castLike = castOp('CastLike', [15, LATEST], (node, inputs) => requireInput(node, inputs, 1).dtype);

/** Expand: numpy broadcasting of the input with the requested shape (either side may hold the 1s). */
function expandShape(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): number[] {
  const x = requireInput(node, inputs, 0);
  return broadcastShapes(node, [x.shape, requestedShape(node, requireInput(node, inputs, 1), 'the shape')]);
}

const expand = movementOp('Expand', [8, LATEST], expandShape, (_node, x, shape) => {
  const y = newValue(x.dtype, shape);
  gatherInto(y.data, x.data, broadcastOffsets(x.shape, y.shape));
  return y;
});

const where: OpDef = {
  op: 'Where',
  opsets: [9, LATEST],
  inferShapes(node, inputs) {
    const [condition, x, y] = [0, 1, 2].map((i) => requireInput(node, inputs, i)) as [InputInfo, InputInfo, InputInfo];
    checkType(node, condition.dtype, ['bool'], 'condition');
    if (x.dtype !== y.dtype) throw nodeError('E_SHAPE', node, `X is ${x.dtype} but Y is ${y.dtype}; they must match`);
    return [{ shape: broadcastShapes(node, [condition.shape, x.shape, y.shape]), dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const [condition, x, y] = [0, 1, 2].map((i) => requireInput(node, inputs, i)) as [Value, Value, Value];
    const out = newValue(x.dtype, broadcastShapes(node, [condition.shape, x.shape, y.shape]));
    mapTernary(out.data, out.shape, condition.data, condition.shape, x.data, x.shape, y.data, y.shape, (c, a, b) => (c !== 0 ? a : b));
    return [out];
  },
  macs: noMacs,
};

export const ops: OpDef[] = [shape, size, constantOfShape, range, gather, gatherElements, slice, cast, castLike, expand, where];
