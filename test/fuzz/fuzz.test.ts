// The fuzz suite: every case of the fixed corpus as a named test, then a share of seeded mutants, each run as the
// real `eennc` command in its own sandbox. Each must end in success or a clean error with a hint, within the time
// and memory bars, leaving nothing in TMPDIR, touching nothing outside its output folder and running no command
// (verdict.ts). `npm run fuzz -- SEED COUNT` runs the corpus with thousands of mutants.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { corpus } from './corpus.js';
import { mutants } from './mutate.js';
import { formatFailure, limiter } from './report.js';
import { ROOT } from './run-cli.js';
import { runCase, type FuzzCase } from './sandbox.js';

/** Cases run two at a time: the suite shares two cores with the other test files. */
const oneOrTwo = limiter(2);
/** The mutants CI runs; `npm run fuzz` takes any seed and count. */
const MUTANT_SEED = 1;
const MUTANT_COUNT = 80;
/** Long enough for a case to wait its turn behind others and still reach the 120 s hang limit of its own run. */
const TEST_TIMEOUT_MS = 900_000;

let base: string;

beforeAll(() => {
  // The command runs dist/ when it is current and the sources through tsx otherwise; test what users run.
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build.mjs --if-stale failed:\n${build.stdout}${build.stderr}`);
  base = mkdtempSync(join(tmpdir(), 'eennc-fuzz-'));
}, 600_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

async function holds(c: FuzzCase): Promise<void> {
  const result = await oneOrTwo(() => runCase(c, base));
  if (result.problems.length > 0) throw new Error(formatFailure(result));
}

const cases = corpus();
for (const group of [...new Set(cases.map((c) => c.group))]) {
  describe(`fuzz corpus: ${group}`, () => {
    for (const c of cases.filter((k) => k.group === group)) it.concurrent(c.name, () => holds(c), TEST_TIMEOUT_MS);
  });
}

describe(`fuzz: ${MUTANT_COUNT} mutants of seed ${MUTANT_SEED}`, () => {
  for (const c of mutants(MUTANT_SEED, MUTANT_COUNT)) it.concurrent(c.name, () => holds(c), TEST_TIMEOUT_MS);
});
