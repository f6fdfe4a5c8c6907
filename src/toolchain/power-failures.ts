// Failure injection for intermittent builds: runs one inference of a built intermittent firmware under many
// seeded schedules of power failures, one QEMU process per schedule (the firmware resets itself at the end of each
// window: templates/c/firmware/main_intermittent.c.hbs), and checks every finished run against the continuous one,
// bit for bit, and that every schedule whose windows all reach the budget finishes within a bound of power cycles.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { EennError } from '../ir/diagnostics.js';
import { emulatorCommand, type Target } from '../target/target.js';
import { seededRandom } from '../util/random.js';
import { clampTimerMs, formatDuration } from '../util/timers.js';
import { makeTempDir, removeTempDir, trackChild } from '../util/temp-dirs.js';
import { explainFirmwareExit } from './exit-codes.js';
import { FIRMWARE_FILES, ticksToInstructions } from './run.js';
import { findProgram, requireProgram } from './tools.js';

/** What a failure-injection run compares with: the continuous run of the same image on the same sample. */
export interface ContinuousReference {
  /** The sample's raw output bytes (FirmwareRun.outputs[0]). */
  outputs: Uint8Array;
  /** The exit it took (FirmwareRun.exits[0]). */
  exit: number;
  /** Instructions of the whole inference (FirmwareRun.instructions[0]). */
  instructions: number;
  /** Cumulative instructions at each task's commit (FirmwareRun.taskInstructions[0]): where aimed cuts go. */
  taskInstructions: (number | null)[];
}

export interface PowerFailureOptions {
  /** How many failure schedules to run. */
  schedules: number;
  /** Seed of the schedules: the same seed gives the same schedules. */
  seed: number;
  /** Instructions per power-on window the build was split for (--budget). */
  budget: number;
  /** The continuous run to compare with. */
  continuous: ContinuousReference;
  /**
   * The share of the budget a task leaves free (INTERMITTENT_MARGIN of src/intermittent/types.ts, which the
   * toolchain may not import; a test checks that they agree). Sets the bound of power cycles for a hang.
   */
  margin?: number;
  /**
   * Shares of the schedules that aim cuts at commits and that begin with back-to-back short windows; the rest
   * draw every window uniformly between 1x and 5x the budget. { commit: 0.2, stall: 0.2 } unless given; zeros
   * for the bar's plain schedules.
   */
  mix?: { commit: number; stall: number };
  /**
   * The range of the uniform windows in budgets: [1, 5] unless given (the bar's). Both at least 1, so that the
   * bound of power cycles holds; a wider range with a larger mean stands for a lower failure rate.
   */
  windows?: { min: number; max: number };
  /** Time limit of one schedule's emulator (default: 60 s). */
  timeoutMs?: number;
  /** Emulators run at once (default: os.availableParallelism()). */
  jobs?: number;
  /** Called after each schedule. */
  onProgress?: (done: number, total: number, schedule: ScheduleResult) => void;
}

/** Which windows a schedule draws. */
export type ScheduleKind = 'uniform' | 'commit' | 'stall';

/** What one schedule did. */
export interface ScheduleResult {
  /** The schedule's own seed: drawSchedule(seed, kind, ...) gives it again. */
  seed: number;
  kind: ScheduleKind;
  /** The power-on windows in instructions, in order; after the last the run gives up (a hang). */
  windows: number[];
  /** Power failures (cycles) before the inference finished, or before it gave up. */
  cycles: number;
  /** Instructions of every window together, the last up to eenn_run()'s return; null when the run did not end. */
  instructions: number | null;
  /** instructions less those of the continuous run: the work done again after failures, resuming included. */
  reexecuted: number | null;
  /** Boots at which eenn_status() said RESUMED. */
  resumedBoots: number;
  /** The outputs and exit of the finished inference; null when it did not finish. */
  outputs: Uint8Array | null;
  exit: number | null;
  /** Where the power failed: the functions of the first 64 cuts (program counters looked up in the image). */
  cutFunctions: string[];
  ok: boolean;
  /** Why not ok: 'wrong: ...', 'hang: ...' or 'error: ...'. */
  failure?: string;
}

