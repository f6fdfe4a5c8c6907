// Operators that address elements through an index tensor: GatherND, ScatterElements (and its deprecated alias
// Scatter), ScatterND, OneHot and TopK.
//
// Indices are int64 or int32; a negative index counts from the end of its axis. An index outside [-dim, dim) has
// no defined result in ONNX: the reference refuses it (E_SHAPE, naming the index), and the C kernels
// (eenn_indexing_f32.c), which meet indices only at run time, clamp it to the nearest element of the axis so they
// never read or write outside a buffer. OneHot is the exception the spec defines: an index outside [-depth, depth)
// gives a row of off values.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, stridesOf, type Node } from '../ir/graph.js';
import { attrInt, attrString, normalizeAxis } from './attrs.js';
import { formatShape } from './broadcast.js';
import { noMacs } from './movement.js';
import { ALL_TYPES, checkType, constantScalar, NUMERIC_TYPES, newValue, requireInput } from './operands.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

const LATEST = 21;
const INDEX_TYPES = ['int64', 'int32'] as const;

type Operand = InputInfo | Value;

/** `raw` as an index into an axis of `dim` elements (negative counts from the end); E_SHAPE when outside it. */
export function resolveIndex(node: Node, raw: number, dim: number): number {
  const index = raw < 0 ? raw + dim : raw;
  if (!(index >= 0 && index < dim)) throw nodeError('E_SHAPE', node, `index ${raw} is out of range for an axis of size ${dim}`);
  return index;
}

// ---------------------------------------------------------------- GatherND

/** GatherND's operands: batch axes b, index depth m (indices.shape[-1]) and the output shape. */
export interface GatherNdLayout {
  batchDims: number;
  depth: number;
  shape: number[];
}

export function gatherNdLayout(node: Node, data: Operand, indices: Operand): GatherNdLayout {
  checkType(node, indices.dtype, INDEX_TYPES, 'indices');
  const b = attrInt(node, 'batch_dims', 0);
  const r = data.shape.length;
  const q = indices.shape.length;
  if (q < 1 || r < 1) throw nodeError('E_SHAPE', node, 'data and indices must have at least one axis each');
  if (b < 0 || b >= Math.min(q, r))
    throw nodeError('E_SHAPE', node, `batch_dims ${b} must be smaller than the ranks of data (${r}) and indices (${q})`);
  if (data.shape.slice(0, b).join() !== indices.shape.slice(0, b).join()) {
    throw nodeError(
      'E_SHAPE',
      node,
      `the first ${b} axes of data ${formatShape(data.shape)} and indices ${formatShape(indices.shape)} must match (batch_dims)`,
    );
  }
  const m = indices.shape[q - 1]!;
  if (m < 1 || m > r - b)
    throw nodeError('E_SHAPE', node, `indices.shape[-1] = ${m} must be in [1, ${r - b}] for data of rank ${r} with batch_dims ${b}`);
  return { batchDims: b, depth: m, shape: [...indices.shape.slice(0, q - 1), ...data.shape.slice(b + m)] };
}

const gatherNd: OpDef = {
  op: 'GatherND',
  opsets: [11, LATEST],
  inferShapes(node, inputs) {
    const data = requireInput(node, inputs, 0);
    checkType(node, data.dtype, ALL_TYPES, 'data');
    return [{ shape: gatherNdLayout(node, data, requireInput(node, inputs, 1)).shape, dtype: data.dtype }];
  },
  evaluate(node, inputs) {
    const data = requireInput(node, inputs, 0);
    const indices = requireInput(node, inputs, 1);
    const { batchDims, depth, shape } = gatherNdLayout(node, data, indices);
    const y = newValue(data.dtype, shape);
    const strides = stridesOf(data.shape);
    const batches = sizeOf(data.shape.slice(0, batchDims));
    const batchStride = batchDims > 0 ? strides[batchDims - 1]! : sizeOf(data.shape);
    const perBatch = sizeOf(indices.shape.slice(batchDims, -1));
    const slice = sizeOf(data.shape.slice(batchDims + depth));
    let o = 0;
    for (let batch = 0; batch < batches; batch++) {
      for (let t = 0; t < perBatch; t++) {
        const tuple = (batch * perBatch + t) * depth;
        let from = batch * batchStride;
        for (let k = 0; k < depth; k++) from += resolveIndex(node, indices.data[tuple + k]!, data.shape[batchDims + k]!) * strides[batchDims + k]!;
        y.data.set(data.data.subarray(from, from + slice), o);
        o += slice;
      }
    }
    return [y];
  },
  macs: noMacs,
};

