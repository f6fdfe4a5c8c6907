// Labels files: raw .bin labels with --labels-dtype uint8 or int64, and the errors that say what to do when the type
// is missing or does not fit the file (`eennc accuracy` on such files: labels-cli.test.ts).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabels } from '../../src/data/index.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('eennc-labels-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

function errorOf(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('readLabels of raw .bin files', () => {
  it('reads one byte per label with uint8 and one little-endian int64 per label with int64', () => {
    const bytes = file('u8.bin', Uint8Array.of(7, 0, 9, 255));
    expect(Array.from(readLabels(bytes, { dtype: 'uint8' }))).toEqual([7, 0, 9, 255]);
    const wide = file('i64.bin', new Uint8Array(BigInt64Array.of(3n, 1n, 1000n, -1n).buffer));
    expect(Array.from(readLabels(wide, { dtype: 'int64' }))).toEqual([3, 1, 1000, -1]);
    // .raw is read like .bin.
    expect(Array.from(readLabels(file('u8.raw', Uint8Array.of(4, 5)), { dtype: 'uint8' }))).toEqual([4, 5]);
  });

  it('without --labels-dtype, says how to give the type or write .npy', () => {
    const err = errorOf(() => readLabels(file('plain.bin', Uint8Array.of(1, 2, 3))));
    expect(err.code).toBe('E_DATA');
    expect(err.file).toMatch(/plain\.bin$/);
    expect(err.hint).toContain('--labels-dtype uint8');
    expect(err.hint).toContain('--labels-dtype int64');
    expect(err.hint).toContain('numpy.save');
  });

  it('refuses a size that is not whole int64 labels, and int64 values that are no class index', () => {
    const odd = errorOf(() => readLabels(file('odd.bin', new Uint8Array(12)), { dtype: 'int64' }));
    expect(odd.code).toBe('E_DATA');
    expect(odd.message).toContain('not a multiple of 8');
    // Bytes of uint8 labels read as int64: 0x0101...01 is no class index.
    const bytes = errorOf(() => readLabels(file('bytes.bin', new Uint8Array(8).fill(1)), { dtype: 'int64' }));
    expect(bytes.code).toBe('E_DATA');
    expect(bytes.message).toContain('label 0');
    expect(bytes.hint).toContain('--labels-dtype uint8');
  });

  it('refuses --labels-dtype for a file whose type is written in it (.npy)', () => {
    const npy = join(dir, 'labels.npy');
    writeFileSync(npy, Uint8Array.of(0x93, 0x4e)); // never read: refused before
    const err = errorOf(() => readLabels(npy, { dtype: 'uint8' }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('--labels-dtype');
  });
});
