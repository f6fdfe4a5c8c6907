// Parsing of the command-line values (numbers, sizes, names of choices): each rule written once, used as commander's
// argument parser, so a bad value stops the command before it does anything, as an E_USAGE error naming the option.

import { parseInputShapes } from '../frontend/input-shapes.js';
import { EennError } from '../ir/diagnostics.js';
import { EXIT_POLICIES, type ExitPolicy } from '../ir/exits.js';
import { DEFAULT_PERCENTILE } from '../quantize/calibrate.js';
import type { Int16Layers } from '../quantize/techniques.js';
import { RAW_LABEL_DTYPES, type RawLabelDType } from '../data/labels.js';
import type { ArenaPolicy } from '../schedule/arena-budget.js';
import { MAX_TIMER_MS } from '../util/timers.js';

export type Precision = 'int8' | 'float32';

/** The longest time limit a timer can hold (setTimeout's signed 32-bit milliseconds), in whole seconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** The largest sample count an option takes (typed arrays and loops index with 32-bit signed integers). */
const MAX_COUNT = 2 ** 31 - 1;

/** The largest arena size: the whole 32-bit address space of a microcontroller. */
export const MAX_ARENA_BYTES = 2 ** 32;

/** The usage error for a bad value: names the option and the value, says what is expected, with an example. */
function badValue(name: string, value: string, expected: string, example: string): EennError {
  return new EennError({
    code: 'E_USAGE',
    message: `${name} must be ${expected}, not "${value}"`,
    hint: `for example ${name} ${example}`,
  });
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number or a fraction of two (1/255); NaN for anything else ('', 'abc', '0x10', 'Infinity'). */
function parseReal(value: string): number {
  const parts = value.split('/').map((part) => part.trim());
  if (parts.length > 2 || !parts.every((part) => DECIMAL.test(part))) return NaN;
  return parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(parts[0]);
}

/** A positive finite number (--scale, --calib-scale); a fraction such as 1/255 is accepted. */
export function parsePositive(name: string, value: string): number {
  const n = parseReal(value);
  if (!Number.isFinite(n) || n <= 0) throw badValue(name, value, 'a positive number (a fraction such as 1/255 is accepted)', '1/255');
  return n;
}

/** A finite number that is zero or more (--rtol, --atol). */
export function parseNonNegative(name: string, value: string): number {
  const n = parseReal(value);
  if (!Number.isFinite(n) || n < 0) throw badValue(name, value, 'a number that is zero or more', '1e-4');
  return n;
}

/** A whole number of samples from 1 to MAX_COUNT (--count, --calib-count, --sqnr-samples); 2.9 is refused, not floored. */
export function parseCount(name: string, value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_COUNT)) throw badValue(name, value, `a whole number from 1 to ${MAX_COUNT}`, '100');
  return n;
}

/** --seed: a whole number from 0 to 2^32 - 1 (the failure schedules of `test --failures` are replayed by it). */
export function parseSeed(name: string, value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 2 ** 32 - 1)) throw badValue(name, value, `a whole number from 0 to ${2 ** 32 - 1}`, '7');
  return n;
}

/** --link-faults: the probability that a byte on the link is dropped or corrupted, in [0, 1). */
export function parseLinkFaultRate(name: string, value: string): number {
  const n = parseReal(value);
  if (!(n >= 0 && n < 1)) throw badValue(name, value, 'a probability per byte from 0 up to (not including) 1', '0.0005');
  return n;
}

/** --timeout in seconds: positive, and no longer than a timer can wait (MAX_TIMEOUT_SECONDS, about 24.8 days). */
export function parseTimeoutSeconds(value: string): number {
  const n = parseReal(value);
  if (!Number.isFinite(n) || n <= 0 || Math.ceil(n * 1000) > 2 ** 31 - 1) {
    throw badValue('--timeout', value, `a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`, '600');
  }
  return n;
}

/** --timeout's seconds as the whole milliseconds a timer takes (at least 1). */
export function timeoutMs(seconds: number): number {
  return Math.max(1, Math.ceil(seconds * 1000));
}