// ---------------------------------------------------------------- ScatterElements, Scatter, ScatterND

export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/** How a scattered update combines with the element already there. */
const COMBINE: Record<ScatterReduction, (old: number, update: number) => number> = {
  none: (_old, update) => update,
  add: (old, update) => old + update,
  mul: (old, update) => old * update,
  max: (old, update) => (update > old || Number.isNaN(update) ? update : old),
  min: (old, update) => (update < old || Number.isNaN(update) ? update : old),
};

/** The reduction attribute of a scatter node (opset 16: none/add/mul, 18: max/min). */
export function scatterReduction(node: Node): ScatterReduction {
  const reduction = attrString(node, 'reduction', 'none');
  if (!(reduction in COMBINE)) throw nodeError('E_GRAPH', node, `reduction "${reduction}" is not one of none, add, mul, max, min`);
  return reduction as ScatterReduction;
}

function checkScatterTypes(node: Node, data: Operand, indices: Operand, updates: Operand): void {
  checkType(node, data.dtype, ALL_TYPES, 'data');
  checkType(node, indices.dtype, INDEX_TYPES, 'indices');
  if (updates.dtype !== data.dtype) throw nodeError('E_SHAPE', node, `updates (${updates.dtype}) must have the type of data (${data.dtype})`);
}

/** ScatterElements' axis after checking that indices and updates have one shape and the rank of data. */
export function scatterElementsAxis(node: Node, data: Operand, indices: Operand, updates: Operand): number {
  checkScatterTypes(node, data, indices, updates);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), data.shape.length);
  if (indices.shape.join() !== updates.shape.join()) {
    throw nodeError('E_SHAPE', node, `indices ${formatShape(indices.shape)} and updates ${formatShape(updates.shape)} must have one shape`);
  }
  if (indices.shape.length !== data.shape.length || indices.shape.some((d, i) => i !== axis && d > data.shape[i]!)) {
    throw nodeError(
      'E_SHAPE',
      node,
      `indices ${formatShape(indices.shape)} must have the rank of data ${formatShape(data.shape)} and fit in it off the axis`,
    );
  }
  return axis;
}

function scatterElements(op: string, opsets: [number, number]): OpDef {
  return {
    op,
    opsets,
    inferShapes(node, inputs) {
      const data = requireInput(node, inputs, 0);
      scatterElementsAxis(node, data, requireInput(node, inputs, 1), requireInput(node, inputs, 2));
      scatterReduction(node);
      return [{ shape: [...data.shape], dtype: data.dtype }];
    },
    evaluate(node, inputs) {
      const data = requireInput(node, inputs, 0);
      const indices = requireInput(node, inputs, 1);
      const updates = requireInput(node, inputs, 2);
      const axis = scatterElementsAxis(node, data, indices, updates);
      const combine = COMBINE[scatterReduction(node)];
      const y = newValue(data.dtype, data.shape);
      y.data.set(data.data);
      const dataStrides = stridesOf(data.shape);
      const indexStrides = stridesOf(indices.shape);
      // In index order, so that with reduction "none" the last of repeated indices wins.
      for (let i = 0; i < indices.data.length; i++) {
        let offset = 0;
        for (let d = 0; d < indexStrides.length; d++) {
          const coordinate =
            d === axis ? resolveIndex(node, indices.data[i]!, data.shape[axis]!) : Math.floor(i / indexStrides[d]!) % indices.shape[d]!;
          offset += coordinate * dataStrides[d]!;
        }
        y.data[offset] = combine(y.data[offset]!, updates.data[i]!);
      }
      return [y];
    },
    macs: noMacs,
  };
}

