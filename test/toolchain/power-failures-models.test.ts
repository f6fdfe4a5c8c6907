// Failure injection on the Fashion-MNIST CNN in int8, its convolutions cut into tiles across tasks, on cortex-m4 with
// memory-mapped NVM and with NVM hooks (the test firmware's emulated external FRAM): 20 schedules each (windows of
// 1x-5x the budget, cuts aimed inside commits, back-to-back short windows) finish with the continuous run's bits.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPowerFailures } from '../../src/toolchain/power-failures.js';
import { buildExample, hooksTarget, type BuiltExample } from './power-failures-models.js';

let dir = '';
let memoryMapped: BuiltExample;
let hooks: BuiltExample;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-power-models-'));
  [memoryMapped, hooks] = await Promise.all([buildExample(dir, 'fmnist', 'int8'), buildExample(dir, 'fmnist', 'int8', hooksTarget(dir))]);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('power failures on the Fashion-MNIST CNN (int8)', () => {
  it.each([
    ['memory-mapped NVM', () => memoryMapped],
    ['NVM hooks', () => hooks],
  ])(
    '%s: 20 schedules finish with the continuous bits, cuts inside the commits included',
    async (_kind, built) => {
      const { image, target, sample, continuous, budget } = built();
      const report = await runPowerFailures(image, target, sample, { schedules: 20, seed: 13, budget, continuous });
      expect(report.schedules.filter((s) => !s.ok).map((s) => `${s.kind} ${s.seed}: ${s.failure}`)).toEqual([]);
      expect(report.meanCycles).toBeGreaterThan(1);
      // The aimed schedules cut inside the runtime's commit (the record write, its CRC) or the saves before it.
      const aimed = report.schedules.filter((s) => s.kind === 'commit').map((s) => s.cutFunctions[0]);
      expect(aimed.length).toBeGreaterThanOrEqual(3);
      expect(
        aimed.some((name) => /^eenn_(record_commit|crc32|copy_bytes|nvm_write)$/.test(name ?? '')),
        aimed.join(' '),
      ).toBe(true);
      expect(report.schedules.filter((s) => s.kind === 'stall').every((s) => s.cycles >= 4)).toBe(true);
    },
    120_000,
  );
});
