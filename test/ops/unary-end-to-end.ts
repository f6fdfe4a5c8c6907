// One element-wise unary operator end to end, as its own test file states it: the float reference against known
// values and against onnxruntime, a float32 build for the host (gcc -Wall -Wextra -Werror) against the reference,
// and an int8 build (its lookup table) run on the host against the int8 reference bit for bit, on all 256 inputs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { runReference } from '../../src/frontend/reference.js';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runGraph } from '../../src/run-graph.js';
import { loadTarget } from '../../src/target/target.js';
import { compareOutputs, randomValue, runOnHost } from '../codegen/host-run.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

/** Tolerance of float results against the reference and onnxruntime (as test/codegen/operators.test.ts). */
const RTOL = 1e-4;
const ATOL = 1e-5;
/** The input: one row of 256 values, so that the int8 build sees every int8 input once. */
const SHAPE = [1, 256];

export interface UnaryCase {
  op: string;
  /** The opset the graph declares (the operator's first). */
  opset: number;
  attrs?: Record<string, AttrValue>;
  /** [x, f(x)] pairs computed independently of eennc (to float32 precision). */
  known: [number, number][];
  /** The input range of the builds (and of calibration). */
  lo: number;
  hi: number;
  /** The float kernel the float32 build must call. */
  kernel: string;
}

function graphOf(c: UnaryCase): Graph {
  const b = new GraphBuilder(`${c.op.toLowerCase()}_graph`, c.opset);
  const x = b.input('x', SHAPE);
  b.output(b.op(c.op, [x], c.attrs ?? {}));
  return b.build();
}

/** Registers the tests of `c` in a describe block named after the operator. */
export function describeUnary(c: UnaryCase): void {
  const graph = graphOf(c);
  const output = graph.outputs[0]!;
  const input = randomValue(SHAPE, seededRandom(7), c.lo, c.hi);
  const work = mkdtempSync(join(tmpdir(), `eenn-${c.op.toLowerCase()}-`));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe(`${c.op}${c.attrs ? ` ${JSON.stringify(c.attrs)}` : ''}`, () => {
    it('the float reference gives the known values', () => {
      const def = lookupOp(c.op)!;
      const node = graph.nodes[0]!;
      const x: Value = { shape: [c.known.length], dtype: 'float32', data: Float32Array.from(c.known, ([v]) => v) };
      const [y] = def.evaluate(node, [x], c.opset);
      c.known.forEach(([v, want], i) => expect(y!.data[i], `${c.op}(${v})`).toBeCloseTo(Math.fround(want), 6));
    });

    it('the float reference matches onnxruntime', async () => {
      const session = await ort.InferenceSession.create(encodeGraph(graph));
      const result = await session.run({ x: new ort.Tensor('float32', input.data as Float32Array, SHAPE) });
      const want = result[output]!.data as Float32Array;
      const got = runReference(graph, { x: input })[output]!.data as Float32Array;
      const check = compareOutputs(got, want, RTOL, ATOL);
      expect(check.ok, `max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
    });

    it(`a float32 build calls ${c.kernel} and matches the reference`, async () => {
      const [result] = await runOnHost([{ name: c.op.toLowerCase(), graph, inputs: { x: input } }]);
      expect(result!.status).toBe(0);
      expect(result!.emitted.files.get('model.c')).toContain(`${c.kernel}(`);
      const want = runReference(graph, { x: input })[output]!.data as ArrayLike<number>;
      const check = compareOutputs(result!.outputs[0]!, want, RTOL, ATOL);
      expect(check.ok, `max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
    }, 120_000);

    it('an int8 build is a lookup table equal to the int8 reference bit for bit', async () => {
      const steps = 256;
      const sample = Float32Array.from({ length: steps }, (_, i) => c.lo + ((c.hi - c.lo) * i) / (steps - 1));
      const ranges = await calibrate(graph, [sample], { method: 'minmax', workers: 1 });
      const int8 = quantizeGraph(graph, { ranges });
      expect(int8.nodes.map((n) => n.op)).toEqual(['QLut']);
      const all: Value = { shape: SHAPE, dtype: 'int8', data: Int8Array.from({ length: 256 }, (_, i) => i - 128) };
      const want = runInt8Reference(int8, { x: all })[output]!.data as Int8Array;
      const run = await runGraph(int8, { x: all }, loadTarget('host'), join(work, 'int8'), { precision: 'int8' });
      expect(Array.from(run.outputs[0]!)).toEqual(Array.from(want));
      // The table is the operator itself: not constant over the range.
      expect(new Set(want).size).toBeGreaterThan(16);
    }, 120_000);
  });
}
