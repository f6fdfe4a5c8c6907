// Runs a built firmware image on its samples: in QEMU with semihosting and `-icount` for emulator targets,
// natively for the host. Each run gets a fresh working directory holding input.bin, output.bin and stats.bin
// (formats in templates/c/firmware/main.c.hbs); a time limit bounds every emulator run.

import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { EennError } from '../ir/diagnostics.js';
import { emulatorCommand, type EmulatorLink, type Target } from '../target/target.js';
import { explainFirmwareExit, FIRMWARE_EXIT } from './exit-codes.js';
import { clampTimerMs, formatDuration } from '../util/timers.js';
import { findProgram, requireProgram } from './tools.js';
import { makeTempDir, removeTempDir, trackChild, untrackPath } from '../util/temp-dirs.js';

export interface RunOptions {
  /** Number of samples in the input bytes. */
  samples: number;
  /** Time limit for the whole run; the emulator is killed after it (default 60 s; any larger value, up to about 24.8 days). */
  timeoutMs?: number;
  /** Keep the working directory (its path is in the result) instead of deleting it. */
  keepWorkDir?: boolean;
  /**
   * Run every layer of a model with early exits, as if no exit were taken, and measure the cost of each exit on
   * the way (options.bin): each sample's exitInstructions then gives every exit's cumulative cost.
   */
  continuePastExits?: boolean;
  /** More emulator options, placed before the image (e.g. QEMU's debug log: src/target/qemu-trace.ts). */
  emulatorArgs?: string[];
}

export interface FirmwareRun {
  /** Raw output bytes of each sample: every model output in order, as eenn_output_bytes[] lays them out. */
  outputs: Uint8Array[];
  /** Exit taken by each sample (0 .. EENN_NUM_EXITS-1; the last is the final classifier). */
  exits: number[];
  /** Instructions executed by eenn_run() for each sample under QEMU; null where nothing counts them (host). */
  instructions: (number | null)[];
  /**
   * Per sample, per early exit (EENN_NUM_EXITS - 1 of them; none for a model without early exits): the
   * instructions from the start of eenn_run() to right after that exit's decision, cumulative; null where the
   * sample did not get there or nothing counts them.
   */
  exitInstructions: (number | null)[][];
  /**
   * Per sample, per task of an intermittent build (EENN_NUM_TASKS; none for a plain build): the instructions from
   * the start of eenn_run() to right after that task's commit, cumulative, the trace's own cost left out; null
   * where the sample did not get there or nothing counts them.
   */
  taskInstructions: (number | null)[][];
  /**
   * Per sample, per step of a measuring build (a model emitted with traceSteps, firmware with EENN_TRACE_STEPS;
   * none otherwise): the instructions from the start of eenn_run() to right after that step, and after the exit
   * decision that follows it if any, cumulative, the trace's own cost left out; null where the sample did not get
   * there (the steps from the exit it took on, unless the run continues past exits) or nothing counts them.
   */
  stepInstructions: (number | null)[][];
  /** Raw SysTick ticks per sample (0 on the host). */
  ticks: number[];
  /** Deepest stack use over the whole run in bytes (high-water mark); null where not measured (host). */
  stackBytes: number | null;
  /** What the firmware printed (semihosting console, or stderr on the host). */
  console: string;
  /** The working directory, when kept. */
  workDir?: string;
}

/** Files the firmware reads and writes in its working directory (written by templates/c/firmware/main.c.hbs). */
export const FIRMWARE_FILES = { input: 'input.bin', output: 'output.bin', stats: 'stats.bin', options: 'options.bin' } as const;

/**
 * A stats.bin record: exit, flags, ticks; then the ticks of each early exit (STATS_EXIT_TICKS), then those of each
 * task of an intermittent build (STATS_TASK_TICKS) or of each step of a measuring build (STATS_STEP_TICKS); the
 * record's flags hold the count of tasks or steps from bit 8.
 */
