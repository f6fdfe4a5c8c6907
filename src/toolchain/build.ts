// Builds a generated C project (its Makefile, from src/codegen/firmware.ts) with the target's compiler and
// measures the image: flash = text + data, static RAM = data + bss, as binutils `size` reports them.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { EennError } from '../ir/diagnostics.js';
import type { Target } from '../target.js';
import { requireProgram } from './tools.js';

export interface BuildOptions {
  /** Optimisation flag passed as `make OPT=...`; the Makefile's default (-O2) unless given. */
  optimization?: string;
  /** Parallel compile jobs (`make -j`); the number of CPUs unless given. */
  jobs?: number;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
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
    throw new EennError({ code: 'E_FILE', file: dir, message: 'no Makefile in the project folder', hint: 'generate the project first (eennc build)' });
  }
  const make = requireProgram('make', 'build the firmware');
  requireProgram(target.compiler.cc, `compile for ${target.name}`);
  const size = requireProgram(target.compiler.size, `measure the image for ${target.name}`);
  if (target.compiler.objcopy) requireProgram(target.compiler.objcopy, `write .bin/.hex images for ${target.name}`);

  const args = ['--no-print-directory', `-j${options.jobs ?? availableParallelism()}`];
  if (options.optimization) args.push(`OPT=${options.optimization}`);
  const result = await execa(make, args, {
    cwd: dir,
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? 120_000,
    env: { LC_ALL: 'C' },
  });
  if (result.timedOut) {
    throw new EennError({ code: 'E_TOOLCHAIN', file: dir, message: `make did not finish within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s` });
  }
  if (result.exitCode !== 0) {
    const lines = compilerErrors(result.all ?? '');
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
  return {
    elfPath,
    flash_bytes: sizes.text + sizes.data,
    ram_bytes: sizes.data + sizes.bss,
    text_bytes: sizes.text,
    data_bytes: sizes.data,
    bss_bytes: sizes.bss,
    stack_reserved_bytes: target.kind === 'host' ? 0 : target.stackBytes,
  };
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
  const important = lines.filter((line) =>
    /\berror\b|undefined reference|overflowed by|will not fit|cannot find|No rule to make|multiple definition/i.test(line) &&
    !/^make(\[\d+\])?: \*\*\*/.test(line) && !/all warnings being treated as errors/.test(line));
  const picked = important.length > 0 ? important : lines.filter((line) => /^make(\[\d+\])?: \*\*\*/.test(line));
  return picked.slice(0, MAX_ERROR_LINES);
}

/** The image the Makefile builds (its `print-image` target). */
async function imageName(make: string, dir: string): Promise<string> {
  const result = await execa(make, ['-s', '--no-print-directory', 'print-image'], { cwd: dir, reject: false });
  const name = (result.stdout ?? '').trim();
  if (result.exitCode !== 0 || !name || !existsSync(join(dir, name))) {
    throw new EennError({ code: 'E_TOOLCHAIN', file: dir, message: 'make succeeded but the Makefile does not name the image it built (print-image)' });
  }
  return name;
}
