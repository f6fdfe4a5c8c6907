// The write-after-read analysis of intermittent tasks (src/intermittent/hazards.ts) and the live sets at cuts
// (live.ts), on real memory plans: a task that would overwrite what it read from before it started is refused, an
// in-place step over a task's live-in input is named for the planner, which then runs it out of place.

import { describe, expect, it } from 'vitest';
import { liveAtCut, liveSets, naiveTasks, outOfPlaceNeeded, splitTasks, taskHazard, type StepFacts } from '../../src/intermittent/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { planMemory, validatePlan, type MemoryPlan } from '../../src/schedule/memory-plan.js';
import { GraphBuilder } from '../schedule/graph-builder.js';

/** x -> MatMul -> a -> MatMul (+Relu) -> b -> MatMul -> c -> MatMul -> output: c goes over a's bytes in the arena. */
function chain(): Graph {
  const b = new GraphBuilder('chain');
  let x = b.input('x', [1, 16]);
  for (let i = 0; i < 4; i++) {
    const w = b.constant(`w${i}`, [16, 16], new Float32Array(256));
    x = b.op('MatMul', [x, w], {}, [1, 16]);
    if (i === 1) x = b.op('Relu', [x], {}, [1, 16]);
  }
  b.output(x);
  return b.build();
}

/** x -> MatMul -> a -> Add bias -> s -> Relu -> r -> MatMul -> output: the Add and the Relu run in place. */
function inPlaceChain(): Graph {
  const b = new GraphBuilder('in_place');
  const x = b.input('x', [1, 16]);
  const a = b.op('MatMul', [x, b.constant('w0', [16, 16], new Float32Array(256))], {}, [1, 16]);
  const s = b.op('Add', [a, b.constant('bias', [16], new Float32Array(16))], {}, [1, 16]);
  const r = b.op('Relu', [s], {}, [1, 16]);
  b.output(b.op('MatMul', [r, b.constant('w1', [16, 16], new Float32Array(256))], {}, [1, 16]));
  return b.build();
}

/** x -> MatMul -> a; a -> MatMul -> b; b -> MatMul -> c; Add(c, a) -> output: a skips two steps. */
function residual(): Graph {
  const b = new GraphBuilder('residual');
  const x = b.input('x', [1, 32]);
  const w = (name: string) => b.constant(name, [32, 32], new Float32Array(1024));
  const a = b.op('MatMul', [x, w('w0')], {}, [1, 32]);
  const h = b.op('MatMul', [a, w('w1')], {}, [1, 32]);
  const c = b.op('MatMul', [h, w('w2')], {}, [1, 32]);
  b.output(b.op('Add', [c, a], {}, [1, 32]));
  return b.build();
}

const shares = (plan: MemoryPlan, a: string, b: string) => plan.bufferOf.get(a) === plan.bufferOf.get(b);
const arenaOffset = (plan: MemoryPlan, tensor: string) => {
  const storage = plan.buffers[plan.bufferOf.get(tensor)!]!.storage;
  return storage.kind === 'arena' ? storage.offset : -1;
};
const overheads = { tileCall: 50, resume: 100, commit: 200, perByte: 0 };