const STATS_RECORD_BYTES = 16;
const STATS_EXIT_TICKS_BYTES = 8;
/** The trailer after the records (also of the multi-device firmware): magic, sample count, stack high-water, flags. */
export const STATS_TRAILER_BYTES = 16;
export const STATS_MAGIC = 0x4e4e4545;
/** Trailer flags: the records' ticks were measured; the stack high-water was. */
export const STATS_TICKS_MEASURED = 1;
export const STATS_STACK_MEASURED = 2;
const STATS_EXIT_TICKS = 4;
const STATS_TASK_TICKS = 8;
const STATS_STEP_TICKS = 16;
const RECORD_TASK_TICKS = 2;
const RECORD_STEP_TICKS = 4;
const RECORD_COUNT_SHIFT = 8;
/** options.bin, bit 0: eenn_trace_exit continues past every exit. */
const OPTION_CONTINUE_PAST_EXITS = 1;
/** The ticks of an exit the sample did not get to. */
const NOT_REACHED = 0xffff_ffff_ffff_ffffn;
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Run `imagePath` (from buildFirmware) for `target` on `inputBytes`: `options.samples` samples back to back,
 * each every model input in order. Throws E_RUN when the emulator times out, the firmware crashes or fails,
 * E_DATA for input that is not whole samples, E_TOOLCHAIN when the emulator is missing.
 */
export async function runFirmware(imagePath: string, target: Target, inputBytes: Uint8Array, options: RunOptions): Promise<FirmwareRun> {
  const { samples } = options;
  if (!Number.isSafeInteger(samples) || samples <= 0 || inputBytes.length === 0 || inputBytes.length % samples !== 0) {
    throw new EennError({
      code: 'E_DATA',
      message: `${inputBytes.length} input bytes are not ${samples} whole samples`,
      hint: 'the input must hold every model input of every sample, back to back',
    });
  }
  const image = resolve(imagePath);
  const command = commandFor(target, image);
  if (options.emulatorArgs && target.emulator) command.splice(command.length - 2, 0, ...options.emulatorArgs);
  const timeoutMs = clampTimerMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  const workDir = await makeTempDir('eennc-run-');
  try {
    await writeFile(join(workDir, FIRMWARE_FILES.input), inputBytes);
    if (options.continuePastExits) {
      const flags = Buffer.alloc(4);
      flags.writeUInt32LE(OPTION_CONTINUE_PAST_EXITS);
      await writeFile(join(workDir, FIRMWARE_FILES.options), flags);
    }
    const result = await trackChild(
      execa(command[0], command.slice(1), {
        cwd: workDir,
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      }),
    );
    const printed = result.all ?? '';
    if (result.timedOut) {
      throw new EennError({
        code: 'E_RUN',
        file: image,
        message: `${target.emulator ? 'emulator' : 'firmware'} did not finish within ${formatDuration(timeoutMs)} (${samples} sample${samples === 1 ? '' : 's'})`,
        details: lastLines(printed),
        hint: 'eenn_run() may loop forever, or the samples need more time: run fewer samples or allow a longer timeout',
      });
    }
    if (result.exitCode !== 0) throw await failedRun(target, image, result.exitCode, result.signal, printed);

    const run = await readResults(workDir, target, samples);
    if (run.stackBytes !== null && target.stackBytes > 0 && run.stackBytes >= target.stackBytes) {
      throw new EennError({
        code: 'E_RUN',
        file: image,
        message: `stack overflow: the firmware used all ${target.stackBytes} bytes of its stack`,
        hint: `raise "stack" in ${target.file}, or lower the stack use of eenn_run()`,
      });
    }
    return { ...run, console: printed, ...(options.keepWorkDir ? { workDir } : {}) };
  } finally {
    if (options.keepWorkDir) untrackPath(workDir);
    else await removeTempDir(workDir);
  }
}

/** Instructions for `ticks` SysTick ticks under `-icount shift=N`: each instruction takes 2^N ns of virtual time. */
export function ticksToInstructions(ticks: number, target: Target): number | null {
  if (!target.emulator || target.counter.source !== 'systick') return null;
  const nanoseconds = ticks * (1e9 / target.counter.hz);
  return Math.round(nanoseconds / 2 ** target.emulator.icountShift);
}

