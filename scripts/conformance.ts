// Runs the ONNX backend conformance cases (Debian's libonnx-testdata: node and pytorch-converted suites).
//
//   npx tsx scripts/conformance.ts [filter] [--all]        the TypeScript reference only, one line per case
//   npx tsx scripts/conformance.ts --c [filter] [--jobs N] [--json FILE] [--verbose]
//       every case through the generated C on the host (float32 build, every input fed at run time), then one
//       table: passes through C, passes in the reference only, refusals by reason, wrong answers and crashes.
//       Exits 1 when any case is wrong or crashes.
//       --min-pass SUITE=N (repeatable): also exit 1 when fewer than N cases of SUITE pass through C (CI's floor).
//       --qemu N [--qemu-target T]: also run N of the cases that passed on the host (spread over the suite) on the
//       emulated target T (default cortex-m4) in QEMU, with the same comparison.

import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { listCases, runCase, TOLERANCE, toleranceFor, unsupportedOperators, type ConformanceCase } from '../test/conformance/harness.js';
import { runCaseThroughC, type COutcome } from '../test/conformance/c-harness.js';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const valuesOf = (flag: string): string[] => args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]!] : []));
const flagValues = new Set([valueOf('--jobs'), valueOf('--json'), valueOf('--qemu'), valueOf('--qemu-target'), ...valuesOf('--min-pass')]);
const filter = args.find((a) => !a.startsWith('--') && !flagValues.has(a));

if (args.includes('--c')) await throughC();
else referenceOnly();

function referenceOnly(): void {
  const showAll = args.includes('--all');
  let passed = 0;
  let supported = 0;
  let failed = 0;
  const cases = listCases(filter);
  for (const c of cases) {
    const missing = unsupportedOperators(c);
    if (missing.length > 0) {
      if (showAll) console.log(`----  ${c.suite}/${c.name}: unsupported ${missing.join(', ')}`);
      continue;
    }
    supported++;
    const started = performance.now();
    const outcome = runCase(c);
    const ms = (performance.now() - started).toFixed(0);
    if (outcome.status === 'pass') {
      passed++;
      const bound = outcome.boundInputs ? '  (inputs bound as constants)' : '';
      const tolerance = toleranceFor(c.name);
      const relaxed = tolerance !== TOLERANCE ? `  (rtol ${tolerance.rtol}, atol ${tolerance.atol})` : '';
      console.log(`pass  ${c.suite}/${c.name}  max error ${outcome.maxError.toExponential(2)}  ${ms} ms${bound}${relaxed}`);
    } else if (outcome.status === 'skip') {
      console.log(`skip  ${c.suite}/${c.name}: ${outcome.reason}`);
    } else {
      failed++;
      console.log(`FAIL  ${c.suite}/${c.name}: ${outcome.message}`);
    }
  }
  console.log(`conformance: ${passed} passed / ${supported} with supported operators / ${cases.length} cases (${failed} failed)`);
}

interface Row {
  c: ConformanceCase;
  outcome: COutcome;
  reference: boolean;
}

/** The reason of a refusal, without the case's own names, so that alike refusals count together. */
function reasonKey(outcome: COutcome & { status: 'refused' }): string {
  return `${outcome.code}: ${outcome.reason}`
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\[[^\]]*\]/g, '[…]')
    .replace(/\d+/g, 'N')
    .slice(0, 140);
}

async function throughC(): Promise<void> {
  const cases = listCases(filter);
  const jobs = Math.max(1, Number(valueOf('--jobs') ?? Math.min(4, availableParallelism())));
  const verbose = args.includes('--verbose');
  const rows: Row[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index]!;
      const outcome = await runCaseThroughC(c);
      const reference = unsupportedOperators(c).length === 0 && safeReference(c);
      rows[index] = { c, outcome, reference };
      done++;
      if (verbose || outcome.status === 'wrong' || outcome.status === 'crash') {
        const text = outcome.status === 'pass' ? `max error ${outcome.maxError.toExponential(2)}` : JSON.stringify(outcome).slice(0, 400);
        console.log(`${outcome.status.padEnd(7)} ${c.suite}/${c.name}  ${text}`);
      } else if (done % 100 === 0) {
        process.stderr.write(`conformance: ${done} of ${cases.length} cases\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  const table: string[] = [];
  for (const suite of [...new Set(rows.map((r) => r.c.suite))]) {
    const of = rows.filter((r) => r.c.suite === suite);
    const count = (status: COutcome['status']): number => of.filter((r) => r.outcome.status === status).length;
    const referenceOnly = of.filter((r) => r.outcome.status !== 'pass' && r.reference).length;
    table.push(
      `| ${suite} | ${of.length} | ${count('pass')} | ${referenceOnly} | ${count('refused')} | ${count('skip')} | ${count('wrong')} | ${count('crash')} |`,
    );
  }
  console.log('\n| suite | cases | pass through C | pass in the reference only | refused | element type outside the IR | wrong | crash |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const line of table) console.log(line);

  const reasons = new Map<string, string[]>();
  for (const r of rows) {
    if (r.outcome.status !== 'refused') continue;
    const key = reasonKey(r.outcome);
    reasons.set(key, [...(reasons.get(key) ?? []), r.c.name]);
  }
  console.log('\nrefusals by reason:');
  for (const [key, names] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`${String(names.length).padStart(5)}  ${key}  (e.g. ${names.slice(0, 3).join(', ')})`);
  }
  const bad = rows.filter((r) => r.outcome.status === 'wrong' || r.outcome.status === 'crash');
  for (const r of bad) console.log(`${r.outcome.status.toUpperCase()}  ${r.c.suite}/${r.c.name}: ${JSON.stringify(r.outcome).slice(0, 600)}`);
  const failures: string[] = [];
  for (const floor of valuesOf('--min-pass')) {
    const [suite, n] = floor.split('=');
    const passes = rows.filter((r) => r.c.suite === suite && r.outcome.status === 'pass').length;
    if (!suite || !Number.isInteger(Number(n))) failures.push(`--min-pass ${floor}: expected SUITE=N`);
    else if (passes < Number(n)) failures.push(`${suite}: ${passes} cases pass through C, fewer than the floor of ${n}`);
  }
  const qemuCount = Number(valueOf('--qemu') ?? 0);
  if (qemuCount > 0) {
    const target = valueOf('--qemu-target') ?? 'cortex-m4';
    const passed = rows.filter((r) => r.outcome.status === 'pass');
    const step = Math.max(1, Math.floor(passed.length / qemuCount));
    const sample = passed.filter((_, i) => i % step === 0).slice(0, qemuCount);
    let ok = 0;
    for (const r of sample) {
      const outcome = await runCaseThroughC(r.c, target);
      if (outcome.status === 'pass') ok++;
      else failures.push(`${r.c.suite}/${r.c.name} on ${target}: ${JSON.stringify(outcome).slice(0, 400)}`);
    }
    console.log(`\n${ok} of ${sample.length} host passes also pass in QEMU on ${target}`);
  }
  for (const f of failures) console.log(`FAIL  ${f}`);
  const json = valueOf('--json');
  if (json)
    writeFileSync(
      json,
      JSON.stringify(
        rows.map((r) => ({ suite: r.c.suite, name: r.c.name, reference: r.reference, ...r.outcome })),
        null,
        1,
      ),
    );
  if (bad.length > 0 || failures.length > 0) process.exitCode = 1;
}

function safeReference(c: ConformanceCase): boolean {
  try {
    return runCase(c).status === 'pass';
  } catch {
    return false;
  }
}
