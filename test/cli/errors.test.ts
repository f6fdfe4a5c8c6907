// How the eennc command fails: every bad number refused (exit 2, the option and the value named) before any work,
// every error with a hint, with --json one `{"error": ...}` document on stdout, and --version.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.js';
import { INTERNAL_HINT, type ErrorDocument } from '../../src/ir/diagnostics.js';
import { eennc, ROOT } from './cli-helpers.js';

const MODEL = 'examples/fmnist/fmnist_cnn.onnx';
const DATA = 'examples/fmnist/test_inputs.npy';
const LABELS = 'examples/fmnist/test_labels.npy';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eennc-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** main() run in this process on `args`, with what it writes to stdout and stderr. */
async function inProcess(args: string[], register?: (program: Command) => void): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const exitCode = await main(['node', 'eennc', ...args], register);
    return { exitCode, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The one JSON document on stdout of a failed command, with the fields every error document has. */
function errorDocument(stdout: string): ErrorDocument['error'] {
  const doc = JSON.parse(stdout) as ErrorDocument;
  expect(Object.keys(doc)).toEqual(['error']);
  const e = doc.error;
  expect(typeof e.code).toBe('string');
  expect(e.message).toMatch(/\S/);
  expect(e.hint).toMatch(/\S/);
  expect(e).toHaveProperty('file');
  expect(e).toHaveProperty('node');
  return e;
}

describe('bad numbers and names on the command line', () => {
  // [arguments, the option the message must name, the value it must quote]
  const cases: [string[], string, string][] = [
    [['test', MODEL, '--rtol', '-1', '--atol', '-1'], '--rtol', '-1'],
    [['test', MODEL, '--atol', '-1'], '--atol', '-1'],
    [['test', MODEL, '--rtol', 'abc'], '--rtol', 'abc'],
    [['test', MODEL, '--count', '2.9'], '--count', '2.9'],
    [['build', MODEL, '--calib-count', '2.9'], '--calib-count', '2.9'],
    [['run', MODEL, '-i', DATA, '--count', '2.9'], '--count', '2.9'],
    [['run', MODEL, '-i', DATA, '--timeout', '3000000'], '--timeout', '3000000'],
    [['run', MODEL, '-i', DATA, '--scale', '0'], '--scale', '0'],
    [['accuracy', MODEL, '-d', DATA, '-l', LABELS, '--sqnr-samples', '2.5'], '--sqnr-samples', '2.5'],
    [['accuracy', MODEL, '-d', DATA, '-l', LABELS, '--calib-scale', '-1'], '--calib-scale', '-1'],
    [['build', MODEL, '--arena', '99999999999999999999k'], '--arena', '99999999999999999999k'],
    [['build', MODEL, '--percentile', '101'], '--percentile', '101'],
    [['build', MODEL, '--precision', 'int4'], '--precision', 'int4'],
    [['build', MODEL, '--io', 'int16'], '--io', 'int16'],
    [['build', MODEL, '--calib-method', 'magic'], '--calib-method', 'magic'],
    [['inspect', MODEL, '--input-shape', 'input=1x0x28x28'], '--input-shape', 'input=1x0x28x28'],
  ];

  // The first three run the real command; the others call main() in this process (the same code, faster).
  const spawned = new Set(cases.slice(0, 3).map(([args]) => args));

  it.each(cases)('eennc %j: exit 2, naming the option and the value, before any work', async (args, option, value) => {
    const out = join(dir, `out-${option.slice(2)}-${args[0]}`);
    const withOut = args[0] === 'build' || args[0] === 'run' || args[0] === 'test' ? [...args, '-o', out] : args;
    const r = spawned.has(args) ? await eennc(...withOut) : await inProcess(withOut);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: /m);
    const message = r.stderr.split('\n').find((line) => line.startsWith('error: '))!;
    expect(message).toContain(option);
    expect(message).toContain(`"${value}"`);
    expect(r.stderr).toMatch(/^hint: \S/m);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false); // refused before anything was written
  });
});

