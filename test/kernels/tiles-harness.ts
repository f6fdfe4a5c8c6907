// Test harness of the kernel tiles (src/kernels/*: CallTiler): lowers small graphs, takes each step that is one
// call of a family with a tiler, cuts it in uneven tiles and writes one C program that runs, for every such call,
// the whole call and its tiles (forward and in reverse order) into separate output buffers with a guard after
// them, and reports each call whose tiles do not give the whole call's bytes (on Cortex-M with the instructions of
// the whole call and of its tiles). The program runs on the host (gcc)
// or on Cortex-M4 in QEMU (the test firmware's startup and semihosting, so the DSP paths run too).

import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sizeOf } from '../../src/ir/graph.js';
import { formatFloat } from '../../src/codegen/c-format.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { kernelArgExpr } from '../../src/codegen/print-steps.js';
import type { KernelArg, KernelCall } from '../../src/kernels/call.js';
import { emulatorCommand, loadTarget } from '../../src/target/target.js';
import { ticksToInstructions } from '../../src/toolchain/run.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { partsOf, type TiledCall } from './tiles-graphs.js';

const ROOT = join(import.meta.dirname, '../..');
const KERNELS = join(ROOT, 'templates/c/kernels');
const RUNTIME = join(ROOT, 'templates/c/runtime');

/** Elements of guard after each output buffer: a tile that writes past the output shows there. */
const GUARD = 64;

const CTYPES: Record<string, string> = { int8: 'int8_t', int16: 'int16_t', float32: 'float', int32: 'int32_t' };

function cValue(ctype: string, v: number): string {
  return ctype === 'float' ? formatFloat(v) : String(v);
}

/** One check function `check_<k>` and the arrays it uses. */
function checkSource(t: TiledCall, k: number, rand: () => number): string[] {
  const lines: string[] = [];
  const names = new Map<string, string>();
  const arrayOf = (key: string, ctype: string, values: ArrayLike<number>): string => {
    let name = names.get(key);
    if (!name) {
      name = `k${k}_a${names.size}`;
      names.set(key, name);
      const body = Array.from(values, (v) => cValue(ctype, v)).join(', ');
      lines.push(`static ${ctype} ${name}[${Math.max(1, values.length)}] __attribute__((aligned(8))) = {${body || '0'}};`);
    }
    return name;
  };
  const outArg = t.call.args.find((a) => a.name === 'output');
  if (outArg?.kind !== 'tensor') throw new Error(`${t.label}: no output tensor`);
  const out = t.graph.tensors.get(outArg.tensor)!;
  const outType = CTYPES[out.dtype]!;
  const outCount = sizeOf(out.shape) + GUARD;
  lines.push(`static ${outType} k${k}_out[3][${outCount}] __attribute__((aligned(8)));`);
  if (t.call.args.some((a) => a.kind === 'scratch')) {
    const scratchType = t.precision === 'int8' ? 'int8_t' : 'float';
    lines.push(`static ${scratchType} k${k}_scratch[${Math.max(16, t.scratchBytes)}] __attribute__((aligned(8)));`);
  }

  // The arguments as model.c prints them (kernelArgExpr), the pointers placed in this program's own arrays.
  const expr = (arg: KernelArg, buffer: number): string =>
    kernelArgExpr(arg, {
      tensor: (a) => {
        if (a.name === 'output') return `k${k}_out[${buffer}]`;
        const tensor = t.graph.tensors.get(a.tensor)!;
        const ctype = CTYPES[tensor.dtype];
        if (!ctype) throw new Error(`${t.label}: tensor ${a.tensor} of ${tensor.dtype}`);
        const values =
          (tensor.data as ArrayLike<number> | undefined) ??
          Array.from({ length: sizeOf(tensor.shape) }, () => (ctype === 'float' ? rand() * 2 - 1 : Math.floor(rand() * 256) - 128));
        return arrayOf(`t:${a.tensor}`, ctype, values);
      },
      constant: (array) => arrayOf(`c:${array.name}`, array.ctype, array.data),
      scratch: () => `k${k}_scratch`,
    });
  const callText = (call: KernelCall, buffer: number) => `    ${call.fn}(${call.args.map((a) => expr(a, buffer)).join(', ')});`;
  const parts = partsOf(t);
  const body = [
    `    memset(k${k}_out, 0x5A, sizeof k${k}_out);`,
    '    const uint64_t t0 = counter();',
    callText(t.call, 0),
    '    const uint64_t t1 = counter();',
    ...parts.map((p) => callText(p, 1)),
    '    const uint64_t t2 = counter();',
    ...[...parts].reverse().map((p) => callText(p, 2)),
    `    const int bad = memcmp(k${k}_out[0], k${k}_out[1], sizeof k${k}_out[0]) != 0 || memcmp(k${k}_out[0], k${k}_out[2], sizeof k${k}_out[0]) != 0;`,
    `    report(${JSON.stringify(t.label)}, bad, t1 - t0, t2 - t1);`,
    '    return bad;',
  ];
  // The arrays are declared by expr() as the calls are printed: print the body first.
  const fn = [`static int check_${k}(void)`, '{', ...body, '}'];
  return [...lines, ...fn, ''];
}