export interface PowerFailureReport {
  schedules: ScheduleResult[];
  /** Finished with outputs or exit unlike the continuous run's, or with eenn_status()/eenn_read_outputs() amiss. */
  wrong: number;
  /** Did not finish within the bound of power cycles, or in the time limit. */
  hangs: number;
  /** The emulator or the firmware failed otherwise (a fault, an error from eenn_run()). */
  errors: number;
  /** The bound: a schedule whose windows all reach the budget must finish within this many power failures. */
  cycleBound: number;
  /** Means over the finished schedules. */
  meanCycles: number;
  meanReexecuted: number;
  /** Cuts per function, over every schedule (the first 64 cuts of each). */
  cutsByFunction: Record<string, number>;
}

/** schedule.bin flags (main_intermittent.c.hbs): bit 0, give up after the last window. */
const SCHEDULE_GIVE_UP = 1;
/** The firmware's schedule holds at most this many windows (EENN_SCHEDULE_MAX_WINDOWS). */
export const MAX_WINDOWS = 4096;
/** power.bin (main_intermittent.c.hbs). */
const POWER_FILE = 'power.bin';
const SCHEDULE_FILE = 'schedule.bin';
const POWER_MAGIC = 0x504e4545;
const POWER_HEADER_BYTES = 32;
const POWER_FINISHED = 1;
const POWER_STATUS_DONE = 2;
const POWER_READ_BACK = 4;

const DEFAULT_MARGIN = 0.1;
const DEFAULT_MIX = { commit: 0.2, stall: 0.2 };
const DEFAULT_TIMEOUT_MS = 60_000;
/** Windows of the bar's schedules: uniform in [1, 5] budgets. */
const WINDOW_MIN_BUDGETS = 1;
const WINDOW_MAX_BUDGETS = 5;
/**
 * An aimed cut lands up to this many instructions before a task's traced end (its commit's record write, its CRC,
 * and before them the live saves of a hooks build), mostly within the last few hundred; from AIM_AFTER after it,
 * since a continuous run's counts may run a few instructions a task ahead of a run with failures.
 */
const AIM_BEFORE_MAX = 1_500;
const AIM_AFTER = 40;
/** Back-to-back short windows at the start of a stall schedule: how many, and their length in budgets. */
const STALL_WINDOWS = { min: 4, max: 24 };
const STALL_LENGTH_BUDGETS = { min: 0.005, max: 0.5 };

/** The most power failures a schedule of windows >= budget may take: twice the continuous work in full tasks, and 10. */
export function cycleBound(continuousInstructions: number, budget: number, margin = DEFAULT_MARGIN): number {
  return Math.ceil((continuousInstructions / (budget * (1 - margin))) * 2) + 10;
}

/** The kind of schedule `index` of a run: the mix spread evenly over the indices, so a short run has some of each. */
export function scheduleKind(index: number, mix = DEFAULT_MIX): ScheduleKind {
  const position = ((index + 0.5) * 0.618_033_988_75) % 1; // golden-ratio sequence: evenly spread for any count
  if (position < mix.commit) return 'commit';
  if (position < mix.commit + mix.stall) return 'stall';
  return 'uniform';
}

/**
 * The windows (instructions) of one schedule: `bound` windows uniform in `range` budgets ([1, 5] by default), after,
 * for 'commit', one window ending a little before a task's traced commit end, or for 'stall', a run of windows
 * shorter than a task.
 */
