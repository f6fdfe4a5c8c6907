// Parsing of the options shared by several commands (--input-shape, --precision, --target, numbers),
// turning bad values into E_USAGE errors that say what was expected.

import { EennError } from '../ir/diagnostics.js';
import type { ArenaPolicy } from '../partition/arena-budget.js';

export type Precision = 'int8' | 'float32';

export function parsePrecision(value: string): Precision {
  if (value === 'int8' || value === 'float32') return value;
  throw new EennError({ code: 'E_USAGE', message: `--precision must be int8 or float32, not "${value}"` });
}

/** A positive number option (e.g. --scale, --timeout); a fraction such as 1/255 is accepted. */
export function parsePositive(name: string, value: string): number {
  const fraction = /^\s*([0-9.eE+-]+)\s*\/\s*([0-9.eE+-]+)\s*$/.exec(value);
  const n = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new EennError({ code: 'E_USAGE', message: `${name} must be a positive number, not "${value}"` });
  }
  return n;
}

/** Repeatable option collector for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The calibration methods of --calib-method. */
export function parseCalibrationMethod(value: string): 'minmax' | 'percentile' | 'entropy' {
  if (value === 'minmax' || value === 'percentile' || value === 'entropy') return value;
  throw new EennError({ code: 'E_USAGE', message: `--calib-method must be minmax, percentile or entropy, not "${value}"` });
}

/** --io: the data type of the model's inputs and outputs in an int8 build. */
/** --arena: min, tflm, ram or a byte count (k/K and M suffixes allowed: 64k). */
export function parseArenaPolicy(value: string): ArenaPolicy {
  if (value === 'min' || value === 'tflm' || value === 'ram') return value;
  const match = /^(\d+)\s*([kKmM]?)$/.exec(value.trim());
  if (match) return Number(match[1]) * (match[2] === '' ? 1 : /k/i.test(match[2]!) ? 1024 : 1024 * 1024);
  throw new EennError({
    code: 'E_USAGE',
    message: `--arena must be min, tflm, ram or a size in bytes (e.g. 65536 or 64k), not "${value}"`,
  });
}

export function parseIo(value: string): 'int8' | 'float32' {
  if (value === 'int8' || value === 'float32') return value;
  throw new EennError({ code: 'E_USAGE', message: `--io must be int8 or float32, not "${value}"` });
}
