// The split of a planned schedule into intermittent tasks (src/intermittent/split.ts, costs.ts): every task fits its
// window with resume and commit, tiles are whole granules, larger budgets need fewer commits, a piece that cannot
// fit stops the build with the smallest budget that works (and that budget works), hooks-mode NVM prefers cuts with
// few live bytes, and the search stays fast on a long schedule of tiled steps.

import { describe, expect, it } from 'vitest';
import {
  budgetFor,
  PREDICTION_HEADROOM,
  liveSets,
  naiveTasks,
  pieceInstructions,
  splitTasks,
  stepCostsFromTrace,
  taskLimit,
  taskWindowInstructions,
  type StepFacts,
  type TaskOverheads,
  type TaskPlan,
} from '../../src/intermittent/index.js';
import { importModel } from '../../src/frontend/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { planMemory, type MemoryPlan } from '../../src/schedule/memory-plan.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

const overheads: TaskOverheads = { tileCall: 60, resume: 150, commit: 250, perByte: 0 };

/** The float Fashion-MNIST example, planned without fused bands as an intermittent build plans it. */
function fmnistPlan(): MemoryPlan {
  const { graph } = importModel('examples/fmnist/fmnist_cnn.onnx');
  return planMemory(graph, { fusePools: false, fuseConvPairs: false });
}

/** Made-up step costs: Conv and MatMul-like steps 20k to 400k instructions, tiled by output channels (granule 2); others 1k to 30k. */
function factsOf(plan: MemoryPlan, seed = 1): StepFacts[] {
  const random = seededRandom(seed);
  return plan.steps.map((step) =>
    ['Conv', 'Gemm', 'MatMul'].includes(step.nodes[0]!.op)
      ? { instructions: Math.round(20_000 + 380_000 * random()), tiling: { units: 32, granule: 2 } }
      : { instructions: Math.round(1000 + 29_000 * random()) },
  );
}

/** Every step's pieces in order, tiles joined: each step covered exactly once, start to end. */
function expectCovers(plan: MemoryPlan, tasks: TaskPlan, facts: readonly StepFacts[]): void {
  const pieces = tasks.tasks.flatMap((t) => t.pieces);
  let at = 0;
  let unit = 0;
  for (const piece of pieces) {
    expect(piece.step).toBe(at);
    if (!piece.tile) {
      expect(unit).toBe(0);
      at++;
      continue;
    }
    const tiling = facts[piece.step]!.tiling!;
    expect(piece.tile.begin).toBe(unit);
    expect(piece.tile.units).toBe(tiling.units);
    expect(piece.tile.begin % tiling.granule).toBe(0);
    expect(piece.tile.end === tiling.units || piece.tile.end % tiling.granule === 0).toBe(true);
    expect(piece.tile.end).toBeGreaterThan(piece.tile.begin);
    unit = piece.tile.end;
    if (unit === tiling.units) {
      at++;
      unit = 0;
    }
  }
  expect(at).toBe(plan.steps.length);
}

/** Each task's instructions in its window (resume, restore, pieces, commit, save), as the split counts them. */
function windows(plan: MemoryPlan, tasks: TaskPlan): number[] {
  const first = liveSets(plan).before[0]!.bytes;
  const o = tasks.nvm === 'hooks' ? tasks.overheads : { ...tasks.overheads, perByte: 0 };
  return tasks.tasks.map((task, t) =>
    taskWindowInstructions(o, t === 0 ? first : tasks.tasks[t - 1]!.liveBytesAfter, task.instructions, task.liveBytesAfter),
  );
}

