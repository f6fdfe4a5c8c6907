// Weight layouts the float kernels read fastest, computed once at compile time: output channels interleaved in
// blocks of 4 (conv and fully connected), and matrices turned to [out_features, in_features].

/**
 * Interleave output channels in blocks of 4, per group, as eenn_conv2d_f32 / eenn_fc_f32 expect.
 * `weights` is [outChannels, filterSize] (filterSize = C/groups * kernel area, or in_features). Within each group
 * channels go in blocks of 4 stored [filterSize][4]; the last (outChannels/groups) % 4 stay [filterSize] each.
 * Channel m still starts at m * filterSize.
 */
export function packOutputBlocks(weights: Float32Array, outChannels: number, groups: number, filterSize: number): Float32Array {
  const packed = new Float32Array(weights.length);
  const groupOut = outChannels / groups;
  for (let g = 0; g < groups; g++) {
    let m = 0;
    for (; m + 4 <= groupOut; m += 4) {
      const base = (g * groupOut + m) * filterSize;
      for (let f = 0; f < filterSize; f++) {
        for (let i = 0; i < 4; i++) packed[base + f * 4 + i] = weights[base + i * filterSize + f]!;
      }
    }
    for (; m < groupOut; m++) {
      const base = (g * groupOut + m) * filterSize;
      packed.set(weights.subarray(base, base + filterSize), base);
    }
  }
  return packed;
}

/**
 * A matrix as [n][k] (row j holds what output feature j multiplies), times `scale`:
 * from B stored [k][n] (`transposed` false, ONNX MatMul / Gemm transB=0) or [n][k] (transB=1).
 */
export function outputMajor(b: Float32Array, k: number, n: number, transposed: boolean, scale = 1): Float32Array {
  const out = new Float32Array(n * k);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) {
      const v = transposed ? b[j * k + p]! : b[p * n + j]!;
      out[j * k + p] = scale === 1 ? v : Math.fround(scale * v);
    }
  }
  return out;
}
