// int8 reference of QReduce (ReduceSum / ReduceMean over any axes) and QLayerNorm (src/ir/int8.ts), with the
// integer arithmetic of eenn_reduce_s8.c and eenn_layer_norm_s8.c.

import type { Graph, Node } from '../../ir/graph.js';
import { intsAttr, LAYER_NORM_FRACTION_BITS } from '../../ir/int8.js';
import { broadcastOffsets } from '../../ops/broadcast.js';
import { clampS32, requantize } from '../fixedpoint.js';
import { countOf, dimsOf, int8Value, intOf, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

/** acc = sum of the reduced (x - zpX); y = clamp(requantize(acc, multiplier, shift) + zpY). */
export function prepareReduce(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const inDims = dimsOf(x);
  const axes = new Set(intsAttr(node, 'axes'));
  const kept = inDims.map((d, i) => (axes.has(i) ? 1 : d));
  const slots = broadcastOffsets(kept, inDims);
  const outputs = countOf(kept);
  const zpX = zeroPointOf(x);
  const zpY = zeroPointOf(y);
  const multiplier = intOf(node, 'multiplier');
  const shift = intOf(node, 'shift');
  const actMin = intOf(node, 'act_min');
  const actMax = intOf(node, 'act_max');
  const outDims = dimsOf(y);
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const acc = new Int32Array(outputs);
    for (let i = 0; i < xs.length; i++) {
      const slot = slots[i]!;
      acc[slot] = acc[slot]! + xs[i]! - zpX;
    }
    const out = new Int8Array(outputs);
    for (let o = 0; o < outputs; o++) out[o] = clampS32((requantize(acc[o]!, multiplier, shift) + zpY) | 0, actMin, actMax);
    return [int8Value(outDims, out)];
  };
}

const TWO_POW_60 = 1n << 60n;
const INVERSE_NUMERATOR = (1n << 61n) - 1n;

/** floor(sqrt(v)) of a non-negative 64-bit value, bit by bit (eenn_isqrt_u64). */
export function isqrtU64(v: bigint): bigint {
  let rest = v;
  let root = 0n;
  let bit = 1n << 62n;
  while (bit > rest) bit >>= 2n;
  while (bit !== 0n) {
    if (rest >= root + bit) {
      rest -= root + bit;
      root = (root >> 1n) + bit;
    } else {
      root >>= 1n;
    }
    bit >>= 2n;
  }
  return root;
}

/**
 * The normalization of one row in Q20 (QLayerNorm, src/ir/int8.ts): z_i = (x_i - mean) / sqrt(var + epsilon) *
 * 2^20 from the row's d_i = x_i - zpX, written to `z`.
 */
export function normalizeRowQ20(d: Int32Array, epsilonQ: number, z: Int32Array): void {
  const n = d.length;
  let sum = 0;
  let squares = 0n;
  for (let i = 0; i < n; i++) {
    sum += d[i]!;
    squares += BigInt(d[i]! * d[i]!);
  }
  const spread = BigInt(n) * squares - BigInt(sum) * BigInt(sum) + BigInt(epsilonQ);
  if (spread === 0n) {
    z.fill(0);
    return;
  }
  let normalized = spread;
  let halfShift = 0n;
  while (normalized < TWO_POW_60) {
    normalized <<= 2n;
    halfShift += 1n;
  }
  const inverse = INVERSE_NUMERATOR / isqrtU64(normalized);
  const rightShift = 61n - BigInt(LAYER_NORM_FRACTION_BITS) - halfShift;
  const round = 1n << (rightShift - 1n);
  for (let i = 0; i < n; i++) {
    const centered = BigInt(n * d[i]! - sum);
    z[i] = Number((centered * inverse + round) >> rightShift);
  }
}

/** QLayerNorm: each row normalized in Q20, then y = clamp(requantize(±z, |multiplier|, shift) + bias + zpY). */
export function prepareLayerNorm(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const rowSize = intOf(node, 'row_size');
  const epsilonQ = intOf(node, 'epsilon_q');
  const multipliers = intsAttr(node, 'multiplier');
  const shifts = intsAttr(node, 'shift');
  const biases = intsAttr(node, 'bias');
  const params = multipliers.length;
  const zpX = zeroPointOf(x);
  const zpY = zeroPointOf(y);
  const actMin = intOf(node, 'act_min');
  const actMax = intOf(node, 'act_max');
  const outDims = dimsOf(y);
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(xs.length);
    const d = new Int32Array(rowSize);
    const z = new Int32Array(rowSize);
    for (let base = 0; base < xs.length; base += rowSize) {
      for (let i = 0; i < rowSize; i++) d[i] = xs[base + i]! - zpX;
      normalizeRowQ20(d, epsilonQ, z);
      for (let i = 0; i < rowSize; i++) {
        const p = i % params;
        const m = multipliers[p]!;
        const scaled = requantize(m < 0 ? -z[i]! : z[i]!, Math.abs(m), shifts[p]!);
        out[base + i] = clampS32((scaled + biases[p]! + zpY) | 0, actMin, actMax);
      }
    }
    return [int8Value(outDims, out)];
  };
}