/** ScatterND's index depth k (indices.shape[-1]) after checking the operands' shapes. */
export function scatterNdDepth(node: Node, data: Operand, indices: Operand, updates: Operand): number {
  checkScatterTypes(node, data, indices, updates);
  const q = indices.shape.length;
  const k = indices.shape[q - 1] ?? 0;
  if (q < 1 || k < 1 || k > data.shape.length) {
    throw nodeError('E_SHAPE', node, `indices ${formatShape(indices.shape)} must end in an axis of 1 to ${data.shape.length} coordinates`);
  }
  const expected = [...indices.shape.slice(0, -1), ...data.shape.slice(k)];
  if (updates.shape.join() !== expected.join()) {
    throw nodeError('E_SHAPE', node, `updates of shape ${formatShape(updates.shape)} must have shape ${formatShape(expected)}`);
  }
  return k;
}

const scatterNd: OpDef = {
  op: 'ScatterND',
  opsets: [11, LATEST],
  inferShapes(node, inputs) {
    const data = requireInput(node, inputs, 0);
    scatterNdDepth(node, data, requireInput(node, inputs, 1), requireInput(node, inputs, 2));
    scatterReduction(node);
    return [{ shape: [...data.shape], dtype: data.dtype }];
  },
  evaluate(node, inputs) {
    const data = requireInput(node, inputs, 0);
    const indices = requireInput(node, inputs, 1);
    const updates = requireInput(node, inputs, 2);
    const k = scatterNdDepth(node, data, indices, updates);
    const combine = COMBINE[scatterReduction(node)];
    const y = newValue(data.dtype, data.shape);
    y.data.set(data.data);
    const strides = stridesOf(data.shape);
    const slice = sizeOf(data.shape.slice(k));
    const tuples = sizeOf(indices.shape.slice(0, -1));
    for (let t = 0; t < tuples; t++) {
      let to = 0;
      for (let j = 0; j < k; j++) to += resolveIndex(node, indices.data[t * k + j]!, data.shape[j]!) * strides[j]!;
      for (let e = 0; e < slice; e++) y.data[to + e] = combine(y.data[to + e]!, updates.data[t * slice + e]!);
    }
    return [y];
  },
  macs: noMacs,
};

// ---------------------------------------------------------------- OneHot

/** OneHot's depth (a constant: it decides the output shape), its axis and output shape. */
export function oneHotLayout(node: Node, indices: Operand, depthInput: Operand): { depth: number; axis: number; shape: number[] } {
  const rank = indices.shape.length;
  if (sizeOf(depthInput.shape) !== 1) throw nodeError('E_SHAPE', node, `depth must hold one value, got shape ${formatShape(depthInput.shape)}`);
  const depth = Math.trunc(constantScalar(node, depthInput, 'depth'));
  if (depth < 1) throw nodeError('E_SHAPE', node, `depth ${depth} must be at least 1`);
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), rank + 1);
  return { depth, axis, shape: [...indices.shape.slice(0, axis), depth, ...indices.shape.slice(axis)] };
}

