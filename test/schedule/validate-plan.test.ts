// The independent validator (validate-plan.ts): it imports no planner code, and it finds what is wrong in plans
// written by hand, with no planner involved: buffers alive together that share bytes, buffers outside the arena
// or misaligned, a tensor that outlives its buffer.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { MemoryPlan, PlannedBuffer } from '../../src/schedule/plan-types.js';
import { buildSteps } from '../../src/schedule/schedule.js';
import { validatePlan } from '../../src/schedule/validate-plan.js';
import { GraphBuilder } from './graph-builder.js';

/** x -> Tanh a -> Sigmoid b -> Add(a, b): a and b are alive together at step 2. */
function graphOfThree(): { graph: Graph; a: string; b: string; y: string } {
  const g = new GraphBuilder();
  const x = g.input('x', [1, 16]);
  const a = g.op('Tanh', [x], {}, [1, 16]);
  const b = g.op('Sigmoid', [a], {}, [1, 16]);
  const y = g.op('Add', [a, b], {}, [1, 16]);
  return { graph: g.output(y).build(), a, b, y };
}

/** A plan written by hand: a and b in the arena at the given offsets, x and y in the caller's buffers. */
function handPlan(graph: Graph, a: string, b: string, y: string, offsets: [number, number], arenaBytes = 128): MemoryPlan {
  const buffers: PlannedBuffer[] = [
    { id: 0, tensors: ['x'], bytes: 64, firstStep: 0, lastStep: 0, storage: { kind: 'input', index: 0 } },
    { id: 1, tensors: [a], bytes: 64, firstStep: 0, lastStep: 2, storage: { kind: 'arena', offset: offsets[0] } },
    { id: 2, tensors: [b], bytes: 64, firstStep: 1, lastStep: 2, storage: { kind: 'arena', offset: offsets[1] } },
    { id: 3, tensors: [y], bytes: 64, firstStep: 2, lastStep: 3, storage: { kind: 'output', index: 0 } },
  ];
  return {
    steps: buildSteps(graph),
    buffers,
    bufferOf: new Map([
      ['x', 0],
      [a, 1],
      [b, 2],
      [y, 3],
    ]),
    scratchOf: new Map(),
    arenaBytes,
    lowerBoundBytes: 128,
    naiveBytes: 128,
    alignment: 8,
    strategy: 'by hand',
  };
}

describe('validatePlan', () => {
  it("imports nothing of the planner: only the plan's types, the schedule and the kernel facts", () => {
    const source = readFileSync(new URL('../../src/schedule/validate-plan.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const planner of [
      'plan.js',
      'plan-search.js',
      'buffer-sharing.js',
      'buffer-groups.js',
      'lifetimes.js',
      'memory-plan.js',
      'arena-allocator.js',
    ]) {
      expect(imports).not.toContain(`./${planner}`);
    }
  });

  it('accepts a sound plan written by hand', () => {
    const { graph, a, b, y } = graphOfThree();
    expect(validatePlan(handPlan(graph, a, b, y, [0, 64]), graph)).toEqual([]);
  });

  it('finds two buffers alive together that share bytes', () => {
    const { graph, a, b, y } = graphOfThree();
    const problems = validatePlan(handPlan(graph, a, b, y, [0, 32]), graph);
    expect(problems).toEqual([`buffers 1 (${a}) and 2 (${b}) are alive together and share bytes`]);
    // Without the graph, the byte check alone still finds it.
    expect(validatePlan(handPlan(graph, a, b, y, [0, 32]))).toEqual(problems);
  });

  it('finds a buffer outside the arena, or misaligned', () => {
    const { graph, a, b, y } = graphOfThree();
    expect(validatePlan(handPlan(graph, a, b, y, [0, 64], 96), graph).join('\n')).toMatch(/outside the 96-byte arena/);
    expect(validatePlan(handPlan(graph, a, b, y, [0, 68], 136), graph).join('\n')).toMatch(/offset 68 is not aligned to 8/);
  });

  it('finds a tensor read after its buffer ends, from lifetimes it computes itself', () => {
    const { graph, a, b, y } = graphOfThree();
    const plan = handPlan(graph, a, b, y, [0, 64]);
    plan.buffers[1]!.lastStep = 1;
    expect(validatePlan(plan, graph)).toContain(`tensor ${a} lives in steps 0..2 but its buffer 1 only covers 0..1`);
  });
});
