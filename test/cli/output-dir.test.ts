// What `build`, `run` and `test` may write and what they leave behind: -o never replaces a user's files, a file, the
// current folder or the model's; the default folder stays under build/; nothing is left in the temporary directory,
// even when a command fails or is interrupted; a killed build's hidden temporary folder goes at the next build.

import { afterAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { eenncIn, ROOT, startEennc, type CliPlace } from './cli-helpers.js';

const MODEL = join(ROOT, 'examples/bench/fc_autoencoder.onnx');
const INPUTS = join(ROOT, 'examples/bench/fc_autoencoder_inputs.npy');
/** The quickest build: native gcc, no quantization. */
const FAST = ['--target', 'host', '--precision', 'float32'];

const scratches: string[] = [];
afterAll(async () => {
  for (const dir of scratches) await rm(dir, { recursive: true, force: true });
});

/** A scratch folder with a `tmp` folder of its own to serve as the command's TMPDIR. */
async function scratch(): Promise<{ dir: string; tmp: string; place: CliPlace }> {
  const dir = await mkdtemp(join(tmpdir(), 'eennc-out-'));
  scratches.push(dir);
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  return { dir, tmp, place: { env: { TMPDIR: tmp } } };
}

/** Wait until `check` holds (polled; the test's own time limit bounds it). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check().catch(() => false))) await new Promise((done) => setTimeout(done, 20));
}

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

/**
 * What a command left in its temporary directory: everything but tsx's compile cache (`tsx-<uid>/`), which is there
 * only when bin/eennc.js runs the TypeScript sources because dist/ is older than them.
 */
async function leftovers(tmp: string): Promise<string[]> {
  return (await tree(tmp)).filter((path) => !/^tsx-\d+(\/|$)/.test(path));
}

/** Whether a process (the orphaned make of a killed build) works in a folder under `dir` (Linux /proc). */
async function workingIn(dir: string): Promise<boolean> {
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cwd = await readlink(join('/proc', pid, 'cwd')).catch(() => '');
    if (cwd.startsWith(dir + '/')) return true;
  }
  return false;
}

function expectRefusal(r: { exitCode: number; stderr: string }, path: string): void {
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain(path);
  expect(r.stderr).toMatch(/\nhint: /);
  expect(r.stderr).not.toMatch(/internal|\n\s+at /);
}

