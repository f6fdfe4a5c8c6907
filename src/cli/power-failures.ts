// `eennc test --intermittent --failures N --seed S`: after the golden test, cut the power of the intermittent firmware
// at pseudo-random instructions (src/toolchain/power-failures.ts) in N schedules spread over the samples, and check
// that every schedule finishes with the continuous run's outputs and exit, bit for bit.

import { EennError } from '../ir/diagnostics.js';
import type { Execution } from './execute.js';
import { log } from './common-options.js';
import type { ScheduleResult } from '../toolchain/power-failures.js';
import { countSteps } from '../util/progress.js';

/** The `failures` part of test's JSON. */
export interface FailuresSummary {
  schedules: number;
  seed: number;
  /** Samples the schedules were spread over (schedule i runs sample i mod samples). */
  samples: number;
  /** Finished with other outputs or another exit than the continuous run. */
  wrong: number;
  /** Never finished within the bound of power cycles (every window at least the budget) or the time limit. */
  hangs: number;
  /** The emulator or the firmware failed otherwise (a fault, an error from eenn_run()). */
  errors: number;
  power_cycles: { mean: number; max: number };
  reexecuted_instructions: { mean: number; max: number };
  /** Every schedule finished with the continuous run's outputs and exit, bit for bit. */
  bit_exact: boolean;
  /** The first few failed schedules: sample, seed and what went wrong. */
  failed: { sample: number; seed: number; failure: string }[];
}

/**
 * Run `count` failure schedules over the samples of `execution` (round robin: sample k gets the k-th, (k+samples)-th...
 * schedule, so N schedules cost the same however many samples there are, and every sample is cut when N >= samples).
 * Each sample's schedules are seeded from `seed` and the sample's index, so a run is replayed by its seed.
 */
export async function runFailureSchedules(execution: Execution, count: number, seed: number, timeoutMs: number): Promise<FailuresSummary> {
  const { compiled, run } = execution;
  const intermittent = compiled.report.intermittent;
  if (!intermittent || !compiled.image) throw new Error('internal: failure schedules need an intermittent build, linked');
  // Loaded here: `eennc --help` starts without the toolchain.
  const { runPowerFailures } = await import('../toolchain/power-failures.js');
  const samples = execution.samples.length;
  const results: { sample: number; result: ScheduleResult }[] = [];
  let wrong = 0;
  let hangs = 0;
  let errors = 0;
  for (let sample = 0; sample < Math.min(samples, count); sample++) {
    const schedules = Math.floor(count / samples) + (sample < count % samples ? 1 : 0);
    const taskInstructions = run.taskInstructions?.[sample];
    const instructions = run.instructions[sample];
    // After an early exit the tasks that follow are not reached (null): the others are traced.
    if (!taskInstructions || taskInstructions.every((n) => n === null) || instructions === null || instructions === undefined) {
      throw new EennError({
        code: 'E_RUN',
        file: compiled.image.elfPath,
        message: `the continuous run of sample ${sample} did not report every task's instructions`,
        hint: 'the intermittent firmware did not trace its tasks: this is a bug in eennc; report it with the model',
      });
    }
    log(`eennc: sample ${sample}: ${schedules} failure schedule${schedules === 1 ? '' : 's'}`);
    const scheduled = countSteps(log, `eennc: sample ${sample}`, 'failure schedules');
    scheduled(0, schedules); // the bar and its clock from the start: each schedule is a whole emulator run
    const outcome = await runPowerFailures(compiled.image.elfPath, compiled.target, execution.encoded[sample]!.bytes, {
      schedules,
      seed: sampleSeed(seed, sample),
      budget: intermittent.budget,
      continuous: { outputs: run.outputs[sample]!, exit: run.exits[sample]!, instructions, taskInstructions },
      timeoutMs,
      onProgress: scheduled,
    });
    const answering = answeringBytes(execution, sample);
    for (const schedule of outcome.schedules) {
      const result = judged(schedule, run.outputs[sample]!, run.exits[sample]!, answering);
      if (!result.ok && result.failure?.startsWith('hang')) hangs++;
      else if (!result.ok && result.failure?.startsWith('error')) errors++;
      else if (!result.ok) wrong++;
      results.push({ sample, result });
    }
  }
  const cycles = results.map((r) => r.result.cycles);
  const reexecuted = results.map((r) => r.result.reexecuted).filter((n): n is number => n !== null);
  return {
    schedules: results.length,
    seed,
    samples: Math.min(samples, count),
    wrong,
    hangs,
    errors,
    power_cycles: meanMax(cycles),
    reexecuted_instructions: meanMax(reexecuted),
    bit_exact: wrong === 0 && hangs === 0 && errors === 0,
    failed: results
      .filter((r) => !r.result.ok)
      .slice(0, 10)
      .map((r) => ({ sample: r.sample, seed: r.result.seed, failure: r.result.failure ?? 'wrong result' })),
  };
}