/** --percentile: the share of values the percentile method keeps, in (0, 100]. */
export function parsePercentile(value: string): number {
  const n = parseReal(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw badValue('--percentile', value, 'a number above 0 and at most 100', String(DEFAULT_PERCENTILE));
  return n;
}

export function parsePrecision(value: string): Precision {
  if (value === 'int8' || value === 'float32') return value;
  throw badValue('--precision', value, 'int8 or float32', 'float32');
}

/** The calibration methods of --calib-method. */
export function parseCalibrationMethod(value: string): 'minmax' | 'percentile' | 'entropy' {
  if (value === 'minmax' || value === 'percentile' || value === 'entropy') return value;
  throw badValue('--calib-method', value, 'minmax, percentile or entropy', 'entropy');
}

/** --int16-layers: auto, none, or node names separated by commas. */
export function parseInt16Layers(value: string): Int16Layers {
  if (value === 'auto' || value === 'none') return { kind: value };
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw badValue('--int16-layers', value, 'auto, none, or node names separated by commas', 'auto');
  return { kind: 'names', names };
}

/** --labels-dtype: the type of a raw .bin labels file's labels. */
export function parseLabelsDType(value: string): RawLabelDType {
  const dtype = RAW_LABEL_DTYPES.find((t) => t === value);
  if (dtype !== undefined) return dtype;
  throw badValue('--labels-dtype', value, RAW_LABEL_DTYPES.join(' or '), 'uint8');
}

/** The help of --labels-dtype, in every command that reads labels. */
export const LABELS_DTYPE_HELP = 'a raw .bin --labels file: uint8 (one byte per label) or int64 (little-endian, 8 bytes per label)';

/** --io: the data type of the model's inputs and outputs in an int8 build. */
export function parseIo(value: string): 'int8' | 'float32' {
  if (value === 'int8' || value === 'float32') return value;
  throw badValue('--io', value, 'int8 or float32', 'float32');
}

/** --arena: min, tflm, ram or a byte count from 1 to MAX_ARENA_BYTES (k/K and M suffixes allowed: 64k). */
export function parseArenaPolicy(value: string): ArenaPolicy {
  if (value === 'min' || value === 'tflm' || value === 'ram') return value;
  const match = /^(\d+)\s*([kKmM]?)$/.exec(value.trim());
  const bytes = match ? Number(match[1]) * (match[2] === '' ? 1 : /k/i.test(match[2]!) ? 1024 : 1024 * 1024) : NaN;
  if (bytes >= 1 && bytes <= MAX_ARENA_BYTES) return bytes;
  throw badValue('--arena', value, `min, tflm, ram or a size in bytes from 1 to ${MAX_ARENA_BYTES} (4096M), e.g. 65536 or 64k`, '64k');
}

/** --exits: output names, comma-separated, in exit order (the last is the final classifier); none empty or given twice. */
export function parseExitNames(value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === ''))
    throw badValue('--exits', value, 'output names separated by commas, in exit order, the final one last', 'exit0,exit1,logits');
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--exits names "${twice}" twice ("${value}")`,
      hint: 'name each exit output once, in exit order, the final one last: for example --exits exit0,exit1,logits',
    });
  }
  return names;
}

/**
 * --exit-threshold: one number for every early exit, or one per early exit, comma-separated. Only the form is checked
 * here; the range each policy allows and the count the model needs are checked against the model (src/exits/).
 */
export function parseExitThresholds(value: string): number[] {
  const thresholds = value.split(',').map((part) => parseReal(part.trim()));
  if (!thresholds.every(Number.isFinite))
    throw badValue('--exit-threshold', value, 'a number, or one number per early exit separated by commas', '0.9 or 0.9,0.8');
  return thresholds;
}

/** --exit-policy: how an early exit decides to stop (src/ir/exits.ts). */
export function parseExitPolicy(value: string): ExitPolicy {
  const policy = EXIT_POLICIES.find((p) => p === value);
  if (policy) return policy;
  throw badValue('--exit-policy', value, EXIT_POLICIES.join(', ').replace(/, ([^,]*)$/, ' or $1'), 'margin');
}

/** Collector of a repeatable data-file option (--input, --data, --calib): `file` or `name=file`, in the order given. */
export function collectFiles(value: string, previous?: string[]): string[] {
  return [...(previous ?? []), value];
}

/** Collector of the repeatable --input-shape: each one checked as it is given (form, dimensions, no name twice). */
export function collectInputShape(value: string, previous: string[] = []): string[] {
  const all = [...previous, value];
  parseInputShapes(all);
  return all;
}

/** A commander argument parser for a number option: `.option('--count <n>', '...', numberOption(parseCount, '--count'))`. */
export function numberOption(parser: (name: string, value: string) => number, name: string): (value: string) => number {
  return (value) => parser(name, value);
}
