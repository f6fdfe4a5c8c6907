// The integer rule of an int8 exit's decision: from the decision tensor's scale and zero point, the policy, the
// kind and the threshold, the table and bounds that templates/c/kernels/eenn_exit_s8.c and src/exits/decide.ts
// compare with. The one place that says what the fields of Int8ExitRule mean.
//
// Scores q_j (int8, scale s, zero point z, C classes), q_max their largest, q_2 the second largest (q_max again
// when it occurs twice).
//
// logits (the decision applies softmax):
//   d_j = q_max - q_j in [0, 255];  E[d] = round(2^b exp(-s d)), cut after its last nonzero entry (E[d] = 0
//   beyond the table), b = min(24, 30 - ceil(log2 C)) fraction bits so that S = sum_j E[d_j] <= C 2^b <= 2^30
//   (uint32; E[0] = 2^b, so S >= 2^b). p_max = E[0] / S.
//   max-softmax  p_max >= T                <=> S <= bound,  bound = floor(2^b / T)
//   margin       p_max - p_2 >= T          <=> (E[0] - E[q_max - q_2]) 2^20 >= bound S,  bound = round(T 2^20)
//   entropy      H / ln C <= T, with H = ln(S / 2^b) + s sum_j E[d_j] d_j / S (the entropy of p_j = E[d_j] / S
//                when E[d] is exactly 2^b exp(-s d)); in bits and multiplied by S:
//                S L + weight W <= bound S   (uint64),  L = log2(S) - log2(E[0]) in Q24 (eenn_exit_log2_q24),
//                W = sum E d,  weight = round(2^24 s / ln 2),  bound = floor(2^24 T log2 C)
// probabilities (the tensor is a softmax output, p_j = s (q_j - z), which its quantization holds in [0, 1]):
//   max-softmax  s (q_max - z) >= T        <=> q_max >= bound, the smallest such q (128: never)
//   margin       s (q_max - q_2) >= T      <=> q_max - q_2 >= bound, the smallest such difference (256: never)
//   entropy      -sum_j p_j ln p_j <= T ln C  <=>  sum_j G[q_j + 128] <= bound,
//                G[q + 128] = round(2^16 (-p ln p)) with p = s (q - z) clamped to [0, 1] (0 ln 0 = 0),
//                bound = floor(2^16 T ln C)
//
// Every sum and product stays in range for C <= EXIT_MAX_CLASSES: S <= 2^30, E d < 2^32, W < 2^38, margin
// products < 2^51 (exact in a double), S L < 2^58, weight W < 2^55 (sum E s d <= C 2^b / e), bound S < 2^59.
// The decision differs from the float math only where the tables' rounding decides: a probability within about
// 2^-b of the threshold, or class probabilities below 2^-(b+1), which the table counts as 0.

import type { ExitPolicy, Int8ExitRule } from '../ir/exits.js';

/** The most classes an int8 decision handles (the bounds above hold up to it). */
export const EXIT_MAX_CLASSES = 4096;

/** Fraction bits of the exponential table at most (E[0] = 2^b is probability 1), and of S at most. */
const EXP_BITS_MAX = 24;
const SUM_BITS = 30;
/** Fraction bits of the entropy's log2 (in bits) and of its weight and bound. */
export const LOG_BITS = 24;
/** Fraction bits of the margin's threshold. */
export const MARGIN_BITS = 20;
/** Fraction bits of the -p ln p table of probabilities. */
export const PLOGP_BITS = 16;

/** Entries of the log2 table: log2(1 + i / 256) for i in [0, 256]. */
const LOG2_STEPS = 256;

/** LOG2_TABLE[i] = round(2^24 log2(1 + i / 256)); eenn_exit_s8.c holds the same 257 numbers (a test compares them). */
export const LOG2_TABLE: readonly number[] = Array.from({ length: LOG2_STEPS + 1 }, (_, i) =>
  Math.round(2 ** LOG_BITS * Math.log2(1 + i / LOG2_STEPS)),
);

/**
 * log2(x) in Q24 for an integer x in [1, 2^32): the leading one's position, then the table between the 8 bits after
 * it, interpolated linearly with the next 15 (error below 2^-18). Exactly eenn_exit_log2_q24 in C.
 */
export function log2Q24(x: number): number {
  let k = 31;
  while (k > 0 && x < 2 ** k) k--;
  // m: x with its leading one at bit 31.
  const m = x * 2 ** (31 - k);
  const index = Math.floor(m / 2 ** 23) % LOG2_STEPS;
  const rest = Math.floor(m / 2 ** 8) % 2 ** 15;
  const base = LOG2_TABLE[index]!;
  const step = LOG2_TABLE[index + 1]! - base;
  return k * 2 ** LOG_BITS + base + Math.floor((step * rest) / 2 ** 15);
}

const INT32_MAX = 2147483647;

/** The rule of an exit deciding on int8 scores of `classes` classes, scale `scale`, zero point `zeroPoint`. */
export function int8ExitRule(
  kind: 'logits' | 'probabilities',
  policy: ExitPolicy,
  threshold: number,
  scale: number,
  zeroPoint: number,
  classes: number,
): Int8ExitRule {
  if (kind === 'logits') {
    const bits = expBits(classes);
    const table = expTable(scale, bits);
    switch (policy) {
      case 'max-softmax':
        return { table, bound: Math.min(INT32_MAX, Math.floor(2 ** bits / threshold)), weight: 0 };
      case 'margin':
        return { table, bound: Math.round(threshold * 2 ** MARGIN_BITS), weight: 0 };
      case 'entropy':
        return {
          table,
          bound: Math.floor(2 ** LOG_BITS * threshold * Math.log2(classes)),
          // Below INT32_MAX wherever E[1] > 0 (s <= 17); a larger scale leaves W = 0, which any weight multiplies.
          weight: Math.min(INT32_MAX, Math.round((2 ** LOG_BITS * scale) / Math.LN2)),
        };
    }
  }
  const p = (q: number) => scale * (q - zeroPoint);
  switch (policy) {
    case 'max-softmax': {
      let q = -128;
      while (q <= 127 && p(q) < threshold) q++;
      return { table: [], bound: q, weight: 0 };
    }
    case 'margin': {
      let d = 0;
      while (d <= 255 && scale * d < threshold) d++;
      return { table: [], bound: d, weight: 0 };
    }
    case 'entropy': {
      const table = Array.from({ length: 256 }, (_, i) => {
        const pi = Math.min(1, Math.max(0, p(i - 128)));
        return pi > 0 ? Math.round(-(2 ** PLOGP_BITS) * pi * Math.log(pi)) : 0;
      });
      return { table, bound: Math.floor(2 ** PLOGP_BITS * threshold * Math.log(classes)), weight: 0 };
    }
  }
}

/** b: the fraction bits of the exponential table of an exit of `classes` classes. */
export function expBits(classes: number): number {
  return Math.min(EXP_BITS_MAX, SUM_BITS - Math.ceil(Math.log2(classes)));
}

/** E[d] = round(2^bits exp(-scale d)) for d in [0, 255], cut after its last nonzero entry. */
export function expTable(scale: number, bits: number): number[] {
  const table: number[] = [];
  for (let d = 0; d < 256; d++) {
    const e = Math.round(2 ** bits * Math.exp(-scale * d));
    if (e === 0) break;
    table.push(e);
  }
  return table;
}
