// One fuzz case end to end: a fresh sandbox (the user's folders, a secret outside the model's folder, a canary path),
// the CLI run with its own TMPDIR under the watchdog, and the verdict: the list of what went wrong (empty = held).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, DEFAULT_LIMITS, runCli, type RunLimits } from './run-cli.js';
import { changes, isUnder, snapshot } from './snapshot.js';
import { judge } from './verdict.js';
import { CANARY_NAME, MODEL_DIR, SECRET, SECRET_SIZE, SECRET_TEXT, WORK } from './layout.js';

/** The folders of one case. */
export interface Box {
  /** Holds sandbox/, tmp/ and the canary. */
  root: string;
  /** Everything the user has; snapshotted before and after. */
  sandbox: string;
  /** Absolute path of the canary file that injected commands try to create. */
  canary: string;
  /** Absolute path of a sandbox-relative path. */
  at(rel: string): string;
  /** Write a file (folders made as needed). */
  write(rel: string, content: Uint8Array | string): void;
}

export interface FuzzCase {
  name: string;
  /** Family of the case (data loss, external data, ...), for grouping failures. */
  group: string;
  /** Arguments of the fuzz script that run this case alone (default: --only NAME). */
  replay?: string;
  setup?: (box: Box) => void;
  /** Working directory of the command, relative to the sandbox (default: WORK). */
  cwd?: string;
  /** The arguments after `eennc`. */
  args: string[] | ((box: Box) => string[]);
  /** Exit statuses that count as held (default 0, 1, 2: success or a clean error). */
  exits?: readonly number[];
  /** Sandbox-relative folders the command may change (its output folder); everything else must stay as it was. */
  mayWrite?: string[];
  /** Output that means a bug even in a clean error, with what it means. */
  mustNotPrint?: [RegExp, string][];
  limits?: Partial<RunLimits>;
}

export interface CaseResult {
  fuzzCase: FuzzCase;
  /** A shell line that repeats the command (while the sandbox exists). */
  command: string;
  problems: string[];
  exitCode: number | null;
  wallMs: number;
  peakBytes: number;
  /** The first lines of stderr, for failure reports. */
  stderrHead: string;
}

/** Run one case in a fresh folder under `base`; the folder is removed afterwards unless `keep`. */
export async function runCase(c: FuzzCase, base: string, keep = false): Promise<CaseResult & { root: string }> {
  const root = mkdtempSync(join(base, 'case-'));
  const box = makeBox(root);
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  box.write(SECRET, SECRET_TEXT.padEnd(SECRET_SIZE, '\n' + SECRET_TEXT).slice(0, SECRET_SIZE));
  mkdirSync(box.at(MODEL_DIR), { recursive: true });
  c.setup?.(box);
  const args = typeof c.args === 'function' ? c.args(box) : c.args;
  const cwd = box.at(c.cwd ?? WORK);
  const before = snapshot(box.sandbox);
  const limits = { ...DEFAULT_LIMITS, ...c.limits };
  const run = await runCli(args, cwd, { TMPDIR: tmp, TMP: tmp, TEMP: tmp, NO_COLOR: '1' }, limits);
  const after = snapshot(box.sandbox);
  const mayWrite = c.mayWrite ?? [];
  const writable = (p: string) => mayWrite.some((w) => isUnder(p, w));
  const all = changes(before, after, () => true);
  const problems = judge({
    run,
    limits,
    args,
    exits: c.exits ?? [0, 1, 2],
    outside: changes(before, after, (p) => !writable(p)),
    inside: changes(before, after, writable),
    leftInTmp: safeList(tmp),
    canaries: findCanaries(root, box.canary),
    written: [...all.created, ...all.modified].map((p) => box.at(p)),
    root,
    mustNotPrint: c.mustNotPrint ?? [],
  });
  const command = `cd ${quote(cwd)} && TMPDIR=${quote(tmp)} node ${quote(BIN)} ${args.map(quote).join(' ')}`;
  if (!keep) rmSync(root, { recursive: true, force: true });
  return {
    fuzzCase: c,
    command,
    problems,
    root,
    exitCode: run.exitCode,
    wallMs: run.wallMs,
    peakBytes: run.peakBytes,
    stderrHead: run.stderr.split('\n').slice(0, 6).join('\n'),
  };
}

function makeBox(root: string): Box {
  const sandbox = join(root, 'sandbox');
  mkdirSync(sandbox);
  const at = (rel: string) => join(sandbox, rel);
  return {
    root,
    sandbox,
    canary: join(root, CANARY_NAME),
    at,
    write(rel, content) {
      mkdirSync(dirname(at(rel)), { recursive: true });
      writeFileSync(at(rel), content);
    },
  };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [`(${dir} itself is gone)`];
  }
}

/** Every file named like the canary anywhere under `root` (relative payloads run in make's folder), plus the canary. */
function findCanaries(root: string, canary: string): string[] {
  const found: string[] = existsSync(canary) ? [canary] : [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.name === CANARY_NAME && path !== canary) found.push(path);
      if (e.isDirectory()) walk(path);
    }
  };
  walk(root);
  return found;
}

/** Single-quote an argument for a POSIX shell. */
export function quote(arg: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
