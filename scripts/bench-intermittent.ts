// Benchmark of intermittent execution (`npm run bench:intermittent`, also run by `npm run bench`), int8 on cortex-m4
// with memory-mapped NVM at --budget 100000, for the Fashion-MNIST example and ResNet-8:
//   1. the build: tasks, SRAM and NVM bytes (bar: SRAM at most 256 KiB);
//   2. instructions of one inference without failures against the plain build (bar: at most 5% more);
//   3. failure schedules in QEMU, windows drawn uniformly between 1x and 5x the budget (1,000 each unless --schedules):
//      wrong outputs and hangs (bar: 0 of each), mean power cycles and re-executed instructions;
//   4. the total cost with re-execution at three failure rates (mean windows of 1.5x, 3x and 10x the budget), measured
//      in QEMU, beside the naive baseline (a commit after every step, a cut step run again whole) simulated from the
//      measured step costs: where a step with its resume is larger than every window it never finishes;
//   5. the papers' figures as context.
// Usage: npm run bench:intermittent -- [--schedules N] [--rate-schedules N] [--budget N] [--only fmnist|resnet8] [--json]
//   A report, not a test: it exits 0 whatever the bars say, and 1 only when a build or run fails.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { log, usageError, positiveOption } from './bench-cli.js';
import { compileModel, type CalibrationSource, type CompileResult } from '../src/compile.js';
import { readSamples } from '../src/data/index.js';
import { INTERMITTENT_MARGIN } from '../src/intermittent/index.js';
import { RUNTIME_OVERHEADS } from '../src/intermittent-build.js';
import { sizeOf } from '../src/ir/graph.js';
import { encodeSamples, type EncodedInput } from '../src/io-codec.js';
import type { IntermittentReport } from '../src/report/task-table.js';
import { runFirmware, type FirmwareRun } from '../src/toolchain/index.js';
import { runPowerFailures, type PowerFailureReport } from '../src/toolchain/power-failures.js';
import { seededRandom } from '../src/util/random.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'cortex-m4';
/** Instructions per power-on window: the bar's 100,000 unless --budget says otherwise. */
let BUDGET = 100_000;
/** The bars. */
const OVERHEAD_BAR = 0.05;
const SRAM_BAR_BYTES = 256 * 1024;
/** Samples run continuously (plain and intermittent); the failure schedules are spread over them. */
const SAMPLES = 4;
/** Seed of the failure schedules. */
const SEED = 7;
/** Failure rates: windows uniform in [min, max] budgets, so mean windows of 1.5x, 3x and 10x the budget. */
const RATES = [
  { mean: 1.5, min: 1, max: 2 },
  { mean: 3, min: 1, max: 5 },
  { mean: 10, min: 1, max: 19 },
];
/** Simulated schedules per rate for the naive baseline and for our split (a check of the simulation). */
const SIMULATED = 2000;
/** Time limit of one failure schedule's emulator. */
const SCHEDULE_TIMEOUT_MS = 300_000;

/** The papers' figures the results stand beside (quoted, not measured here). */
const PAPERS = [
  {
    source: 'Zhang 2024, "Accelerate Intermittent Deep Inference" (arXiv 2407.14514)',
    figure:
      'tasks scheduled into power cycles, SRAM under 256 KB; up to 5.6x faster and 4.4x more energy-efficient than iNAS / HW-NAS (as reported for it; not in its arXiv abstract)',
  },
  {
    source: 'Gobieski et al., ASPLOS 2019 (SONIC & TAILS)',
    figure:
      'correct at any failure point through loop continuation; 6.9x (SONIC) and 12.2x (TAILS) less inference energy than the prior state of the art (abstract)',
  },
];

interface Example {
  name: string;
  file: string;
  calibration: CalibrationSource;
  inputs: string;
  inputScale?: number;
}

const EXAMPLES: Example[] = [
  {
    name: 'fmnist',
    file: 'examples/fmnist/fmnist_cnn.onnx',
    calibration: { path: join(ROOT, 'examples/fmnist/calib_u8.npy'), scale: 1 / 255, count: 1000, method: 'percentile' },
    inputs: 'examples/fmnist/test_inputs.npy',
  },
  {
    name: 'resnet8',
    file: 'examples/bench/resnet8.onnx',
    calibration: { path: join(ROOT, 'examples/bench/resnet8_inputs.npy'), method: 'minmax' },
    inputs: 'examples/bench/resnet8_inputs.npy',
  },
];

