// The plan and the split made to agree (src/intermittent/stable.ts): tasks chosen by cost, with the planner keeping
// each task's live-in tensors until its commit (PlanOptions.keepUntil) and running in place only where no task
// re-reads the input; or, where that arena does not fit, tasks that end at the plain plan's hazards.

import { describe, expect, it } from 'vitest';
import {
  INTERMITTENT_SCHEDULE,
  keepUntilOfTasks,
  outOfPlaceNeeded,
  splitTasks,
  splitUntilStable,
  taskHazard,
  type StepFacts,
  type TaskOverheads,
} from '../../src/intermittent/index.js';
import { quantizeModel } from '../../src/compile.js';
import { importModel } from '../../src/frontend/index.js';
import { nodeMacs } from '../../src/ops/macs.js';
import type { Graph } from '../../src/ir/graph.js';
import { planMemory, validatePlan } from '../../src/schedule/memory-plan.js';
import { GraphBuilder } from '../schedule/graph-builder.js';

const overheads: TaskOverheads = { tileCall: 60, resume: 150, commit: 250, perByte: 0 };

/** x -> 12 x (MatMul, Add bias): a chain whose arena ping-pongs between two buffers, the Adds in place. */
function pingPong(): Graph {
  const b = new GraphBuilder('ping_pong');
  let x = b.input('x', [1, 64]);
  for (let i = 0; i < 12; i++) {
    x = b.op('MatMul', [x, b.constant(`w${i}`, [64, 64], new Float32Array(64 * 64))], {}, [1, 64]);
    x = b.op('Add', [x, b.constant(`b${i}`, [64], new Float32Array(64))], {}, [1, 64]);
  }
  b.output(x);
  return b.build();
}

describe('splitUntilStable', () => {
  const graph = pingPong();
  // The first step fills most of a window: the tasks after it start from a live-in input.
  const facts: StepFacts[] = planMemory(graph, INTERMITTENT_SCHEDULE).steps.map((step) => ({
    instructions: step.index === 0 ? 85_000 : step.nodes[0]!.op === 'MatMul' ? 1500 : 100,
  }));

  it('keeps the live-in tensors instead of committing after every step of a ping-pong arena', () => {
    const plain = planMemory(graph, INTERMITTENT_SCHEDULE);
    // Cut at hazards, a task from the second on holds a step or three: the next MatMul writes over its input.
    const cut = splitTasks(plain, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    expect(cut.tasks.length).toBeGreaterThanOrEqual(8);
    const { plan, tasks, keptInputs } = splitUntilStable(graph, {}, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    expect(keptInputs).toBe(true);
    expect(tasks.tasks.length).toBeLessThanOrEqual(3);
    expect(validatePlan(plan, graph)).toEqual([]);
    for (const task of tasks.tasks) expect(taskHazard(plan, task.pieces)).toBeUndefined();
    expect(outOfPlaceNeeded(plan, tasks)).toEqual([]);
    // The task that begins with an Add reads its input from before it: that Add runs out of place. The arena
    // grows by one buffer, the live-in input kept to its task's end.
    expect(tasks.tasks.map((t) => t.pieces[0]!.step)).toEqual([0, 1, 12]);
    expect(tasks.outOfPlace).toEqual(['add_1']);
    expect(plan.arenaBytes).toBeGreaterThan(plain.arenaBytes);
    expect(plan.arenaBytes).toBe(plain.arenaBytes + 256);
    expect([...keepUntilOfTasks(plan, tasks)].every(([name, step]) => plan.buffers[plan.bufferOf.get(name)!]!.lastStep >= step)).toBe(true);
  });

  it('cuts at the hazards instead where the arena may not grow', () => {
    const plain = planMemory(graph, INTERMITTENT_SCHEDULE);
    const result = splitUntilStable(graph, {}, facts, { budget: 100_000, nvm: 'memory-mapped', overheads }, plain.arenaBytes);
    expect(result.keptInputs).toBe(false);
    expect(result.plan.arenaBytes).toBeLessThanOrEqual(plain.arenaBytes);
    for (const task of result.tasks.tasks) expect(taskHazard(result.plan, task.pieces)).toBeUndefined();
    expect(outOfPlaceNeeded(result.plan, result.tasks)).toEqual([]);
    expect(result.tasks.tasks.length).toBeGreaterThan(10);
  });

  it('agrees on the Fashion-MNIST example (float), hooks and memory-mapped', () => {
    const { graph: fmnist } = importModel('examples/fmnist/fmnist_cnn.onnx');
    const steps = planMemory(fmnist, INTERMITTENT_SCHEDULE).steps;
    const heavy: StepFacts[] = steps.map((step) =>
      step.nodes[0]!.op === 'Conv' || step.nodes[0]!.op === 'Gemm'
        ? { instructions: 400_000, tiling: { units: 32, granule: 2 } }
        : { instructions: 20_000 },
    );
    for (const nvm of ['memory-mapped', 'hooks'] as const) {
      const { plan, tasks } = splitUntilStable(fmnist, {}, heavy, {
        budget: 100_000,
        nvm,
        overheads: { ...overheads, perByte: nvm === 'hooks' ? 0.1 : 0 },
      });
      expect(validatePlan(plan, fmnist)).toEqual([]);
      for (const task of tasks.tasks) expect(taskHazard(plan, task.pieces)).toBeUndefined();
      expect(outOfPlaceNeeded(plan, tasks)).toEqual([]);
    }
  });

  it('keeps what tasks that begin inside a step read on ResNet-8 (int8), the residuals included', async () => {
    const model = 'examples/bench/resnet8.onnx';
    const calibration = { path: 'examples/bench/resnet8_inputs.npy', method: 'minmax' as const, count: 2 };
    const graph = await quantizeModel(importModel(model).graph, { model, io: 'int8', calibration });
    const steps = planMemory(graph, INTERMITTENT_SCHEDULE).steps;
    // Costs in proportion to MACs, 12 M instructions in all; every step with MACs cut into 256 units.
    const macs = steps.map((step) => step.nodes.reduce((sum, node) => sum + nodeMacs(graph, node), 0) + 200);
    const all = macs.reduce((a, b) => a + b, 0);
    const facts: StepFacts[] = macs.map((m) => {
      const instructions = Math.round((m / all) * 12e6);
      return instructions > 10_000 ? { instructions, tiling: { units: 256, granule: 1 } } : { instructions };
    });
    const result = splitUntilStable(graph, {}, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    expect(result.keptInputs).toBe(true);
    expect(validatePlan(result.plan, graph)).toEqual([]);
    const midStep = result.tasks.tasks.filter((task) => (task.pieces[0]!.tile?.begin ?? 0) > 0);
    expect(midStep.length).toBeGreaterThan(10);
    for (const task of result.tasks.tasks) expect(taskHazard(result.plan, task.pieces)).toBeUndefined();
    expect(outOfPlaceNeeded(result.plan, result.tasks)).toEqual([]);
    // The residual Adds would run in place over a conv output that a task reads from before it.
    expect(result.tasks.outOfPlace.length).toBeGreaterThan(0);
  }, 30_000);
});
