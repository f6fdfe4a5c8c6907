// Every temporary folder eennc makes is registered here and removed when it is done with, when the process exits,
// and on SIGINT/SIGTERM (the process then exits with 130/143), so no command leaves anything behind.

import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Folders (and files) to remove; removed on exit unless released earlier. */
const tracked = new Set<string>();
let hooksInstalled = false;

/** Exit status of a process ended by a signal: 128 + the signal's number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Remove every tracked path now, synchronously (for exit and signal handlers). */
export function removeTrackedSync(): void {
  for (const path of tracked) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      /* nothing more can be done while exiting */
    }
  }
  tracked.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', removeTrackedSync);
  for (const [signal, status] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      removeTrackedSync();
      process.exit(status);
    });
  }
}

/** Remove `path` (recursively) when the process exits or is interrupted, unless untrackPath is called first. */
export function trackPath(path: string): void {
  installHooks();
  tracked.add(path);
}

/** Forget `path`: it was removed, or it has become a result to keep (e.g. renamed into place). */
export function untrackPath(path: string): void {
  tracked.delete(path);
}

/** A fresh folder in the system's temporary directory (`<prefix>XXXXXX`), removed on exit at the latest. */
export async function makeTempDir(prefix: string): Promise<string> {
  installHooks();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tracked.add(dir);
  return dir;
}

/** Remove a folder from makeTempDir (or a tracked path) now. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  tracked.delete(dir);
}

/** Run `work` in a fresh temporary folder that is removed afterwards, whether `work` succeeds or fails. */
export async function withTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(prefix);
  try {
    return await work(dir);
  } finally {
    await removeTempDir(dir);
  }
}
