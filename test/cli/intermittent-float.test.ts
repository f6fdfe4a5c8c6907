// Intermittent builds end to end through the eennc command (cortex-m4, memory-mapped NVM, QEMU), float32: build prints
// the tasks, budget, NVM and SRAM; run gives the plain build's output bits and its JSON the tasks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eennc } from './cli-helpers.js';

const FLOAT = ['examples/fmnist_small/fmnist_small.onnx', '--precision', 'float32'];
const BUDGET = ['--intermittent', '--budget', '150000'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-intermittent-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intermittent float32 builds on cortex-m4', () => {
  it('float32: build prints the tasks, budget, NVM and SRAM', async () => {
    const out = join(dir, 'float-build');
    const r = await eennc('build', ...FLOAT, ...BUDGET, '-o', out);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tasks: +\d+ \(largest \d+ instructions/m);
    expect(r.stdout).toMatch(/^budget: +150000 instructions per power-on window/m);
    expect(r.stdout).toMatch(/^NVM: +\d+ bytes \(memory-mapped\) of 1048576/m);
    expect(r.stdout).toMatch(/^SRAM: +\d+ bytes/m);
    expect(r.stderr).toMatch(/intermittent: measuring the \d+ steps on cortex-m4/);
  }, 120_000);

  it('float32: run --intermittent gives the plain build the same output bits, and --json the tasks', async () => {
    const input = ['--input', 'examples/fmnist_small/test_inputs.npy', '--count', '2', '--json'];
    const [plain, intermittent] = [await eennc('run', ...FLOAT, ...input), await eennc('run', ...FLOAT, ...input, ...BUDGET)];
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(intermittent.exitCode, intermittent.stderr).toBe(0);
    type RunJson = {
      samples: { outputs: Record<string, number[]>; instructions: number }[];
      intermittent?: { tasks: number; instructions: number[]; total_instructions: number };
    };
    const a = JSON.parse(plain.stdout) as RunJson;
    const b = JSON.parse(intermittent.stdout) as RunJson;
    expect(b.samples.map((s) => s.outputs)).toEqual(a.samples.map((s) => s.outputs));
    expect(a.intermittent).toBeUndefined();
    expect(b.intermittent!.tasks).toBeGreaterThan(1);
    expect(b.intermittent!.instructions.every((n) => n > 0 && n <= 135000)).toBe(true);
    // The commits cost something, and not much: within 10% of the plain build here.
    const [plainCost, cost] = [a.samples[0]!.instructions, b.samples[0]!.instructions];
    expect(cost).toBeGreaterThan(plainCost);
    expect(cost).toBeLessThan(plainCost * 1.1);
  }, 120_000);
});