/** The C program: every check, main returning the number of calls whose tiles differ. */
export function programSource(calls: TiledCall[], platform: 'host' | 'cortex-m'): string {
  const rand = seededRandom(7);
  const head = [
    '/* Tiles of kernel calls against the whole calls (generated by test/kernels/tiles-harness.ts). */',
    '#include <math.h>',
    '#include <stdint.h>',
    '#include <string.h>',
    '#include "eenn_kernels_s8.h"',
    '#include "eenn_kernels_s16.h"',
    '#include "eenn_kernels_f32.h"',
    ...(platform === 'host'
      ? [
          '#include <stdio.h>',
          'static uint64_t counter(void) { return 0; }',
          'static void report(const char *label, int bad, uint64_t whole, uint64_t tiles)',
          '{',
          '    (void)whole;',
          '    (void)tiles;',
          '    printf("%s %s\\n", bad ? "FAIL" : "ok", label);',
          '    fflush(stdout);',
          '}',
        ]
      : [
          '#include "eenn_platform.h"',
          '#include "eenn_semihosting.h"',
          'static uint64_t counter(void) { return eenn_counter_read(); }',
          '/* Writes n in decimal. */',
          'static void write_u64(uint64_t n)',
          '{',
          '    char text[24];',
          '    char *at = text + sizeof text - 1;',
          "    *at = '\\0';",
          '    do {',
          "        *--at = (char)('0' + n % 10u);",
          '        n /= 10u;',
          '    } while (n != 0u);',
          '    eenn_semihosting_write0(at);',
          '}',
          '/* `ok LABEL` or `FAIL LABEL`, then the counter ticks of the whole call and of its tiles. */',
          'static void report(const char *label, int bad, uint64_t whole, uint64_t tiles)',
          '{',
          '    eenn_semihosting_write0(bad ? "FAIL " : "ok ");',
          '    eenn_semihosting_write0(label);',
          '    eenn_semihosting_write0(" ticks ");',
          '    write_u64(whole);',
          '    eenn_semihosting_write0(" ");',
          '    write_u64(tiles);',
          '    eenn_semihosting_write0("\\n");',
          '}',
        ]),
    '',
  ];
  const checks = calls.flatMap((t, k) => checkSource(t, k, rand));
  const start = platform === 'host' ? [] : ['    eenn_counter_start();'];
  const main = ['int main(void)', '{', ...start, '    int bad = 0;', ...calls.map((_, k) => `    bad += check_${k}();`), '    return bad;', '}', ''];
  return [...head, ...checks, ...main].join('\n');
}

/** The kernel sources the calls use. */
function sourcesOf(calls: TiledCall[]): string[] {
  return [...new Set(calls.flatMap((t) => [t.call.source, ...(t.call.uses ?? [])]))];
}

/** Result lines of a run: `ok LABEL` or `FAIL LABEL`, one per call. */
export interface TilesRun {
  lines: string[];
  exitCode: number;
  /** Cortex-M only: instructions of each whole call and of its tiles together (QEMU -icount), in call order. */
  instructions?: { whole: number; tiles: number }[];
}

/** Builds the program with gcc for the host and runs it. */
export async function runTilesOnHost(dir: string, calls: TiledCall[]): Promise<TilesRun> {
  writeFileSync(join(dir, 'main.c'), programSource(calls, 'host'));
  const sources = sourcesOf(calls).map((s) => join(KERNELS, s));
  const flags = ['-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', `-I${KERNELS}`, `-I${RUNTIME}`];
  await execa('gcc', [...flags, 'main.c', ...sources, '-lm', '-o', 'tiles'], { cwd: dir });
  const run = await execa(join(dir, 'tiles'), [], { cwd: dir, reject: false });
  return { lines: run.stdout.split('\n').filter((l) => l !== ''), exitCode: run.exitCode ?? -1 };
}

/** Builds the program as Cortex-M4 firmware (the test firmware's runtime) and runs it in QEMU. */
export async function runTilesOnCortexM4(dir: string, calls: TiledCall[]): Promise<TilesRun> {
  return runTilesOnCortexM(dir, calls, 'cortex-m4');
}

/** As runTilesOnCortexM4, on the Cortex-M target `targetName` (cortex-m0plus: the Armv6-M paths). */
export async function runTilesOnCortexM(dir: string, calls: TiledCall[], targetName: string): Promise<TilesRun> {
  const target = loadTarget(targetName);
  const kernelSources = sourcesOf(calls).map((s) => `kernels/${s}`);
  const files = renderFirmware(target, { modelName: 'tiles', kernelSources, inputBytes: [1], outputBytes: [1], modelSources: [] });
  files.set('main.c', programSource(calls, 'cortex-m'));
  for (const [path, text] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, 'kernels'), { recursive: true });
  for (const name of readdirSync(KERNELS)) copyFileSync(join(KERNELS, name), join(dir, 'kernels', name));
  copyFileSync(join(RUNTIME, 'eenn_fixedpoint.h'), join(dir, 'kernels', 'eenn_fixedpoint.h'));
  await execa('make', ['-s', 'tiles.elf'], { cwd: dir });
  const [program, ...args] = emulatorCommand(target, 'tiles.elf');
  const run = await execa(program, args, { cwd: dir, reject: false, timeout: 120_000, stdin: 'ignore', all: true });
  const lines: string[] = [];
  const instructions: TilesRun['instructions'] = [];
  for (const line of (run.all ?? '').split('\n').filter((l) => l !== '')) {
    const m = /^(.*) ticks (\d+) (\d+)$/.exec(line);
    lines.push(m ? m[1]! : line);
    if (m) instructions.push({ whole: ticksToInstructions(Number(m[2]), target)!, tiles: ticksToInstructions(Number(m[3]), target)! });
  }
  return { lines, exitCode: run.exitCode ?? -1, instructions };
}
