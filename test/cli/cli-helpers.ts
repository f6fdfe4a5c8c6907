// Runs the real `eennc` command (bin/eennc.js) as a user would, for end-to-end tests.

import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/eennc.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function eennc(...args: string[]): Promise<CliResult> {
  const r = await execa('node', [BIN, ...args], { cwd: ROOT, reject: false, timeout: 300_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export interface CliPlace {
  /** Working folder of the command (default: the repository). */
  cwd?: string;
  /** Added to the environment (e.g. TMPDIR). */
  env?: Record<string, string>;
}

/** Start `eennc` in a place of its own; the process can be signalled before it ends. */
export function startEennc(place: CliPlace, ...args: string[]): ResultPromise<{ reject: false; timeout: number }> {
  return execa('node', [BIN, ...args], { cwd: place.cwd ?? ROOT, env: place.env, reject: false, timeout: 300_000 });
}

/** Run `eennc` in a place of its own (its working folder, TMPDIR...). */
export async function eenncIn(place: CliPlace, ...args: string[]): Promise<CliResult> {
  const r = await startEennc(place, ...args);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
