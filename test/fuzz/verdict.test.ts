// The fuzz verdict itself: each of its bars turns a run that breaks it into a problem, and a clean run into none,
// so that a fuzz case that holds means something.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET_SIZE, SECRET_TEXT } from './layout.js';
import { DEFAULT_LIMITS, ROOT, runCli, type CliRun } from './run-cli.js';
import { changes, snapshot } from './snapshot.js';
import { judge, type Observed } from './verdict.js';

const root = mkdtempSync(join(tmpdir(), 'eennc-verdict-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cleanRun: CliRun = {
  exitCode: 1,
  signal: null,
  stdout: '',
  stderr: 'error: x.onnx: bad\nhint: fix it\n',
  peakBytes: 1e8,
  wallMs: 10,
  strays: 0,
};
const none = { created: [], deleted: [], modified: [] };

function verdict(run: Partial<CliRun>, more: Partial<Observed> = {}): string[] {
  return judge({
    run: { ...cleanRun, ...run },
    limits: DEFAULT_LIMITS,
    args: ['inspect', 'x.onnx'],
    exits: [0, 1, 2],
    outside: none,
    inside: none,
    leftInTmp: [],
    canaries: [],
    written: [],
    root,
    mustNotPrint: [],
    ...more,
  });
}

describe('fuzz verdict', () => {
  it('a clean error and a success hold', () => {
    expect(verdict({})).toEqual([]);
    expect(verdict({ exitCode: 0, stderr: '' })).toEqual([]);
  });

  it('an internal error, a signal, an unexpected status, a stack trace, a missing error or hint line', () => {
    expect(verdict({ exitCode: 70 })).toContain('internal error (exit 70)');
    expect(verdict({ exitCode: null, signal: 'SIGSEGV' })).toContain('ended by signal SIGSEGV');
    expect(verdict({ exitCode: 0 }, { exits: [1, 2] })).toContain('exit 0, expected 1 or 2');
    expect(verdict({ stderr: 'error: x\nhint: y\n    at main (file:///a/b.js:10:5)\n' })).toContain('stack trace printed');
    expect(verdict({ stderr: 'TypeError: x\n    at node:internal/modules/esm/loader:1:1\n' })).toEqual(
      expect.arrayContaining(['stack trace printed', 'failed without an "error:" line on stderr', 'failed without a "hint:" line on stderr']),
    );
  });

  it('a hang or too much memory', () => {
    expect(verdict({ killed: 'hang', exitCode: null, signal: 'SIGKILL' })).toEqual(['hang: still running after 120 s (killed)']);
    expect(verdict({ killed: 'memory', exitCode: null, signal: 'SIGKILL' })).toEqual(['memory: over 2048 MB resident (killed)']);
    expect(verdict({ peakBytes: 3 * 1024 ** 3 })[0]).toMatch(/^memory: peak 3072 MB/);
  });

  it('leftovers, stray processes, files touched, a command run, the secret printed or written', () => {
    const touched = { created: ['a/new.txt'], deleted: ['notes.txt'], modified: [] };
    expect(verdict({ strays: 1 }, { leftInTmp: ['eennc-x'] })).toEqual(['left in TMPDIR: eennc-x', 'left processes running after it exited']);
    expect(verdict({}, { outside: touched })).toEqual(['touched files outside its output folder: created a/new.txt; deleted notes.txt']);
    expect(verdict({}, { inside: touched })[0]).toMatch(/^failed but changed its output folder/);
    expect(verdict({ exitCode: 0, stderr: '' }, { inside: touched })).toEqual([]);
    expect(verdict({}, { canaries: ['/x/PWNED'] })).toEqual(['command ran: /x/PWNED was created']);
    expect(verdict({ stderr: `error: truncated (${SECRET_SIZE} bytes)\nhint: h\n` })[0]).toMatch(/printed the size/);
    const leak = join(root, 'model.c');
    writeFileSync(leak, `/* ${SECRET_TEXT} */`);
    expect(verdict({ exitCode: 0, stderr: '' }, { written: [leak] })[0]).toMatch(/wrote the contents/);
  });

  it('output a case forbids', () => {
    const gcc: [RegExp, string] = [/building the firmware for \S+ failed/, 'generated C that does not compile'];
    expect(
      verdict({ stderr: 'error: out: building the firmware for host failed: model.c:3:1: error: x\nhint: h\n' }, { mustNotPrint: [gcc] }),
    ).toEqual(['generated C that does not compile']);
    expect(verdict({}, { mustNotPrint: [gcc] })).toEqual([]);
  });

  it('a hint naming a path in the case folder that is gone', () => {
    expect(verdict({ stderr: `error: make failed\nhint: run make in ${root}/gone/project\n` })).toEqual([
      `a hint names ${root}/gone/project, which does not exist`,
    ]);
    expect(verdict({ stderr: `error: make failed\nhint: run make in ${root}\n` })).toEqual([]);
  });

  it('--json: one document, and a failure document with code, message and hint', () => {
    const json = { args: ['inspect', 'x.onnx', '--json'] };
    expect(verdict({}, json)[0]).toMatch(/stdout is not one JSON document \(empty\)/);
    expect(verdict({ stdout: '{"error": {"code": "E_FILE", "message": "m"}}' }, json)[0]).toMatch(/no "error" object/);
    expect(verdict({ stdout: '{"error": {"code": "E_FILE", "message": "m", "hint": "h", "file": null}}' }, json)).toEqual([]);
    expect(verdict({ exitCode: 0, stderr: '', stdout: '{"model": "x"}' }, json)).toEqual([]);
  });

  it('snapshots see files created, deleted and modified, and not the folders a case may write', () => {
    const dir = join(root, 'tree');
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'keep.txt'), 'a');
    writeFileSync(join(dir, 'gone.txt'), 'b');
    const before = snapshot(dir);
    writeFileSync(join(dir, 'keep.txt'), 'longer');
    rmSync(join(dir, 'gone.txt'));
    writeFileSync(join(dir, 'new.txt'), 'c');
    writeFileSync(join(dir, 'out', 'model.c'), 'd');
    const after = snapshot(dir);
    expect(changes(before, after, (p) => !p.startsWith('out'))).toEqual({ created: ['new.txt'], deleted: ['gone.txt'], modified: ['keep.txt'] });
    expect(changes(before, after, (p) => p.startsWith('out')).created).toEqual(['out/model.c']);
  });

  it('the watchdog measures the command and kills a hang', async () => {
    const tmp = join(root, 'tmp');
    mkdirSync(tmp);
    const run = await runCli(
      ['inspect', join(ROOT, 'examples/fmnist/fmnist_cnn.onnx')],
      root,
      { TMPDIR: tmp },
      { timeMs: 60_000, memoryBytes: DEFAULT_LIMITS.memoryBytes },
    );
    expect(run.killed).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.peakBytes).toBeGreaterThan(10 * 1024 * 1024);
    // A limit no command meets: the run is killed as a hang.
    const hung = await runCli(['--help'], root, { TMPDIR: tmp }, { timeMs: 1, memoryBytes: DEFAULT_LIMITS.memoryBytes });
    expect(hung.killed).toBe('hang');
  });
});
