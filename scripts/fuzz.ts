// `npm run fuzz -- [SEED] [COUNT]`: the fixed fuzz corpus plus COUNT seeded mutants, two at a time; prints each
// failure (the case, the command, what went wrong) and the failures grouped by cause; exit status 1 if any.
// --only=TEXT runs the corpus case named TEXT (or those whose name holds it), --group=G one family of the corpus,
// --mutant I mutant I of the seed, --no-corpus only the mutants, --keep keeps the sandboxes, --list lists the cases.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { corpus } from '../test/fuzz/corpus.js';
import { mutant, mutants } from '../test/fuzz/mutate.js';
import { formatFailure, groupFailures, inPool, replay } from '../test/fuzz/report.js';
import { killRunning } from '../test/fuzz/run-cli.js';
import { runCase, type CaseResult, type FuzzCase } from '../test/fuzz/sandbox.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string' },
    count: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    group: { type: 'string' },
    mutant: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-corpus': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`error: ${name} must be a whole number, not "${text}"\nhint: npm run fuzz -- SEED COUNT, e.g. npm run fuzz -- 7 2000\n`);
    process.exit(2); // before any case has run
  }
  return n;
}

const seed = integer('the seed', values.seed ?? positionals[0], 1);
const count = integer('the count', values.count ?? positionals[1], 1000);
const jobs = Math.max(1, integer('--jobs', values.jobs, 2));

let cases: FuzzCase[];
if (values.mutant !== undefined) cases = [mutant(seed, integer('--mutant', values.mutant, 0))];
else if (values.only !== undefined) {
  const all = corpus();
  const exact = all.filter((c) => c.name === values.only);
  cases = exact.length > 0 ? exact : all.filter((c) => c.name.includes(values.only!));
} else if (values.group !== undefined) cases = corpus().filter((c) => c.group === values.group);
else cases = [...(values['no-corpus'] ? [] : corpus()), ...mutants(seed, count)];

if (values.list) {
  process.stdout.write(cases.map((c) => `[${c.group}] ${c.name}\n    ${replay(c)}\n`).join(''));
} else if (cases.length === 0) {
  process.stderr.write(`error: no case matches "${values.only}"\nhint: npm run fuzz -- --list shows every case\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await fuzz(cases);
}

/** Run the cases, print failures as they come and the summary; the exit status. */
async function fuzz(cases: FuzzCase[]): Promise<number> {
  const base = mkdtempSync(join(tmpdir(), 'eennc-fuzz-'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killRunning();
      if (!values.keep) rmSync(base, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const started = Date.now();
  let done = 0;
  process.stderr.write(`fuzz: ${cases.length} cases (seed ${seed}), ${jobs} at a time\n`);
  const results: CaseResult[] = await inPool(cases, jobs, async (c) => {
    const r = await runCase(c, base, values.keep);
    done++;
    if (r.problems.length > 0) {
      process.stdout.write(formatFailure(r) + (values.keep ? `\n  sandbox: ${r.root}` : '') + '\n\n');
    } else if (values.keep) {
      process.stdout.write(`held: ${c.name}\n  command: ${r.command}\n  sandbox: ${r.root}\n`);
    }
    if (done % 25 === 0) process.stderr.write(`fuzz: ${done}/${cases.length}\n`);
    return r;
  });
  if (!values.keep) rmSync(base, { recursive: true, force: true });

  const failed = results.filter((r) => r.problems.length > 0);
  const seconds = (Date.now() - started) / 1000;
  const slowest = [...results].sort((a, b) => b.wallMs - a.wallMs)[0]!;
  const biggest = [...results].sort((a, b) => b.peakBytes - a.peakBytes)[0]!;
  process.stdout.write(
    [
      `fuzz: ${results.length} cases in ${seconds.toFixed(0)} s (seed ${seed}): ${results.length - failed.length} held, ${failed.length} failed`,
      `exit statuses: ${exitCounts(results)}`,
      `slowest: ${(slowest.wallMs / 1000).toFixed(1)} s (${slowest.fuzzCase.name}); largest peak memory: ${(biggest.peakBytes / 2 ** 20).toFixed(0)} MB (${biggest.fuzzCase.name})`,
      ...groupFailures(failed).flatMap(([cause, rs]) => [`  ${rs.length} × ${cause}`, ...rs.slice(0, 3).map((r) => `      ${r.fuzzCase.name}`)]),
    ].join('\n') + '\n',
  );
  return failed.length > 0 ? 1 : 0;
}

/** "0 × 12, 1 × 80, 2 × 3": how the cases ended. */
function exitCounts(results: readonly CaseResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(String(r.exitCode ?? 'signal'), (counts.get(String(r.exitCode ?? 'signal')) ?? 0) + 1);
  return [...counts]
    .sort()
    .map(([code, n]) => `${code} × ${n}`)
    .join(', ');
}
