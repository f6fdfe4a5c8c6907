// Convolutions computed a block of output channels at a time into the step's scratch, each block pooled or added
// from there (the float eenn_conv2d_pool_f32, EENN_CONV_POOL_F32_BLOCK; the fused int8 conv + pool / conv + add
// steps, codegen/lower/int8-conv-fused.ts): the block and the bytes its planes take.

import { bytesPerElement, type DType } from '../ir/graph.js';

/** Output channels a fused conv + pool kernel computes per pass (the conv kernel's register block). */
export const CONV_POOL_BLOCK = 4;

/** Bytes of `block` planes of a conv output (min(block, C) * H * W elements): the scratch of a fused conv + pool step. */
export function blockPlanesBytes(conv: { shape: number[]; dtype: DType }, block = CONV_POOL_BLOCK): number {
  return Math.min(block, conv.shape[1]!) * conv.shape[2]! * conv.shape[3]! * bytesPerElement(conv.dtype);
}

/**
 * Bytes at the start of a fused int8 conv + pool / conv + add step's scratch that hold `block` conv output planes,
 * rounded up to 4 so that the convolution kernel's own scratch can follow (codegen/lower/int8-conv-fused.ts).
 */
export function fusedBlockBytes(conv: { shape: number[]; dtype: DType }, block: number): number {
  return Math.ceil(blockPlanesBytes(conv, block) / 4) * 4;
}