describe('splitTasks', () => {
  const plan = fmnistPlan();
  const facts = factsOf(plan);

  it('fits every task in its window, covers every step once, and cuts tiled steps at whole granules', () => {
    for (const budget of [60_000, 100_000, 400_000]) {
      const tasks = splitTasks(plan, facts, { budget, nvm: 'memory-mapped', overheads });
      expectCovers(plan, tasks, facts);
      for (const w of windows(plan, tasks)) expect(w).toBeLessThanOrEqual(taskLimit(budget));
      // Steps over a window are cut into tiles; a tile's cost is its share plus one call's overhead.
      const tiles = tasks.tasks.flatMap((t) => t.pieces).filter((p) => p.tile);
      if (budget === 60_000) expect(tiles.length).toBeGreaterThan(plan.steps.length);
      tasks.tasks.forEach((task) =>
        expect(task.instructions).toBe(task.pieces.reduce((sum, p) => sum + pieceInstructions(facts[p.step]!, p.tile, overheads), 0)),
      );
    }
  });

  it('commits less often as the budget grows', () => {
    const counts = [50_000, 100_000, 200_000, 400_000, 1_600_000].map(
      (budget) => splitTasks(plan, facts, { budget, nvm: 'memory-mapped', overheads }).tasks.length,
    );
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]!);
    expect(counts[counts.length - 1]).toBeLessThan(counts[0]! / 4);
  });

  it('keeps what a run without failures pays for the split within maxOverhead', () => {
    const costly: TaskOverheads = { tileCall: 400, resume: 1500, commit: 600, perByte: 0 };
    const work = facts.reduce((sum, f) => sum + f.instructions, 0);
    const overheadOf = (tasks: TaskPlan) => (tasks.tasks.reduce((sum, t) => sum + t.instructions + costly.commit, 0) - work) / work;
    const free = splitTasks(plan, facts, { budget: 100_000, nvm: 'memory-mapped', overheads: costly, maxOverhead: Infinity });
    const capped = splitTasks(plan, facts, { budget: 100_000, nvm: 'memory-mapped', overheads: costly });
    expect(overheadOf(free)).toBeGreaterThan(0.025);
    expect(overheadOf(capped)).toBeLessThanOrEqual(0.025);
    expect(capped.tasks.length).toBeLessThan(free.tasks.length);
    for (const w of windows(plan, capped)) expect(w).toBeLessThanOrEqual(taskLimit(100_000));
  });

  it('stops with E_BUDGET naming the step and the smallest budget, which then works', () => {
    // One step that cannot be cut, among tiled ones that can.
    const untiled = facts.map((f, s) => (s === 2 ? { instructions: 123_456 } : f));
    const node = plan.steps[2]!.nodes[0]!;
    let error: unknown;
    try {
      splitTasks(plan, untiled, { budget: 100_000, nvm: 'memory-mapped', overheads, budgetText: '--budget 100000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EennError);
    const e = error as EennError;
    const need = 123_456 + overheads.resume + overheads.commit;
    expect(e.code).toBe('E_BUDGET');
    expect(e.node).toEqual({ name: node.name, op: node.op });
    expect(e.message).toBe(
      `step 2 "${node.name}" (${node.op}) cannot be cut and needs ${need} instructions in one window, with the task's resume and commit; --budget 100000 allows 90000 per task`,
    );
    const smallest = budgetFor(need);
    expect(e.hint).toBe(`give --budget ${smallest} or more`);
    expect(taskLimit(smallest)).toBeGreaterThanOrEqual(need);
    expect(taskLimit(smallest - 1)).toBeLessThan(need);
    const tasks = splitTasks(plan, untiled, { budget: smallest, nvm: 'memory-mapped', overheads });
    expectCovers(plan, tasks, untiled);
    expect(Math.max(...windows(plan, tasks))).toBe(need);
    expect(() => splitTasks(plan, untiled, { budget: smallest - 1, nvm: 'memory-mapped', overheads })).toThrow(/step 2 /);
  });

  it('names a tiled step by its granule when one granule cannot fit, and its smallest budget works', () => {
    const heavy = facts.map((f, s) => (s === 0 ? { instructions: 3_200_000, tiling: { units: 32, granule: 2 } } : f));
    const error = (() => {
      try {
        splitTasks(plan, heavy, { budget: 100_000, nvm: 'memory-mapped', overheads });
      } catch (err) {
        return err as EennError;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^step 0 ".*" \(Conv\) cannot be cut below 2 of its 32 units \(one tile\) and needs 200457 instructions/);
    // A tile's needs are predicted: the budget suggested carries PREDICTION_HEADROOM.
    const smallest = budgetFor(Math.ceil(200_457 * PREDICTION_HEADROOM));
    expect(error?.hint).toMatch(new RegExp(`^give --budget ${smallest} or more \\(a tile's needs are predicted`));
    expect(() => splitTasks(plan, heavy, { budget: budgetFor(200_457) - 1, nvm: 'memory-mapped', overheads })).toThrow(/step 0 /);
    const tasks = splitTasks(plan, heavy, { budget: smallest, nvm: 'memory-mapped', overheads });
    expectCovers(plan, tasks, heavy);
    expect(tasks.tasks[0]!.pieces).toEqual([{ step: 0, tile: { begin: 0, end: 2, units: 32 } }]);
  });
});

/** x [1, 1000] -> A (1000 -> 1000) -> B (1000 -> 10) -> C (10 -> 10): 4000 bytes live after A, 40 after B. */
function narrowing(): Graph {
  const b = new GraphBuilder('narrowing');
  const x = b.input('x', [1, 1000]);
  const a = b.op('MatMul', [x, b.constant('wa', [1000, 1000], new Float32Array(1_000_000))], {}, [1, 1000]);
  const h = b.op('MatMul', [a, b.constant('wb', [1000, 10], new Float32Array(10_000))], {}, [1, 10]);
  b.output(b.op('MatMul', [h, b.constant('wc', [10, 10], new Float32Array(100))], {}, [1, 10]));
  return b.build();
}

describe('splitTasks with NVM behind hooks', () => {
  it('prefers cuts with few live bytes where memory-mapped NVM cuts for even tasks', () => {
    const plan = planMemory(narrowing());
    const facts: StepFacts[] = [{ instructions: 40_000 }, { instructions: 12_000 }, { instructions: 38_000 }];
    const cutsOf = (tasks: TaskPlan) => tasks.tasks.slice(0, -1).map((t) => t.pieces[t.pieces.length - 1]!.step);
    const mapped = splitTasks(plan, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    expect(cutsOf(mapped)).toContain(0);
    const hooks = splitTasks(plan, facts, { budget: 100_000, nvm: 'hooks', overheads: { ...overheads, perByte: 2 } });
    expect(cutsOf(hooks)).toEqual([1]);
    expect(hooks.tasks.map((t) => t.liveBytesAfter)).toEqual([40, 40]);
    for (const w of windows(plan, hooks)) expect(w).toBeLessThanOrEqual(taskLimit(100_000));
  });
});

describe('pieceInstructions', () => {
  it("charges a tile one call's overhead and its units' share of the rest, rounded up", () => {
    expect(pieceInstructions({ instructions: 1060 }, undefined, overheads)).toBe(1060);
    expect(pieceInstructions({ instructions: 1060 }, { begin: 0, end: 4, units: 4 }, overheads)).toBe(1060);
    expect(pieceInstructions({ instructions: 1060 }, { begin: 1, end: 2, units: 4 }, overheads)).toBe(60 + 250);
    expect(pieceInstructions({ instructions: 1061 }, { begin: 0, end: 1, units: 4 }, overheads)).toBe(60 + 251);
    // A step's own measured call overhead comes first.
    expect(pieceInstructions({ instructions: 1060, tileCall: 260 }, { begin: 1, end: 2, units: 4 }, overheads)).toBe(260 + 200);
  });
});

describe('stepCostsFromTrace', () => {
  it('takes each step as the difference of the counts around its task less the commit', () => {
    const plan = planMemory(narrowing());
    const naive = naiveTasks(plan);
    expect(naive.tasks.map((t) => t.pieces)).toEqual([[{ step: 0 }], [{ step: 1 }], [{ step: 2 }]]);
    expect(stepCostsFromTrace(naive, [1250, 3250, 3750], overheads)).toEqual([1000, 1750, 250]);
    // With the count at the start of task 0 in front.
    expect(stepCostsFromTrace(naive, [500, 1250, 3250, 3750], overheads)).toEqual([500, 1750, 250]);
    // Through hooks the commit saves the task's live bytes too.
    expect(stepCostsFromTrace(naive, [9250, 11_250, 11_830], { ...overheads, perByte: 2 })).toEqual([1000, 1670, 250]);
  });
});

describe('the search', () => {
  it('splits 500 steps of 100 granules each in a few seconds', () => {
    const b = new GraphBuilder('long');
    let x = b.input('x', [1, 64]);
    const w = b.constant('w', [64, 64], new Float32Array(64 * 64));
    for (let i = 0; i < 500; i++) x = b.op('MatMul', [x, w], {}, [1, 64]);
    b.output(x);
    const plan = planMemory(b.build());
    const random = seededRandom(5);
    const facts = plan.steps.map(() => ({ instructions: Math.round(10_000 + 290_000 * random()), tiling: { units: 100, granule: 1 } }));
    const started = performance.now();
    const tasks = splitTasks(plan, facts, { budget: 100_000, nvm: 'memory-mapped', overheads });
    const seconds = (performance.now() - started) / 1000;
    expectCovers(plan, tasks, facts);
    for (const w of windows(plan, tasks)) expect(w).toBeLessThanOrEqual(taskLimit(100_000));
    expect(seconds).toBeLessThan(10);
  });
});