interface Options {
  schedules: number;
  rateSchedules: number;
  only?: string;
  json: boolean;
}

interface RateRow {
  meanWindowBudgets: number;
  /** Mean instructions of an inference with re-execution, over the plain build's continuous instructions. */
  measured: { schedules: number; meanInstructions: number; ratio: number; meanCycles: number; wrong: number; hangs: number; errors: number };
  /** The same, simulated from the tasks' measured costs (checks the simulation). */
  simulated: { meanInstructions: number; ratio: number } | 'never finishes';
  /** The naive baseline (a task per step), simulated from the steps' measured costs. */
  naive: { meanInstructions: number; ratio: number } | 'never finishes';
}

interface ModelFigures {
  model: string;
  budget: number;
  tasks: number;
  largestTask: number;
  steps: number;
  largestStep: number;
  sramBytes: number;
  nvmBytes: number;
  plainInstructions: number;
  intermittentInstructions: number;
  overhead: number;
  overheadBar: 'PASS' | 'FAIL';
  sramBar: 'PASS' | 'FAIL';
  failures: {
    schedules: number;
    wrong: number;
    hangs: number;
    errors: number;
    meanCycles: number;
    maxCycles: number;
    meanReexecuted: number;
    cycleBound: number;
    firstFailures: string[];
    bar: 'PASS' | 'FAIL';
    seconds: number;
  };
  rates: RateRow[];
  /** Schedules that aim cuts inside commits or begin with back-to-back windows shorter than a task (--rate-schedules). */
  adversarial: { schedules: number; wrong: number; hangs: number; errors: number; cutsInCommit: number; aimed: number };
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:intermittent -- [--schedules N] [--rate-schedules N] [--budget N] [--only fmnist|resnet8] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        schedules: { type: 'string', default: '1000' },
        'rate-schedules': { type: 'string', default: '100' },
        budget: { type: 'string', default: String(BUDGET) },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --schedules N       failure schedules per model, windows 1x-5x the budget (default 1000; the bar's count)\n` +
        '  --rate-schedules N  schedules per model at the failure rates of mean window 1.5x and 10x (default 100)\n' +
        "  --budget N          instructions per power-on window (default 100000, the bars' budget)\n" +
        '  --only MODEL        fmnist or resnet8; default both\n' +
        '  --json              print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  if (values.only !== undefined && !EXAMPLES.some((e) => e.name === values.only)) {
    usageError(`--only must be fmnist or resnet8, got "${values.only}"`, usage);
  }
  BUDGET = positiveOption('budget', values.budget, usage);
  return {
    schedules: positiveOption('schedules', values.schedules, usage),
    rateSchedules: positiveOption('rate-schedules', values['rate-schedules'], usage),
    only: values.only,
    json: values.json,
  };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

async function build(example: Example, workDir: string, intermittent: boolean): Promise<CompileResult> {
  return compileModel({
    model: join(ROOT, example.file),
    target: TARGET,
    precision: 'int8',
    outDir: join(workDir, `${example.name}-${intermittent ? 'intermittent' : 'plain'}`),
    calibration: example.calibration,
    ...(intermittent ? { intermittent: { budget: BUDGET, budgetText: `--budget ${BUDGET}` } } : {}),
    onProgress: (message) => {
      if (!message.startsWith('calibrating')) log(`bench: ${example.name}: ${message}`);
    },
  });
}

function samplesOf(compiled: CompileResult, example: Example): { encoded: EncodedInput[]; bytes: Uint8Array } {
  const input = compiled.graph.tensors.get(compiled.graph.inputs[0]!)!;
  const read = readSamples(join(ROOT, example.inputs), input.shape, { count: SAMPLES, scale: example.inputScale });
  const size = sizeOf(input.shape);
  return encodeSamples(
    input,
    Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size)),
  );
}

async function runAll(compiled: CompileResult, bytes: Uint8Array, samples: number): Promise<FirmwareRun> {
  return runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples, timeoutMs: 600_000 });
}

