// Intermittent builds end to end through the eennc command (cortex-m4, memory-mapped NVM, QEMU), int8: test --failures
// cuts the power in seeded schedules and every one ends bit-exact, and the report lists every task within the budget.
// The float32 build and run: intermittent-float.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eennc } from './cli-helpers.js';
import type { BuildReport } from '../../src/report/build-report.js';
import type { FailuresSummary } from '../../src/cli/power-failures.js';

const INT8 = ['examples/fmnist/fmnist_cnn.onnx', '--calib', 'examples/fmnist/calib_u8.npy', '--calib-count', '50'];
// 150,000: the Fashion-MNIST CNN's second convolution costs about 98,000 instructions per output row, its finest tile.
const BUDGET = ['--intermittent', '--budget', '150000'];

/** SRAM an intermittent build may take on cortex-m4: at most 256 KiB (the SRAM of the devices it is for). */
const SRAM_BAR = 256 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-intermittent-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The `failures` part of test --json, as src/cli/power-failures.ts declares it. */
type FailuresJson = FailuresSummary;

describe('intermittent builds on cortex-m4', () => {
  it('int8: test --failures passes bit for bit, and the kept project reports every task within the budget', async () => {
    const out = join(dir, 'int8');
    const r = await eennc(
      'test',
      ...INT8,
      '--data',
      'examples/fmnist/test_inputs.npy',
      '--count',
      '2',
      ...BUDGET,
      '--failures',
      '6',
      '--seed',
      '7',
      '-o',
      out,
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as {
      pass: boolean;
      failures: FailuresJson;
      intermittent: { budget: number; tasks: number; instructions: number[] };
    };
    expect(json.pass).toBe(true);
    expect(json.failures).toMatchObject({ schedules: 6, wrong: 0, hangs: 0, errors: 0, bit_exact: true });
    // Cut at least once each on average, and work done again after the cuts.
    expect(json.failures.power_cycles.max).toBeGreaterThan(0);
    expect(json.failures.reexecuted_instructions.max).toBeGreaterThan(0);
    expect(json.intermittent.budget).toBe(150000);
    expect(json.intermittent.instructions).toHaveLength(json.intermittent.tasks);

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as BuildReport;
    const tasks = report.intermittent!;
    expect(tasks.tasks.length).toBe(json.intermittent.tasks);
    expect(tasks.task_limit).toBe(135000);
    for (const task of tasks.tasks) {
      expect(task.pieces.length).toBeGreaterThan(0);
      expect(task.measured_instructions! + tasks.overheads.resume).toBeLessThanOrEqual(tasks.task_limit);
    }
    // Steps in order from step 0, each whole or cut in tiles.
    const steps = tasks.tasks.flatMap((t) => t.pieces.map((p) => Number(/^step (\d+) /.exec(p)![1])));
    expect(steps[0]).toBe(0);
    expect(steps.every((step, i) => i === 0 || step === steps[i - 1] || step === steps[i - 1]! + 1)).toBe(true);
    expect(tasks.measured_instructions).toBe(tasks.tasks.reduce((n, t) => n + t.measured_instructions!, 0));
    expect(tasks.memory.nvm_kind).toBe('memory-mapped');
    expect(tasks.memory.nvm_bytes).toBeGreaterThanOrEqual(tasks.memory.arena_bytes + tasks.memory.inputs_bytes + tasks.memory.outputs_bytes);
    expect(tasks.memory.sram_bytes).toBe(report.memory.ram_bytes);
    expect(tasks.memory.sram_bytes).toBeLessThanOrEqual(SRAM_BAR);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Intermittent tasks');
  }, 120_000);
});
