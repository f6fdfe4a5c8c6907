// The bit-for-bit check of the kernel tests: each output of a firmware run against the reference's values, with a
// message naming what the output covers, how many values differ and the first that does.

import { expect } from 'vitest';

/** Expect `got[i]` to equal the reference of `outputs[i]` value for value; `label` names what an output covers. */
export function expectBitExact(
  outputs: readonly string[],
  got: readonly ArrayLike<number>[],
  reference: (name: string) => ArrayLike<number>,
  label: (name: string) => string | undefined,
): void {
  outputs.forEach((name, i) => {
    const want = reference(name);
    const run = got[i]!;
    let mismatches = 0;
    let first = -1;
    for (let k = 0; k < want.length; k++) {
      if (run[k] !== want[k]) {
        mismatches++;
        if (first < 0) first = k;
      }
    }
    expect(mismatches, `${label(name)} ("${name}"): ${mismatches} of ${want.length} differ, first at ${first}`).toBe(0);
  });
}
