// Index-space arithmetic for the strided kernels: broadcast strides, merging dimensions so inner loops are long,
// and cutting index spaces of more than four dimensions into several four-dimensional kernel calls.

import { stridesOf } from '../ir/graph.js';

/** An index space and, for each operand, its element stride along every dimension. */
export interface StridedSpace {
  dims: number[];
  /** strides[operand][dim] */
  strides: number[][];
}

/** A four-dimensional piece of a space: the element offset of each operand, then dims and strides. */
export interface StridedPiece {
  offsets: number[];
  dims: [number, number, number, number];
  strides: [number, number, number, number][];
}

/** Strides that read `shape` as if broadcast to `outShape` (numpy rules: right-aligned, size 1 repeats). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    return shape[j] === 1 && d !== 1 ? 0 : own[j]!;
  });
}

/** Contiguous (row-major) strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  return stridesOf(shape);
}

/**
 * Drop size-1 dimensions and merge neighbours that every operand walks as one run
 * (stride[k] == stride[k+1] * dims[k+1] for all operands). Keeps at least one dimension.
 */
export function collapse(space: StridedSpace): StridedSpace {
  const dims: number[] = [];
  const strides: number[][] = space.strides.map(() => []);
  for (let k = 0; k < space.dims.length; k++) {
    const d = space.dims[k]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && space.strides.every((s, op) => strides[op]![last] === s[k]! * d);
    if (mergeable) {
      dims[last] = dims[last]! * d;
      space.strides.forEach((s, op) => {
        strides[op]![last] = s[k]!;
      });
    } else {
      dims.push(d);
      space.strides.forEach((s, op) => strides[op]!.push(s[k]!));
    }
  }
  if (dims.length === 0) {
    dims.push(space.dims.some((d) => d === 0) ? 0 : 1);
    strides.forEach((s) => s.push(0));
  }
  if (space.dims.some((d) => d === 0)) return { dims: [0], strides: strides.map(() => [0]) };
  return { dims, strides };
}

/**
 * Four-dimensional pieces covering the space, in row-major order of the dimensions cut off
 * (leading dimensions are padded with size 1 when there are fewer than four).
 */
export function piecesOf(space: StridedSpace): StridedPiece[] {
  const rank = space.dims.length;
  const operands = space.strides.length;
  if (rank <= 4) {
    const pad = 4 - rank;
    const dims = [...new Array<number>(pad).fill(1), ...space.dims] as StridedPiece['dims'];
    const strides = space.strides.map((s) => [...new Array<number>(pad).fill(0), ...s] as StridedPiece['strides'][number]);
    return [{ offsets: new Array<number>(operands).fill(0), dims, strides }];
  }
  const outerDims = space.dims.slice(0, rank - 4);
  const inner = space.dims.slice(rank - 4) as StridedPiece['dims'];
  const innerStrides = space.strides.map((s) => s.slice(rank - 4) as StridedPiece['strides'][number]);
  const pieces: StridedPiece[] = [];
  const index = new Array<number>(outerDims.length).fill(0);
  const total = outerDims.reduce((a, b) => a * b, 1);
  for (let t = 0; t < total; t++) {
    const offsets = space.strides.map((s) => index.reduce((acc, i, k) => acc + i * s[k]!, 0));
    pieces.push({ offsets, dims: inner, strides: innerStrides });
    for (let k = outerDims.length - 1; k >= 0; k--) {
      if (++index[k]! < outerDims[k]!) break;
      index[k] = 0;
    }
  }
  return pieces;
}
