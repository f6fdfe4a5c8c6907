// Codegen: rolls runs of repeated kernel calls into C loops. A step computed a block at a time (a fused conv + pool
// or conv + residual, src/codegen/lower/int8-conv-fused.ts) lowers to the same calls once per block, differing only
// by pointer offsets and by the block's slice of each derived constant. Printed one by one they cost flash in
// eenn_run (a call with 20 arguments is about 80 bytes of Thumb code); rolled, they print once inside
// `for (block = 0; ...)`, the derived arrays of the blocks concatenated into one. The emitter calls rollCalls on
// each step's calls; nothing here knows C syntax.

import type { ConstArray, KernelArg, KernelCall } from '../kernels/call.js';
import { sameArray } from './constants.js';

/** How one argument changes from one pass of a loop to the next. */
export type RolledArg =
  /** The same in every pass. */
  | { kind: 'fixed'; arg: KernelArg }
  /** A number, a tensor or a scratch offset growing by `step` per pass (`arg` is the first pass's). */
  | { kind: 'stride'; arg: KernelArg; step: number }
  /** Each pass's own derived array, concatenated into `array`: pass i reads `length` values from i * length on. */
  | { kind: 'slices'; name: string; array: ConstArray; length: number };

export interface RolledCall {
  fn: string;
  args: RolledArg[];
}

/** Calls printed as they are, or `count` passes of a loop over `calls`. */
export type CallGroup = { kind: 'calls'; calls: KernelCall[] } | { kind: 'loop'; count: number; calls: RolledCall[] };

/** Fewest passes worth a loop. */
const MIN_PASSES = 2;

/** The numeric part of an argument that may grow per pass, or undefined when it has none. */
function offsetOf(arg: KernelArg): number | undefined {
  switch (arg.kind) {
    case 'tensor':
    case 'const':
    case 'scratch':
      return arg.offset ?? 0;
    case 'int':
      return arg.value;
    default:
      return undefined;
  }
}

/** True when two arguments are the same apart from their numeric offset. */
function sameBase(a: KernelArg, b: KernelArg): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  switch (a.kind) {
    case 'tensor':
      return a.tensor === (b as typeof a).tensor;
    case 'scratch':
    case 'int':
      return true;
    case 'const': {
      const c = b as typeof a;
      return a.array.ctype === c.array.ctype && a.array.data.length === c.array.data.length;
    }
    case 'float':
      return Object.is(a.value, (b as typeof a).value);
    case 'macro':
      return a.value === (b as typeof a).value;
    case 'null':
      return true;
  }
}

/**
 * How argument `j` of the calls `passes` (one per pass, the same function) varies, or undefined when it does
 * not vary in a way a loop can express.
 */
function rollArg(passes: KernelCall[], j: number): RolledArg | undefined {
  const args = passes.map((c) => c.args[j]!);
  const first = args[0]!;
  if (!args.every((a) => sameBase(first, a))) return undefined;
  if (first.kind === 'const' && !args.every((a) => sameArray(first.array, (a as typeof first).array))) {
    // Different data in each pass: concatenate; every pass must read its array from the same offset.
    if (!args.every((a) => (a as typeof first).offset === first.offset) || first.offset) return undefined;
    const length = first.array.data.length;
    const data = concat(
      args.map((a) => (a as typeof first).array.data),
      first.array.ctype,
    );
    const array: ConstArray = {
      name: first.array.name,
      ctype: first.array.ctype,
      data,
      note: `${first.array.note}; ${passes.length} blocks of ${length} values, one per pass of the loop`,
    };
    return { kind: 'slices', name: first.name, array, length };
  }
  const offset0 = offsetOf(first);
  if (offset0 === undefined) return { kind: 'fixed', arg: first };
  const step = offsetOf(args[1]!)! - offset0;
  if (!args.every((a, i) => offsetOf(a) === offset0 + i * step)) return undefined;
  return step === 0 ? { kind: 'fixed', arg: first } : { kind: 'stride', arg: first, step };
}

function concat(parts: ArrayLike<number>[], ctype: ConstArray['ctype']): ConstArray['data'] {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out =
    ctype === 'float'
      ? new Float32Array(length)
      : ctype === 'int32_t'
        ? new Int32Array(length)
        : ctype === 'int64_t'
          ? new Float64Array(length)
          : new Int8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, at);
    at += p.length;
  }
  return out;
}

/** `count` passes of `period` calls from `start` rolled, or undefined when the passes differ in what a loop can't vary. */
function tryRoll(calls: KernelCall[], start: number, period: number, count: number): RolledCall[] | undefined {
  const rolled: RolledCall[] = [];
  for (let k = 0; k < period; k++) {
    const passes = Array.from({ length: count }, (_, i) => calls[start + i * period + k]!);
    const head = passes[0]!;
    if (!passes.every((c) => c.fn === head.fn && c.args.length === head.args.length)) return undefined;
    const args: RolledArg[] = [];
    for (let j = 0; j < head.args.length; j++) {
      const arg = rollArg(passes, j);
      if (!arg) return undefined;
      args.push(arg);
    }
    rolled.push({ fn: head.fn, args });
  }
  return rolled;
}

/** The longest run of passes of `period` calls from `start` that rolls (MIN_PASSES at least), if any. */
function longestRoll(calls: KernelCall[], start: number, period: number): { count: number; calls: RolledCall[] } | undefined {
  let best: { count: number; calls: RolledCall[] } | undefined;
  // Passes only ever stop matching at the end (a shorter last block), so grow the run while it still rolls.
  for (let count = MIN_PASSES; start + count * period <= calls.length; count++) {
    const rolled = tryRoll(calls, start, period, count);
    if (!rolled) break;
    best = { count, calls: rolled };
  }
  return best;
}

/**
 * The calls of one step, with every run of at least MIN_PASSES repeated groups of calls rolled into a loop (the
 * grouping that covers the most calls wins); calls that do not repeat stay as they are, in order.
 */
export function rollCalls(calls: KernelCall[]): CallGroup[] {
  const groups: CallGroup[] = [];
  let plain: KernelCall[] = [];
  for (let i = 0; i < calls.length;) {
    let best: { period: number; count: number; calls: RolledCall[] } | undefined;
    for (let period = 1; i + MIN_PASSES * period <= calls.length; period++) {
      const run = longestRoll(calls, i, period);
      if (run && (!best || run.count * period > best.count * best.period)) best = { period, ...run };
    }
    if (!best) {
      plain.push(calls[i]!);
      i++;
      continue;
    }
    if (plain.length > 0) groups.push({ kind: 'calls', calls: plain });
    plain = [];
    groups.push({ kind: 'loop', count: best.count, calls: best.calls });
    i += best.count * best.period;
  }
  if (plain.length > 0) groups.push({ kind: 'calls', calls: plain });
  return groups;
}
