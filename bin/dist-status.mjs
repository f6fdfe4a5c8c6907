// Whether dist/ (the compiled command) may run: built to the end (scripts/build.mjs writes its stamp last) and,
// in a source checkout, no older than any file it was compiled from.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Written last by scripts/build.mjs, with the time the build started as its modification time. */
export const STAMP = '.build-stamp';

/** What dist/ is compiled from: an installed package ships none of these, so there only the stamp counts. */
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * 'current': dist/ may run; 'missing': no complete build; 'stale': a source changed (or was added or removed)
 * after the build started.
 * @param {string} root the package's folder
 * @returns {'current' | 'missing' | 'stale'}
 */
export function distStatus(root) {
  let built;
  try {
    built = statSync(join(root, 'dist', STAMP)).mtimeMs;
  } catch {
    return 'missing';
  }
  return SOURCES.some((source) => newestChange(join(root, source)) > built) ? 'stale' : 'current';
}

/**
 * The latest modification time under path (a folder's own time changes when an entry is added or removed); 0 when
 * it does not exist.
 * @param {string} path
 * @returns {number}
 */
function newestChange(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  let newest = stats.mtimeMs;
  if (stats.isDirectory()) {
    for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  }
  return newest;
}
