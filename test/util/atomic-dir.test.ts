import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomically } from '../../src/util/atomic-dir.js';
import { EennError } from '../../src/ir/diagnostics.js';

describe('writeDirAtomically', () => {
  it('writes every file, replacing an old folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eennc-atomic-'));
    const out = join(root, 'project');
    await mkdir(out);
    await writeFile(join(out, 'stale.txt'), 'old');
    await writeDirAtomically(out, new Map([['a.c', 'int a;'], ['sub/b.h', 'int b;']]));
    expect(await readFile(join(out, 'a.c'), 'utf8')).toBe('int a;');
    expect(await readFile(join(out, 'sub/b.h'), 'utf8')).toBe('int b;');
    expect((await readdir(out)).sort()).toEqual(['a.c', 'sub']);
    expect(await readdir(root)).toEqual(['project']);
  });

  it('leaves nothing behind and keeps the old folder when finishing fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eennc-atomic-'));
    const out = join(root, 'project');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'old');
    await expect(
      writeDirAtomically(out, new Map([['a.c', 'x']]), async () => {
        throw new Error('compiler failed');
      }),
    ).rejects.toThrow('compiler failed');
    expect(await readdir(root)).toEqual(['project']);
    expect(await readFile(join(out, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('names the folder when its parent cannot be created', async () => {
    const err = await writeDirAtomically('/etc/hostname/out', new Map()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_FILE');
    expect((err as EennError).format()).toContain('/etc/hostname/out');
  });
});
