// `eennc test` (the golden test users put in CI) and `eennc build` through the command line.

import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countMismatches } from '../../src/cli/commands/test.js';
import { eennc } from './cli-helpers.js';

const MODEL = 'examples/fmnist/fmnist_cnn.onnx';
const CALIB = 'examples/fmnist/calib_u8.npy';

describe('eennc test', () => {
  it('passes on the example against the float reference on cortex-m4', async () => {
    const r = await eennc(
      'test',
      MODEL,
      '--precision',
      'float32',
      '--target',
      'cortex-m4',
      '--data',
      'examples/fmnist/test_inputs.npy',
      '--count',
      '3',
      '--json',
    );
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as { pass: boolean; comparisons: { pass: boolean; max_abs_error: number }[] };
    expect(json.pass).toBe(true);
    expect(json.comparisons).toHaveLength(3);
    for (const c of json.comparisons) expect(c.max_abs_error).toBeLessThan(1e-3);
  });

  it('fails with exit status 1 when the tolerance cannot be met', async () => {
    // fused multiply-adds on the M4 differ from the float64-accumulating reference in the last bits
    const r = await eennc('test', MODEL, '--precision', 'float32', '--target', 'cortex-m4', '--count', '2', '--rtol', '1e-30', '--atol', '1e-30');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/0 passed, 2 failed/);
    expect(r.stderr).toContain('differ from the reference');
  });

  it('int8 (the default): QEMU equals the int8 reference bit for bit', async () => {
    const r = await eennc(
      'test',
      MODEL,
      '--target',
      'cortex-m4',
      '--calib',
      CALIB,
      '--calib-scale',
      '1/255',
      '--calib-count',
      '200',
      '--data',
      'examples/fmnist/test_inputs.npy',
      '--labels',
      'examples/fmnist/test_labels.npy',
      '--count',
      '3',
      '--json',
    );
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      precision: string;
      pass: boolean;
      comparisons: { pass: boolean; mismatches: number; same_class_as_float: boolean }[];
      accuracy: { samples: number; target_top1: number; float_top1: number };
    };
    expect(json.accuracy.samples).toBe(3);
    expect(json.accuracy.target_top1).toBe(1); // the three example images are classified correctly
    expect(json.precision).toBe('int8');
    expect(json.pass).toBe(true);
    expect(json.comparisons.map((c) => c.mismatches)).toEqual([0, 0, 0]);
    expect(r.stderr).toMatch(/calibrating: 200\/200 samples/);
  });

  it('int8 without calibration data refuses to guess', async () => {
    const r = await eennc('build', MODEL, '--no-link', '-o', join(tmpdir(), 'eennc-never'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/int8 needs calibration data/);
    expect(r.stderr).toMatch(/--calib/);
    expect(r.stderr).toMatch(/--precision float32/);
  });
});

describe('countMismatches', () => {
  const reference = { y: { shape: [4], dtype: 'int8' as const, data: Int8Array.of(1, -2, 3, 127) } };
  it('is zero only when every value is identical', () => {
    expect(countMismatches(['y'], { y: Int8Array.of(1, -2, 3, 127) }, reference)).toBe(0);
    expect(countMismatches(['y'], { y: Int8Array.of(1, -2, 4, -128) }, reference)).toBe(2);
    expect(countMismatches(['y'], { y: Int8Array.of(1, -2, 3) }, reference)).toBeGreaterThan(0);
    expect(countMismatches(['y'], {}, reference)).toBeGreaterThan(0);
  });
});

describe('eennc build', () => {
  it('writes the project, its report and a linked image', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'eennc-build-')), 'fmnist');
    const r = await eennc('build', MODEL, '--precision', 'float32', '--target', 'cortex-m7', '-o', out, '--json');
    expect(r.exitCode).toBe(0);
    const files = await readdir(out);
    for (const f of ['model.c', 'model.h', 'main.c', 'Makefile', 'report.json', 'report.html', 'fmnist_cnn.elf']) {
      expect(files).toContain(f);
    }
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      memory: { measured: boolean; arena_bytes: number; unplanned_activation_bytes: number };
    };
    expect(report.memory.measured).toBe(true);
    expect(report.memory.arena_bytes).toBeLessThan(report.memory.unplanned_activation_bytes * 0.6);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('refuses a model that does not fit, with the numbers, and writes nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eennc-fit-'));
    const r = await eennc('build', MODEL, '--precision', 'float32', '--target', 'cortex-m0plus', '-o', join(root, 'out'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/does not fit cortex-m0plus/);
    expect(r.stderr).toMatch(/flash: needs at least \d+ bytes/);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('bad input through the command line', () => {
  it('unknown target lists the known ones', async () => {
    const r = await eennc('build', MODEL, '--target', 'cortex-m9', '--no-link', '-o', join(tmpdir(), 'eennc-never'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('unknown target "cortex-m9"');
    expect(r.stderr).toContain('cortex-m4');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a file that is not ONNX names the file', async () => {
    const bad = join(await mkdtemp(join(tmpdir(), 'eennc-bad-')), 'model.onnx');
    await writeFile(bad, 'this is not a protobuf');
    const r = await eennc('build', bad, '--no-link', '-o', join(tmpdir(), 'eennc-never'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: ${bad}`);
    expect(r.stderr).toContain('hint:');
  });

  it('input data of the wrong size says what was expected', async () => {
    const bin = join(await mkdtemp(join(tmpdir(), 'eennc-data-')), 'x.bin');
    await writeFile(bin, new Uint8Array(4 * 100));
    const r = await eennc('run', MODEL, '--precision', 'float32', '--input', bin);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(bin);
    expect(r.stderr).toMatch(/784/);
  });

  it('calibration data of the wrong shape names the file and the shape expected', async () => {
    const r = await eennc('build', MODEL, '--calib', 'examples/bench/ds_cnn_inputs.npy', '--no-link', '-o', join(tmpdir(), 'eennc-never'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('examples/bench/ds_cnn_inputs.npy');
    expect(r.stderr).toMatch(/28/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unwritable output directory is reported before any work', async () => {
    const r = await eennc('build', MODEL, '--precision', 'float32', '-o', '/etc/hostname/out');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('/etc/hostname/out');
  });

  it('every command has --help', async () => {
    for (const cmd of ['build', 'run', 'test', 'accuracy', 'inspect', 'targets', 'doctor']) {
      const r = await eennc(cmd, '--help');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`Usage: eennc ${cmd}`);
    }
  });
});
