// Parses the command line's `--input-shape name=1x1x28x28` options into the map shape inference takes.

import { EennError } from '../ir/diagnostics.js';

/** The largest dimension --input-shape takes (a signed 32-bit index); the model's size limits apply after it. */
const MAX_INPUT_DIM = 2 ** 31 - 1;

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
    const name = match[1]!;
    const texts = match[2]!.split(/[x,]/);
    const dims = texts.map(Number);
    const bad = texts.find((_, i) => !(dims[i]! >= 1 && dims[i]! <= MAX_INPUT_DIM));
    if (bad !== undefined) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape "${spec}": every dimension must be a whole number from 1 to ${MAX_INPUT_DIM}, not ${bad}`,
        hint: 'give the size the model is run with, for example --input-shape input=1x1x28x28',
      });
    }
    if (Object.hasOwn(shapes, name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape names "${name}" twice`,
        hint: "give each input's shape once",
      });
    }
    shapes[name] = dims;
  }
  return shapes;
}
