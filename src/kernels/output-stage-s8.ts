// The output stage of the int8 layer kernels (eenn_requantize_bounded_ok_s8 in eenn_kernels_s8.h): whether a
// call may take the bounded fast requantization, decided at compile time the way the kernel decides at run time,
// and the switches that choice takes. A call that needs the exact stage needs EXACT compiled in: a correctness
// switch, checked in model.c.

import type { CallArgs } from './call-args.js';
import type { CallCheck } from './contract.js';

/** Most values one output may sum for the bounded requantization (EENN_BOUNDED_DEPTH_S8). */
export const BOUNDED_DEPTH_S8 = 32768;

/** Largest |bias| the bounded requantization accepts: below 2^29. */
const BOUNDED_BIAS_LIMIT = 2 ** 29;

/** eenn_requantize_bounded_ok_s8 at compile time (undefined when the arguments are not constants). */
export function boundedOk(args: CallArgs, channels: number, depth: number): boolean | undefined {
  if (depth > BOUNDED_DEPTH_S8) return false;
  const shift = args.values('output_shift', channels);
  if (!shift) return undefined;
  const bias = args.isNull('bias') ? undefined : args.values('bias', channels);
  if (!args.isNull('bias') && !bias) return undefined;
  for (let c = 0; c < channels; c++) {
    if (shift[c]! > -1) return false;
    if (bias && Math.abs(bias[c]!) >= BOUNDED_BIAS_LIMIT) return false;
  }
  return true;
}

/** The switch names of one layer family's output stage. */
export interface OutputStageSwitches {
  exact: string;
  saturate: string;
  clamp?: string;
}

/**
 * The output-stage switches a layer of `channels` outputs summing `depth` values each takes: `exact` when it fails
 * the bounded test (the kernel then needs the exact stage), else its fast path.
 */
export function outputStageSwitches(args: CallArgs, channels: number, depth: number, names: OutputStageSwitches): string[] {
  const bounded = boundedOk(args, channels, depth);
  const fullRange = args.int('act_min') === -128 && args.int('act_max') === 127;
  // Not decidable (a non-constant argument): every path.
  if (bounded === undefined) return [names.exact, names.saturate, ...(names.clamp ? [names.clamp] : [])];
  if (!bounded) return [names.exact];
  if (fullRange) return [names.saturate];
  return names.clamp ? [names.clamp] : [];
}

/**
 * The checks of a layer's output stage: the exact stage compiled in when the layer needs it (or when that is not
 * decidable), and the depth bound the decision used.
 */
export function outputStageChecks(args: CallArgs, channels: number, depth: number, exact: string): CallCheck[] {
  const bounded = boundedOk(args, channels, depth);
  const checks: CallCheck[] = [{ expr: `EENN_BOUNDED_DEPTH_S8 == ${BOUNDED_DEPTH_S8}`, what: 'the depth bound of the fast output stage' }];
  if (bounded !== true) checks.push({ expr: exact, what: `needs the exact output stage: ${exact} must be 1` });
  return checks;
}
