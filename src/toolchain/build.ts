// Builds a generated C project (its Makefile, from src/codegen/firmware.ts) with the target's compiler and
// measures the image: flash = text + data, static RAM = data + bss, as binutils `size` reports them.
// make gets its values as arguments (never a shell string), and is stopped only when it hangs, not when it is slow.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { checkOptimization } from '../target/arguments.js';
import { EennError } from '../ir/diagnostics.js';
import type { Target } from '../target/target.js';
import { clampTimerMs, formatDuration } from '../util/timers.js';
import { requireProgram } from './tools.js';
import { trackChild, withTempDir } from '../util/temp-dirs.js';

export interface BuildOptions {
  /** Optimisation flags passed as `make OPT=...` (plain flags, see checkOptimization); the Makefile's default (-O2) unless given. */
  optimization?: string;
  /** Parallel compile jobs (`make -j`); the number of CPUs unless given. */
  jobs?: number;
  /** make is taken for hung after this long without printing a line (each command it starts prints one); buildLimits by default. */
  quietLimitMs?: number;
  /** And stopped after this long in all, however busy; buildLimits by default. */
  timeoutMs?: number;
}

/** A step of the build that prints nothing for this long has hung: a slow compile of a large model.c takes a minute or two. */
const DEFAULT_QUIET_LIMIT_MS = 10 * 60_000;
/** The whole build, whatever it prints. */
const DEFAULT_BUILD_LIMIT_MS = 60 * 60_000;
/** Both limits grow by this much per byte of C source: a second per megabyte, far slower than gcc reads weight tables. */
const LIMIT_MS_PER_SOURCE_BYTE = 1_000 / (1024 * 1024);

/**
 * The default limits of a build of `dir`: DEFAULT_QUIET_LIMIT_MS and DEFAULT_BUILD_LIMIT_MS, each plus a second
 * per megabyte of the project's .c and .h files, so that a host build of a model with hundreds of megabytes of
 * weights is never taken for a hang.
 */
export function buildLimits(dir: string): { quietLimitMs: number; timeoutMs: number } {
  const extra = sourceBytes(dir) * LIMIT_MS_PER_SOURCE_BYTE;
  return { quietLimitMs: DEFAULT_QUIET_LIMIT_MS + extra, timeoutMs: DEFAULT_BUILD_LIMIT_MS + extra };
}

/** Bytes of the .c and .h files under `dir` (a generated project: a few folders deep). */
function sourceBytes(dir: string, depth = 0): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth < 4) total += sourceBytes(path, depth + 1);
    else if (entry.isFile() && /\.[ch]$/.test(entry.name)) total += statSync(path).size;
  }
  return total;
}

export interface FirmwareImage {
  /** The linked image: `<name>.elf`, or the executable for the host. */
  elfPath: string;
  /** Bytes in flash: code, read-only data (weights) and the initial values of .data (text + data). */
  flash_bytes: number;
  /** Static RAM: .data + .bss, the arena included. The stack is reserved apart (stack_reserved_bytes). */
  ram_bytes: number;
  text_bytes: number;
  data_bytes: number;
  bss_bytes: number;
  /**
   * The never-loaded sections of an intermittent build's non-volatile memory (.eenn_nvm with the test harness's
   * .eenn_harness; 0 otherwise): not SRAM, and left out of ram_bytes and bss_bytes (`size` counts them as bss).
   */
  nvm_bytes: number;
  /** Stack the linker script reserves (the target's `stack`); 0 for the host. */
  stack_reserved_bytes: number;
}

/** How many compiler diagnostics an E_TOOLCHAIN error shows. */
const MAX_ERROR_LINES = 8;

/**
 * Run `make` in `projectDir` for `target` and return the image and its sizes. A failing compile or link throws
 * E_TOOLCHAIN with the compiler's first error lines; a missing compiler throws E_TOOLCHAIN saying what to install.
 */
