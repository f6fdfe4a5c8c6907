// Parsing of the options shared by several commands (--input-shape, --precision, --target, numbers),
// turning bad values into E_USAGE errors that say what was expected.

import { EennError } from '../ir/diagnostics.js';

export type Precision = 'int8' | 'float32';

/** `name=1x1x28x28` (repeatable) -> { name: [1,1,28,28] }. */
export function parseInputShapes(values: readonly string[] | undefined): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const value of values ?? []) {
    const match = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(value.trim());
    if (!match) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape "${value}" is not of the form NAME=DIMxDIMx...`,
        hint: 'for example --input-shape input=1x1x28x28',
      });
    }
    shapes[match[1]!] = match[2]!.split('x').map(Number);
  }
  return shapes;
}

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
