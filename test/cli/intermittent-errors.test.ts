// The bad input of an intermittent build: a budget too small (the step and the smallest budget that works), a target
// without NVM (how to add one) or without an emulator, NVM too small for the state, the flags without --intermittent. Each gives its message
// and a hint, and writes nothing (the -o folder never appears). Also: --help of build, run and test lists the flags.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { ROOT } from './cli-helpers.js';
import { m4BoardJson } from '../targets/target-json.js';

const MODEL = 'examples/fmnist/fmnist_cnn.onnx';
const CALIB = ['--calib', 'examples/fmnist/calib_u8.npy', '--calib-count', '20'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-intermittent-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** main() run in this process on `args`, with what it writes to stdout and stderr. */
async function inProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const exitCode = await main(['node', 'eennc', ...args]);
    return { exitCode, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The `error: ...` line of a failed command. */
function errorLine(stderr: string): string {
  return stderr.split('\n').find((line) => line.startsWith('error: ')) ?? '';
}

/** A copy of the cortex-m4 target file with `nvm` replaced, in the test's folder. */
async function targetWithNvm(name: string, nvm: unknown): Promise<string> {
  const target = JSON.parse(await readFile(join(ROOT, 'targets/cortex-m4.json'), 'utf8')) as Record<string, unknown>;
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify({ ...target, name, nvm }, null, 2));
  return path;
}

describe('intermittent builds: bad input gives its message and writes nothing', () => {
  it('--failures, --budget or --budget-uj without --intermittent: E_USAGE (exit 2) before any work', async () => {
    for (const [command, flags] of [
      ['test', ['--failures', '3']],
      ['build', ['--budget', '100000']],
      ['run', ['--budget-uj', '20', '-i', 'examples/fmnist/test_inputs.npy']],
    ] as const) {
      const out = join(dir, `usage-${command}`);
      const r = await inProcess([command, MODEL, ...flags, '-o', out]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(errorLine(r.stderr)).toContain(flags[0]);
      expect(errorLine(r.stderr)).toContain('--intermittent');
      expect(r.stderr).toMatch(/^hint: \S/m);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('--intermittent on a target without an NVM description says how to add one', async () => {
    const out = join(dir, 'no-nvm');
    const r = await inProcess(['build', MODEL, ...CALIB, '--target', 'host', '--intermittent', '--budget', '100000', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/host/);
    expect(r.stderr).toMatch(/^hint: .*"nvm"/m);
    expect(existsSync(out)).toBe(false);
  });

  it('NVM too small for the state: E_TARGET with the bytes needed and the target offers', async () => {
    const target = await targetWithNvm('tiny-nvm', { kind: 'memory-mapped', region: 'NVM', size: '2K' });
    const out = join(dir, 'tiny-nvm-out');
    const r = await inProcess(['build', MODEL, ...CALIB, '--target', target, '--intermittent', '--budget', '100000', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/non-volatile memory|NVM/);
    expect(errorLine(r.stderr)).toContain('2048');
    expect(r.stderr).toMatch(/^hint: \S/m);
    expect(existsSync(out)).toBe(false);
  });

  it('a target without an emulator: the costs are measured in the emulator of its CPU, says the error', async () => {
    const target = join(dir, 'm4-board.json');
    const board = m4BoardJson('m4-board', 'a Cortex-M4 board', { flash: '1M', ram: '256K', stack: '16K', hz: 25000000 });
    await writeFile(target, JSON.stringify({ ...board, nvm: { kind: 'hooks', size: '512K' } }));
    const out = join(dir, 'board-out');
    const r = await inProcess(['build', MODEL, ...CALIB, '--target', target, '--intermittent', '--budget', '100000', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/no emulator.*measures the cost of every step/);
    expect(r.stderr).toMatch(/^hint: .*cortex-m4/m);
    expect(existsSync(out)).toBe(false);
  });

  it('a budget too small names a step and the smallest budget that works (here given in microjoules)', async () => {
    const out = join(dir, 'small-budget');
    // 0.6 uJ at cortex-m4's 0.2 nJ per instruction: 3,000 instructions.
    const r = await inProcess(['build', MODEL, ...CALIB, '--intermittent', '--budget-uj', '0.6', '-o', out, '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe('E_BUDGET');
    expect(error.message).toMatch(/step \d+/);
    expect(error.message).toContain('--budget-uj 0.6 (3000 instructions');
    const smallest = Number(/--budget (\d+)/.exec(error.hint)?.[1]);
    expect(smallest).toBeGreaterThan(3000);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe('--help', () => {
  it('build, run and test list --intermittent, --budget and --budget-uj; test also --failures and --seed', async () => {
    for (const command of ['build', 'run', 'test']) {
      const r = await inProcess([command, '--help']);
      const help = r.stdout + r.stderr;
      for (const flag of ['--intermittent', '--budget <n>', '--budget-uj <u>']) expect(help, command).toContain(flag);
      expect(help.includes('--failures <n>'), command).toBe(command === 'test');
      expect(help.includes('--seed <s>'), command).toBe(command === 'test');
    }
  });
});
