// vitest globalSetup: the whole test run uses one temporary directory (TMPDIR, inherited by the test forks and every
// command they start), removed at the end, so a run leaves nothing in the system's temporary directory.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'eennc-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    const left = readdirSync(dir).length;
    if (left > 0) process.stderr.write(`tests: ${left} entries were left in the temporary directory; removing ${dir}\n`);
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
