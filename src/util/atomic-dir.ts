// Writes a whole output folder (or one file) or nothing: files go to a hidden sibling folder that is renamed into place, so a
// failure never leaves half a project behind; the folder replaced must be one output-dir.ts allows.

import { mkdir, readdir, rename, rm, writeFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { EennError } from '../ir/diagnostics.js';
import { checkOutputDir, MANIFEST_FILE, manifestText, type OutputDirOptions } from './output-dir.js';
import { processAlive, trackPath, untrackPath } from './temp-dirs.js';

/** Contents keyed by path relative to the output folder. */
export type FileSet = Map<string, string | Uint8Array>;

export interface WriteOptions extends OutputDirOptions {
  /** Adds more files to the temporary folder (e.g. builds the project) before the rename. */
  finish?: (tempDir: string) => Promise<void>;
  /** What the project's own build may write into it later, recorded in the manifest (Manifest.make_outputs). */
  makeOutputs?: string[];
}

/** Fail early, with the path, when the parent of `outDir` cannot be written. */
async function checkWritableParent(outDir: string): Promise<void> {
  const parent = dirname(resolve(outDir));
  try {
    await mkdir(parent, { recursive: true });
    await access(parent, constants.W_OK);
  } catch {
    throw new EennError({
      code: 'E_FILE',
      file: outDir,
      message: `cannot write the output directory: ${parent} is not writable`,
      hint: 'choose another folder with -o DIR',
    });
  }
}

/** Temporary folders of a write into `target` are named `.<name>.tmp-<pid>-<random>` beside it. */
function tempPrefix(target: string): string {
  return `.${basename(target)}.tmp-`;
}

/** Remove the temporary folders that writes into `outDir` by processes that no longer run (killed) left behind. */
export async function removeStaleTemps(outDir: string): Promise<string[]> {
  const target = resolve(outDir);
  const prefix = tempPrefix(target);
  const removed: string[] = [];
  for (const name of await readdir(dirname(target)).catch(() => [] as string[])) {
    const pid = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]+(\.old)?$/.exec(name.slice(prefix.length)) : null;
    if (!pid || Number(pid[1]) === process.pid || processAlive(Number(pid[1]))) continue;
    // the killed build's make may still be finishing in there: retry, and leave it for the next build if it goes on
    const gone = await rm(join(dirname(target), name), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).then(
      () => true,
      () => false,
    );
    if (gone) removed.push(name);
  }
  return removed;
}

/** A fresh hidden folder beside `target`, made with the mode the user's umask gives (removed on exit at the latest). */
async function makeSiblingTemp(target: string): Promise<string> {
  for (;;) {
    const temp = join(dirname(target), `${tempPrefix(target)}${process.pid}-${randomBytes(4).toString('hex')}`);
    trackPath(temp);
    try {
      await mkdir(temp);
      return temp;
    } catch (err) {
      untrackPath(temp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Every file under `dir`, relative and `/`-separated. */
async function filesIn(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) files.push(...(await filesIn(dir, rel + '/')));
    else files.push(rel);
  }
  return files;
}

/** How many times a rename that lost a race with another build into the same folder is tried again. */
const RENAME_ATTEMPTS = 3;

/** Rename `temp` to `outDir`, moving what is there aside first (only after checking again that it may go). */
async function moveIntoPlace(outDir: string, temp: string, options: OutputDirOptions): Promise<void> {
  const target = resolve(outDir);
  for (let attempt = 1; ; attempt++) {
    const state = await checkOutputDir(outDir, options);
    const old = `${temp}.old`;
    let moved = false;
    if (state !== 'absent') {
      trackPath(old);
      moved = await rename(target, old).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
    }
    try {
      await rename(temp, target);
    } catch (err) {
      if (moved) await rename(old, target).catch(() => undefined); // put the previous output back
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && attempt < RENAME_ATTEMPTS) continue; // another build got there first
      throw new EennError({
        code: 'E_FILE',
        file: outDir,
        message: `cannot move the new output into place: ${(err as Error).message}`,
        hint: 'check that nothing else writes into this folder, or choose another with -o DIR',
      });
    }
    if (moved) await rm(old, { recursive: true, force: true });
    untrackPath(old);
    return;
  }
}

/**
 * Write `files` into `outDir`, with a manifest listing them. `outDir` may be absent, empty or a previous output
 * (`force`: any folder); anything else throws E_FILE and is left as it was. If `finish` or the write fails,
 * nothing is left behind and the old folder (if any) is untouched.
 */
export async function writeDirAtomically(outDir: string, files: FileSet, options: WriteOptions = {}): Promise<void> {
  const target = resolve(outDir);
  await checkWritableParent(target);
  await checkOutputDir(outDir, options);
  await removeStaleTemps(target);
  const temp = await makeSiblingTemp(target);
  try {
    for (const [rel, contents] of files) {
      const path = join(temp, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, contents);
    }
    if (options.finish) await options.finish(temp);
    await writeFile(join(temp, MANIFEST_FILE), manifestText(await filesIn(temp), options.makeOutputs ?? []));
    await moveIntoPlace(outDir, temp, options);
  } finally {
    await rm(temp, { recursive: true, force: true });
    untrackPath(temp);
  }
}

/**
 * One file written the same way: through a temporary file beside it, renamed into place, so the file is whole or
 * not there (`eennc augment`'s model). The caller decides whether `path` may be replaced.
 */
export async function writeFileAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `${tempPrefix(path)}${process.pid}-${randomBytes(4).toString('hex')}`);
  trackPath(temp);
  try {
    await writeFile(temp, contents);
    await rename(temp, path);
    untrackPath(temp);
  } catch (err) {
    await rm(temp, { force: true });
    untrackPath(temp);
    throw new EennError({
      code: 'E_FILE',
      file: path,
      message: `cannot write: ${(err as Error).message}`,
      hint: 'check that the folder exists and can be written',
    });
  }
}