/**
 * The command that runs `image` on `target` (the emulator found on PATH, or the host executable itself), with a
 * serial port joined to a socket when `link` is given (emulatorCommand).
 */
export function commandFor(target: Target, image: string, link?: EmulatorLink): [program: string, ...args: string[]] {
  if (target.kind === 'host') return [image];
  const command = emulatorCommand(target, image, link);
  command[0] = requireProgram(command[0], `run ${target.name} firmware`);
  return command;
}

/** Parse output.bin and stats.bin of a finished run. */
async function readResults(workDir: string, target: Target, samples: number): Promise<Omit<FirmwareRun, 'console' | 'workDir'>> {
  const [outputFile, statsFile] = await Promise.all([
    readFile(join(workDir, FIRMWARE_FILES.output)),
    readFile(join(workDir, FIRMWARE_FILES.stats)),
  ]).catch(() => {
    throw new EennError({
      code: 'E_RUN',
      message: 'the firmware finished but left no output.bin/stats.bin',
      hint: 'the firmware stopped before it wrote its results (a fault or an exit in main.c): build with --precision float32 or another --opt to narrow it down, and report it with the model',
    });
  });
  const stats = new DataView(statsFile.buffer, statsFile.byteOffset, statsFile.byteLength);
  // Records of a firmware that measures its exits carry 8 bytes per early exit, and one that traces its tasks or
  // steps 8 per task or step (their count in the flags): the size says how many exits.
  const recordBytes = (statsFile.byteLength - STATS_TRAILER_BYTES) / samples;
  const recordFlags = statsFile.byteLength >= STATS_RECORD_BYTES + STATS_TRAILER_BYTES ? stats.getUint32(4, true) : 0;
  const traced = recordFlags >>> RECORD_COUNT_SHIFT;
  const tasks = recordFlags & RECORD_TASK_TICKS ? traced : 0;
  const steps = recordFlags & RECORD_STEP_TICKS ? traced : 0;
  const earlyExits = (recordBytes - STATS_RECORD_BYTES) / STATS_EXIT_TICKS_BYTES - tasks - steps;
  const trailer = samples * recordBytes;
  if (!Number.isInteger(earlyExits) || earlyExits < 0 || stats.getUint32(trailer, true) !== STATS_MAGIC) {
    throw new EennError({
      code: 'E_RUN',
      message: `stats.bin is not ${samples} records and a trailer (${statsFile.byteLength} bytes)`,
      hint: "the firmware's results are incomplete (it stopped while writing them): run again, and report it with the model if it repeats",
    });
  }
  const reported = stats.getUint32(trailer + 4, true);
  if (reported !== samples)
    throw new EennError({
      code: 'E_RUN',
      message: `the firmware ran ${reported} samples, expected ${samples}`,
      hint: 'the firmware stopped early: run again, and report it with the model if it repeats',
    });
  const flags = stats.getUint32(trailer + 12, true);
  if (
    earlyExits > 0 !== ((flags & STATS_EXIT_TICKS) !== 0) ||
    tasks > 0 !== ((flags & STATS_TASK_TICKS) !== 0) ||
    steps > 0 !== ((flags & STATS_STEP_TICKS) !== 0) ||
    (tasks > 0 && steps > 0)
  ) {
    throw new EennError({
      code: 'E_RUN',
      message: `stats.bin records of ${recordBytes} bytes do not match its flags (${flags})`,
      hint: "the firmware's results are incomplete: run again, and report it with the model if it repeats",
    });
  }
  if (outputFile.byteLength % samples !== 0) {
    throw new EennError({
      code: 'E_RUN',
      message: `output.bin (${outputFile.byteLength} bytes) is not ${samples} whole samples`,
      hint: "the firmware's outputs are incomplete: run again, and report it with the model if it repeats",
    });
  }

  const outputBytes = outputFile.byteLength / samples;
  const outputs: Uint8Array[] = [];
  const exits: number[] = [];
  const ticks: number[] = [];
  const instructions: (number | null)[] = [];
  const exitInstructions: (number | null)[][] = [];
  const taskInstructions: (number | null)[][] = [];
  const stepInstructions: (number | null)[][] = [];
  const measured = (flags & STATS_TICKS_MEASURED) !== 0;
  const u64 = (at: number): bigint => stats.getBigUint64(at, true);
  for (let sample = 0; sample < samples; sample++) {
    outputs.push(new Uint8Array(outputFile.subarray(sample * outputBytes, (sample + 1) * outputBytes)));
    const record = sample * recordBytes;
    exits.push(stats.getInt32(record, true));
    const sampleTicks = Number(u64(record + 8));
    ticks.push(sampleTicks);
    instructions.push(measured ? ticksToInstructions(sampleTicks, target) : null);
    const cumulative = (count: number, first: number): (number | null)[] =>
      Array.from({ length: count }, (_, i) => {
        const at = u64(record + STATS_RECORD_BYTES + STATS_EXIT_TICKS_BYTES * (first + i));
        return measured && at !== NOT_REACHED ? ticksToInstructions(Number(at), target) : null;
      });
    exitInstructions.push(cumulative(earlyExits, 0));
    taskInstructions.push(cumulative(tasks, earlyExits));
    stepInstructions.push(cumulative(steps, earlyExits + tasks));
  }
  const stackBytes = flags & STATS_STACK_MEASURED ? stats.getUint32(trailer + 8, true) : null;
  return { outputs, exits, instructions, exitInstructions, taskInstructions, stepInstructions, ticks, stackBytes };
}

