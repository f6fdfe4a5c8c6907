// The cuts of a schedule: only places where one tensor crosses (never inside a residual block), the early exits
// decided before each, a plain model's outputs all on one side, and --cut read as a position, tensor or node.

import { describe, expect, it } from 'vitest';
import { enumerateCuts, resolveCut, cutLabel } from '../../src/devices/cuts.js';
import { attachExits, resolveExits } from '../../src/exits/index.js';
import { importModel } from '../../src/frontend/index.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { decisionSteps } from '../../src/schedule/exits.js';
import { buildSteps } from '../../src/schedule/schedule.js';
import { GraphBuilder } from '../schedule/graph-builder.js';

/** x -> Relu r -> Sigmoid -> Tanh -> Add(., r) -> Relu: a residual block spanning steps 1..3. */
function residualGraph() {
  const b = new GraphBuilder('residual');
  const x = b.input('x', [1, 8]);
  const r = b.op('Relu', [x]);
  const s = b.op('Sigmoid', [r]);
  const t = b.op('Tanh', [s]);
  const sum = b.op('Add', [t, r]);
  b.output(b.op('Relu', [sum]));
  return { graph: b.build(), r, sum };
}

/** The thrown EennError of `work`. */
function errorOf(work: () => unknown): EennError {
  try {
    work();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('enumerateCuts', () => {
  it('cuts a residual graph only where one tensor crosses, never inside the block', () => {
    const { graph, r, sum } = residualGraph();
    const steps = buildSteps(graph);
    expect(steps).toHaveLength(5);
    const cuts = enumerateCuts(graph, steps);
    expect(cuts.map((c) => c.position)).toEqual([0, 1, 4, 5]);
    expect(cuts.map((c) => c.tensor)).toEqual(['x', r, sum, undefined]);
    expect(cuts.map((c) => c.payloadBytes)).toEqual([32, 32, 32, 0]);
    expect(cuts.every((c) => c.nodeExits.length === 0)).toBe(true);
    const names = steps.map((s) => s.nodes[0]!.name);
    expect(cuts.map((c) => cutLabel(c, names))).toEqual(['all on gateway', `after ${names[0]}`, `after ${names[3]}`, 'all on node']);
  });

  it("keeps a plain model's outputs on one side", () => {
    const b = new GraphBuilder('two_outputs');
    const a = b.op('Relu', [b.input('x', [1, 4])]);
    const first = b.op('Sigmoid', [a]);
    const second = b.op('Tanh', [first]);
    const graph = b.output(first).output(second).build();
    const cuts = enumerateCuts(graph, buildSteps(graph));
    // At 2 the first output is made on the node and read by the gateway: no cut.
    expect(cuts.map((c) => c.position)).toEqual([0, 1, 3]);
  });

  it('gives the early exits decided before each cut on the Fashion-MNIST exits example', () => {
    const { graph: imported } = importModel('examples/fmnist_branchy/fmnist_branchy.onnx');
    const graph = attachExits(imported, resolveExits(imported, {}, [])!);
    const steps = buildSteps(graph);
    const decided = decisionSteps(graph, steps);
    expect(decided).toHaveLength(2);
    const cuts = enumerateCuts(graph, steps);
    expect(cuts[0]!.position).toBe(0);
    expect(cuts.at(-1)!.position).toBe(steps.length);
    expect(cuts.at(-1)!.nodeExits).toEqual([0, 1]);
    for (const cut of cuts) {
      expect(cut.nodeExits).toEqual(decided.flatMap((at, e) => (at < cut.position ? [e] : [])));
    }
    // Some cut has the first exit on the node and the second on the gateway.
    expect(cuts.some((c) => c.nodeExits.length === 1 && c.tensor !== undefined)).toBe(true);
    // The tensor the first exit's head reads crosses before the head and after it: --cut by that name asks which.
    const names = steps.map((s) => s.nodes[0]!.name);
    const repeated = cuts.find((c) => c.tensor !== undefined && cuts.filter((d) => d.tensor === c.tensor).length > 1)!;
    const twice = cuts.filter((c) => c.tensor === repeated.tensor);
    expect(twice.map((c) => c.nodeExits.length)).toEqual([0, 1]);
    const err = errorOf(() => resolveCut(twice[0]!.tensor!, cuts, names));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toBe(`--cut ${twice[0]!.tensor}: tensor "${twice[0]!.tensor}" crosses at 2 cuts`);
    expect(err.hint).toBe(
      `give the position instead: ${twice.map((c) => `${c.position} (after ${names[c.position - 1]}, sends ${c.tensor})`).join('; ')}`,
    );
  });
});

describe('resolveCut', () => {
  const { graph, r, sum } = residualGraph();
  const steps = buildSteps(graph);
  const cuts = enumerateCuts(graph, steps);
  const names = steps.map((s) => s.nodes[0]!.name);

  it('takes a position, a crossing tensor or the node a cut follows', () => {
    expect(resolveCut('4', cuts, names).position).toBe(4);
    expect(resolveCut(r, cuts, names).position).toBe(1);
    expect(resolveCut(sum, cuts, names).position).toBe(4);
    expect(resolveCut(names[0]!, cuts, names).position).toBe(1);
    expect(resolveCut('5', cuts, names).tensor).toBeUndefined();
  });

  it('refuses a place inside the block, listing the cuts', () => {
    const err = errorOf(() => resolveCut('2', cuts, names));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('--cut 2');
    expect(err.message).toContain('more than one tensor crosses');
    expect(err.hint).toContain('0 (all on gateway, sends x)');
    expect(err.hint).toContain('5 (all on node, sends nothing)');
    const afterSigmoid = errorOf(() => resolveCut(names[1]!, cuts, names));
    expect(afterSigmoid.message).toContain('position 2');
  });

  it('refuses a position past the end and a name it does not know', () => {
    expect(errorOf(() => resolveCut('9', cuts, names)).message).toContain('past the last step');
    const err = errorOf(() => resolveCut('nothing_here', cuts, names));
    expect(err.code).toBe('E_USAGE');
    expect(err.hint).toContain('1 (after');
  });
});
