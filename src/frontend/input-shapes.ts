// Parses the command line's `--input-shape name=1x1x28x28` options into the map shape inference takes.

import { EennError } from '../ir/diagnostics.js';

export function parseInputShapes(specs: readonly string[]): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const spec of specs) {
    const match = /^(.+)=(\d+(?:[x,]\d+)*)$/.exec(spec.trim());
    if (!match) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape "${spec}" is not of the form name=AxBxC`,
        hint: 'for example --input-shape input=1x1x28x28',
      });
    }
    shapes[match[1]!] = match[2]!.split(/[x,]/).map(Number);
  }
  return shapes;
}
