// The multiply-accumulate core of the int8 reference's QConv and QGemm: int32 dot products of offset int8 rows
// (input patches or rows) against weight rows packed 4 at a time, so that each value loaded feeds several products.
//
// Exactness: every product of two offset int8 values is an integer below 2^16, and a JavaScript number sums
// integers exactly up to 2^53; storing the sum into an Int32Array keeps it modulo 2^32, which is what the C
// kernels' int32 accumulators (wrapping additions) hold. The order of additions therefore does not matter.

/** Weight rows [rows, k] regrouped for `multiplyPacked`: blocks of 4 rows interleaved, then the rest one by one. */
export interface PackedWeights {
  rows: number;
  depth: number;
  /** Number of whole blocks of 4 rows. */
  blocks: number;
  /** blocks * depth * 4 values: block b, column k, row j at (b * depth + k) * 4 + j; then the leftover rows, row-major. */
  data: Int32Array;
}

/** Packs `rows` weight rows of `depth` values each, read from `weights` starting at `offset` (row-major). */
export function packWeights(weights: ArrayLike<number>, offset: number, rows: number, depth: number): PackedWeights {
  const blocks = rows >> 2;
  const data = new Int32Array(rows * depth);
  for (let b = 0; b < blocks; b++) {
    for (let j = 0; j < 4; j++) {
      const from = offset + (b * 4 + j) * depth;
      for (let k = 0; k < depth; k++) data[(b * depth + k) * 4 + j] = weights[from + k]!;
    }
  }
  for (let r = blocks * 4; r < rows; r++) {
    for (let k = 0; k < depth; k++) data[r * depth + k] = weights[offset + r * depth + k]!;
  }
  return { rows, depth, blocks, data };
}

/**
 * acc[r * count + p] = dot(weight row r, patch p) (wrapped to int32) for every weight row r and every patch p of
 * `patches` (`count` rows of `depth` values).
 */
export function multiplyPacked(w: PackedWeights, patches: Int32Array, count: number, acc: Int32Array): void {
  // Two functions, so that each loop nest is compiled (and specialized) on its own.
  if (w.blocks > 0) multiplyBlocks(w, patches, count, acc);
  if (w.rows > w.blocks * 4) multiplyLeftoverRows(w, patches, count, acc);
}

/** The blocks of 4 weight rows: 4 rows by 2 patches per step (8 accumulators). */
function multiplyBlocks(w: PackedWeights, patches: Int32Array, count: number, acc: Int32Array): void {
  const k = w.depth;
  const pw = w.data;
  for (let b = 0; b < w.blocks; b++) {
    const wBase = b * k * 4;
    const o0 = b * 4 * count;
    const o1 = o0 + count;
    const o2 = o1 + count;
    const o3 = o2 + count;
    let p = 0;
    for (; p + 1 < count; p += 2) {
      const u0 = p * k;
      const v0 = u0 + k;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        b0 = 0,
        b1 = 0,
        b2 = 0,
        b3 = 0;
      for (let i = 0, wi = wBase; i < k; i++, wi += 4) {
        const u = patches[u0 + i]!;
        const v = patches[v0 + i]!;
        const w0 = pw[wi]!,
          w1 = pw[wi + 1]!,
          w2 = pw[wi + 2]!,
          w3 = pw[wi + 3]!;
        a0 += u * w0;
        a1 += u * w1;
        a2 += u * w2;
        a3 += u * w3;
        b0 += v * w0;
        b1 += v * w1;
        b2 += v * w2;
        b3 += v * w3;
      }
      acc[o0 + p] = a0;
      acc[o1 + p] = a1;
      acc[o2 + p] = a2;
      acc[o3 + p] = a3;
      acc[o0 + p + 1] = b0;
      acc[o1 + p + 1] = b1;
      acc[o2 + p + 1] = b2;
      acc[o3 + p + 1] = b3;
    }
    if (p < count) {
      const u0 = p * k;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0;
      for (let i = 0, wi = wBase; i < k; i++, wi += 4) {
        const u = patches[u0 + i]!;
        a0 += u * pw[wi]!;
        a1 += u * pw[wi + 1]!;
        a2 += u * pw[wi + 2]!;
        a3 += u * pw[wi + 3]!;
      }
      acc[o0 + p] = a0;
      acc[o1 + p] = a1;
      acc[o2 + p] = a2;
      acc[o3 + p] = a3;
    }
  }
}

/** The rows after the last block of 4, one at a time: 4 patches per step. */
function multiplyLeftoverRows(w: PackedWeights, patches: Int32Array, count: number, acc: Int32Array): void {
  const k = w.depth;
  const pw = w.data;
  for (let r = w.blocks * 4; r < w.rows; r++) {
    const wBase = r * k;
    const o = r * count;
    let p = 0;
    for (; p + 3 < count; p += 4) {
      const u0 = p * k;
      const u1 = u0 + k;
      const u2 = u1 + k;
      const u3 = u2 + k;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0;
      for (let i = 0; i < k; i++) {
        const wv = pw[wBase + i]!;
        a0 += patches[u0 + i]! * wv;
        a1 += patches[u1 + i]! * wv;
        a2 += patches[u2 + i]! * wv;
        a3 += patches[u3 + i]! * wv;
      }
      acc[o + p] = a0;
      acc[o + p + 1] = a1;
      acc[o + p + 2] = a2;
      acc[o + p + 3] = a3;
    }
    for (; p < count; p++) {
      const u0 = p * k;
      let a = 0;
      for (let i = 0; i < k; i++) a += patches[u0 + i]! * pw[wBase + i]!;
      acc[o + p] = a;
    }
  }
}
