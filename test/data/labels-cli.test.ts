// `eennc accuracy --labels` with raw .bin labels: --labels-dtype uint8 and int64 give the top-1 of the .npy labels,
// and a .bin without it stops before calibration with a message that says what to do.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/data/index.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eennc } from '../cli/cli-helpers.js';

/** Samples of examples/fmnist that accuracy reads and calibrates on (few: the test checks the labels, not int8). */
const SAMPLES = '16';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('eennc-labels-cli-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('eennc accuracy --labels with a raw .bin', () => {
  const labels = () => Array.from(readNpy('examples/fmnist/test_labels.npy').data as ArrayLike<number | bigint>, Number);
  const accuracy = (...more: string[]) =>
    eennc(
      'accuracy',
      'examples/fmnist/fmnist_cnn.onnx',
      '--calib',
      'examples/fmnist/test_inputs.npy',
      '--calib-count',
      SAMPLES,
      '--data',
      'examples/fmnist/test_inputs.npy',
      '--count',
      SAMPLES,
      '--json',
      ...more,
    );

  it('gives the same top-1 from uint8 and int64 .bin labels as from the .npy', async () => {
    const u8 = file('labels-u8.bin', Uint8Array.from(labels()));
    const i64 = file('labels-i64.bin', new Uint8Array(BigInt64Array.from(labels(), BigInt).buffer));
    const fromNpy = await accuracy('--labels', 'examples/fmnist/test_labels.npy');
    const fromU8 = await accuracy('--labels', u8, '--labels-dtype', 'uint8');
    const fromI64 = await accuracy('--labels', i64, '--labels-dtype', 'int64');
    for (const r of [fromNpy, fromU8, fromI64]) expect(r.exitCode, r.stderr).toBe(0);
    const top1 = (stdout: string) => (JSON.parse(stdout) as { float_top1: number; int8_top1: number }).float_top1;
    expect(top1(fromU8.stdout)).toBe(top1(fromNpy.stdout));
    expect(top1(fromI64.stdout)).toBe(top1(fromNpy.stdout));
    expect(top1(fromNpy.stdout)).toBeGreaterThan(0.5);
  });

  it('says what to do for a .bin without --labels-dtype, and refuses an unknown type', async () => {
    const u8 = file('no-type.bin', Uint8Array.from(labels()));
    const missing = await accuracy('--labels', u8);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('--labels-dtype uint8');
    expect(missing.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const unknown = await accuracy('--labels', u8, '--labels-dtype', 'float32');
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain('--labels-dtype must be uint8 or int64');
  });
});
