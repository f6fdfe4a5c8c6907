// Runs the real `eennc` command (bin/eennc.js) as a user would, for end-to-end tests.

import { execa } from 'execa';
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