describe('taskHazard', () => {
  const graph = chain();
  const plan = planMemory(graph);

  it('refuses a group whose second step writes over the input the first read from before the task', () => {
    // The arena reuses a's bytes for c once step 1 has read a.
    expect(arenaOffset(plan, 'matmul_0_out')).toBe(arenaOffset(plan, 'matmul_3_out'));
    const hazard = taskHazard(plan, [{ step: 1 }, { step: 2 }]);
    expect(hazard).toMatch(/^step 2 "matmul_3" \(MatMul\) writes arena bytes 0\.\.64 .* which step 1 "matmul_1" read as it was before the task$/);
    // With a's producer in the group, a is the group's own: no hazard.
    expect(taskHazard(plan, [{ step: 0 }, { step: 1 }, { step: 2 }])).toBeUndefined();
    expect(taskHazard(plan, [{ step: 2 }, { step: 3 }])).toBeUndefined();
    // A tile of step 0 leaves a partly as it was: a task from that tile on reads it from before.
    const units = { units: 16 };
    expect(taskHazard(plan, [{ step: 0, tile: { begin: 8, end: 16, ...units } }, { step: 1 }, { step: 2 }])).toMatch(/^step 2 /);
  });

  it('makes the split cut between the two steps instead', () => {
    // Step 0 fills a task alone; without the hazard steps 1-3 would be one task.
    const facts: StepFacts[] = [{ instructions: 80_000 }, { instructions: 3000 }, { instructions: 3000 }, { instructions: 3000 }];
    const tasks = splitTasks(plan, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    expect(tasks.tasks.map((t) => t.pieces.map((p) => p.step))).toEqual([[0], [1], [2, 3]]);
  });
});

describe('outOfPlaceNeeded and PlanOptions.outOfPlace', () => {
  const graph = inPlaceChain();

  it('names the in-place steps whose input is live-in to their task', () => {
    const plan = planMemory(graph);
    expect(shares(plan, 'matmul_0_out', 'add_1_out')).toBe(true);
    expect(shares(plan, 'add_1_out', 'relu_2_out')).toBe(true);
    // A task per step: the Add and the Relu each read an input from an earlier task and write over it.
    expect(outOfPlaceNeeded(plan, naiveTasks(plan))).toEqual(['add_1', 'relu_2']);
    // The Add with its input's producer, the Relu alone: only the Relu.
    const tasks = {
      ...naiveTasks(plan),
      tasks: [[0, 1], [2], [3]].map((steps, index) => ({
        index,
        pieces: steps.map((step) => ({ step })),
        instructions: 0,
        liveAfter: [],
        liveBytesAfter: 0,
      })),
    };
    expect(outOfPlaceNeeded(plan, tasks)).toEqual(['relu_2']);
    // An in-place step is no cut's business: the group of the Relu alone has no hazard.
    expect(taskHazard(plan, [{ step: 2 }])).toBeUndefined();
  });

  it('runs a step named in PlanOptions.outOfPlace out of place, and nothing is left to name', () => {
    const plan = planMemory(graph, { outOfPlace: new Set(['relu_2']) });
    expect(validatePlan(plan, graph)).toEqual([]);
    expect(shares(plan, 'add_1_out', 'relu_2_out')).toBe(false);
    expect(shares(plan, 'matmul_0_out', 'add_1_out')).toBe(true);
    expect(plan.steps[2]!.nodes[0]!.name).toBe('relu_2');
    const all = planMemory(graph, { outOfPlace: new Set(['add_1', 'relu_2']) });
    expect(validatePlan(all, graph)).toEqual([]);
    expect(outOfPlaceNeeded(all, naiveTasks(all))).toEqual([]);
  });
});

describe('live sets', () => {
  it('keeps a residual skip connection live across the cuts it spans', () => {
    const graph = residual();
    const plan = planMemory(graph);
    const a = plan.bufferOf.get('matmul_0_out')!;
    const x = plan.bufferOf.get('x')!;
    const out = plan.bufferOf.get('add_3_out')!;
    const sets = liveSets(plan);
    // The input is captured at the start and live until its one reader.
    expect(sets.before[0]!.buffers).toEqual([x]);
    expect(sets.inside[0]!.buffers).toEqual(expect.arrayContaining([x, a]));
    // a, read by the Add at step 3, stays live at every cut before it, beside the one tensor between the steps.
    expect(sets.before[1]).toEqual({ buffers: [a], bytes: 128 });
    for (const s of [2, 3]) {
      expect(sets.before[s]!.buffers).toContain(a);
      expect(sets.before[s]!.buffers).toHaveLength(2);
      expect(sets.before[s]!.bytes).toBe(256);
    }
    // At the end only the output is live.
    expect(sets.before[4]).toEqual({ buffers: [out], bytes: 128 });
    expect(liveAtCut(plan, 2)).toEqual(sets.before[2]);
    // The split records them at each commit.
    const tasks = naiveTasks(plan);
    expect(tasks.tasks.map((t) => t.liveBytesAfter)).toEqual([128, 256, 256, 128]);
  });
});

describe('early exits', () => {
  it("reads each exit's decision tensor after its step, and nothing else after a step", async () => {
    const { attachExits, resolveExits } = await import('../../src/exits/index.js');
    const { importModel } = await import('../../src/frontend/index.js');
    const { decisionSteps } = await import('../../src/schedule/exits.js');
    const { planAccesses } = await import('../../src/intermittent/index.js');
    const { graph: floatGraph } = importModel('examples/fmnist_branchy/fmnist_branchy.onnx');
    const graph = attachExits(floatGraph, resolveExits(floatGraph, {}, [])!);
    const plan = planMemory(graph, { fusePools: false, fuseConvPairs: false });
    const accesses = planAccesses(plan, graph);
    const decidedAt = decisionSteps(graph, plan.steps);
    const decisions = graph.exits!.decisions;
    expect(decisions.length).toBe(2);
    decisions.forEach((decision, i) => {
      const buffer = plan.bufferOf.get(decision.tensor)!;
      expect(accesses[decidedAt[i]!]!.readsAfter.map((r) => r.buffer)).toContain(buffer);
    });
    // From the graph, the decisions are the only reads after a step.
    expect(accesses.flatMap((a) => a.readsAfter).length).toBe(decisions.length);
    for (const task of naiveTasks(plan).tasks) expect(taskHazard(plan, task.pieces, accesses)).toBeUndefined();
  });
});