export function drawSchedule(
  seed: number,
  kind: ScheduleKind,
  budget: number,
  bound: number,
  taskEnds: number[],
  range = { min: WINDOW_MIN_BUDGETS, max: WINDOW_MAX_BUDGETS },
): number[] {
  const random = seededRandom(seed);
  const between = (low: number, high: number): number => Math.round(low + random() * (high - low));
  const windows: number[] = [];
  if (kind === 'commit' && taskEnds.length > 0) {
    const end = taskEnds[Math.floor(random() * taskEnds.length)]!;
    // Mostly the last few hundred instructions (the record write and its CRC); now and then the saves before them.
    const before = Math.floor(random() ** 3 * AIM_BEFORE_MAX) - AIM_AFTER;
    windows.push(Math.max(1, end - before));
  } else if (kind === 'stall') {
    const count = between(STALL_WINDOWS.min, STALL_WINDOWS.max);
    for (let i = 0; i < count; i++) windows.push(Math.max(1, between(budget * STALL_LENGTH_BUDGETS.min, budget * STALL_LENGTH_BUDGETS.max)));
  }
  for (let i = 0; i < bound; i++) windows.push(between(budget * range.min, budget * range.max));
  return windows;
}

/**
 * Run one inference of `imagePath` (an intermittent firmware from buildFirmware) under `options.schedules` seeded
 * failure schedules, `inputBytes` being its sample (every model input in order), and compare each with the
 * continuous run. Nothing is left in the temporary folder. Throws E_USAGE for options out of range, E_TOOLCHAIN
 * when the emulator is missing; a schedule that fails is counted in the report, not thrown.
 */
export async function runPowerFailures(
  imagePath: string,
  target: Target,
  inputBytes: Uint8Array,
  options: PowerFailureOptions,
): Promise<PowerFailureReport> {
  checkOptions(target, options);
  const image = resolve(imagePath);
  const command = emulatorCommand(target, image);
  command[0] = requireProgram(command[0], `run ${target.name} firmware`);
  const timeoutMs = clampTimerMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { continuous, budget } = options;
  const bound = cycleBound(continuous.instructions, budget, options.margin);
  if (bound + STALL_WINDOWS.max + 1 > MAX_WINDOWS)
    throw new EennError({
      code: 'E_USAGE',
      message: `failure injection: a schedule would need ${bound} windows of ${budget} instructions for ${continuous.instructions} instructions of work, more than the test firmware holds (${MAX_WINDOWS})`,
      hint: 'test the failures with a larger --budget',
    });
  const taskEnds = continuous.taskInstructions.filter((at): at is number => at !== null && at > 0);
  const seeds = seededRandom(options.seed);
  const plans = Array.from({ length: options.schedules }, (_, index) => {
    const seed = Math.floor(seeds() * 2 ** 32);
    const kind = scheduleKind(index, options.mix ?? DEFAULT_MIX);
    return { seed, kind, windows: drawSchedule(seed, kind, budget, bound, taskEnds, options.windows) };
  });
  const symbols = await functionSymbols(target, image);

  const workRoot = await makeTempDir('eennc-power-');
  try {
    const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), plans.length));
    const results: ScheduleResult[] = new Array<ScheduleResult>(plans.length);
    let next = 0;
    let done = 0;
    const worker = async (slot: number): Promise<void> => {
      const dir = join(workRoot, `job${slot}`);
      for (let index = next++; index < plans.length; index = next++) {
        const plan = plans[index]!;
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        await writeFile(join(dir, FIRMWARE_FILES.input), inputBytes);
        await writeFile(join(dir, SCHEDULE_FILE), scheduleFile(plan.windows, target));
        const result = await runSchedule(command, dir, plan, { target, timeoutMs, continuous, symbols });
        results[index] = result;
        done++;
        options.onProgress?.(done, plans.length, result);
      }
    };
    await Promise.all(Array.from({ length: jobs }, (_, slot) => worker(slot)));
    return summarise(results, bound);
  } finally {
    await removeTempDir(workRoot);
  }
}

/** schedule.bin: flags, count, then each window in counter ticks. */
function scheduleFile(windows: number[], target: Target): Uint8Array {
  const bytes = Buffer.alloc(8 + 4 * windows.length);
  bytes.writeUInt32LE(SCHEDULE_GIVE_UP, 0);
  bytes.writeUInt32LE(windows.length, 4);
  windows.forEach((instructions, i) => bytes.writeUInt32LE(Math.min(instructionsToTicks(instructions, target), 0xffff_ffff), 8 + 4 * i));
  return bytes;
}

