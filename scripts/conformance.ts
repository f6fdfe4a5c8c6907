// Runs the ONNX backend conformance cases whose operators eennc supports and prints one line per case
// (pass/fail/skip with the max error). Usage: npx tsx scripts/conformance.ts [filter] [--all]
//   filter: only cases whose name contains it; --all: also list cases with unsupported operators.

import { listCases, runCase, TOLERANCE, toleranceFor, unsupportedOperators } from '../test/conformance/harness.js';

const args = process.argv.slice(2);
const showAll = args.includes('--all');
const filter = args.find((a) => !a.startsWith('--'));

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
