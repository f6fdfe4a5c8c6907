// Failure injection on the stand-in intermittent model (fixtures/intermittent): the firmware's power failures reset
// the core on every emulated machine and the state in .eenn_nvm survives; the continuous run traces each task's
// commit; schedules with cuts aimed inside the commit and with back-to-back short windows finish with the
// continuous run's bits; a model whose tasks are not idempotent is caught as wrong, one whose tasks never fit as a hang.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERMITTENT_MARGIN } from '../../src/intermittent/index.js';
import { loadTarget, type Target } from '../../src/target/target.js';
import { buildFirmware } from '../../src/toolchain/build.js';
import { runFirmware, type FirmwareRun } from '../../src/toolchain/run.js';
import {
  cycleBound,
  drawSchedule,
  instructionsToTicks,
  runPowerFailures,
  scheduleKind,
  type ContinuousReference,
} from '../../src/toolchain/power-failures.js';
import { ticksToInstructions } from '../../src/toolchain/run.js';
import { STAND_IN_TASKS, writeStandInProject, type StandInVariant } from './intermittent-stub.js';
import { makeScratchDir, stubInput } from './stub-project.js';

const m4 = loadTarget('cortex-m4');
/** One target per other emulated machine: mps2-an385, mps2-an500, mps2-an505, mps3-an547. */
const others = ['cortex-m0plus', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map((name) => loadTarget(name));
const sample = stubInput([[1, 0, 3, 4]]);
/** With 30,000 more spins per task, no task fits a window of the budget below: the run can never finish. */
const slowSample = stubInput([[1, 30_000, 3, 4]]);
/** Instructions per window: the stand-in's largest task (about 9,000) with its commit fits 90% of it. */
const BUDGET = 12_000;

let scratch = '';
const images = new Map<string, string>();

beforeAll(async () => {
  scratch = await makeScratchDir();
  const builds: [Target, StandInVariant][] = [
    [m4, 'counter'],
    [m4, 'not-idempotent'],
    ...others.map((t): [Target, StandInVariant] => [t, 'counter']),
  ];
  await Promise.all(
    builds.map(async ([target, variant]) => {
      const dir = await writeStandInProject(join(scratch, target.name, variant), target, variant);
      images.set(`${target.name}/${variant}`, (await buildFirmware(dir, target, { jobs: 1 })).elfPath);
    }),
  );
}, 300_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function reference(run: FirmwareRun): ContinuousReference {
  return { outputs: run.outputs[0]!, exit: run.exits[0]!, instructions: run.instructions[0]!, taskInstructions: run.taskInstructions[0]! };
}

describe('the traced continuous run', () => {
  it('gives the instructions at each task commit, cumulative and within the inference', async () => {
    const run = await runFirmware(
      images.get('cortex-m4/counter')!,
      m4,
      stubInput([
        [1, 0, 3, 4],
        [2, 50, 3, 4],
      ]),
      { samples: 2 },
    );
    for (const [i, tasks] of run.taskInstructions.entries()) {
      expect(tasks).toHaveLength(STAND_IN_TASKS);
      const ends = tasks.map((at) => at!);
      for (let t = 1; t < ends.length; t++) expect(ends[t]).toBeGreaterThan(ends[t - 1]! + 1_000); // each task spins for thousands
      expect(ends.at(-1)!).toBeLessThanOrEqual(run.instructions[i]!);
      expect(run.instructions[i]! - ends.at(-1)!).toBeLessThan(3_000); // after the last commit: reading the outputs back
    }
    // The second sample spins 50 more times in every task: each task ends later than the one before by more.
    const grow = run.taskInstructions[1]!.map((at, t) => at! - run.taskInstructions[0]![t]!);
    for (let t = 1; t < grow.length; t++) expect(grow[t]).toBeGreaterThan(grow[t - 1]!);
    expect(run.exitInstructions).toEqual([[], []]);
    expect(run.stackBytes).toBeLessThan(m4.stackBytes / 4);
  });
});

describe('runPowerFailures on the stand-in', () => {
  it('finishes every schedule with the continuous bits: uniform windows, cuts aimed inside the commit, short windows back to back', async () => {
    const image = images.get('cortex-m4/counter')!;
    const continuous = reference(await runFirmware(image, m4, sample, { samples: 1 }));
    const progress: number[] = [];
    const report = await runPowerFailures(image, m4, sample, {
      schedules: 30,
      seed: 7,
      budget: BUDGET,
      continuous,
      mix: { commit: 0.4, stall: 0.3 },
      onProgress: (done) => progress.push(done),
    });
    expect(report.schedules.filter((s) => !s.ok).map((s) => s.failure)).toEqual([]);
    expect([report.wrong, report.hangs, report.errors]).toEqual([0, 0, 0]);
    expect(progress).toHaveLength(30);
    expect(progress.at(-1)).toBe(30);
    expect(report.cycleBound).toBe(cycleBound(continuous.instructions, BUDGET));

    for (const schedule of report.schedules) {
      // A first window of 5 budgets may hold the whole inference (57,000 instructions); a shorter one fails.
      if (schedule.windows[0]! < continuous.instructions) expect(schedule.cycles).toBeGreaterThan(0);
      // Every boot after a failure resumes, but for a cut before the input's capture was committed.
      expect(schedule.resumedBoots).toBeLessThanOrEqual(schedule.cycles);
      if (schedule.kind === 'uniform') expect(schedule.resumedBoots).toBe(schedule.cycles);
      if (schedule.cycles > 0) expect(schedule.reexecuted).toBeGreaterThan(0);
      expect(schedule.instructions).toBe(continuous.instructions + schedule.reexecuted!);
    }
    // The aimed cuts land in the commit (its record write, the CRC, finding the newest slot), and the run still ends
    // with the right bits.
    const aimed = report.schedules.filter((s) => s.kind === 'commit');
    expect(aimed.length).toBeGreaterThanOrEqual(10);
    const inCommit = aimed.filter((s) => ['commit', 'newest', 'valid', 'crc32'].includes(s.cutFunctions[0]!));
    expect(inCommit.length, aimed.map((s) => s.cutFunctions[0]).join(' ')).toBeGreaterThanOrEqual(aimed.length / 2);
    // A stall schedule starts with 4 or more windows under half the budget: too short for the inference, they
    // fail one after the other (progress stalls, or creeps) before the long ones let it finish.
    const stalls = report.schedules.filter((s) => s.kind === 'stall');
    expect(stalls.length).toBeGreaterThanOrEqual(6);
    for (const schedule of stalls) {
      expect(schedule.windows.slice(0, 4).every((w) => w < BUDGET / 2)).toBe(true);
      expect(schedule.cycles).toBeGreaterThanOrEqual(4);
    }
  }, 120_000);

  it('catches a model whose tasks are not idempotent: wrong outputs after a cut between its write and its commit', async () => {
    const image = images.get('cortex-m4/not-idempotent')!;
    const continuous = reference(await runFirmware(image, m4, sample, { samples: 1 }));
    const report = await runPowerFailures(image, m4, sample, { schedules: 12, seed: 3, budget: BUDGET, continuous, mix: { commit: 1, stall: 0 } });
    expect(report.wrong).toBeGreaterThan(0);
    expect(report.schedules.find((s) => !s.ok)!.failure).toMatch(/^wrong: output byte \d+ is \d+, continuous \d+$/);
  }, 60_000);

  it('reports a hang when no task fits the windows, after the bound of power cycles', async () => {
    const image = images.get('cortex-m4/counter')!;
    const continuous = reference(await runFirmware(image, m4, sample, { samples: 1 }));
    const report = await runPowerFailures(image, m4, slowSample, { schedules: 2, seed: 1, budget: BUDGET, continuous, mix: { commit: 0, stall: 0 } });
    expect(report.hangs).toBe(2);
    expect(report.schedules[0]!.failure).toBe(`hang: not finished after ${report.cycleBound} power failures`);
    expect(report.schedules[0]!.instructions).toBeNull();
  }, 60_000);

  it.each(others.map((t): [string, Target] => [t.emulator!.machine, t]))(
    'resets the core and keeps .eenn_nvm on %s',
    async (_machine, target) => {
      const image = images.get(`${target.name}/counter`)!;
      const continuous = reference(await runFirmware(image, target, sample, { samples: 1 }));
      const report = await runPowerFailures(image, target, sample, {
        schedules: 3,
        seed: 11,
        budget: BUDGET,
        continuous,
        mix: { commit: 0.34, stall: 0.34 },
      });
      expect(report.schedules.map((s) => s.failure ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
      expect(Math.max(...report.schedules.map((s) => s.cycles))).toBeGreaterThan(0);
      expect(report.schedules.map((s) => s.kind).sort()).toEqual(['commit', 'stall', 'uniform']);
    },
    60_000,
  );
});

describe('schedules', () => {
  it('are drawn from the seed: windows of the bar between 1x and 5x the budget, aimed cuts just before a commit ends', () => {
    const uniform = drawSchedule(5, 'uniform', 1_000, 40, []);
    expect(uniform).toEqual(drawSchedule(5, 'uniform', 1_000, 40, []));
    expect(uniform).not.toEqual(drawSchedule(6, 'uniform', 1_000, 40, []));
    expect(uniform).toHaveLength(40);
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(5_000);
    const aimed = drawSchedule(5, 'commit', 1_000, 40, [50_000]);
    expect(aimed[0]).toBeLessThanOrEqual(50_000 + 40);
    expect(aimed[0]).toBeGreaterThanOrEqual(50_000 - 1_500);
    const stall = drawSchedule(5, 'stall', 1_000, 40, []);
    expect(stall.length).toBeGreaterThan(40);
    expect(stall[0]).toBeLessThan(1_000);
  });

  it('mix their kinds evenly over any count, and windows convert to counter ticks and back', () => {
    const kinds = Array.from({ length: 10 }, (_, i) => scheduleKind(i, { commit: 0.2, stall: 0.2 }));
    expect(kinds.filter((k) => k === 'commit')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'stall')).toHaveLength(3);
    expect(Array.from({ length: 3 }, (_, i) => scheduleKind(i, { commit: 0.34, stall: 0.34 }))).toEqual(['commit', 'uniform', 'stall']);
    expect(Array.from({ length: 10 }, (_, i) => scheduleKind(i, { commit: 0, stall: 0 }))).toEqual(Array(10).fill('uniform'));
    expect(ticksToInstructions(instructionsToTicks(100_000, m4), m4)).toBe(100_000);
  });

  it('bound the power cycles with the margin of the intermittent stage', () => {
    expect(cycleBound(900_000, 100_000)).toBe(cycleBound(900_000, 100_000, INTERMITTENT_MARGIN));
    expect(cycleBound(900_000, 100_000)).toBe(30);
  });
});