/** Counter ticks for `instructions` under `-icount shift=N` (the inverse of ticksToInstructions), at least 2. */
export function instructionsToTicks(instructions: number, target: Target): number {
  const shift = target.emulator?.icountShift ?? 0;
  const hz = target.counter.source === 'systick' ? target.counter.hz : 1e9;
  return Math.max(2, Math.round((instructions * 2 ** shift) / (1e9 / hz)));
}

interface RunContext {
  target: Target;
  timeoutMs: number;
  continuous: ContinuousReference;
  symbols: FunctionSymbol[];
}

/** Run one schedule in `dir` (input.bin and schedule.bin written) and judge it. */
async function runSchedule(
  command: string[],
  dir: string,
  plan: { seed: number; kind: ScheduleKind; windows: number[] },
  context: RunContext,
): Promise<ScheduleResult> {
  const base = { ...plan, cycles: 0, instructions: null, reexecuted: null, resumedBoots: 0, outputs: null, exit: null, cutFunctions: [] };
  const result = await trackChild(
    execa(command[0]!, command.slice(1), {
      cwd: dir,
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: context.timeoutMs,
      killSignal: 'SIGKILL',
    }),
  );
  if (result.timedOut) return { ...base, ok: false, failure: `hang: the emulator did not finish within ${formatDuration(context.timeoutMs)}` };
  const printed = (result.all ?? '').trim().split('\n').slice(-2).join(' / ');
  if (result.exitCode !== 0) {
    const explained = result.exitCode === undefined ? undefined : explainFirmwareExit(result.exitCode);
    return {
      ...base,
      ok: false,
      failure: `error: ${explained?.message ?? `exit status ${result.exitCode ?? result.signal}`}${printed ? ` (${printed})` : ''}`,
    };
  }
  const power = await readFile(join(dir, POWER_FILE)).catch(() => undefined);
  if (!power || power.byteLength < POWER_HEADER_BYTES || power.readUInt32LE(0) !== POWER_MAGIC) {
    return { ...base, ok: false, failure: 'error: the firmware left no power.bin' };
  }
  const exit = power.readInt32LE(4);
  const cycles = power.readUInt32LE(8);
  const flags = power.readUInt32LE(12);
  const ticks = Number(power.readBigUInt64LE(16));
  const resumedBoots = power.readUInt32LE(24);
  const pcCount = Math.min(power.readUInt32LE(28), (power.byteLength - POWER_HEADER_BYTES) / 4);
  const cutFunctions = Array.from({ length: pcCount }, (_, i) => functionAt(context.symbols, power.readUInt32LE(POWER_HEADER_BYTES + 4 * i)));
  const judged = { ...base, cycles, resumedBoots, cutFunctions };
  if (!(flags & POWER_FINISHED)) {
    return exit < 0 && cycles >= plan.windows.length
      ? { ...judged, ok: false, failure: `hang: not finished after ${cycles} power failures` }
      : { ...judged, ok: false, failure: `error: eenn_run() returned ${exit} after ${cycles} power failures` };
  }
  const instructions = ticksToInstructions(ticks, context.target);
  const outputs = new Uint8Array(await readFile(join(dir, FIRMWARE_FILES.output)).catch(() => new Uint8Array(0)));
  const finished = {
    ...judged,
    exit,
    outputs,
    instructions,
    reexecuted: instructions === null ? null : instructions - context.continuous.instructions,
  };
  const wrong = mismatch(finished, flags, context.continuous);
  return wrong ? { ...finished, ok: false, failure: `wrong: ${wrong}` } : { ...finished, ok: true };
}

