// The C of an intermittent build (model.c with its tasks and state, and runtime/eenn_intermittent.c) compiles with
// -Wall -Wextra -Werror for every Cortex-M target, with memory-mapped NVM and with NVM hooks. The kernels are
// compiled for every target by test/codegen/arm-compile.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/target/target.js';
import { exampleModel, intermittentPlan, tasksOf, writeProject } from './intermittent-models.js';

const TARGETS = ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'];

describe('an intermittent build compiles on every Cortex-M target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-intermittent-targets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('BranchyNet (int8, early exits, tiles), memory-mapped and hooks, -Wall -Wextra -Werror', async () => {
    const model = await exampleModel('branchy', 'int8', 1);
    const plan = intermittentPlan(model.graph);
    const failures: string[] = [];
    await Promise.all(
      (['memory-mapped', 'hooks'] as const).flatMap((nvm) => {
        const tasks = tasksOf(model, plan, nvm, 'tiles');
        return TARGETS.map(async (name) => {
          const target = loadTarget(name);
          const folder = join(dir, `${nvm}-${name}`);
          writeProject(folder, target, model, plan, tasks);
          const flags = [
            ...target.compiler.flags,
            '-std=c99',
            '-O2',
            '-Wall',
            '-Wextra',
            '-Werror',
            '-I.',
            '-Iruntime',
            '-Ikernels',
            '-DEENN_TRACE_TASKS',
          ];
          const run = await execa(target.compiler.cc, [...flags, '-c', 'model.c', 'runtime/eenn_intermittent.c', 'runtime/eenn_crc32.c'], { cwd: folder, reject: false });
          if (run.exitCode !== 0) failures.push(`${name}, ${nvm}: ${run.stderr.slice(0, 2000)}`);
        });
      }),
    );
    expect(failures).toEqual([]);
  }, 60_000);
});
