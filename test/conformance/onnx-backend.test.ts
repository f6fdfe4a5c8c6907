// ONNX backend conformance: every case of the node and pytorch-converted suites whose operators eennc supports
// goes through load → shapes → fold → float reference and must match the expected outputs (rtol 1e-4, atol 1e-5).

import { afterAll, describe, expect, it } from 'vitest';
import { listCases, runCase, unsupportedOperators, type ConformanceCase } from './harness.js';

/**
 * Cases that fail for a real limitation of eennc, with the reason. They still run: each must keep failing,
 * so an entry that starts passing is noticed and removed.
 */
const KNOWN_EXCEPTIONS: { cases: RegExp; reason: string }[] = [
  // The backend tests name the element type they exercise.
  { cases: /float16|FLOAT16|BFLOAT16/, reason: 'float16 and bfloat16 tensors are not in the IR' },
  { cases: /STRING|^test_strnormalizer/, reason: 'string tensors are not in the IR' },
  { cases: /uint(32|64)$/, reason: 'uint32/64 tensors are not in the IR' },
  { cases: /^test_(identity|if|loop\d+)_(opt|seq|sequence)|^test_(sequence|optional)_/, reason: 'sequence and optional types are not supported' },
  { cases: /^test_batchnorm_.*_training_mode$/, reason: 'training-mode BatchNormalization (batch statistics) is not supported' },
  { cases: /^test_training_dropout(_default)?(_mask)?$/, reason: 'training-mode Dropout (random) is not supported' },
];

function knownException(c: ConformanceCase): string | undefined {
  return KNOWN_EXCEPTIONS.find((e) => e.cases.test(c.name))?.reason;
}

const all = listCases();
const supported = all.filter((c) => unsupportedOperators(c).length === 0);
let passed = 0;

describe('ONNX backend conformance', () => {
  it('finds the ONNX backend test data', () => {
    expect(all.length).toBeGreaterThan(500);
  });

  for (const c of supported) {
    const reason = knownException(c);
    if (reason) {
      it(`${c.name} (known exception: ${reason})`, () => {
        const outcome = runCase(c);
        expect(outcome.status, 'this case passes now: remove it from KNOWN_EXCEPTIONS').not.toBe('pass');
      });
      continue;
    }
    it(c.name, () => {
      const outcome = runCase(c);
      if (outcome.status !== 'pass') {
        expect.fail(outcome.status === 'fail' ? outcome.message : `skipped without a known exception: ${outcome.reason}`);
      }
      passed++;
    });
  }

  afterAll(() => {
    process.stdout.write(`conformance: ${passed} passed / ${supported.length} with supported operators / ${all.length} cases\n`);
  });
});
