// A build with calibration data warns about each tensor whose int8 SQNR falls below LOW_SQNR_DB, naming it and
// suggesting --precision float32; a model int8 serves well (examples/fmnist) gets no such warning.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOW_SQNR_DB } from '../../src/sqnr-warnings.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eennc } from './cli-helpers.js';
import { writeRuinedModel } from './sqnr-warning-model.js';

/** Calibration samples of examples/fmnist read by the build (enough for its ranges, few for the test's time). */
const FMNIST_CALIB_COUNT = '64';

let scratch: string;
beforeAll(async () => {
  scratch = await makeTempDir('eennc-sqnr-warning-');
});
afterAll(async () => {
  await removeTempDir(scratch);
});

describe('build warns about tensors that int8 ruins', () => {
  it('names the ruined tensor, its SQNR and --precision float32, and keeps the warning in report.json', async () => {
    const { model, calib } = writeRuinedModel(scratch);
    const out = join(scratch, 'ruined');
    const r = await eennc('build', model, '--calib', calib, '--no-link', '-o', out);
    expect(r.exitCode, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/tensor "y" \(written by node "back_mul"\)/);
    expect(warnings[0]).toMatch(new RegExp(`SQNR .* -?\\d+\\.\\d dB over 8 calibration samples, below ${LOW_SQNR_DB} dB`));
    expect(warnings[0]).toContain('--precision float32');
    expect(warnings[0]).not.toContain('int16');
    // The tensor that sets the scale keeps its precision: only the one that loses its small elements is named.
    expect(r.stderr).not.toContain('"spread');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { warnings?: string[]; steps: { sqnr_db?: number | null }[] };
    expect(report.warnings).toEqual([warnings[0]!.slice('warning: '.length)]);
    expect(report.steps.some((s) => s.sqnr_db !== undefined && s.sqnr_db !== null && s.sqnr_db < LOW_SQNR_DB)).toBe(true);
  });

  it('says nothing about the SQNR of examples/fmnist, whose layers all stay above the threshold', async () => {
    const out = join(scratch, 'fmnist');
    const r = await eennc(
      'build',
      'examples/fmnist/fmnist_cnn.onnx',
      '--calib',
      'examples/fmnist/calib_u8.npy',
      '--calib-count',
      FMNIST_CALIB_COUNT,
      '--calib-scale',
      '0.00392156862745098',
      '--no-link',
      '-o',
      out,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning:');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { warnings?: string[]; steps: { sqnr_db?: number | null }[] };
    expect(report.warnings).toBeUndefined();
    expect(report.steps.filter((s) => typeof s.sqnr_db === 'number').length).toBeGreaterThan(0);
  });

  it('a float32 build of the same model measures nothing and warns about nothing', async () => {
    const { model, calib } = writeRuinedModel(scratch);
    const r = await eennc('build', model, '--calib', calib, '--precision', 'float32', '--no-link', '-o', join(scratch, 'float'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('int8 ruins');
  });
});
