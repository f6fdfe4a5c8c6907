// An intermittent build of a model with early exits (the BranchyNet example, int8, cortex-m4): the costs are measured
// past every exit, and under power failures each sample ends at the continuous run's exit with its output's bits. The
// outputs of the exits not taken hold what an earlier inference left and are not compared.

import { describe, expect, it } from 'vitest';
import { eennc } from './cli-helpers.js';

const MODEL = ['examples/fmnist_branchy/fmnist_branchy.onnx', '--calib', 'examples/fmnist_branchy/calib_u8.npy', '--calib-count', '50'];

describe('intermittent builds with early exits', () => {
  it('test --failures: samples that leave early and late all end bit-exact', async () => {
    const r = await eennc(
      'test',
      ...MODEL,
      ...['--data', 'examples/fmnist_branchy/test_inputs.npy', '--count', '3'],
      ...['--intermittent', '--budget', '300000', '--failures', '6', '--json'],
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as {
      pass: boolean;
      exits: string[];
      samples: { exit: string }[];
      failures: { schedules: number; wrong: number; hangs: number; errors: number; bit_exact: boolean };
    };
    expect(json.pass).toBe(true);
    // The third sample leaves at an early exit, the first two at the final one: both paths are cut.
    expect(json.samples.map((s) => s.exit)).toEqual([json.exits.at(-1), json.exits.at(-1), json.exits[1]]);
    expect(json.failures).toMatchObject({ schedules: 6, wrong: 0, hangs: 0, errors: 0, bit_exact: true });
    expect(r.stderr).toMatch(/intermittent: measuring the \d+ steps on cortex-m4/);
  }, 120_000);
});
