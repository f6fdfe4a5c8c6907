// Nothing from --opt, a target file or a model runs as a command: each injection is refused with a clear error
// before any program starts (the canary file it would create never appears), and text that may legitimately hold
// `$` or `*/` is escaped where it reaches the Makefile and the C comments. A normal build still works.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGraph } from '../../src/frontend/save.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, parseTarget } from '../../src/target/target.js';
import { buildFirmware } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { eennc } from '../cli/cli-helpers.js';
import { buildGraph } from '../frontend/build-graph.js';
import { floatsOf, stubInput, writeStubProject } from './stub-project.js';

let scratch = '';
let model = '';
let canary = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eennc-injection-test-'));
  canary = join(scratch, 'canary');
  model = join(scratch, 'relu.onnx');
  await writeFile(
    model,
    encodeGraph(
      buildGraph({
        inputs: { x: ['float32', [1, 8]] },
        nodes: [['Relu', ['x'], ['y']]],
        outputs: ['y'],
      }),
    ),
  );
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A target file `<name>.json` in its own folder of the scratch directory: cortex-m4 or host with `edit` applied. */
async function targetFile(base: 'cortex-m4' | 'host', name: string, edit: (json: Record<string, any>) => void): Promise<string> {
  const json = JSON.parse(await readFile(loadTarget(base).file, 'utf8'));
  json.name = name;
  delete json.$schema;
  edit(json);
  const file = join(scratch, `${name}.json`);
  await writeFile(file, JSON.stringify(json));
  return file;
}

/** `eennc build` of the Relu model with `args`; the error document it prints with --json. */
async function refusedBuild(...args: string[]): Promise<{ code: string; message: string; hint: string }> {
  const out = join(scratch, 'out');
  const result = await eennc('build', model, '--precision', 'float32', '-o', out, '--json', ...args);
  expect(result.exitCode, result.stderr).not.toBe(0);
  expect(result.stderr).not.toMatch(/internal|\n\s+at /);
  expect(existsSync(out)).toBe(false);
  return JSON.parse(result.stdout).error;
}

describe('refused before anything runs, with no command run', () => {
  it('--opt holding a quote and a shell command', async () => {
    const error = await refusedBuild('--target', 'host', '--opt', `-O2'; touch ${canary}; echo '`);
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toMatch(/^--opt ".*" is not one plain argument/);
    expect(error.hint).toMatch(/-O0, -O1, -O2/);
    expect(existsSync(canary)).toBe(false);
  });

  it('a target description holding a newline and $(shell ...)', async () => {
    const file = await targetFile('host', 'newline-board', (json) => {
      json.description = `host\n$(shell touch ${canary})`;
    });
    const error = await refusedBuild('--target', file);
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toMatch(/^description holds a control character/);
    expect(existsSync(canary)).toBe(false);
  });

  it('target compiler flags holding a shell command, a make expansion or -wrapper', async () => {
    for (const [index, flags] of [[`-O2;touch ${canary}`], [`$(shell touch ${canary})`], ['-wrapper', 'touch,canary']].entries()) {
      const file = await targetFile('host', `flags-board-${index}`, (json) => {
        json.compiler.flags = flags;
      });
      const error = await refusedBuild('--target', file);
      expect(error.code).toBe('E_TARGET');
      expect(error.message).toMatch(/^compiler\.flags\[0\] "/);
    }
    expect(existsSync(canary)).toBe(false);
  });

  it('a compiler named by a path, or shell text in its place', async () => {
    for (const [index, cc] of ['/bin/sh', `gcc;touch ${canary}`].entries()) {
      const file = await targetFile('host', `cc-board-${index}`, (json) => {
        json.compiler.cc = cc;
      });
      const error = await refusedBuild('--target', file);
      expect(error.code).toBe('E_TARGET');
      expect(error.message).toMatch(/^compiler\.cc ".*" must be the name of a gcc program/);
    }
    expect(existsSync(canary)).toBe(false);
  });

  it("a linkerScript outside the target file's folder", async () => {
    const outside = join(scratch, 'secret.ld');
    await writeFile(outside, 'SECRET\n');
    const file = await targetFile('cortex-m4', 'script-board', (json) => {
      json.kind = 'board';
      delete json.emulator;
      delete json.memoryMap;
      json.linkerScript = '../secret.ld';
    });
    const error = await refusedBuild('--target', file);
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toMatch(/^linkerScript "\.\.\/secret\.ld" must name a regular file inside the folder of the target file/);
  });
});

describe('text that reaches the Makefile and C comments', () => {
  it('is escaped: $(shell ...) in a description stays text, */ cannot end a comment, and the firmware builds', async () => {
    const file = await targetFile('host', 'dollar-board', (json) => {
      json.description = `costs $5 $(shell touch ${canary}) */ int broken; /*`;
    });
    const target = loadTarget(file);
    const dir = await writeStubProject(join(scratch, 'dollar-project'), target);
    const makefile = await readFile(join(dir, 'Makefile'), 'utf8');
    expect(makefile).toContain(`: costs $$5 $$(shell touch ${canary}) */ int broken; /*.`);
    expect(await readFile(join(dir, 'main.c'), 'utf8')).toContain(` * costs $5 $(shell touch ${canary}) * / int broken; / *.`);
    const image = await buildFirmware(dir, target, { jobs: 1 });
    const run = await runFirmware(image.elfPath, target, stubInput([[1, 2, 3, 4]]), { samples: 1 });
    expect(floatsOf(run.outputs[0]!)).toEqual([2, 3, 4, 5]);
    expect(existsSync(canary)).toBe(false);
  }, 300_000);

  it('buildFirmware refuses an optimisation setting that is not plain flags, before make starts', async () => {
    const target = loadTarget('host');
    const dir = await writeStubProject(join(scratch, 'opt-project'), target);
    await expect(buildFirmware(dir, target, { optimization: `-O2'; touch ${canary}; echo '` })).rejects.toThrow(EennError);
    expect(existsSync(join(dir, 'build'))).toBe(false);
    expect(existsSync(canary)).toBe(false);
  });
});

describe('a normal build', () => {
  it.each(['host', 'cortex-m4'])(
    'still works on %s, with --opt holding a level and -g',
    async (target) => {
      const out = join(scratch, `normal-${target}`);
      const result = await eennc('build', model, '--precision', 'float32', '--target', target, '--opt', '-O1 -g', '-o', out);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await readFile(join(out, 'Makefile'), 'utf8')).toMatch(/^OPT\s+\?= -O1 -g$/m);
      expect(existsSync(join(out, target === 'host' ? 'relu' : 'relu.elf'))).toBe(true);
    },
    300_000,
  );

  it("takes a hand-written linker script from the target's folder", async () => {
    const m4 = loadTarget('cortex-m4');
    const dir = await mkdtemp(join(scratch, 'board-'));
    const generated = await writeStubProject(join(scratch, 'script-source'), m4);
    await writeFile(join(dir, 'board.ld'), await readFile(join(generated, 'runtime', 'eenn_linker.ld')));
    const json = JSON.parse(await readFile(m4.file, 'utf8'));
    Object.assign(json, { name: 'board', kind: 'board', linkerScript: 'board.ld' });
    delete json.emulator;
    delete json.memoryMap;
    const board = parseTarget(json, join(dir, 'board.json'));
    const image = await buildFirmware(await writeStubProject(join(dir, 'project'), board), board, { jobs: 1 });
    expect(image.flash_bytes).toBeGreaterThan(0);
  }, 300_000);
});
