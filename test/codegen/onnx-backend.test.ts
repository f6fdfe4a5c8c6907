// The ONNX backend test cases through the whole float32 code path: frontend, memory plan, generated C compiled
// with the host gcc (-O2 -Wall -Wextra -Werror -std=c99), run, and compared with the expected outputs shipped
// with the cases (rtol 1e-4, atol 1e-5, the conformance tolerance of the float reference).
//
// Every case whose operators the frontend supports is tried. Inputs that a static build needs as constants
// (and weights that the tests pass as graph inputs) are bound to their values, as a deployed model has them.
// Cases with nothing left to compute at run time, non-float32 inputs/outputs, or an operator form the float
// kernels do not cover are listed in the summary with the reason.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { emitModel } from '../../src/codegen/emit-model.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { listCases, unsupportedOperators } from '../conformance/harness.js';
import { prepareCase, type PreparedCase } from './backend-cases.js';
import { compareOutputs, runOnHost, type HostResult } from './host-run.js';

const RTOL = 1e-4;
const ATOL = 1e-5;

function reasonOf(err: unknown): string {
  if (err instanceof EennError) return (err.details?.[0] ?? err.message).replace(/^node "[^"]*" /, '');
  return err instanceof Error ? err.message : String(err);
}

const ready: PreparedCase[] = [];
const excluded = new Map<string, string[]>();
for (const c of listCases().filter((k) => unsupportedOperators(k).length === 0)) {
  let firstReason: string | undefined;
  try {
    ready.push(
      prepareCase(c, (graph) => {
        try {
          if (graph.inputs.length === 0) throw new EennError({ code: 'E_UNSUPPORTED', message: 'nothing left to compute at run time' });
          // This runner feeds and reads float32 buffers; other element types go through scripts/conformance.ts --c.
          const typed = [...graph.inputs, ...graph.outputs].find((name) => graph.tensors.get(name)!.dtype !== 'float32');
          if (typed !== undefined) {
            throw new EennError({ code: 'E_UNSUPPORTED', message: `model input or output of another type than float32 ("${typed}")` });
          }
          emitModel(graph, planMemory(graph), { modelName: c.name, precision: 'float32' });
        } catch (err) {
          firstReason ??= reasonOf(err);
          throw err;
        }
      }),
    );
  } catch (err) {
    const reason = firstReason ?? reasonOf(err);
    excluded.set(reason, [...(excluded.get(reason) ?? []), c.name]);
  }
}

let results: HostResult[] = [];
let passed = 0;

beforeAll(async () => {
  results = await runOnHost(ready.map((p) => ({ name: p.name, graph: p.graph, inputs: p.inputs })));
}, 600_000);

describe('ONNX backend cases compiled to float32 C (host gcc)', () => {
  it('compiles most of the cases the frontend supports', () => {
    expect(ready.length).toBeGreaterThanOrEqual(495);
  });

  ready.forEach((p, i) => {
    it(p.name, () => {
      const result = results[i]!;
      expect(result.status).toBe(0);
      p.graph.outputs.forEach((name, k) => {
        const check = compareOutputs(result.outputs[k]!, p.expected[k]!.data as ArrayLike<number>, RTOL, ATOL);
        expect(check.ok, `output "${name}": max error ${check.maxError} at element ${check.worstIndex}`).toBe(true);
      });
      passed++;
    });
  });

  afterAll(() => {
    const lines = [`codegen conformance: ${passed} passed / ${ready.length} compiled; not compiled:`];
    for (const [reason, names] of [...excluded].sort((a, b) => b[1].length - a[1].length)) {
      lines.push(`  ${names.length} ${reason} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
});