export async function buildFirmware(projectDir: string, target: Target, options: BuildOptions = {}): Promise<FirmwareImage> {
  const dir = resolve(projectDir);
  if (!existsSync(join(dir, 'Makefile'))) {
    throw new EennError({
      code: 'E_FILE',
      file: dir,
      message: 'no Makefile in the project folder',
      hint: 'generate the project first (eennc build)',
    });
  }
  const make = requireProgram('make', 'build the firmware');
  requireProgram(target.compiler.cc, `compile for ${target.name}`);
  const size = requireProgram(target.compiler.size, `measure the image for ${target.name}`);
  if (target.compiler.objcopy) requireProgram(target.compiler.objcopy, `write .bin/.hex images for ${target.name}`);

  const args = ['--no-print-directory', `-j${options.jobs ?? availableParallelism()}`];
  if (options.optimization !== undefined) {
    checkOptimization(options.optimization);
    args.push(`OPT=${options.optimization}`);
  }
  const limits = buildLimits(dir);
  const result = await runMake(make, args, dir, {
    quietLimitMs: options.quietLimitMs ?? limits.quietLimitMs,
    timeoutMs: options.timeoutMs ?? limits.timeoutMs,
  });
  if (result.exitCode !== 0) {
    const overflow = memoryOverflow(result.output, target);
    if (overflow) throw overflow;
    const lines = compilerErrors(result.output);
    throw new EennError({
      code: 'E_TOOLCHAIN',
      file: dir,
      message: `building the firmware for ${target.name} failed${lines.length ? `: ${lines[0]}` : ''}`,
      details: lines.slice(1),
      hint: `run \`make\` in ${dir} to see the whole compiler output`,
    });
  }

  const elfPath = join(dir, await imageName(make, dir));
  const sizes = await measureImage(size, elfPath);
  const nvm = target.kind === 'host' ? 0 : await nvmSectionBytes(size, elfPath);
  return {
    elfPath,
    flash_bytes: sizes.text + sizes.data,
    ram_bytes: sizes.data + sizes.bss - nvm,
    text_bytes: sizes.text,
    data_bytes: sizes.data,
    bss_bytes: sizes.bss - nvm,
    nvm_bytes: nvm,
    stack_reserved_bytes: target.kind === 'host' ? 0 : target.stackBytes,
  };
}

/**
 * Run make with its arguments (no shell) and its output merged. It is stopped (SIGTERM, which make passes on to
 * the compilers it started, then SIGKILL) when it prints nothing for `quietLimitMs` or runs past `timeoutMs`:
 * those are hangs, while a slow build on a loaded machine keeps printing a line per command.
 */
export async function runMake(
  make: string,
  args: string[],
  cwd: string,
  options: Pick<BuildOptions, 'quietLimitMs' | 'timeoutMs'> = {},
): Promise<{ exitCode: number | undefined; output: string }> {
  // The compilers' own temporary files (gcc's cc*.s) go to a folder of ours: a compiler still finishing after an
  // interrupt stopped make can then write nothing into the user's temporary directory.
  return withTempDir('eennc-make-', (compilerTemp) => runMakeIn(make, args, cwd, compilerTemp, options));
}

async function runMakeIn(
  make: string,
  args: string[],
  cwd: string,
  compilerTemp: string,
  options: Pick<BuildOptions, 'quietLimitMs' | 'timeoutMs'>,
): Promise<{ exitCode: number | undefined; output: string }> {
  const quietLimitMs = clampTimerMs(options.quietLimitMs ?? DEFAULT_QUIET_LIMIT_MS);
  const totalLimitMs = clampTimerMs(options.timeoutMs ?? DEFAULT_BUILD_LIMIT_MS);
  const subprocess = execa(make, args, {
    cwd,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: totalLimitMs,
    forceKillAfterDelay: 5_000,
    // The Makefile takes OPT from the environment when the command line does not set it (OPT ?= ...): only
    // --opt, on the command line, may set it.
    env: { LC_ALL: 'C', OPT: undefined, TMPDIR: compilerTemp },
  });
  trackChild(subprocess);
  let quiet = false;
  let timer: NodeJS.Timeout | undefined;
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      quiet = true;
      subprocess.kill('SIGTERM');
    }, quietLimitMs);
  };
  rearm();
  subprocess.all?.on('data', rearm);
  const result = await subprocess.finally(() => clearTimeout(timer));
  const output = typeof result.all === 'string' ? result.all : '';
  if (quiet || result.timedOut) {
    const lastLine = output
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1);
    throw new EennError({
      code: 'E_TOOLCHAIN',
      file: cwd,
      message: quiet
        ? `make printed nothing for ${formatDuration(quietLimitMs)} and was stopped as hung`
        : `make did not finish within ${formatDuration(totalLimitMs)} and was stopped`,
      details: lastLine ? [`last output: ${lastLine}`] : undefined,
      hint: 'a compiler or linker step never finished: run make in the project folder to see which one',
    });
  }
  return { exitCode: result.exitCode, output };
}

/**
 * E_TARGET with the numbers when the link failed because the image does not fit the target's memory: ld's
 * "region `X' overflowed by N bytes", "section ... will not fit in region", the linker script's own ASSERT, or
 * gcc's "size of array ... is too large" for a buffer larger than the address space. Undefined otherwise.
 */
