// Runs `node bin/eennc.js` as its own process group under a watchdog: a generous time limit that only catches hangs,
// the peak memory of the process tree (VmHWM polled from /proc) with a kill above the limit, stray processes.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/eennc.js', import.meta.url));

/** Limits of one run: a hang is a run past `timeMs`; the memory bar is `memoryBytes` of resident memory. */
export interface RunLimits {
  timeMs: number;
  memoryBytes: number;
}

export const DEFAULT_LIMITS: RunLimits = { timeMs: 120_000, memoryBytes: 2 * 1024 ** 3 };

export interface CliRun {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Largest VmHWM seen in the process tree, in bytes. */
  peakBytes: number;
  wallMs: number;
  /** Why the watchdog killed it, if it did. */
  killed?: 'hang' | 'memory';
  /** Processes of its group still alive after it exited (then killed). */
  strays: number;
}

const POLL_MS = 50;

/** Process groups of the runs under way, so that an interrupted fuzz run can end them. */
const running = new Set<number>();

/** Kill every run under way (for SIGINT / SIGTERM of the process that started them). */
export function killRunning(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Run the CLI with `args` in `cwd`, with `env` added to the environment. */
export function runCli(args: readonly string[], cwd: string, env: Record<string, string>, limits = DEFAULT_LIMITS): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) running.add(child.pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  let peakBytes = 0;
  let killed: CliRun['killed'];
  const killGroup = (why: 'hang' | 'memory') => {
    killed ??= why;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    const { peak, current } = treeMemory(child.pid);
    peakBytes = Math.max(peakBytes, peak);
    if (current > limits.memoryBytes) killGroup('memory');
  }, POLL_MS);
  const timer = setTimeout(() => killGroup('hang'), limits.timeMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      const wallMs = Date.now() - started;
      running.delete(child.pid!);
      void killStrays(child.pid!).then((strays) =>
        resolve({
          exitCode: code,
          signal,
          peakBytes,
          killed,
          wallMs,
          strays,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
    });
  });
}

/**
 * Processes of group `pgid` still alive (zombies not counted: their parent has gone) a second after the leader
 * exited; they are killed. Returns how many there were.
 */
async function killStrays(pgid: number): Promise<number> {
  let alive = groupMembers(pgid);
  for (let waited = 0; alive.length > 0 && waited < 1000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    alive = groupMembers(pgid);
  }
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* raced to exit */
    }
  }
  return alive.length;
}

/** Live (not zombie) processes whose process group is `pgid`, from /proc/<pid>/stat. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Peak (VmHWM) and current (VmRSS) resident memory of `pid` and its descendants, the largest of each. */
function treeMemory(pid: number): { peak: number; current: number } {
  let peak = 0;
  let current = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const status = readProc(`/proc/${p}/status`);
    if (status === undefined) continue;
    peak = Math.max(peak, kilobytes(status, 'VmHWM'));
    current = Math.max(current, kilobytes(status, 'VmRSS'));
    for (const task of readProc(`/proc/${p}/task/${p}/children`)?.trim().split(/\s+/) ?? []) {
      if (task !== '') stack.push(Number(task));
    }
  }
  return { peak, current };
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function kilobytes(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}