const oneHot: OpDef = {
  op: 'OneHot',
  opsets: [9, LATEST],
  inferShapes(node, inputs) {
    const indices = requireInput(node, inputs, 0);
    const values = requireInput(node, inputs, 2);
    checkType(node, indices.dtype, NUMERIC_TYPES, 'indices');
    checkType(node, values.dtype, ALL_TYPES, 'values');
    if (sizeOf(values.shape) !== 2)
      throw nodeError('E_SHAPE', node, `values must hold two elements [off, on], got shape ${formatShape(values.shape)}`);
    return [{ shape: oneHotLayout(node, indices, requireInput(node, inputs, 1)).shape, dtype: values.dtype }];
  },
  evaluate(node, inputs) {
    const indices = requireInput(node, inputs, 0);
    const values = requireInput(node, inputs, 2);
    const { depth, axis, shape } = oneHotLayout(node, indices, requireInput(node, inputs, 1));
    const y = newValue(values.dtype, shape);
    const [off, on] = [values.data[0]!, values.data[1]!];
    y.data.fill(off);
    const outer = sizeOf(indices.shape.slice(0, axis));
    const inner = sizeOf(indices.shape.slice(axis));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        // Non-integer indices are truncated toward zero, as a cast to int64 does.
        const raw = Math.trunc(indices.data[o * inner + i]!);
        const index = raw < 0 ? raw + depth : raw;
        if (index >= 0 && index < depth) y.data[(o * depth + index) * inner + i] = on;
      }
    }
    return [y];
  },
  macs: noMacs,
};

// ---------------------------------------------------------------- TopK

/** TopK's axis, k (an attribute before opset 10, a constant input after) and output shape. */
export function topKLayout(node: Node, inputs: readonly (Operand | undefined)[], opset: number): { axis: number; k: number; shape: number[] } {
  const x = requireInput(node, inputs, 0);
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.shape.length);
  let k: number;
  if (opset < 10) {
    const attr = attrInt(node, 'k');
    if (attr === undefined) throw nodeError('E_GRAPH', node, 'attribute "k" is required before opset 10');
    k = attr;
  } else {
    k = constantScalar(node, requireInput(node, inputs, 1), 'k');
  }
  const dim = x.shape[axis]!;
  if (!(k >= 0 && k <= dim)) throw nodeError('E_SHAPE', node, `k = ${k} must be in [0, ${dim}] (the size of axis ${axis})`);
  const shape = [...x.shape];
  shape[axis] = k;
  return { axis, k, shape };
}

/**
 * True when `a` (at index ia) comes before `b` (at index ib) in TopK's order: larger (or smaller) first, NaN as
 * the largest value, and of equal values the lower index first.
 */
export function topKBefore(a: number, ia: number, b: number, ib: number, largest: boolean): boolean {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) {
    if (aNaN && bNaN) return ia < ib;
    return largest ? aNaN : bNaN;
  }
  if (a !== b) return largest ? a > b : a < b;
  return ia < ib;
}

const topK: OpDef = {
  op: 'TopK',
  opsets: [1, LATEST],
  inferShapes(node, inputs, opset): OutputInfo[] {
    const x = requireInput(node, inputs, 0);
    checkType(node, x.dtype, NUMERIC_TYPES);
    const { shape } = topKLayout(node, inputs, opset);
    return [
      { shape, dtype: x.dtype },
      { shape: [...shape], dtype: 'int64' },
    ];
  },
  evaluate(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    const { axis, k, shape } = topKLayout(node, inputs, opset);
    const largest = attrInt(node, 'largest', 1) !== 0;
    const dim = x.shape[axis]!;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const values = newValue(x.dtype, shape);
    const indices = newValue('int64', shape);
    const order = Array.from({ length: dim }, (_, i) => i);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => x.data[(o * dim + j) * inner + i]!;
        // Always sorted: `sorted = 0` lets any order through, and the sorted one is among them.
        order.sort((p, q) => (topKBefore(at(p), p, at(q), q, largest) ? -1 : 1));
        for (let j = 0; j < k; j++) {
          values.data[(o * k + j) * inner + i] = at(order[j]!);
          indices.data[(o * k + j) * inner + i] = order[j]!;
        }
        order.sort((p, q) => p - q);
      }
    }
    return [values, indices];
  },
  // One comparison per input element.
  macs: (_node, inputs) => sizeOf(inputs[0]?.shape ?? []),
};

export const ops: OpDef[] = [
  gatherNd,
  scatterElements('ScatterElements', [11, LATEST]),
  scatterElements('Scatter', [9, 10]),
  scatterNd,
  oneHot,
  topK,
];
