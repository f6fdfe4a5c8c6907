// `--then` through the command line: CBNet (examples/fmnist_cbnet, the converting autoencoder then the light
// classifier) built as one C project whose eenn_run runs both, tested int8 in QEMU against the int8 reference bit for
// bit, and the shapes error of a pipeline whose models do not fit together.

import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eennc } from './cli/cli-helpers.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

const DIR = 'examples/fmnist_cbnet';
const CAE = `${DIR}/fmnist_cae.onnx`;
const LIGHT = `${DIR}/fmnist_light.onnx`;
const CALIB = ['--calib', `${DIR}/calib_u8.npy`, '--calib-scale', '1/255', '--calib-count', '50'];

describe('eennc --then', () => {
  it('test: the int8 pipeline in QEMU equals the int8 reference bit for bit and classifies the example images', async () => {
    const r = await eennc(
      'test',
      CAE,
      '--then',
      LIGHT,
      '--target',
      'cortex-m4',
      ...CALIB,
      '--data',
      `${DIR}/test_inputs.npy`,
      '--labels',
      `${DIR}/test_labels.npy`,
      '--count',
      '4',
      '--json',
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      pass: boolean;
      comparisons: { pass: boolean; mismatches: number }[];
      accuracy: { samples: number; target_top1: number };
    };
    expect(json.pass).toBe(true);
    expect(json.comparisons.map((c) => c.mismatches)).toEqual([0, 0, 0, 0]);
    expect(json.accuracy.target_top1).toBeGreaterThanOrEqual(0.75);
  });

  it('build: one project, one arena, the report counting the MACs of both models', async () => {
    const dir = await makeTempDir('eennc-pipeline-');
    try {
      const out = join(dir, 'cbnet');
      const r = await eennc('build', CAE, '--then', LIGHT, '--target', 'cortex-m4', ...CALIB, '--no-link', '-o', out, '--json');
      expect(r.exitCode).toBe(0);
      const report = JSON.parse(r.stdout) as { macs: number; notes: string[] };
      const cae = JSON.parse(
        (await eennc('build', CAE, '--target', 'cortex-m4', ...CALIB, '--no-link', '-o', join(dir, 'cae'), '--json')).stdout,
      ) as {
        macs: number;
      };
      const light = JSON.parse(
        (await eennc('build', LIGHT, '--target', 'cortex-m4', ...CALIB, '--no-link', '-o', join(dir, 'light'), '--json')).stdout,
      ) as {
        macs: number;
      };
      expect(report.macs).toBe(cae.macs + light.macs);
      expect(report.notes.some((n) => n.startsWith('pipeline:'))).toBe(true);
      const header = await readFile(join(out, 'model.h'), 'utf8');
      expect(header).toMatch(/logits/);
      expect(header.match(/int eenn_run\(|eenn_run\(/g)?.length).toBeGreaterThan(0);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('refuses models whose shapes do not fit, naming both files and both shapes', async () => {
    const first = 'examples/fmnist/fmnist_cnn.onnx';
    const r = await eennc('build', first, '--then', LIGHT, '--target', 'cortex-m4', ...CALIB, '--no-link');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(first);
    expect(r.stderr).toContain(LIGHT);
    expect(r.stderr).toContain('[1,10]');
    expect(r.stderr).toContain('[1,1,28,28]');
    expect(r.stderr).toContain('--then');
  });
});