describe('test without --data', () => {
  it('makes up at most 10,000 random samples: a larger --count is refused before any work', async () => {
    const r = await inProcess(['test', MODEL, '--count', '20000', '-o', join(dir, 'random')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: --count 20000 without --data/m);
    expect(r.stderr).toMatch(/^hint: .*--data/m);
    expect(existsSync(join(dir, 'random'))).toBe(false);
  });
});

describe('--json on failure', () => {
  it('a file that cannot be read: E_FILE, with the file, node null and a hint; the human text on stderr', async () => {
    const missing = join(dir, 'no-such-model.onnx');
    const r = await eennc('inspect', missing, '--json');
    expect(r.exitCode).toBe(1);
    const e = errorDocument(r.stdout);
    expect(e.code).toBe('E_FILE');
    expect(e.file).toContain('no-such-model.onnx');
    expect(e.node).toBeNull();
    expect(r.stderr).toMatch(/^error: .*no-such-model\.onnx/m);
    expect(r.stderr).toContain(`hint: ${e.hint}`);
  });

  it('a bad value: E_USAGE with the option in the message, exit 2', async () => {
    const r = await eennc('test', MODEL, '--rtol', 'abc', '--json');
    expect(r.exitCode).toBe(2);
    const e = errorDocument(r.stdout);
    expect(e).toMatchObject({ code: 'E_USAGE', file: null, node: null });
    expect(e.message).toContain('--rtol');
  });

  it("commander's own usage errors: an unknown option, a missing argument, an unknown command", async () => {
    const unknown = await eennc('build', MODEL, '--json', '--no-such-option');
    expect(unknown.exitCode).toBe(2);
    const e = errorDocument(unknown.stdout);
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toContain('--no-such-option');
    expect(e.hint).toContain('eennc build --help');
    expect(unknown.stderr).toMatch(/^hint: /m);

    const missing = await eennc('build', '--json');
    expect(missing.exitCode).toBe(2);
    expect(errorDocument(missing.stdout).message).toMatch(/model/);

    const command = await eennc('biuld', MODEL, '--json');
    expect(command.exitCode).toBe(2);
    expect(errorDocument(command.stdout).message).toContain('biuld');
  });

  it('without --json, nothing on stdout', async () => {
    const r = await eennc('inspect', join(dir, 'no-such-model.onnx'));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('an internal error: E_INTERNAL with the bug hint, exit 70', async () => {
    const explode = (program: Command) => {
      program
        .command('explode')
        .option('--json')
        .action(() => {
          throw new Error('internal: the planner lost a tensor');
        });
    };
    const loud = await inProcess(['explode', '--json'], explode);
    const quiet = await inProcess(['explode'], explode);
    expect(loud.exitCode).toBe(70);
    expect(quiet.exitCode).toBe(70);
    expect(quiet.stdout).toBe(''); // without --json, nothing on stdout
    const e = errorDocument(loud.stdout);
    expect(e).toEqual({ code: 'E_INTERNAL', message: 'the planner lost a tensor', file: null, node: null, hint: INTERNAL_HINT });
    for (const r of [loud, quiet]) {
      expect(r.stderr).toContain('error: internal: the planner lost a tensor\n');
      expect(r.stderr).toContain(`hint: ${INTERNAL_HINT}`);
    }
  });

  it("an error thrown outside the command's promise: reported like any other (exit 70, the document), no stack trace", async () => {
    const script = join(dir, 'late.mts');
    await writeFile(
      script,
      [
        `import { main } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/cli/main.ts')).href)};`,
        'process.exitCode = await main(process.argv, (program) => {',
        "  program.command('late').option('--json').action(() => new Promise(() => {",
        "    setTimeout(() => { throw new Error('internal: thrown in a callback'); }, 10);",
        '  }));',
        '});',
      ].join('\n'),
    );
    const r = await execa('node', ['--import', 'tsx', script, 'late', '--json'], { cwd: ROOT, reject: false });
    expect(r.exitCode, r.stderr).toBe(70);
    expect(errorDocument(r.stdout)).toMatchObject({ code: 'E_INTERNAL', message: 'thrown in a callback', hint: INTERNAL_HINT });
    expect(r.stderr).toContain('error: internal: thrown in a callback');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('test --json with a mismatch prints its result document (pass false) and exits 1', async () => {
    // fused multiply-adds on the M4 differ from the float64-accumulating reference in the last bits
    const r = await eennc(
      'test',
      MODEL,
      '--precision',
      'float32',
      '--target',
      'cortex-m4',
      '--count',
      '1',
      '--rtol',
      '1e-30',
      '--atol',
      '1e-30',
      '--json',
    );
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { pass: boolean; error?: unknown };
    expect(doc.pass).toBe(false);
    expect(doc.error).toBeUndefined();
  });
});

describe('every error has a hint', () => {
  // Each a separate case: several build or compile before they fail, and a loaded machine is slow.
  // DIR: this file's temporary folder
  const failing: string[][] = [
    ['frobnicate'],
    ['inspect', 'DIR/garbage.onnx'],
    ['inspect', 'DIR'],
    ['inspect', MODEL, '--input-shape', 'nosuch=1x2'],
    ['build', MODEL, '--no-link', '-o', 'DIR/no-calib'],
    ['build', MODEL, '--target', 'cortex-m99', '--no-link', '-o', 'DIR/m99'],
    ['build', MODEL, '--target', 'DIR/board.json', '--no-link', '-o', 'DIR/board'],
    ['build', MODEL, '--precision', 'float32', '--target', 'cortex-m0plus', '--no-link', '--arena', '1', '-o', 'DIR/m0'],
    ['run', MODEL, '--precision', 'float32', '--target', 'host', '-i', 'DIR/short.bin'],
    ['run', MODEL, '--precision', 'float32', '--target', 'host', '-i', 'DIR/missing.npy'],
    ['accuracy', MODEL, '--calib', 'DIR/missing.npy', '-d', DATA, '-l', LABELS],
  ];

  beforeAll(async () => {
    await writeFile(join(dir, 'garbage.onnx'), 'this is not a protobuf at all \u0000\u0001\u0002');
    await writeFile(join(dir, 'board.json'), '{ "name": "board", ');
    await writeFile(join(dir, 'short.bin'), Buffer.alloc(10));
  });

  it.each(failing.map((args) => [args]))('eennc %j: an error with a hint, exit 1 or 2, never an internal error', async (given) => {
    const args = given.map((arg) => arg.replace(/^DIR/, dir));
    const r = await eennc(...args);
    expect([1, 2], `eennc ${args.join(' ')}\n${r.stderr}`).toContain(r.exitCode);
    expect(r.stderr, `eennc ${args.join(' ')}`).toMatch(/^error: \S/m);
    expect(r.stderr, `eennc ${args.join(' ')}`).toMatch(/^hint: \S/m);
    expect(r.stderr).not.toMatch(/internal|\n\s+at /);
  });
});

describe('inputs that cannot be read', () => {
  it('stop run and test before the firmware is built (the -o folder is never written)', async () => {
    for (const command of ['run', 'test']) {
      const out = join(dir, `${command}-missing-input`);
      const flag = command === 'run' ? '-i' : '--data';
      const r = await eennc(command, MODEL, '--precision', 'float32', '--target', 'host', flag, join(dir, 'missing.npy'), '-o', out);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/cannot read the data file: no such file/);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('options a float32 build does not use are named, not ignored without a word', () => {
  it('--arena min and --calib on a float32 build: a note for each', async () => {
    const out = join(dir, 'float-arena');
    const r = await eennc(
      'build',
      MODEL,
      '--precision',
      'float32',
      '--arena',
      'min',
      '--calib',
      'examples/fmnist/calib_u8.npy',
      '--no-link',
      '-o',
      out,
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { notes: string[]; memory: { arena_bytes: number } };
    const note = report.notes.find((n) => n.startsWith('--arena min'));
    expect(note).toContain('changes nothing in a float32 build');
    expect(note).toContain(`(${report.memory.arena_bytes} bytes)`);
    expect(r.stderr).toContain('note: --calib only applies to int8 builds');
  });
});

describe('help', () => {
  it('asked for, it is no failure; eennc alone prints it as a usage error', async () => {
    const asked = await inProcess(['help', 'build']);
    expect(asked.exitCode).toBe(0);
    expect(asked.stdout).toContain('--arena');
    const alone = await inProcess([]);
    expect(alone.exitCode).toBe(2);
    expect(alone.stdout).toBe('');
    expect(alone.stderr).toContain('Usage: eennc');
  });
});

describe('--version', () => {
  it('prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const r = await eennc(flag);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });
});
