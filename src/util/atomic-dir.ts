// Writes a whole output folder or nothing: files go to a temporary sibling folder that is renamed into place.
// Used by `build` so a failure never leaves half a project behind.

import { mkdir, mkdtemp, rename, rm, writeFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EennError } from '../ir/diagnostics.js';

/** Contents keyed by path relative to the output folder. */
export type FileSet = Map<string, string | Uint8Array>;

/** Fail early, with the path, when the parent of `outDir` cannot be written. */
export async function checkWritableParent(outDir: string): Promise<void> {
  const parent = dirname(resolve(outDir));
  try {
    await mkdir(parent, { recursive: true });
    await access(parent, constants.W_OK);
  } catch {
    throw new EennError({
      code: 'E_FILE', file: outDir,
      message: `cannot write the output directory: ${parent} is not writable`,
      hint: 'choose another folder with -o DIR',
    });
  }
}

/**
 * Write `files` into `outDir`, replacing it. `finish` may add more files to the temporary folder (e.g. build
 * outputs) before the rename; if it throws, nothing is left behind and the old folder (if any) is untouched.
 */
export async function writeDirAtomically(
  outDir: string,
  files: FileSet,
  finish?: (tempDir: string) => Promise<void>,
): Promise<void> {
  const target = resolve(outDir);
  await checkWritableParent(target);
  const temp = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    for (const [rel, contents] of files) {
      const path = join(temp, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, contents);
    }
    if (finish) await finish(temp);
    const old = `${temp}.old`;
    let moved = false;
    try {
      await rename(target, old);
      moved = true;
    } catch {
      /* no previous output */
    }
    try {
      await rename(temp, target);
    } catch (err) {
      if (moved) await rename(old, target); // put the previous output back
      throw err;
    }
    if (moved) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}
