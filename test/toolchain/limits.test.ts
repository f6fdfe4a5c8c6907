// Limits are for hangs, never for a correct slow build: make is stopped only when it goes quiet, any --timeout a
// timer can be given works (large ones included), and a model or image too large for the target is refused with
// the numbers: before gcc runs when its buffers do not fit, and from ld's "region overflowed" when the link fails.

import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { loadTarget, parseTarget } from '../../src/target/target.js';
import { buildFirmware, buildLimits, runMake } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { clampTimerMs, MAX_TIMER_MS } from '../../src/util/timers.js';
import { requireProgram } from '../../src/toolchain/tools.js';
import { buildGraph } from '../frontend/build-graph.js';
import { floatsOf, stubInput, writeStubProject } from './stub-project.js';
import { errorOf } from './error-of.js';
import { m4BoardJson } from '../targets/target-json.js';

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eennc-limits-test-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A folder holding `makefile` as its Makefile. */
async function makeProject(name: string, makefile: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Makefile'), makefile);
  return dir;
}

describe('the make time limit', () => {
  it('lets a build run longer than the quiet limit while each step prints', async () => {
    // Ten steps of 0.5 s: 5 s in all, more than the 3 s quiet limit, but never 3 s without a line.
    const steps = Array.from({ length: 10 }, (_, i) => `step${i}`);
    const dir = await makeProject(
      'slow',
      [`all: ${steps.join(' ')}`, '\t@echo done', ...steps.flatMap((step) => [`${step}:`, '\tsleep 0.5']), ''].join('\n'),
    );
    const started = Date.now();
    const result = await runMake(requireProgram('make', 'test'), ['-j1'], dir, { quietLimitMs: 3_000 });
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/done$/m);
    expect(Date.now() - started).toBeGreaterThan(3_000);
  });

  it('stops a step that prints nothing for the quiet limit, and says so', async () => {
    const dir = await makeProject('hang', 'all:\n\t@sleep 600\n');
    const error = await errorOf(runMake(requireProgram('make', 'test'), [], dir, { quietLimitMs: 1_000 }));
    expect(error.code).toBe('E_TOOLCHAIN');
    expect(error.message).toBe('make printed nothing for 1 s and was stopped as hung');
    expect(error.hint).toMatch(/never finished/);
  });

  it('allows minutes of silence by default, and more for a project with more C to compile', async () => {
    const small = await makeProject('small-sources', 'all:\n');
    await writeFile(join(small, 'main.c'), 'int main(void) { return 0; }\n');
    const limits = buildLimits(small);
    expect(limits.quietLimitMs).toBeGreaterThanOrEqual(5 * 60_000);
    expect(limits.timeoutMs).toBeGreaterThanOrEqual(limits.quietLimitMs);
    // 200 MiB of weights in model.c (a sparse file: nothing is written) add 200 s to both limits.
    const large = await makeProject('large-sources', 'all:\n');
    await mkdir(join(large, 'kernels'));
    await writeFile(join(large, 'model.c'), '');
    await truncate(join(large, 'model.c'), 200 * 1024 * 1024);
    const larger = buildLimits(large);
    expect(larger.quietLimitMs - limits.quietLimitMs).toBeCloseTo(200_000, -2);
    expect(larger.timeoutMs - limits.timeoutMs).toBeCloseTo(200_000, -2);
  });
});

describe('the environment', () => {
  it("cannot set the Makefile's OPT: only --opt can", async () => {
    const host = loadTarget('host');
    const dir = await writeStubProject(join(scratch, 'env-opt'), host);
    const saved = process.env.OPT;
    process.env.OPT = '-fno-such-option-anywhere';
    try {
      const image = await buildFirmware(dir, host, { jobs: 1 });
      expect(image.flash_bytes).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.OPT;
      else process.env.OPT = saved;
    }
  });
});

describe('timer limits', () => {
  it('clamps any large value to what a timer holds, and refuses nonsense', () => {
    expect(clampTimerMs(3_000_000_000)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(1_500)).toBe(1_500);
    for (const bad of [0, -1, Number.NaN]) expect(() => clampTimerMs(bad)).toThrow(/not a positive duration/);
  });

  it('runs the firmware with a --timeout of 3,000,000 s (above 2^31-1 ms), which once timed out at once', async () => {
    const host = loadTarget('host');
    const dir = await writeStubProject(join(scratch, 'host-stub'), host);
    const image = await buildFirmware(dir, host, { jobs: 1 });
    const run = await runFirmware(image.elfPath, host, stubInput([[1, 2, 3, 4]]), { samples: 1, timeoutMs: 3_000_000 * 1000 });
    expect(floatsOf(run.outputs[0]!)).toEqual([2, 3, 4, 5]);
  });
});

describe('memory overflows', () => {
  it('turns ld\'s "region overflowed" into E_TARGET with the numbers', async () => {
    const tiny = parseTarget(
      m4BoardJson('tiny-board', 'a chip with 2 KiB of flash', { flash: '2K', ram: '16K', stack: '1K', hz: 16_000_000 }),
      join(scratch, 'tiny-board.json'),
    );
    const dir = await writeStubProject(join(scratch, 'tiny-project'), tiny);
    const error = await errorOf(buildFirmware(dir, tiny, { jobs: 1 }));
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toMatch(/^the firmware does not fit tiny-board: region FLASH overflowed by \d+ bytes$/);
    expect(error.details).toContain('FLASH is 2048 bytes at 0x08000000');
    expect(error.hint).toMatch(/more memory/);
  }, 300_000);

  it("refuses a model whose input and output buffers exceed the target's RAM before gcc runs", async () => {
    const model = join(scratch, 'wide.onnx');
    await writeFile(
      model,
      encodeGraph(
        buildGraph({
          inputs: { x: ['float32', [1, 20_000]] },
          nodes: [['Relu', ['x'], ['y']]],
          outputs: ['y'],
        }),
      ),
    );
    const outDir = join(scratch, 'wide-out');
    const error = await errorOf(compileModel({ model, target: 'cortex-m0plus', precision: 'float32', outDir }));
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toBe('the model does not fit cortex-m0plus');
    // "needs at least": the estimate before linking, so gcc never ran.
    expect(error.details?.join('\n')).toMatch(
      /^RAM: needs at least \d+ bytes \(arena \d+, stack 4096, test firmware input and output buffers 160000\), cortex-m0plus has 32768$/m,
    );
  }, 300_000);
});