function memoryOverflow(output: string, target: Target): EennError | undefined {
  const lines = output.split('\n').map((line) => line.trim());
  const regions = [...output.matchAll(/region [`'"]?([A-Za-z_][A-Za-z0-9_]*)['"]? overflowed by (\d+) bytes?/g)].map((match) => ({
    region: match[1]!,
    bytes: Number(match[2]),
  }));
  const notFitting = lines.filter((line) => /will not fit in region|do not fit in|size of array .* is too large/.test(line));
  if (regions.length === 0 && notFitting.length === 0) return undefined;
  const sizes = new Map<string, number>();
  for (const { region, bytes } of regions) sizes.set(region, Math.max(sizes.get(region) ?? 0, bytes));
  const summary = [...sizes].map(([region, bytes]) => `region ${region} overflowed by ${bytes} bytes`);
  return new EennError({
    code: 'E_TARGET',
    file: target.file,
    message: `the firmware does not fit ${target.name}${summary.length > 0 ? `: ${summary.join(', ')}` : ''}`,
    details: [...(summary.length > 0 ? [] : notFitting.map(stripLinkerPrefix)), ...regionSizes(target, [...sizes.keys()])].slice(0, MAX_ERROR_LINES),
    hint: 'choose a target with more memory (eennc targets), make the model smaller, or give the region more room in the target file',
  });
}

/** "DATA is 4096 bytes at 0x20000000" for each named region of the target's memory map. */
function regionSizes(target: Target, names: string[]): string[] {
  return names.flatMap((name) => {
    const region = target.memoryMap?.regions.find((candidate) => candidate.name === name);
    return region ? [`${name} is ${region.lengthBytes} bytes at 0x${region.origin.toString(16).padStart(8, '0')}`] : [];
  });
}

/** A linker or compiler line without the program's path in front ("/usr/bin/ld: ..."). */
function stripLinkerPrefix(line: string): string {
  return line.replace(/^\S*\/(?:[a-z-]*ld|collect2)(?:\.\w+)?: /, '');
}

/** Bytes of the .eenn_nvm section (never loaded: the NVM of an intermittent build, its harness included), from `size -A`. */
async function nvmSectionBytes(sizeProgram: string, imagePath: string): Promise<number> {
  const result = await execa(sizeProgram, ['-A', imagePath], { reject: false, env: { LC_ALL: 'C' } });
  const line = /^\.eenn_nvm\s+(\d+)\s/m.exec(result.stdout ?? '');
  return line ? Number(line[1]) : 0;
}

/** Berkeley-format `size` of one image: text, data, bss in bytes. */
export async function measureImage(sizeProgram: string, imagePath: string): Promise<{ text: number; data: number; bss: number }> {
  const result = await execa(sizeProgram, ['-B', imagePath], { reject: false, env: { LC_ALL: 'C' } });
  // "   text	   data	    bss	    dec	    hex	filename" then one line of numbers
  const numbers = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s/m.exec(result.stdout ?? '');
  if (result.exitCode !== 0 || !numbers) {
    throw new EennError({
      code: 'E_TOOLCHAIN',
      file: imagePath,
      message: `${sizeProgram} could not read the image`,
      details: (result.stderr ?? '').split('\n').filter(Boolean).slice(0, MAX_ERROR_LINES),
      hint: 'run `eennc doctor` to check arm-none-eabi-size (binutils); the image may be damaged: build again',
    });
  }
  return { text: Number(numbers[1]), data: Number(numbers[2]), bss: Number(numbers[3]) };
}

/**
 * The lines of compiler and linker output a person needs: gcc's `file:line:col: error: ...` lines and their
 * context, linker errors (undefined references, region overflows), then make's own error when there is nothing else.
 */
export function compilerErrors(output: string): string[] {
  const lines = output.split('\n').map((line) => line.trimEnd());
  const important = lines.filter(
    (line) =>
      /\berror\b|undefined reference|overflowed by|will not fit|cannot find|No rule to make|multiple definition/i.test(line) &&
      !/^make(\[\d+\])?: \*\*\*/.test(line) &&
      !/all warnings being treated as errors/.test(line),
  );
  const picked = important.length > 0 ? important : lines.filter((line) => /^make(\[\d+\])?: \*\*\*/.test(line));
  return picked.slice(0, MAX_ERROR_LINES);
}

/** The image the Makefile builds (its `print-image` target). */
async function imageName(make: string, dir: string): Promise<string> {
  const result = await execa(make, ['-s', '--no-print-directory', 'print-image'], { cwd: dir, reject: false });
  const name = (result.stdout ?? '').trim();
  if (result.exitCode !== 0 || !name || !existsSync(join(dir, name))) {
    throw new EennError({
      code: 'E_TOOLCHAIN',
      file: dir,
      message: 'make succeeded but the Makefile does not name the image it built (print-image)',
      hint: "the Makefile was changed or is not eennc's: build into a fresh -o folder",
    });
  }
  return name;
}