/** What differs from the continuous run, or undefined. */
function mismatch(run: { exit: number; outputs: Uint8Array }, flags: number, continuous: ContinuousReference): string | undefined {
  if (run.exit !== continuous.exit) return `exit ${run.exit}, continuous ${continuous.exit}`;
  const expected = continuous.outputs;
  if (run.outputs.byteLength !== expected.byteLength) return `${run.outputs.byteLength} output bytes, continuous ${expected.byteLength}`;
  const at = run.outputs.findIndex((byte, i) => byte !== expected[i]);
  if (at >= 0) return `output byte ${at} is ${run.outputs[at]}, continuous ${expected[at]}`;
  if (!(flags & POWER_STATUS_DONE)) return 'eenn_status() did not say DONE after the inference';
  if (!(flags & POWER_READ_BACK)) return 'eenn_read_outputs() did not give the outputs and exit eenn_run() returned';
  return undefined;
}

function summarise(schedules: ScheduleResult[], bound: number): PowerFailureReport {
  const count = (prefix: string): number => schedules.filter((s) => s.failure?.startsWith(prefix)).length;
  const finished = schedules.filter((s) => s.instructions !== null);
  const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  const cutsByFunction: Record<string, number> = {};
  for (const name of schedules.flatMap((s) => s.cutFunctions)) cutsByFunction[name] = (cutsByFunction[name] ?? 0) + 1;
  return {
    schedules,
    wrong: count('wrong'),
    hangs: count('hang'),
    errors: count('error'),
    cycleBound: bound,
    meanCycles: mean(finished.map((s) => s.cycles)),
    meanReexecuted: mean(finished.map((s) => s.reexecuted ?? 0)),
    cutsByFunction,
  };
}

// ---------------------------------------------------------------- where the cuts landed

interface FunctionSymbol {
  address: number;
  name: string;
}

/** The image's functions by address (nm), to name the places the power failed; empty when nm is missing. */
async function functionSymbols(target: Target, image: string): Promise<FunctionSymbol[]> {
  const nm = findProgram(target.compiler.size.replace(/size$/, 'nm'));
  if (!nm) return [];
  const listed = await execa(nm, ['-n', '--defined-only', image], { reject: false });
  const symbols: FunctionSymbol[] = [];
  for (const line of (listed.stdout ?? '').split('\n')) {
    const match = /^([0-9a-f]+) [tTwW] (\S+)$/.exec(line.trim());
    if (match && !match[2]!.startsWith('$')) symbols.push({ address: parseInt(match[1]!, 16) & ~1, name: match[2]! });
  }
  return symbols;
}

/** The function holding `pc`: the last symbol at or below it. */
function functionAt(symbols: FunctionSymbol[], pc: number): string {
  let low = 0;
  let high = symbols.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (symbols[middle]!.address <= pc) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found >= 0 ? symbols[found]!.name : `0x${pc.toString(16)}`;
}

function checkOptions(target: Target, options: PowerFailureOptions): void {
  const usage = (message: string, hint: string): never => {
    throw new EennError({ code: 'E_USAGE', message: `failure injection: ${message}`, hint });
  };
  if (!target.emulator || target.counter.source !== 'systick')
    usage(`${target.name} has no emulator that counts instructions`, 'run the failures on an emulator target with "nvm" (eennc targets lists them)');
  if (!Number.isSafeInteger(options.schedules) || options.schedules < 1)
    usage(`${options.schedules} schedules`, 'give --failures a whole number of 1 or more');
  if (!Number.isSafeInteger(options.seed)) usage(`seed ${options.seed}`, 'give --seed a whole number');
  if (!Number.isSafeInteger(options.budget) || options.budget < 1) usage(`budget ${options.budget}`, 'give --budget a whole number of instructions');
  if (!(options.continuous.instructions > 0))
    usage('the continuous run counted no instructions', 'measure the continuous run on an emulator target first');
  const range = options.windows;
  if (range && !(range.min >= 1 && range.max >= range.min && range.max * options.budget < 2 ** 31))
    usage(`windows of ${range.min} to ${range.max} budgets`, 'give windows of at least one budget, the larger bound last');
  const mix = options.mix ?? DEFAULT_MIX;
  if (!(mix.commit >= 0 && mix.stall >= 0 && mix.commit + mix.stall <= 1))
    usage('the mix of schedules is not two shares summing to 1 or less', 'give commit and stall between 0 and 1');
}
