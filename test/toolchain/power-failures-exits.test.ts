// Failure injection on the BranchyNet-style example in int8 (early exits: an inference that leaves early commits its
// exit and stops) and on the Fashion-MNIST CNN in float32, tiles across tasks, memory-mapped NVM on cortex-m4:
// 20 schedules each finish with the continuous run's outputs and exit, bit for bit.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPowerFailures } from '../../src/toolchain/power-failures.js';
import { buildExample, type BuiltExample } from './power-failures-models.js';

let dir = '';
let branchy: BuiltExample;
let float: BuiltExample;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-power-exits-'));
  [branchy, float] = await Promise.all([buildExample(dir, 'branchy', 'int8'), buildExample(dir, 'fmnist', 'float32')]);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('power failures on models with early exits and in float32', () => {
  it.each([
    ['the BranchyNet example (int8, early exits)', () => branchy],
    ['the Fashion-MNIST CNN in float32', () => float],
  ])(
    '%s: 20 schedules finish with the continuous outputs and exit',
    async (_name, built) => {
      const { image, target, sample, continuous, budget } = built();
      const report = await runPowerFailures(image, target, sample, { schedules: 20, seed: 21, budget, continuous });
      expect(report.schedules.filter((s) => !s.ok).map((s) => `${s.kind} ${s.seed}: ${s.failure}`)).toEqual([]);
      expect(report.meanCycles).toBeGreaterThan(1);
      expect(report.schedules.every((s) => s.exit === continuous.exit)).toBe(true);
    },
    120_000,
  );

  it('the BranchyNet build traces its tasks and its exits in one record', () => {
    // The first test image leaves at the first exit: the tasks after it are never reached, those before it all are.
    expect(branchy.continuous.exit).toBe(0);
    const reached = branchy.continuous.taskInstructions.filter((at) => at !== null);
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.length).toBeLessThan(branchy.tasks);
    expect(branchy.continuous.taskInstructions.slice(0, reached.length)).toEqual(reached);
  });
});
