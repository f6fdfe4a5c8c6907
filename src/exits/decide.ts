// Whether one exit stops, on the values of its decision tensor: the int8 decision (the integer rule of rule.ts, bit
// for bit eenn_exit_s8.c) and the float32 one (eenn_exit_f32.c, each step rounded to float32 as the C rounds it).

import type { ExitPolicy, Int8ExitRule } from '../ir/exits.js';
import { MARGIN_BITS, log2Q24 } from './rule.js';

/** The largest and the second largest of `x` (the largest again when it occurs twice); x has at least 2 values. */
function topTwo(x: ArrayLike<number>): [number, number] {
  let first = x[0]!;
  let second = -Infinity;
  for (let i = 1; i < x.length; i++) {
    const v = x[i]!;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  return [first, second];
}

/** True when an int8 exit stops: `q` its scores, `rule` from int8ExitRule. */
export function decideInt8(kind: 'logits' | 'probabilities', policy: ExitPolicy, rule: Int8ExitRule, q: ArrayLike<number>): boolean {
  const [qMax, q2] = topTwo(q);
  const { table, bound } = rule;
  if (kind === 'probabilities') {
    switch (policy) {
      case 'max-softmax':
        return qMax >= bound;
      case 'margin':
        return qMax - q2 >= bound;
      case 'entropy': {
        let sum = 0;
        for (let i = 0; i < q.length; i++) sum += table[q[i]! + 128]!;
        return sum <= bound;
      }
    }
  }
  const e = (d: number) => (d < table.length ? table[d]! : 0);
  let s = 0;
  for (let i = 0; i < q.length; i++) s += e(qMax - q[i]!);
  switch (policy) {
    case 'max-softmax':
      return s <= bound;
    case 'margin':
      // (E[0] - E) 2^20 <= 2^44 and bound S <= 2^50: exact in doubles.
      return (e(0) - e(qMax - q2)) * 2 ** MARGIN_BITS >= bound * s;
    case 'entropy': {
      let w = 0;
      for (let i = 0; i < q.length; i++) w += e(qMax - q[i]!) * (qMax - q[i]!);
      const l = log2Q24(s) - log2Q24(e(0));
      return BigInt(s) * BigInt(l) + BigInt(rule.weight) * BigInt(w) <= BigInt(bound) * BigInt(s);
    }
  }
}

const f = Math.fround;

/**
 * True when a float32 exit stops: `x` its logits or probabilities, as eenn_exit_f32.c decides. Each step is rounded
 * to float32 as the C computes it; Math.exp and Math.log are correctly rounded to double before the rounding to
 * float32, where newlib's expf and logf may be one unit off in the last bit, so the C may decide otherwise only on
 * an input whose statistic is that close to the threshold.
 */
export function decideFloat(kind: 'logits' | 'probabilities', policy: ExitPolicy, threshold: number, x: ArrayLike<number>): boolean {
  const t = f(threshold);
  const classes = x.length;
  const [first, second] = topTwo(x);
  if (kind === 'probabilities') {
    switch (policy) {
      case 'max-softmax':
        return first >= t;
      case 'margin':
        return f(first - second) >= t;
      case 'entropy': {
        let h = 0;
        for (let i = 0; i < classes; i++) {
          const p = x[i]!;
          if (p > 0) h = f(h - f(p * f(Math.log(p))));
        }
        return f(h / f(Math.log(classes))) <= t;
      }
    }
  }
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < classes; i++) {
    const d = f(first - x[i]!);
    const e = f(Math.exp(-d));
    sum = f(sum + e);
    weighted = f(weighted + f(e * d));
  }
  switch (policy) {
    case 'max-softmax':
      return f(1 / sum) >= t;
    case 'margin':
      return f(f(1 - f(Math.exp(-f(first - second)))) / sum) >= t;
    case 'entropy': {
      const h = f(f(Math.log(sum)) + f(weighted / sum));
      return f(h / f(Math.log(classes))) <= t;
    }
  }
}
