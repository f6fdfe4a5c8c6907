// `eennc accuracy` names, for each int8 tensor, the calibration method whose range expects the least error (the
// "best range" column and each layer's best_range in --json), and the top-1 of the method best on the most tensors.

import { beforeAll, describe, expect, it } from 'vitest';
import { eennc } from './cli-helpers.js';

const FMNIST = 'examples/fmnist';
/** Calibration samples: enough for stable ranges, few enough that three calibrations stay quick. */
const CALIB_COUNT = '200';
const METHODS = ['minmax', 'percentile', 'entropy'];

const accuracy = (method: string, ...more: string[]) =>
  eennc(
    'accuracy',
    `${FMNIST}/fmnist_cnn.onnx`,
    '--calib',
    `${FMNIST}/calib_u8.npy`,
    '--calib-scale',
    '0.00392156862745098',
    '--calib-count',
    CALIB_COUNT,
    '--calib-method',
    method,
    '-d',
    `${FMNIST}/test_inputs.npy`,
    '-l',
    `${FMNIST}/test_labels.npy`,
    ...more,
  );

interface BestRange {
  method: string;
  gain_db: number | null;
  ranges: Record<string, [number, number]>;
  expected_squared_error: Record<string, number>;
}

interface AccuracyDocument {
  int8_top1: number;
  layers: { tensor: string; sqnr_db: number | null; best_range: BestRange | null }[];
  calibration_methods: {
    used: string;
    tensors: number;
    wins: Record<string, number>;
    winner: string;
    winner_int8_top1?: number;
    fixed_tensors: string[];
  };
}

describe('eennc accuracy: the best calibration method per tensor', () => {
  let text: Awaited<ReturnType<typeof eennc>>;
  let json: Awaited<ReturnType<typeof eennc>>;
  beforeAll(async () => {
    [text, json] = await Promise.all([accuracy('minmax'), accuracy('entropy', '--json')]);
  }, 300_000);

  it('prints a best range for every layer and the summary, calibrating once to compare', () => {
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('and the best range: the calibration method whose range expects the least int8 error');
    const rows = text.stdout.split('\n').filter((line) => / dB/.test(line) && line.startsWith('  '));
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows)
      expect(row).toMatch(/ dB {2}(= (minmax|percentile|entropy)|(minmax|percentile|entropy) \(\+\d+\.\d dB\)|fixed)( +<- lowest)?$/);
    // On Fashion-MNIST's CNN minmax is best on at least as many tensors as any other method: it was used, so no
    // other top-1 is needed.
    expect(text.stdout).toMatch(
      /best range over the \d+ calibrated int8 tensors .*: minmax on \d+, percentile on \d+, entropy on \d+; minmax, the method used, is best on the most/,
    );
    expect(text.stderr.match(/comparing calibration methods: 200\/200 samples/g)).toHaveLength(1);
    expect(text.stderr).not.toContain('quantizing again');
  });

  it('gives each layer its best range in --json, and the top-1 with the winning method', () => {
    expect(json.exitCode, json.stderr).toBe(0);
    const document = JSON.parse(json.stdout) as AccuracyDocument;
    const summary = document.calibration_methods;
    expect(summary.used).toBe('entropy');
    expect(Object.values(summary.wins).reduce((a, b) => a + b, 0)).toBe(summary.tensors);
    for (const layer of document.layers) {
      const best = layer.best_range!;
      expect(METHODS).toContain(best.method);
      const errors = best.expected_squared_error;
      // The best method expects no more error than any other, and its gain is over the method used.
      for (const method of METHODS) expect(errors[best.method]!).toBeLessThanOrEqual(errors[method]! * 1.03);
      if (best.method === 'entropy') expect(best.gain_db).toBe(0);
      else expect(best.gain_db!).toBeCloseTo(10 * Math.log10(errors.entropy! / errors[best.method]!), 6);
      // Percentile and entropy only ever cut the observed range.
      const [lo, hi] = best.ranges.minmax!;
      for (const method of METHODS) {
        expect(best.ranges[method]![0]).toBeGreaterThanOrEqual(lo);
        expect(best.ranges[method]![1]).toBeLessThanOrEqual(hi);
      }
    }
    // Entropy clips this model's activations for little gain: another method wins, and its top-1 is measured.
    expect(['minmax', 'percentile']).toContain(summary.winner);
    expect(summary.wins[summary.winner]!).toBeGreaterThan(summary.wins.entropy!);
    expect(summary.winner_int8_top1).toBeGreaterThanOrEqual(0.9);
    expect(summary.winner_int8_top1).toBeLessThanOrEqual(1);
    expect(json.stderr).toContain(`note: quantizing again with ${summary.winner}, the method best on the most tensors, for its top-1`);
  });
});