/**
 * Failure schedules over the samples (schedule i on sample i mod samples): the report of each sample's share,
 * merged. Windows uniform in [min, max] budgets; no aimed cuts or stalls (the bar's schedules).
 */
async function failures(
  compiled: CompileResult,
  encoded: EncodedInput[],
  continuous: FirmwareRun,
  schedules: number,
  windows: { min: number; max: number },
  label: string,
  mix = { commit: 0, stall: 0 },
): Promise<PowerFailureReport> {
  const parts: PowerFailureReport[] = [];
  let done = 0;
  let lastLog = Date.now();
  for (let sample = 0; sample < Math.min(encoded.length, schedules); sample++) {
    const count = Math.floor(schedules / encoded.length) + (sample < schedules % encoded.length ? 1 : 0);
    parts.push(
      await runPowerFailures(compiled.image!.elfPath, compiled.target, encoded[sample]!.bytes, {
        schedules: count,
        seed: SEED * 1000 + sample,
        budget: BUDGET,
        continuous: {
          outputs: continuous.outputs[sample]!,
          exit: continuous.exits[sample]!,
          instructions: continuous.instructions[sample]!,
          taskInstructions: continuous.taskInstructions[sample]!,
        },
        mix,
        windows,
        timeoutMs: SCHEDULE_TIMEOUT_MS,
        onProgress: () => {
          done++;
          if (Date.now() - lastLog > 10_000 || done === schedules) {
            lastLog = Date.now();
            log(`bench: ${label}: ${done}/${schedules} failure schedules`);
          }
        },
      }),
    );
  }
  const all = parts.flatMap((p) => p.schedules);
  const finished = all.filter((s) => s.instructions !== null);
  return {
    schedules: all,
    wrong: parts.reduce((n, p) => n + p.wrong, 0),
    hangs: parts.reduce((n, p) => n + p.hangs, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    cycleBound: Math.max(...parts.map((p) => p.cycleBound)),
    meanCycles: mean(finished.map((s) => s.cycles)),
    meanReexecuted: mean(finished.map((s) => s.reexecuted ?? 0)),
    cutsByFunction: {},
  };
}

/**
 * Mean instructions of an inference whose work is `costs` (each task with its commit, run in order) under windows
 * uniform in [min, max] budgets: a window resumes (RUNTIME_OVERHEADS.resume), runs whole tasks while they fit, and
 * loses what it started past them. 'never finishes' when a task with its resume is larger than the largest window.
 */
function simulate(costs: number[], range: { min: number; max: number }, seed: number): number | 'never finishes' {
  const resume = RUNTIME_OVERHEADS.resume;
  if (costs.some((c) => resume + c > range.max * BUDGET)) return 'never finishes';
  const random = seededRandom(seed);
  let total = 0;
  for (let run = 0; run < SIMULATED; run++) {
    let task = 0;
    for (;;) {
      const window = Math.round(BUDGET * (range.min + random() * (range.max - range.min)));
      let used = task === 0 ? 0 : resume;
      while (task < costs.length && used + costs[task]! <= window) used += costs[task++]!;
      if (task === costs.length) {
        total += used;
        break;
      }
      total += window;
    }
  }
  return total / SIMULATED;
}

/** Each step's measured cost with its commit: the build's run with a task per step, else shared out from the tasks. */
function stepCosts(report: IntermittentReport): number[] {
  if (report.step_instructions && report.step_instructions.length > 0) return report.step_instructions;
  // Fallback: a task's measured cost shared equally among the steps its pieces belong to.
  const perStep = new Map<number, number>();
  for (const task of report.tasks) {
    const steps = [...new Set(task.pieces.map((p) => Number(/^step (\d+)/.exec(p)?.[1] ?? -1)))];
    for (const step of steps)
      perStep.set(step, (perStep.get(step) ?? 0) + (task.measured_instructions ?? task.predicted_instructions) / steps.length);
  }
  return [...perStep.entries()].sort((a, b) => a[0] - b[0]).map(([, cost]) => cost);
}

async function measureModel(example: Example, options: Options, workDir: string): Promise<ModelFigures> {
  log(`bench: ${example.name}: building plain and --intermittent --budget ${BUDGET} for ${TARGET}`);
  const plain = await build(example, workDir, false);
  const intermittent = await build(example, workDir, true);
  const report = intermittent.report.intermittent!;
  const { encoded, bytes } = samplesOf(intermittent, example);
  const plainRun = await runAll(plain, samplesOf(plain, example).bytes, encoded.length);
  const continuous = await runAll(intermittent, bytes, encoded.length);
  for (let i = 0; i < encoded.length; i++) {
    if (Buffer.compare(Buffer.from(plainRun.outputs[i]!), Buffer.from(continuous.outputs[i]!)) !== 0)
      throw new Error(`${example.name}: sample ${i}: the intermittent build's outputs differ from the plain build's`);
  }
  const plainInstructions = mean(plainRun.instructions.map((n) => n!));
  const intermittentInstructions = mean(continuous.instructions.map((n) => n!));
  const overhead = intermittentInstructions / plainInstructions - 1;

  const started = Date.now();
  const bar = await failures(intermittent, encoded, continuous, options.schedules, RATES[1]!, `${example.name} 1x-5x`);
  const seconds = (Date.now() - started) / 1000;
  const taskCosts = report.tasks.map((t) => t.measured_instructions ?? t.predicted_instructions);
  const steps = stepCosts(report);

  const rates: RateRow[] = [];
  for (const [i, rate] of RATES.entries()) {
    const measured =
      rate === RATES[1] ? bar : await failures(intermittent, encoded, continuous, options.rateSchedules, rate, `${example.name} mean ${rate.mean}x`);
    const finished = measured.schedules.filter((s) => s.instructions !== null);
    const meanInstructions = mean(finished.map((s) => s.instructions!));
    const ratio = (value: number | 'never finishes') =>
      value === 'never finishes' ? value : { meanInstructions: Math.round(value), ratio: value / plainInstructions };
    rates.push({
      meanWindowBudgets: rate.mean,
      measured: {
        schedules: measured.schedules.length,
        meanInstructions: Math.round(meanInstructions),
        ratio: meanInstructions / plainInstructions,
        meanCycles: measured.meanCycles,
        wrong: measured.wrong,
        hangs: measured.hangs,
        errors: measured.errors,
      },
      simulated: ratio(simulate(taskCosts, rate, 100 + i)),
      naive: ratio(simulate(steps, rate, 200 + i)),
    });
  }
  const hostile = await failures(intermittent, encoded, continuous, options.rateSchedules, RATES[1]!, `${example.name} aimed and stalled`, {
    commit: 0.5,
    stall: 0.5,
  });
  const aimed = hostile.schedules.filter((s) => s.kind === 'commit');
  const failed = bar.schedules.filter((s) => !s.ok);
  return {
    model: example.name,
    budget: BUDGET,
    tasks: report.tasks.length,
    largestTask: Math.max(...taskCosts),
    steps: steps.length,
    largestStep: Math.round(Math.max(...steps)),
    sramBytes: report.memory.sram_bytes,
    nvmBytes: report.memory.nvm_bytes,
    plainInstructions: Math.round(plainInstructions),
    intermittentInstructions: Math.round(intermittentInstructions),
    overhead,
    overheadBar: overhead <= OVERHEAD_BAR ? 'PASS' : 'FAIL',
    sramBar: report.memory.sram_bytes <= SRAM_BAR_BYTES ? 'PASS' : 'FAIL',
    failures: {
      schedules: bar.schedules.length,
      wrong: bar.wrong,
      hangs: bar.hangs,
      errors: bar.errors,
      meanCycles: bar.meanCycles,
      maxCycles: Math.max(...bar.schedules.map((s) => s.cycles)),
      meanReexecuted: bar.meanReexecuted,
      cycleBound: bar.cycleBound,
      firstFailures: failed.slice(0, 3).map((s) => `seed ${s.seed}: ${s.failure}`),
      bar: bar.wrong + bar.hangs + bar.errors === 0 ? 'PASS' : 'FAIL',
      seconds,
    },
    rates,
    adversarial: {
      schedules: hostile.schedules.length,
      wrong: hostile.wrong,
      hangs: hostile.hangs,
      errors: hostile.errors,
      aimed: aimed.length,
      cutsInCommit: aimed.filter((s) => /^eenn_(record_commit|crc32|copy_bytes|nvm_write)$/.test(s.cutFunctions[0] ?? '')).length,
    },
  };
}

function percent(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
}

function cost(value: RateRow['naive']): string {
  return value === 'never finishes' ? 'never finishes' : `${value.meanInstructions} (${value.ratio.toFixed(2)}x)`;
}

function printTables(figures: ModelFigures[]): void {
  const out: string[] = [];
  out.push(`Intermittent execution, int8 on ${TARGET}, memory-mapped NVM, --budget ${BUDGET} (task limit ${BUDGET * (1 - INTERMITTENT_MARGIN)})`);
  out.push('');
  out.push('model    tasks (largest)     steps (largest)    SRAM     NVM      plain       intermittent  overhead  bars (<=5%, SRAM<=256K)');
  for (const f of figures) {
    out.push(
      `${f.model.padEnd(8)} ${`${f.tasks} (${f.largestTask})`.padEnd(19)} ${`${f.steps} (${f.largestStep})`.padEnd(18)} ${String(f.sramBytes).padEnd(8)} ${String(f.nvmBytes).padEnd(8)} ` +
        `${String(f.plainInstructions).padEnd(11)} ${String(f.intermittentInstructions).padEnd(13)} ${percent(f.overhead).padEnd(9)} ${f.overheadBar}, ${f.sramBar}`,
    );
  }
  out.push('');
  out.push('failure schedules, windows uniform in [1x, 5x] the budget:');
  out.push('model    schedules  wrong  hangs  errors  power cycles (mean, max, bound)  re-executed (mean)  bar  time');
  for (const f of figures) {
    const x = f.failures;
    out.push(
      `${f.model.padEnd(8)} ${String(x.schedules).padEnd(10)} ${String(x.wrong).padEnd(6)} ${String(x.hangs).padEnd(6)} ${String(x.errors).padEnd(7)} ` +
        `${`${x.meanCycles.toFixed(1)}, ${x.maxCycles}, ${x.cycleBound}`.padEnd(32)} ${String(Math.round(x.meanReexecuted)).padEnd(19)} ${x.bar} ${x.seconds.toFixed(0)} s`,
    );
    for (const line of x.firstFailures) out.push(`         ${line}`);
  }
  out.push('');
  out.push('cuts aimed inside commits (first cut) and back-to-back windows shorter than a task, then windows of 1x-5x:');
  for (const f of figures) {
    const a = f.adversarial;
    out.push(
      `${f.model.padEnd(8)} ${a.schedules} schedules: ${a.wrong} wrong, ${a.hangs} hangs, ${a.errors} errors; ${a.cutsInCommit} of ${a.aimed} aimed cuts inside the runtime's commit`,
    );
  }
  out.push('');
  out.push('total instructions per inference with re-execution (x the plain build without failures):');
  out.push('model    mean window  ours, QEMU (schedules, mean cycles)      ours, simulated        naive: a task per step, simulated');
  for (const f of figures) {
    for (const r of f.rates) {
      const m = r.measured;
      out.push(
        `${f.model.padEnd(8)} ${`${r.meanWindowBudgets}x`.padEnd(12)} ${`${m.meanInstructions} (${m.ratio.toFixed(2)}x; ${m.schedules}, ${m.meanCycles.toFixed(1)})`.padEnd(40)} ` +
          `${cost(r.simulated).padEnd(22)} ${cost(r.naive)}`,
      );
    }
  }
  out.push('');
  out.push('the papers, quoted for context:');
  for (const p of PAPERS) out.push(`  ${p.source}: ${p.figure}`);
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  const options = parseOptions();
  const workDir = await makeTempDir('eennc-bench-intermittent-');
  const figures: ModelFigures[] = [];
  let failed = false;
  try {
    for (const example of EXAMPLES.filter((e) => !options.only || e.name === options.only)) {
      try {
        figures.push(await measureModel(example, options, workDir));
      } catch (err) {
        failed = true;
        log(`bench: ${example.name} failed: ${(err as Error).message}`);
      }
    }
    if (options.json) process.stdout.write(JSON.stringify({ figures, papers: PAPERS }, null, 2) + '\n');
    else printTables(figures);
    return failed ? 1 : 0;
  } finally {
    await removeTempDir(workDir);
  }
}

process.exitCode = await main();
