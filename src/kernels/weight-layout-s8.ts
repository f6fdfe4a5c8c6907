// The paired weight layout of the int8 convolution and fully connected kernels (eenn_kernels_s8.h: "Weight rows
// packed in pairs", EENN_PAIR_CHUNK_S8, EENN_PAIRED_ROW_S8): the chunk, the padded row and the packing.

/** Values of each row per chunk of the paired weight layout (EENN_PAIR_CHUNK_S8). */
export const PAIR_CHUNK_S8 = 16;

/** Bytes of one row in the paired layout (EENN_PAIRED_ROW_S8): rows shorter than a chunk padded to a multiple of 4. */
export function pairedRowBytes(depth: number): number {
  return depth < PAIR_CHUNK_S8 ? Math.ceil(depth / 4) * 4 : depth;
}

/**
 * Weight rows [channels, depth] in the paired layout of eenn_kernels_s8.h, group by group: output channels in
 * pairs (m, m + 1), each pair 16 values at a time ([m: k .. k+15][m+1: k .. k+15], then the shorter last chunk
 * of each), an odd last channel of a group left as its plain row. Rows shorter than 16 values are first padded
 * with zeros to a multiple of 4 (pairedRowBytes); longer layers keep the size of the input.
 */
export function packPairs(rows: Int8Array, channels: number, groups: number, depth: number): Int8Array {
  const row = pairedRowBytes(depth);
  const packed = new Int8Array(channels * row);
  const perGroup = channels / groups;
  const rowOf = (m: number) => rows.subarray(m * depth, (m + 1) * depth);
  for (let g = 0; g < groups; g++) {
    for (let m = g * perGroup; m < (g + 1) * perGroup; m += 2) {
      const block = m * row;
      if (m + 1 >= (g + 1) * perGroup) {
        packed.set(rowOf(m), block);
        continue;
      }
      let at = block;
      for (let k = 0; k < row; k += PAIR_CHUNK_S8) {
        const n = Math.min(PAIR_CHUNK_S8, row - k);
        packed.set(rowOf(m).subarray(k, Math.min(k + n, depth)), at);
        packed.set(rowOf(m + 1).subarray(k, Math.min(k + n, depth)), at + n);
        at += 2 * n;
      }
    }
  }
  return packed;
}

/** The checks of a call whose weights are `depth`-value rows in the paired layout. */
export function pairedLayoutChecks(depth: number): { expr: string; what: string }[] {
  return [
    { expr: `EENN_PAIR_CHUNK_S8 == ${PAIR_CHUNK_S8}`, what: 'weights packed in pairs of output channels, 16 values at a time' },
    { expr: `EENN_PAIRED_ROW_S8(${depth}) == ${pairedRowBytes(depth)}`, what: `weight rows of ${depth} values in the paired layout` },
  ];
}