describe('build -o', () => {
  it("refuses a folder holding the user's files and keeps them; --force replaces it", async () => {
    const { dir, place } = await scratch();
    const out = join(dir, 'mine');
    await mkdir(out);
    await writeFile(join(out, 'notes.txt'), 'my notes');
    const refused = await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', out);
    expectRefusal(refused, out);
    expect(refused.stderr).toContain('--force');
    expect(await tree(out)).toEqual(['notes.txt']);
    expectRefusal(await eenncIn(place, 'run', MODEL, ...FAST, '--input', INPUTS, '-o', out), out);
    expectRefusal(await eenncIn(place, 'test', MODEL, ...FAST, '-o', out), out);
    expect(await tree(out)).toEqual(['notes.txt']);

    const forced = await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', out, '--force');
    expect(forced.exitCode).toBe(0);
    const files = await readdir(out);
    expect(files).toContain('model.c');
    expect(files).toContain('eennc-manifest.json');
    expect(files).not.toContain('notes.txt');
  });

  it('refuses a regular file and keeps it, even with --force', async () => {
    const { dir, place } = await scratch();
    const file = join(dir, 'results.csv');
    await writeFile(file, 'a,b\n1,2\n');
    for (const force of [[], ['--force']]) {
      expectRefusal(await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', file, ...force), file);
      expect(await readFile(file, 'utf8')).toBe('a,b\n1,2\n');
    }
  });

  it("refuses the current folder, the one above it and the model's folder, even with --force", async () => {
    const { dir, place } = await scratch();
    const work = join(dir, 'work');
    await mkdir(join(work, 'models'), { recursive: true });
    await copyFile(MODEL, join(work, 'models', 'net.onnx'));
    await writeFile(join(work, 'todo.txt'), 'keep me');
    const before = await tree(work);
    for (const out of ['.', '..', 'models', join(work, 'models', '..', 'models'), '/']) {
      const r = await eenncIn({ ...place, cwd: work }, 'build', 'models/net.onnx', ...FAST, '--no-link', '-o', out, '--force');
      expectRefusal(r, out);
      expect(r.stderr).toMatch(/current folder|holds|filesystem root/);
    }
    expect(await tree(work)).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['tmp', 'work']);
  });

  it('without -o writes build/<model>-<target name> under the current folder, whatever path --target is', async () => {
    const { dir, place } = await scratch();
    const host = JSON.parse(await readFile(join(ROOT, 'targets/host.json'), 'utf8')) as Record<string, unknown>;
    delete host.$schema;
    await writeFile(join(dir, 'board.json'), JSON.stringify({ ...host, name: 'board' }));
    const cwd = join(dir, 'a', 'b', 'c');
    await mkdir(cwd, { recursive: true });
    const r = await eenncIn({ ...place, cwd }, 'build', MODEL, '--target', '../../../board.json', '--precision', 'float32', '--no-link');
    expect(r.exitCode).toBe(0);
    expect((await stat(join(dir, 'board.json'))).isFile()).toBe(true);
    expect(await readdir(join(cwd, 'build'))).toEqual(['fc_autoencoder-board']);
    expect(await readdir(join(cwd, 'build', 'fc_autoencoder-board'))).toContain('model.c');
    expect((await readdir(dir)).sort()).toEqual(['a', 'board.json', 'tmp']);
  });

  it('builds again into its own earlier output, also after make ran in it', async () => {
    const { dir, place } = await scratch();
    const out = join(dir, 'project');
    expect((await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', out)).exitCode).toBe(0);
    await execa('make', ['-s'], { cwd: out });
    expect(await readdir(out)).toContain('fc_autoencoder');
    const again = await eenncIn(place, 'build', MODEL, ...FAST, '-o', out);
    expect(again.exitCode).toBe(0);
    expect(await readdir(out)).toContain('report.json');
    expect((await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', out)).exitCode).toBe(0);
    expect(await readdir(out)).not.toContain('fc_autoencoder');
    expect((await readdir(dir)).sort()).toEqual(['project', 'tmp']);
  });

  it('removes the hidden temporary folder of a killed build at the next build', async () => {
    const { dir, place } = await scratch();
    const out = join(dir, 'project');
    const hidden = async () => (await readdir(dir)).filter((name) => name.startsWith('.project.tmp-'));
    const killed = startEennc(place, 'build', MODEL, ...FAST, '-o', out);
    await waitFor(async () => (await hidden()).length > 0);
    killed.kill('SIGKILL');
    await killed;
    expect((await hidden()).length).toBeGreaterThan(0);
    // its make goes on alone for a while; a later build comes after it
    await waitFor(async () => !(await workingIn(dir)));
    const next = await eenncIn(place, 'build', MODEL, ...FAST, '--no-link', '-o', out);
    expect(next.exitCode).toBe(0);
    expect(await hidden()).toEqual([]);
  });

  it('a failed firmware build points at something that exists', async () => {
    const { dir, tmp, place } = await scratch();
    const host = JSON.parse(await readFile(join(ROOT, 'targets/host.json'), 'utf8')) as { compiler: Record<string, unknown> };
    delete (host as Record<string, unknown>).$schema;
    await writeFile(
      join(dir, 'broken.json'),
      JSON.stringify({ ...host, name: 'broken', compiler: { ...host.compiler, flags: ['-fno-such-option-at-all'] } }),
    );
    const r = await eenncIn(place, 'build', MODEL, '--target', join(dir, 'broken.json'), '--precision', 'float32', '-o', join(dir, 'out'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/building the firmware for broken failed/);
    expect(r.stderr).toMatch(/hint: .*--no-link -o DIR.* make in DIR/);
    expect(r.stderr).not.toContain('.tmp-');
    expect(r.stderr).not.toContain(tmp);
    expect((await readdir(dir)).sort()).toEqual(['broken.json', 'tmp']);
  });
});

describe('run and test leave nothing behind', () => {
  it('run and test without -o, passing or failing, leave the temporary directory empty', async () => {
    const { tmp, place } = await scratch();
    const run = await eenncIn(place, 'run', MODEL, ...FAST, '--input', INPUTS, '--count', '2');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/sample 1: class/);
    expect(await leftovers(tmp)).toEqual([]);

    const test = await eenncIn(place, 'test', MODEL, ...FAST, '--count', '2');
    expect(test.exitCode).toBe(0);
    expect(await leftovers(tmp)).toEqual([]);

    // a file that is read only after the build (its size is not a whole sample), so the failure comes from a command
    // that has written its temporary project
    const short = join(tmp, '..', 'short.bin');
    await writeFile(short, Buffer.alloc(10));
    const failed = await eenncIn(place, 'run', MODEL, ...FAST, '--input', short);
    expect(failed.exitCode).toBe(1);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s during run removes the temporary project and exits with %i', async (signal, status) => {
    const { tmp, place } = await scratch();
    const running = startEennc(place, 'run', MODEL, ...FAST, '--input', INPUTS);
    // interrupt it while it writes and builds its project in the temporary directory
    await waitFor(async () => (await tree(tmp)).some((path) => /\.project\.tmp-[^/]*\/Makefile$/.test(path)));
    running.kill(signal);
    const r = await running;
    expect(r.exitCode).toBe(status);
    expect(await leftovers(tmp)).toEqual([]);
  });
});
