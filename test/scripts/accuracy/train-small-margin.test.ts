// The accuracy bench's trainer (scripts/accuracy/train_small_margin.py) starts, reads Fashion-MNIST and checks its
// arguments; the bench itself trains it (about a minute), which the tests do not.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TRAINER = join(ROOT, 'scripts/accuracy/train_small_margin.py');
const PYTHON = '/usr/bin/python3';
/** Fashion-MNIST's training images. */
const TRAIN_IMAGES = 60000;

describe('small-margin trainer', () => {
  it('has the Python and the dataset it needs', () => {
    expect(existsSync(PYTHON)).toBe(true);
    expect(existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')).toBe(true);
  });

  it('says what it writes and takes', async () => {
    const help = await execa(PYTHON, [TRAINER, '--help']);
    expect(help.stdout).toMatch(/small-margin Fashion-MNIST CNN/);
    for (const option of ['--out', '--train-count', '--calib-count', '--epochs', '--seed']) expect(help.stdout).toContain(option);
  });

  it('refuses more training and calibration images than Fashion-MNIST has, before training', async () => {
    const run = await execa(PYTHON, [TRAINER, '--out', '/nonexistent', '--train-count', String(TRAIN_IMAGES), '--calib-count', '1'], {
      reject: false,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`--train-count + --calib-count must be at most ${TRAIN_IMAGES}`);
  });
});
