// Every temporary folder eennc makes is registered here and removed when it is done with, when the process exits,
// and on SIGINT/SIGTERM: the tools running in them (make, QEMU) are stopped first, then the folders go, then the
// process exits with 130/143. So no command leaves anything behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Folders (and files) to remove; removed on exit unless released earlier. */
const tracked = new Set<string>();
/** Running child processes that may write into them (execa's subprocesses: a promise that can be killed). */
const children = new Set<Child>();
let hooksInstalled = false;
let interrupted = false;

type Child = PromiseLike<unknown> & { kill(signal?: NodeJS.Signals): boolean };

/** Exit status of a process ended by a signal: 128 + the signal's number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** How long an interrupted command waits for its tools to stop (make waits for its compilers) before killing them. */
const CHILD_STOP_MS = 5_000;

/** Remove every tracked path now, synchronously (for exit and signal handlers). */
function removeTrackedSync(): void {
  for (const path of [...tracked].reverse()) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      /* nothing more can be done while exiting */
    }
  }
  tracked.clear();
}

/** Stop the running tools (SIGTERM, then SIGKILL after CHILD_STOP_MS), remove every tracked path and exit. */
async function exitOnSignal(status: number): Promise<void> {
  if (interrupted) {
    // a second signal while the tools stop: leave at once
    removeTrackedSync();
    process.exit(status);
  }
  interrupted = true;
  const running = [...children];
  for (const child of running) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = Promise.all(running.map((child) => Promise.resolve(child).catch(() => undefined)));
  const late = new Promise<void>((done) => {
    timer = setTimeout(() => {
      for (const child of running) child.kill('SIGKILL');
      done();
    }, CHILD_STOP_MS);
  });
  await Promise.race([stopped, late]);
  clearTimeout(timer);
  removeTrackedSync();
  process.exit(status);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', removeTrackedSync);
  for (const [signal, status] of Object.entries(SIGNAL_EXIT)) process.on(signal, () => void exitOnSignal(status));
}

/** Stop `child` (a tool working in a tracked folder) before the folders are removed on SIGINT/SIGTERM. */
export function trackChild<T extends Child>(child: T): T {
  installHooks();
  children.add(child);
  const forget = (): void => {
    children.delete(child);
  };
  child.then(forget, forget);
  return child;
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

/** Whether a process with this id runs (one of another user counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The names makeTempDir gives: `eennc-<kind>-<pid>-XXXXXX`. */
const TEMP_NAME = /^eennc-(?:[a-z]+-)*(\d+)-[A-Za-z0-9]{6}$/;
let swept = false;

/** Remove, once per process, the temporary folders of eennc processes that no longer run (killed with SIGKILL). */
async function sweepStale(): Promise<void> {
  if (swept) return;
  swept = true;
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = Number(TEMP_NAME.exec(name)?.[1] ?? NaN);
    if (Number.isNaN(pid) || pid === process.pid || processAlive(pid)) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * A fresh folder in the system's temporary directory, `<prefix><pid>-XXXXXX` (prefix `eennc-<kind>-`), removed on
 * exit at the latest, or by a later eennc when this process was killed.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  installHooks();
  await sweepStale();
  // Made and registered in one synchronous step: a signal handler runs between two awaits, never inside this, so an
  // interrupt cannot fall between the folder's creation and its registration and leave it behind.
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
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