/**
 * The output bytes the exit a sample took computes: with early exits, that exit's output only (the other outputs'
 * bytes hold whatever an earlier inference left, as in a plain build); without, every output.
 */
function answeringBytes(execution: Execution, sample: number): [begin: number, end: number][] {
  const { graph, outputBytes } = execution.compiled;
  const answer = execution.samples[sample]!.answer;
  const ranges: [number, number][] = [];
  let offset = 0;
  graph.outputs.forEach((name, k) => {
    if (!graph.exits || name === answer) ranges.push([offset, offset + outputBytes[k]!]);
    offset += outputBytes[k]!;
  });
  return ranges;
}

/**
 * A schedule's verdict with only the answering output bytes compared: one the harness found wrong because of bytes
 * the exit taken never writes (stale in the continuous run, which ran other samples before) is right.
 */
function judged(result: ScheduleResult, outputs: Uint8Array, exit: number, answering: [number, number][]): ScheduleResult {
  if (result.ok || !result.failure?.startsWith('wrong') || !result.outputs || result.exit !== exit) return result;
  const got = result.outputs;
  const same = answering.every(([begin, end]) => got.subarray(begin, end).every((byte, i) => byte === outputs[begin + i]));
  const elsewhere = got.length === outputs.length && got.some((byte, i) => byte !== outputs[i]);
  // Right when the answering bytes agree and the difference the harness saw lies outside them.
  return same && elsewhere ? { ...result, ok: true, failure: undefined } : result;
}

/** The seed of a sample's schedules: `seed` for sample 0, then spread by the golden ratio so no two samples share one. */
function sampleSeed(seed: number, sample: number): number {
  return (seed + Math.imul(sample, 0x9e3779b9)) >>> 0;
}

function meanMax(values: number[]): { mean: number; max: number } {
  if (values.length === 0) return { mean: 0, max: 0 };
  return { mean: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100, max: Math.max(...values) };
}

/** The line test prints for the schedules. */
export function failuresLine(summary: FailuresSummary): string {
  return (
    `power failures: ${summary.schedules} schedules (seed ${summary.seed}, over ${summary.samples} sample${summary.samples === 1 ? '' : 's'}): ` +
    `${summary.wrong} wrong, ${summary.hangs} hangs, ${summary.errors} errors; power cycles mean ${summary.power_cycles.mean}, max ${summary.power_cycles.max}; ` +
    `re-executed instructions mean ${summary.reexecuted_instructions.mean}, max ${summary.reexecuted_instructions.max}`
  );
}

/** E_MISMATCH for schedules that ended wrong or hung. */
export function failuresError(summary: FailuresSummary, model: string): EennError {
  return new EennError({
    code: 'E_MISMATCH',
    file: model,
    message:
      `${summary.wrong} of ${summary.schedules} failure schedules ended with other outputs than the continuous run, ` +
      `${summary.hangs} never finished and ${summary.errors} failed in the emulator`,
    details: summary.failed.map((f) => `sample ${f.sample}, schedule seed ${f.seed}: ${f.failure}`),
    hint: `an intermittent build must resume to the same bits after any power failure: this is a bug in eennc; report it with the model and --seed ${summary.seed}`,
  });
}
