// The kernel files build as a firmware would build them when dropped into its own project: every kernel file
// (float32 and int8) compiles warning-free (-Wall -Wextra -Werror) at -O0, -Os and -O2 for the CPU of every Arm
// target with only the plain CPU flags (-mcpu, -mthumb, the FPU and float ABI where the target has one: no
// -masm-syntax-unified), without eenn_config.h (every optional path compiled) and with one that switches every
// path off. Each file is compiled to an object thrown away, a few at a time.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import { loadAllTargets, type Target } from '../../src/target/target.js';

const kernelDir = join(TEMPLATES_DIR, 'kernels');
const kernels = readdirSync(kernelDir)
  .filter((f) => f.endsWith('.c'))
  .sort();
const int8Kernels = kernels.filter((f) => f.endsWith('_s8.c'));
// One target per set of compiler flags: a board on a core already listed (netduinoplus2 and nrf52840 are Cortex-M4F
// with cortex-m4's flags) compiles the same code.
const armTargets = loadAllTargets()
  .filter((t) => t.kind !== 'host' && t.compiler.cc === 'arm-none-eabi-gcc')
  .filter((t, i, all) => all.findIndex((other) => other.compiler.flags.join(' ') === t.compiler.flags.join(' ')) === i);
const OPTIMIZATIONS = ['-O0', '-Os', '-O2'];

/** The switches of eenn_kernels_s8.h: each `#ifndef EENN_X` / `#define EENN_X 1` / `#endif`, on by default. */
const switches = [...readFileSync(join(kernelDir, 'eenn_kernels_s8.h'), 'utf8').matchAll(/^#ifndef (EENN_\w+)\n#define \1 1\n#endif$/gm)].map(
  (m) => m[1]!,
);

/** A folder holding an eenn_config.h with every switch at 0, found by the header's __has_include. */
const work = mkdtempSync(join(tmpdir(), 'eenn-kernel-flags-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'eenn_config.h'), switches.map((s) => `#define ${s} 0\n`).join(''));

/** The plain flags of a target's CPU: -mcpu, -mthumb, and its FPU and float ABI flags, nothing else. */
function plainFlags(target: Target): string[] {
  const fpu = target.compiler.flags.filter((f) => f.startsWith('-mfpu=') || f.startsWith('-mfloat-abi='));
  return [`-mcpu=${target.cpu}`, '-mthumb', ...fpu];
}

/** Runs `jobs` with at most `limit` at once. */
async function pooled(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

describe('kernel files with plain CPU flags', () => {
  it('finds the kernels, the switches and Arm targets down to Armv6-M', () => {
    expect(kernels).toEqual(expect.arrayContaining(['eenn_conv2d_s8.c', 'eenn_fc_s8.c', 'eenn_conv_f32.c']));
    expect(switches).toEqual(expect.arrayContaining(['EENN_CONV_S8_SATURATE', 'EENN_CONV_S8_CLAMP', 'EENN_FC_S8_SATURATE']));
    expect(armTargets.map((t) => t.cpu)).toEqual(expect.arrayContaining(['cortex-m0plus', 'cortex-m4', 'cortex-m55']));
  });

  it('no target needs an assembler syntax flag', () => {
    for (const target of armTargets) expect(target.compiler.flags, target.name).not.toContain('-masm-syntax-unified');
  });

  for (const target of armTargets) {
    it(`${target.name}: every kernel at ${OPTIMIZATIONS.join(', ')}, all paths and none`, async () => {
      const builds = OPTIMIZATIONS.flatMap((opt) => [
        ...kernels.map((file) => ({ file, opt, config: [] as string[], what: 'all paths' })),
        ...int8Kernels.map((file) => ({ file, opt, config: ['-I', work], what: 'every switch 0' })),
      ]);
      const failures: string[] = [];
      await pooled(
        builds.map((b) => async () => {
          const args = [
            ...plainFlags(target),
            b.opt,
            '-std=c99',
            '-Wall',
            '-Wextra',
            '-Werror',
            ...b.config,
            '-I',
            join(TEMPLATES_DIR, 'runtime'),
            '-c',
            join(kernelDir, b.file),
            '-o',
            '/dev/null',
          ];
          const result = await execa(target.compiler.cc, args, { reject: false });
          if (result.exitCode !== 0 || result.stderr !== '') {
            failures.push(`${b.file} ${b.opt} (${b.what}):\n${result.stderr}`);
          }
        }),
        Math.max(2, availableParallelism()),
      );
      expect(failures).toEqual([]);
    }, 1_800_000);
  }
});
