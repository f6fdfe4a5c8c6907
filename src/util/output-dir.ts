// Decides whether eennc may replace an output folder: only a path that does not exist, an empty folder or a previous
// eennc output (its manifest lists every file in it); any other folder only with --force; never a file or a link, the
// filesystem root, the home folder, the current folder or a folder holding the model or the current folder.

import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { EennError } from '../ir/diagnostics.js';
import { isSameOrInside } from './paths.js';

/** The file every output folder gets: what eennc wrote there, so a later build knows the folder is its own. */
export const MANIFEST_FILE = 'eennc-manifest.json';

export interface Manifest {
  written_by: 'eennc';
  /** Every file eennc wrote, relative to the folder (`/`-separated). */
  files: string[];
  /** What the project's own build (`make`) may add later: files, and folders ending in `/` whose contents are all its own. */
  make_outputs: string[];
}

export interface OutputDirOptions {
  /** Replace a folder that is not an eennc output (still never a file, a link or a protected folder). */
  force?: boolean;
  /** Files (the model, its calibration data) whose folder, and every folder above it, must never be replaced. */
  keep?: string[];
}

/** What is at the output path now. `foreign`: a folder that is not eennc's, which only --force may replace. */
export type OutputState = 'absent' | 'empty' | 'ours' | 'foreign';

const HINT = 'choose a new folder with -o DIR (e.g. -o build/out)';

function refuse(outDir: string, why: string, hint = HINT): EennError {
  return new EennError({ code: 'E_FILE', file: outDir, message: `will not write the output here: ${why}`, hint });
}

async function realOrResolved(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/** Refuse folders that must never be replaced, --force or not. */
async function checkProtected(outDir: string, target: string, keep: string[]): Promise<void> {
  if (dirname(target) === target) throw refuse(outDir, 'it is the filesystem root');
  const home = await realOrResolved(homedir());
  if (isSameOrInside(target, home)) throw refuse(outDir, target === home ? 'it is your home folder' : 'it holds your home folder');
  const cwd = await realOrResolved(process.cwd());
  if (isSameOrInside(target, cwd)) {
    throw refuse(outDir, target === cwd ? 'it is the current folder' : 'it holds the current folder');
  }
  for (const file of keep) {
    const folder = await realOrResolved(dirname(resolve(file)));
    if (isSameOrInside(target, folder)) throw refuse(outDir, `it holds ${file}`);
  }
}

/** The first entry of `dir` (recursively) that the manifest does not list, or undefined when every one is listed. */
async function firstUnlisted(dir: string, manifest: Manifest, prefix = ''): Promise<string | undefined> {
  const listed = new Set(manifest.files);
  const makeFiles = new Set(manifest.make_outputs);
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (rel === MANIFEST_FILE || makeFiles.has(rel) || makeFiles.has(rel + '/')) continue;
    if (entry.isDirectory() && !entry.isSymbolicLink()) {
      const inside = await firstUnlisted(dir, manifest, rel + '/');
      if (inside !== undefined) return inside;
    } else if (!listed.has(rel)) {
      return rel;
    }
  }
  return undefined;
}

/** The manifest of a folder, or undefined when it has none (or one eennc did not write). */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const path = join(dir, MANIFEST_FILE);
  try {
    if (!(await lstat(path)).isFile()) return undefined;
    const json = JSON.parse(await readFile(path, 'utf8')) as Partial<Manifest>;
    const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (json.written_by !== 'eennc' || !strings(json.files) || !strings(json.make_outputs)) return undefined;
    return json as Manifest;
  } catch {
    return undefined;
  }
}

/** The manifest's text for a folder holding `files`. */
export function manifestText(files: string[], makeOutputs: string[]): string {
  const manifest: Manifest = {
    written_by: 'eennc',
    files: [...files].filter((f) => f !== MANIFEST_FILE).sort(),
    make_outputs: [...makeOutputs].sort(),
  };
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * Check that `outDir` may be written and say what is there. Throws E_FILE, naming the path, for a file, a link, a
 * protected folder, or (without `force`) a folder holding anything eennc did not write.
 */
export async function checkOutputDir(outDir: string, options: OutputDirOptions = {}): Promise<OutputState> {
  const target = await realOrResolved(outDir);
  await checkProtected(outDir, target, options.keep ?? []);
  const stats = await lstat(resolve(outDir)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw refuse(outDir, `it cannot be read (${err.code ?? err.message})`);
  });
  if (stats === undefined) return 'absent';
  if (stats.isSymbolicLink()) throw refuse(outDir, 'it is a symbolic link; eennc replaces only folders');
  if (!stats.isDirectory()) {
    throw refuse(outDir, stats.isFile() ? 'it is a file, not a folder' : 'it is not a folder');
  }
  const unreadable = (err: NodeJS.ErrnoException): never => {
    throw refuse(outDir, `its contents cannot be read (${err.code ?? err.message})`, 'choose a folder you can read and write with -o DIR');
  };
  const entries = await readdir(target).catch(unreadable);
  if (entries.length === 0) return 'empty';
  const manifest = await readManifest(target);
  const unlisted = manifest === undefined ? undefined : await firstUnlisted(target, manifest).catch(unreadable);
  if (manifest !== undefined && unlisted === undefined) return 'ours';
  if (options.force) return 'foreign';
  throw new EennError({
    code: 'E_FILE',
    file: outDir,
    message:
      manifest === undefined
        ? `the folder already exists and is not an eennc output (it has no ${MANIFEST_FILE}); its files are kept`
        : `the folder holds files eennc did not write (e.g. ${unlisted}); they are kept`,
    hint: 'choose a new folder with -o DIR, or pass --force to replace this folder and everything in it',
  });
}
