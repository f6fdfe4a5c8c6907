// The verdict on one fuzz run: success or a clean error with a hint (exit 0, 1 or 2, never 70, no stack trace),
// no hang, memory under the bar, nothing left in TMPDIR, nothing touched outside the output folder, no command run,
// nothing of the secret file printed or written. Each problem is one line saying what went wrong.

import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CliRun, RunLimits } from './run-cli.js';
import { describeChanges, isEmpty, type TreeChanges } from './snapshot.js';
import { SECRET_SIZE, SECRET_TEXT } from './layout.js';

export interface Observed {
  run: CliRun;
  limits: RunLimits;
  args: readonly string[];
  exits: readonly number[];
  /** Changes outside the folders the case may write. */
  outside: TreeChanges;
  /** Changes inside them (allowed on success only). */
  inside: TreeChanges;
  leftInTmp: string[];
  canaries: string[];
  /** Absolute paths of files created or modified by the run. */
  written: string[];
  /** The case's folder: a path under it that a hint names must exist. */
  root: string;
  /** Output that means a bug even in a clean error, with what it means. */
  mustNotPrint: [RegExp, string][];
}

const MB = 1024 * 1024;
/** A V8 / Node stack frame ("    at fn (file:///x.js:1:2)") or Node's own internals. */
const STACK_FRAME = /^\s+at\s.*(?::\d+:\d+\)?|\(native\)|\(<anonymous>\))$|node:internal\//m;

export function judge(o: Observed): string[] {
  const { run } = o;
  const problems: string[] = [];
  if (run.killed === 'hang') problems.push(`hang: still running after ${o.limits.timeMs / 1000} s (killed)`);
  if (run.killed === 'memory') problems.push(`memory: over ${o.limits.memoryBytes / MB} MB resident (killed)`);
  else if (run.peakBytes > o.limits.memoryBytes) {
    problems.push(`memory: peak ${Math.round(run.peakBytes / MB)} MB, over the ${o.limits.memoryBytes / MB} MB bar`);
  }
  if (o.canaries.length > 0) problems.push(`command ran: ${o.canaries.join(', ')} was created`);
  if (run.killed) return problems; // what a killed run left behind says nothing more

  if (run.exitCode === null) problems.push(`ended by signal ${run.signal}`);
  else if (run.exitCode === 70) problems.push('internal error (exit 70)');
  else if (!o.exits.includes(run.exitCode)) problems.push(`exit ${run.exitCode}, expected ${o.exits.join(' or ')}`);
  if (STACK_FRAME.test(run.stderr) || STACK_FRAME.test(run.stdout)) problems.push('stack trace printed');
  const failed = run.exitCode !== 0;
  if (failed) {
    if (!/^error: \S/m.test(run.stderr)) problems.push('failed without an "error:" line on stderr');
    if (!/^hint: \S/m.test(run.stderr)) problems.push('failed without a "hint:" line on stderr');
  }
  for (const path of hintedPaths(run.stderr, o.root)) problems.push(`a hint names ${path}, which does not exist`);
  if (o.args.includes('--json')) problems.push(...jsonProblems(run.stdout, failed));
  if (o.leftInTmp.length > 0) problems.push(`left in TMPDIR: ${o.leftInTmp.slice(0, 5).join(', ')}`);
  if (run.strays > 0) problems.push('left processes running after it exited');
  if (!isEmpty(o.outside)) problems.push(`touched files outside its output folder: ${describeChanges(o.outside)}`);
  if (failed && !isEmpty(o.inside)) problems.push(`failed but changed its output folder: ${describeChanges(o.inside)}`);
  for (const [pattern, meaning] of o.mustNotPrint) if (pattern.test(run.stdout + run.stderr)) problems.push(meaning);
  problems.push(...secretProblems(run, o.written));
  return problems;
}

/** Paths inside the case's folder that hint lines name but that do not exist (any more). */
function hintedPaths(stderr: string, root: string): string[] {
  const hints = stderr
    .split('\n')
    .filter((l) => l.startsWith('hint:'))
    .join('\n');
  const paths = hints.match(/\/[^\s'"`,;()]+/g) ?? [];
  return paths.map((p) => p.replace(/[.:]+$/, '')).filter((p) => p.startsWith(root) && !existsSync(p));
}

/** --json: stdout holds one JSON document; a failure's is `{"error": {code, message, hint, ...}}` (or a test verdict). */
function jsonProblems(stdout: string, failed: boolean): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return [`--json: stdout is not one JSON document (${stdout.trim() === '' ? 'empty' : JSON.stringify(stdout.slice(0, 60))})`];
  }
  if (!failed || typeof doc !== 'object' || doc === null) return [];
  const d = doc as { error?: Record<string, unknown>; pass?: unknown };
  if (d.pass === false) return []; // `test --json` reporting a mismatch
  const e = d.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.hint !== 'string' || e.hint === '') {
    return ['--json: the failure document has no "error" object with code, message and hint'];
  }
  return [];
}

/** The secret file's size or text in the output, or its text in a file the run wrote. */
function secretProblems(run: CliRun, written: string[]): string[] {
  const problems: string[] = [];
  const printed = run.stdout + run.stderr;
  if (new RegExp(`\\b${SECRET_SIZE}\\b`).test(printed)) problems.push(`printed the size of a file outside the model's folder (${SECRET_SIZE})`);
  if (printed.includes(SECRET_TEXT)) problems.push("printed the contents of a file outside the model's folder");
  for (const path of written) {
    try {
      if (statSync(path).isFile() && statSync(path).size < 8 * MB && readFileSync(path, 'latin1').includes(SECRET_TEXT)) {
        problems.push(`wrote the contents of a file outside the model's folder into ${path}`);
      }
    } catch {
      /* gone again */
    }
  }
  return problems;
}
