// The int8 fully connected kernel (eenn_fc_s8.c) on every code path: one graph of QGemm layers whose shapes reach
// each loop of its grouped weight layout (groups of 4 rows, a last group of 2 and of 1, whole steps of 4 input
// values and the last 1 to 3, MVE's whole chunks of 16 and its predicated last chunk, rows of several inputs at odd
// offsets, no bias, the exact output stage), built for the host, Armv6-M, Armv7-M (the portable loops), Armv7E-M
// with DSP and Armv8.1-M with MVE. Every output must equal the int8 reference bit for bit.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { fcGroups, fcRowBytes, packFcWeights } from '../../src/kernels/fc-s8.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { expectBitExact } from './bit-exact.js';
import { runInt8Model, type Int8Run } from './int8-run.js';

/** Model output -> what it covers. */
const covers = new Map<string, string>();

function buildGraph(rand: () => number): Graph {
  const q = new Int8GraphBuilder('int8_fc_kernels', rand);
  const out = (name: string, what: string) => {
    q.output(name);
    covers.set(name, what);
  };
  const one = q.input('one', [1, 1]);
  const three = q.input('three', [1, 3]);
  const seventeen = q.input('seventeen', [1, 17]);
  const wide = q.input('wide', [1, 256]);
  const cnn = q.input('cnn', [1, 3136]);
  const rows = q.input('rows', [3, 37]);
  const batch = q.input('batch', [2, 3, 16]);

  out(q.gemm(one, 3), '1 input: no whole step, groups of 2 and 1');
  out(q.gemm(three, 2), '3 inputs: one group of 2, the last values only');
  out(q.gemm(three, 5), '3 inputs, 5 features: a group of 4 and a lone row');
  for (let n = 1; n <= 10; n++) out(q.gemm(seventeen, n), `17 inputs, ${n} feature${n === 1 ? '' : 's'}`);
  out(q.gemm(wide, 13), '256 inputs, 13 features: whole chunks, 3 groups of 4 and a lone row');
  out(q.gemm(wide, 33, { bias: false }), '256 inputs, 33 features, no bias (NULL)');
  out(q.gemm(cnn, 10), '3136 inputs, 10 features: the last layer of a small CNN');
  out(q.gemm(cnn, 7), '3136 inputs, 7 features: groups of 4, 2 and 1');
  out(q.gemm(rows, 9), '3 rows of 37 inputs (rows at odd offsets), 9 features');
  out(q.gemm(batch, 6), '[2, 3, 16] rows, 6 features');
  const exact = q.gemm(seventeen, 6);
  out(exact, 'a bias beyond 2^29 in one feature: the exact output stage for the layer');
  const graph = q.build();
  const node = graph.nodes.find((n) => n.outputs[0] === exact)!;
  (graph.tensors.get(node.inputs[2]!)!.data as Int32Array)[1] = 600_000_000;
  return graph;
}

const rand = seededRandom(31);
const graph = buildGraph(rand);
const inputs: Record<string, Value> = randomInputs(graph, rand);
const expected = runInt8Reference(graph, inputs);
const work = mkdtempSync(join(tmpdir(), 'eenn-int8-fc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function checkOutputs(run: Int8Run): void {
  expectBitExact(
    graph.outputs,
    run.outputs,
    (name) => expected[name]!.data,
    (name) => covers.get(name),
  );
}

describe('the grouped weight layout of eenn_fc_s8 (packFcWeights)', () => {
  /** Rows [outFeatures, inFeatures] whose value k of row m is (40 m + k) mod 128. */
  const rows = (outFeatures: number, inFeatures: number) =>
    Int8Array.from({ length: outFeatures * inFeatures }, (_, i) => (Math.floor(i / inFeatures) * 40 + (i % inFeatures)) % 128);
  const value = (m: number, k: number) => (m * 40 + k) % 128;

  it('groups features by 4, then 2, then 1', () => {
    expect(fcGroups(1)).toEqual([1]);
    expect(fcGroups(7)).toEqual([4, 2, 1]);
    expect(fcGroups(10)).toEqual([4, 4, 2]);
    expect(fcGroups(13)).toEqual([4, 4, 4, 1]);
  });

  it('interleaves the rows of a group word by word, rows padded with zeros to a multiple of 4 values', () => {
    const inFeatures = 6;
    expect(fcRowBytes(inFeatures)).toBe(8);
    const packed = packFcWeights(rows(7, inFeatures), 7, inFeatures);
    expect(packed.length).toBe(7 * 8);
    const word = (m: number, k: number) => [0, 1, 2, 3].map((t) => (k + t < inFeatures ? value(m, k + t) : 0));
    const group = (first: number, size: number) => [0, 4].flatMap((k) => Array.from({ length: size }, (_, j) => word(first + j, k)).flat());
    expect(Array.from(packed)).toEqual([...group(0, 4), ...group(4, 2), ...group(6, 1)]);
  });
});

describe('int8 fully connected kernel against the int8 reference', () => {
  it('covers varied outputs (not saturated, not constant)', () => {
    for (const name of graph.outputs) {
      if (expected[name]!.data.length >= 5) expect(new Set(expected[name]!.data).size, covers.get(name)).toBeGreaterThan(2);
    }
  });

  for (const targetName of ['host', 'cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m55']) {
    it(`${targetName}: every layer bit-exact`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, targetName));
      expect(run.emitted.files.get('model.c')).toContain('eenn_fc_s8(');
      checkOutputs(run);
    }, 120_000);
  }
});
