import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile, mkdir, stat, symlink, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTemps, writeDirAtomically } from '../../src/util/atomic-dir.js';
import { MANIFEST_FILE, readManifest } from '../../src/util/output-dir.js';
import { EennError, FALLBACK_HINTS } from '../../src/ir/diagnostics.js';

const roots: string[] = [];
async function scratch(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'eennc-atomic-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<EennError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EennError);
  expect((err as EennError).code).toBe('E_FILE');
  expect((err as EennError).hint).not.toBe(FALLBACK_HINTS.E_FILE); // its own hint, not the fallback
  return err as EennError;
}

/** A pid that no process has: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((done) => child.on('exit', done));
  return child.pid!;
}

describe('writeDirAtomically', () => {
  it('writes every file and a manifest listing them into a new folder', async () => {
    const root = await scratch();
    const out = join(root, 'project');
    await writeDirAtomically(
      out,
      new Map([
        ['a.c', 'int a;'],
        ['sub/b.h', 'int b;'],
      ]),
    );
    expect(await readFile(join(out, 'a.c'), 'utf8')).toBe('int a;');
    expect(await readFile(join(out, 'sub/b.h'), 'utf8')).toBe('int b;');
    expect((await readdir(out)).sort()).toEqual(['a.c', MANIFEST_FILE, 'sub']);
    expect((await readManifest(out))?.files).toEqual(['a.c', 'sub/b.h']);
    expect(await readdir(root)).toEqual(['project']);
  });

  it('replaces its own earlier output, and the files make adds to it', async () => {
    const root = await scratch();
    const out = join(root, 'project');
    const makeOutputs = ['build/', 'm.elf'];
    await writeDirAtomically(
      out,
      new Map([
        ['a.c', 'old'],
        ['gone.c', 'x'],
      ]),
      { makeOutputs },
    );
    await mkdir(join(out, 'build'));
    await writeFile(join(out, 'build', 'a.o'), 'object');
    await writeFile(join(out, 'm.elf'), 'image');
    await writeDirAtomically(out, new Map([['a.c', 'new']]), { makeOutputs });
    expect(await readFile(join(out, 'a.c'), 'utf8')).toBe('new');
    expect((await readdir(out)).sort()).toEqual(['a.c', MANIFEST_FILE]);
    expect(await readdir(root)).toEqual(['project']);
  });

  it('empty folders are written into', async () => {
    const out = join(await scratch(), 'empty');
    await mkdir(out);
    await writeDirAtomically(out, new Map([['a.c', 'x']]));
    expect(await readFile(join(out, 'a.c'), 'utf8')).toBe('x');
  });

  it("refuses a folder holding the user's files and keeps them", async () => {
    const root = await scratch();
    const out = join(root, 'mine');
    await mkdir(out);
    await writeFile(join(out, 'thesis.tex'), 'years of work');
    const err = await refusal(writeDirAtomically(out, new Map([['a.c', 'x']])));
    expect(err.format()).toContain(out);
    expect(err.hint).toContain('--force');
    expect(await readdir(out)).toEqual(['thesis.tex']);
    expect(await readdir(root)).toEqual(['mine']);
  });

  it('refuses an earlier output that the user added a file to', async () => {
    const out = join(await scratch(), 'project');
    await writeDirAtomically(out, new Map([['a.c', 'x']]));
    await writeFile(join(out, 'notes.txt'), 'mine');
    const err = await refusal(writeDirAtomically(out, new Map([['a.c', 'y']])));
    expect(err.message).toContain('notes.txt');
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(out, 'a.c'), 'utf8')).toBe('x');
  });

  it('--force replaces a folder that is not an eennc output', async () => {
    const out = join(await scratch(), 'mine');
    await mkdir(out);
    await writeFile(join(out, 'old.txt'), 'old');
    await writeDirAtomically(out, new Map([['a.c', 'x']]), { force: true });
    expect((await readdir(out)).sort()).toEqual(['a.c', MANIFEST_FILE]);
  });

  it('never replaces a file or a link, even with force', async () => {
    const root = await scratch();
    const file = join(root, 'model.txt');
    await writeFile(file, 'data');
    const err = await refusal(writeDirAtomically(file, new Map([['a.c', 'x']]), { force: true }));
    expect(err.message).toContain('is a file');
    expect(await readFile(file, 'utf8')).toBe('data');

    const folder = join(root, 'real');
    await mkdir(folder);
    await writeFile(join(folder, 'keep'), 'k');
    await symlink(folder, join(root, 'link'));
    await refusal(writeDirAtomically(join(root, 'link'), new Map([['a.c', 'x']]), { force: true }));
    expect(await readdir(folder)).toEqual(['keep']);
    expect((await readdir(root)).sort()).toEqual(['link', 'model.txt', 'real']);
  });

  it('never replaces the folder of a kept file or one above it, even with force', async () => {
    const root = await scratch();
    const models = join(root, 'models');
    await mkdir(join(models, 'v1'), { recursive: true });
    const model = join(models, 'v1', 'net.onnx');
    await writeFile(model, 'onnx');
    for (const out of [join(models, 'v1'), models, root, join(models, 'v1', '..', 'v1')]) {
      const err = await refusal(writeDirAtomically(out, new Map([['a.c', 'x']]), { force: true, keep: [model] }));
      expect(err.message).toMatch(/holds .*net\.onnx/);
    }
    expect(await readFile(model, 'utf8')).toBe('onnx');
    expect(await readdir(join(models, 'v1'))).toEqual(['net.onnx']);
  });

  it('never replaces the current folder, one above it, the home folder or the root, even with force', async () => {
    for (const out of ['.', '..', process.cwd(), '/', join(process.cwd(), 'src', '..')]) {
      await refusal(writeDirAtomically(out, new Map([['a.c', 'x']]), { force: true }));
    }
    await refusal(writeDirAtomically((await import('node:os')).homedir(), new Map(), { force: true }));
    expect((await readdir('.')).includes('package.json')).toBe(true);
  });

  it('leaves nothing behind and keeps the old folder when finishing fails', async () => {
    const root = await scratch();
    const out = join(root, 'project');
    await writeDirAtomically(out, new Map([['keep.txt', 'old']]));
    await expect(
      writeDirAtomically(out, new Map([['a.c', 'x']]), {
        finish: async () => {
          throw new Error('compiler failed');
        },
      }),
    ).rejects.toThrow('compiler failed');
    expect(await readdir(root)).toEqual(['project']);
    expect(await readFile(join(out, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('removes the temporary folders of a killed earlier write, not those of a running one', async () => {
    const root = await scratch();
    const out = join(root, 'project');
    const stale = join(root, `.project.tmp-${await deadPid()}-0a1b2c3d`);
    await mkdir(stale);
    await writeFile(join(stale, 'model.c'), 'half written');
    const live = join(root, `.project.tmp-${process.ppid}-00ff00ff`);
    await mkdir(live);
    const other = join(root, '.project.tmp-notes');
    await mkdir(other);
    await writeDirAtomically(out, new Map([['a.c', 'x']]));
    expect((await readdir(root)).sort()).toEqual(['.project.tmp-notes', `.project.tmp-${process.ppid}-00ff00ff`, 'project'].sort());
    expect(await removeStaleTemps(out)).toEqual([]);
  });

  it('creates folders and files with the modes the umask gives', async () => {
    const previous = process.umask(0o027);
    try {
      const out = join(await scratch(), 'project');
      await writeDirAtomically(out, new Map([['sub/a.c', 'x']]));
      expect((await stat(out)).mode & 0o777).toBe(0o750);
      expect((await stat(join(out, 'sub'))).mode & 0o777).toBe(0o750);
      expect((await stat(join(out, 'sub', 'a.c'))).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(previous);
    }
  });

  it('names the folder when its parent cannot be created', async () => {
    const err = await writeDirAtomically('/etc/hostname/out', new Map()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_FILE');
    expect((err as EennError).format()).toContain('/etc/hostname/out');
  });
});
