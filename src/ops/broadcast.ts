// Numpy-style (multidirectional) broadcasting for the operator references: the shape rule and one
// strided loop that every elementwise operator (Add, Where, PRelu, Expand, Max, ...) evaluates through.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, stridesOf, type Node, type TensorData } from '../ir/graph.js';

/** `[2,3]` — how shapes appear in error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * The broadcast of several shapes (ONNX multidirectional broadcasting, as numpy): shapes are
 * right-aligned, and each dimension must be equal or 1. Throws E_SHAPE naming the shapes.
 */
export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const shift = rank - shape.length;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      const o = out[shift + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) {
        out[shift + i] = d;
        continue;
      }
      throw nodeError(
        'E_SHAPE',
        node,
        `cannot broadcast ${shapes.map(formatShape).join(' with ')}`,
        'each dimension, aligned from the right, must be equal or 1',
      );
    }
  }
  return out;
}

/** True when `shape` broadcasts to `target` without changing `target` (unidirectional broadcasting). */
export function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  if (shape.length > target.length) return false;
  const shift = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[shift + i]);
}

/**
 * Strides (in elements) of `shape` read as if it had `outShape`: right-aligned, 0 on broadcast
 * dimensions. `shape` must broadcast to `outShape`.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const shift = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - shift;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/** Output dimensions and per-operand strides after dropping 1-dims and merging contiguous runs. */
interface LoopPlan {
  dims: number[];
  strides: number[][];
}

/**
 * Collapse the iteration space: two neighbouring dimensions merge when every operand walks them as
 * one contiguous run (including runs of stride 0), so `[N,C,H,W] + [1,C,1,1]` loops over [N, C, H*W]
 * and equal shapes loop over one.
 */
function planLoop(outShape: readonly number[], operandStrides: readonly number[][]): LoopPlan {
  const dims: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && operandStrides.every((s, k) => strides[k]![last] === s[d]! * n);
    if (mergeable) {
      dims[last] = dims[last]! * n;
      operandStrides.forEach((s, k) => {
        strides[k]![last] = s[d]!;
      });
    } else {
      dims.push(n);
      operandStrides.forEach((s, k) => strides[k]!.push(s[d]!));
    }
  }
  return { dims, strides };
}

/**
 * For every element of `outShape` (row-major), the offset of the element of `shape` it reads under
 * broadcasting. Used where an operator needs a gather map (Expand, reductions).
 */
export function broadcastOffsets(shape: readonly number[], outShape: readonly number[]): Int32Array {
  return stridedOffsets(outShape, broadcastStrides(shape, outShape));
}

/**
 * For every element of `outShape` (row-major), `base + sum(index[d] * strides[d])`: the source
 * offsets of any affine view (a transpose, a strided slice, a broadcast) of a row-major array.
 */
export function stridedOffsets(outShape: readonly number[], strides: readonly number[], base = 0): Int32Array {
  const offsets = new Int32Array(sizeOf(outShape));
  const {
    inner,
    starts: [starts],
    steps: [step],
  } = runsOf(outShape, [strides]);
  for (let r = 0, o = 0; r < starts!.length; r++) {
    for (let i = 0, p = base + starts![r]!; i < inner; i++, o++, p += step!) offsets[o] = p;
  }
  return offsets;
}

/** out[i] = src[offsets[i]]: materializes a view computed by `stridedOffsets` or `broadcastOffsets`. */
export function gatherInto(out: TensorData, src: TensorData, offsets: Int32Array): void {
  for (let i = 0; i < offsets.length; i++) out[i] = src[offsets[i]!]!;
}

/**
 * The iteration space cut into runs along its innermost (collapsed) dimension: every run is `inner`
 * consecutive output elements; operand k starts run r at `starts[k][r]` and advances by `steps[k]`.
 */
interface Runs {
  inner: number;
  starts: Int32Array[];
  steps: number[];
}

function runsOf(outShape: readonly number[], operandStrides: readonly (readonly number[])[]): Runs {
  const { dims, strides } = planLoop(
    outShape,
    operandStrides.map((s) => [...s]),
  );
  const operands = strides.length;
  const total = sizeOf(outShape);
  if (total === 0) return { inner: 0, starts: strides.map(() => new Int32Array(0)), steps: strides.map(() => 0) };
  if (dims.length === 0) {
    return { inner: total, starts: strides.map(() => new Int32Array(total)), steps: strides.map(() => 0) };
  }
  const rank = dims.length;
  const inner = dims[rank - 1]!;
  const count = total / inner;
  const starts = strides.map(() => new Int32Array(count));
  const base = new Array<number>(operands).fill(0);
  const index = new Int32Array(rank);
  // An odometer over the outer dimensions.
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < operands; k++) starts[k]![r] = base[k]!;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      for (let k = 0; k < operands; k++) base[k]! += strides[k]![d]!;
      if (index[d]! < dims[d]!) break;
      for (let k = 0; k < operands; k++) base[k]! -= strides[k]![d]! * dims[d]!;
      index[d] = 0;
    }
  }
  return { inner, starts, steps: strides.map((s) => s[rank - 1]!) };
}

/**
 * out[i] = fn(a[ia], b[ib]) over the broadcast of `aShape` and `bShape` (which must equal `outShape`).
 * Equal shapes and scalar operands take a single flat loop.
 */
export function mapBinary(
  out: TensorData,
  outShape: readonly number[],
  a: TensorData,
  aShape: readonly number[],
  b: TensorData,
  bShape: readonly number[],
  fn: (x: number, y: number) => number,
): void {
  const total = out.length;
  if (a.length === total && b.length === total) {
    for (let i = 0; i < total; i++) out[i] = fn(a[i]!, b[i]!);
    return;
  }
  if (a.length === total && b.length === 1) {
    const y = b[0]!;
    for (let i = 0; i < total; i++) out[i] = fn(a[i]!, y);
    return;
  }
  if (a.length === 1 && b.length === total) {
    const x = a[0]!;
    for (let i = 0; i < total; i++) out[i] = fn(x, b[i]!);
    return;
  }
  const {
    inner,
    starts: [aStarts, bStarts],
    steps: [sa, sb],
  } = runsOf(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  for (let r = 0, o = 0; r < aStarts!.length; r++) {
    for (let i = 0, pa = aStarts![r]!, pb = bStarts![r]!; i < inner; i++, o++, pa += sa!, pb += sb!) out[o] = fn(a[pa]!, b[pb]!);
  }
}

/** out[i] = fn(a[ia], b[ib], c[ic]) over the broadcast of three operands (Where). */
export function mapTernary(
  out: TensorData,
  outShape: readonly number[],
  a: TensorData,
  aShape: readonly number[],
  b: TensorData,
  bShape: readonly number[],
  c: TensorData,
  cShape: readonly number[],
  fn: (x: number, y: number, z: number) => number,
): void {
  const {
    inner,
    starts: [aStarts, bStarts, cStarts],
    steps: [sa, sb, sc],
  } = runsOf(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape), broadcastStrides(cShape, outShape)]);
  for (let r = 0, o = 0; r < aStarts!.length; r++) {
    for (let i = 0, pa = aStarts![r]!, pb = bStarts![r]!, pc = cStarts![r]!; i < inner; i++, o++, pa += sa!, pb += sb!, pc += sc!) {
      out[o] = fn(a[pa]!, b[pb]!, c[pc]!);
    }
  }
}
