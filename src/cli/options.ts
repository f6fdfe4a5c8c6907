// Parsing of the options shared by several commands (--input-shape, --precision, --target, numbers),
// turning bad values into E_USAGE errors that say what was expected.

import { EennError } from '../ir/diagnostics.js';

export type Precision = 'int8' | 'float32';

export function parsePrecision(value: string): Precision {
  if (value === 'int8' || value === 'float32') return value;
  throw new EennError({ code: 'E_USAGE', message: `--precision must be int8 or float32, not "${value}"` });
}

/** A positive number option (e.g. --scale, --timeout). */
export function parsePositive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new EennError({ code: 'E_USAGE', message: `${name} must be a positive number, not "${value}"` });
  }
  return n;
}

/** Repeatable option collector for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