/** The E_RUN error for a run that ended with a non-zero status or a signal. */
export async function failedRun(
  target: Target,
  image: string,
  exitCode: number | undefined,
  signal: string | undefined,
  printed: string,
): Promise<EennError> {
  const details = lastLines(printed);
  if (exitCode === undefined) {
    return new EennError({
      code: 'E_RUN',
      file: image,
      message: signal ? `the firmware crashed (${signal})` : 'the firmware could not be started',
      details,
      hint: target.kind === 'host' ? 'build it with -O0 -g (make OPT="-O0 -g") and run it under gdb' : undefined,
    });
  }
  const explained = explainFirmwareExit(exitCode);
  if (!explained) {
    return new EennError({
      code: 'E_RUN',
      file: image,
      message: `${target.emulator ? 'the emulator' : 'the firmware'} failed with exit status ${exitCode}`,
      details,
      hint: target.emulator ? `check that ${target.emulator.program} supports -M ${target.emulator.machine} (eennc doctor)` : undefined,
    });
  }
  let message = `${explained.message} (exit status ${exitCode})`;
  if (exitCode === FIRMWARE_EXIT.HARD_FAULT) {
    const where = await faultLocation(target, image, printed);
    if (where) message += ` in ${where}`;
  }
  // The firmware rejects input that is not whole samples of the model's inputs: that is the data's fault.
  const code = exitCode === FIRMWARE_EXIT.INPUT_FILE ? 'E_DATA' : 'E_RUN';
  return new EennError({ code, file: image, message, details, hint: explained.hint });
}

/** "function at file:line" for the PC in a fault report, when addr2line can say. */
async function faultLocation(target: Target, image: string, printed: string): Promise<string | undefined> {
  const pc = /hard fault pc=(0x[0-9a-f]+)/.exec(printed)?.[1];
  const addr2line = findProgram(target.compiler.size.replace(/size$/, 'addr2line'));
  if (!pc || !addr2line) return undefined;
  const result = await execa(addr2line, ['-f', '-e', image, pc], { reject: false });
  const [fn, place] = (result.stdout ?? '').split('\n');
  if (result.exitCode !== 0 || !fn || fn === '??') return undefined;
  return place && !place.startsWith('??') ? `${fn} at ${place.replace(/^.*\//, '')}` : fn;
}

/** The last non-empty lines of what a firmware printed, for an error's details. */
export function lastLines(text: string, count = 8): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .slice(-count);
}
