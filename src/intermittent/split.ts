// The split of a planned schedule into tasks, each run between two commits within one power-on window: whole steps
// where they fit, tiles of a step's kernel call (whole granules of its tiler's axis) where they do not, and no task
// that writes over what it read from before it started (hazards.ts). Dynamic programming over the cut positions.

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { MemoryPlan } from '../schedule/plan-types.js';
import { planAccesses } from './accesses.js';
import { bytesCost, pieceInstructions, taskWindowInstructions } from './costs.js';
import { TaskWalk } from './hazards.js';
import { liveSets, type LiveSet, type LiveSets } from './live.js';
import {
  INTERMITTENT_MARGIN,
  type NvmKind,
  type Piece,
  type StepFacts,
  type Task,
  type TaskOverheads,
  type TaskPlan,
  type TileRange,
} from './types.js';

export interface SplitOptions {
  /** Instructions per power-on window. */
  budget: number;
  nvm: NvmKind;
  overheads: TaskOverheads;
  /** How the budget was given, for messages (IntermittentOptions.budgetText); default "--budget N". */
  budgetText?: string;
  /** The node names the plan was made to run out of place (PlanOptions.outOfPlace), recorded in the TaskPlan. */
  outOfPlace?: readonly string[];
  /**
   * 'cut' (default): no task has a write-after-read hazard in this plan (tasks end where one would begin).
   * 'ignore': tasks by cost alone, for a plan made again with keepUntilOfTasks and outOfPlaceNeeded of the result,
   * in which they have none (splitWithPlanner).
   */
  hazards?: 'cut' | 'ignore';
  /**
   * The mean power-on window in budgets (default MEAN_WINDOW_BUDGETS): how often the split expects a failure. A
   * larger value makes tasks longer (fewer commits, more lost on each failure).
   */
  meanWindowBudgets?: number;
  /**
   * The most a run without failures may pay for the split, as a share of the steps' instructions (commits, saves
   * and extra tiles' calls; default MAX_OVERHEAD): where the expected re-execution alone would cut finer, tasks are
   * made longer.
   */
  maxOverhead?: number;
  /** The graph the plan was made for: the reads of early exits' decisions, exactly (planAccesses). */
  graph?: Graph;
}

/**
 * Cuts inside a tiled step fall on whole chunks of granules, each chunk at least 1/CUT_RESOLUTION of a task's limit
 * (or one granule): finer cuts would pack tasks no better than by that share, and would make the search slower in
 * proportion (a step of a hundred cheap granules needs no hundred cut positions).
 */
const CUT_RESOLUTION = 64;

/**
 * A power failure strikes, on average, once per mean window: windows are at least the budget, and about 3 budgets
 * long on average (the bars draw them between 1 and 5 budgets). SplitOptions.meanWindowBudgets overrides it.
 */
export const MEAN_WINDOW_BUDGETS = 3;

/**
 * The share of the steps' instructions a run without failures may pay for commits, saves and extra tiles' calls.
 * The bar is 5% over a plain build, which also has the fused pool and residual steps an intermittent build leaves
 * out, a resume and the capture of the inputs.
 */
export const MAX_OVERHEAD = 0.025;

/** Times the split doubles the mean window it expects to bring a run without failures within MAX_OVERHEAD. */
const OVERHEAD_ROUNDS = 8;

/** The instructions a task (with its resume, restores, commit and saves) may take in a window of `budget`. */
export function taskLimit(budget: number): number {
  return Math.floor(budget * (1 - INTERMITTENT_MARGIN));
}

/**
 * What a predicted piece may cost beyond its prediction once built: a tile's cost is predicted as its share of the
 * step plus one call's overhead, but tiles at the border of an image cost more than those inside (their im2col
 * columns are copied tap by tap; on the Fashion-MNIST CNN's second convolution a one-pair tile measured 20% over its
 * share). The budget an E_BUDGET error suggests before anything is measured carries this headroom, so that it works.
 */
export const PREDICTION_HEADROOM = 1.25;

/** The same headroom once the step's tiles were measured (StepFacts.tileCall): their spread around the mean. */
export const MEASURED_TILE_HEADROOM = 1.05;

/** The smallest budget whose taskLimit is at least `instructions`. */
export function budgetFor(instructions: number): number {
  let budget = Math.ceil(instructions / (1 - INTERMITTENT_MARGIN));
  while (taskLimit(budget) < instructions) budget++;
  return budget;
}

/**
 * One task per step, no tiles: the split the step costs are measured with (a commit after every step,
 * stepCostsFromTrace) and the naive baseline (checkpoint every step, re-run the whole step after a failure).
 * `facts` give the tasks' predicted instructions (0 without them).
 */
export function naiveTasks(plan: MemoryPlan, facts?: readonly StepFacts[], options: Partial<SplitOptions> = {}): TaskPlan {
  const sets = liveSets(plan);
  const tasks: Task[] = plan.steps.map((step) => {
    const live = sets.before[step.index + 1]!;
    return {
      index: step.index,
      pieces: [{ step: step.index }],
      instructions: Math.ceil(facts?.[step.index]?.instructions ?? 0),
      liveAfter: live.buffers,
      liveBytesAfter: live.bytes,
    };
  });
  return {
    budget: options.budget ?? 0,
    nvm: options.nvm ?? 'memory-mapped',
    tasks,
    overheads: options.overheads ?? { tileCall: 0, resume: 0, commit: 0, perByte: 0 },
    outOfPlace: [...(options.outOfPlace ?? [])],
  };
}

/** Where tasks may begin and end: before a step (unit 0), or inside a tiled step after `unit` of its units. */
interface Cuts {
  step: Int32Array;
  unit: Int32Array;
  /** Units of each step along its tiler's axis (1 for a step that runs whole). */
  units: number[];
}

/**
 * The tasks of `plan`, whose steps have the measured `facts`, for windows of `options.budget` instructions.
 *
 * Each task fits: resume + restore (live bytes at its start, hooks only) + its pieces + commit + save (live bytes at
 * its end, hooks only) <= taskLimit(budget); and no piece of it writes over bytes that an earlier piece read from
 * before the task (TaskWalk). A step with `tiling` may be cut at chunks of whole granules; the granules of one step
 * in one task are one tile (one kernel call, TaskOverheads.tileCall once).
 *
 * The objective, minimised over the cut positions by dynamic programming: the sum over tasks of
 *   pieces + commit + perByte * saved bytes  +  len^2 / (2 * MEAN_WINDOW_BUDGETS * budget),
 * len the task's instructions in its window. The first part is what every run pays (the pieces sum to the steps'
 * cost plus one kernel call's overhead per extra tile; few commits, and through hooks few live bytes at each); the
 * second is the expected re-execution: a task of len instructions meets a failure with probability about
 * len / (3 * budget) and then loses about len / 2. Without it the fewest, longest tasks would win, and every failure
 * would lose most of a window.
 *
 * Throws E_BUDGET when one indivisible piece (a step that cannot be cut, or one granule of a tiled step) with its
 * task's fixed costs does not fit, naming the step and the smallest budget that fits every such piece.
 */
export function splitTasks(plan: MemoryPlan, facts: readonly StepFacts[], options: SplitOptions): TaskPlan {
  const n = plan.steps.length;
  if (facts.length !== n) throw new Error(`internal: ${facts.length} step facts for ${n} steps`);
  const overheads: TaskOverheads = options.nvm === 'hooks' ? options.overheads : { ...options.overheads, perByte: 0 };
  const limit = taskLimit(options.budget);
  const sets = liveSets(plan);
  checkPiecesFit(plan, facts, overheads, sets, options);
  const cuts = cutPositions(facts, overheads, sets, limit);
  const accesses = planAccesses(plan, options.graph);
  const cutAtHazards = options.hazards !== 'ignore';

  const positions = cuts.step.length; // the last is the end of the inference
  const liveAt = (p: number): LiveSet => (cuts.unit[p]! > 0 ? sets.inside[cuts.step[p]!]! : sets.before[cuts.step[p]!]!);

  /** The cut positions of the best split for a mean window of `meanWindowBudgets`, from 0 to the end. */
  const search = (meanWindowBudgets: number): number[] => {
    const best = new Float64Array(positions).fill(Infinity);
    const from = new Int32Array(positions).fill(-1);
    best[0] = 0;
    const reExecution = 2 * meanWindowBudgets * options.budget;
    for (let q = 0; q < positions - 1; q++) {
      if (best[q] === Infinity) continue;
      const walk = new TaskWalk(accesses);
      const fixed = overheads.resume + bytesCost(overheads, liveAt(q).bytes) + overheads.commit;
      let step = cuts.step[q]!;
      let begin = cuts.unit[q]!;
      walk.enter(step); // one piece alone never has a hazard
      let done = 0;
      for (let p = q + 1; p < positions; p++) {
        const s = cuts.step[p - 1]!;
        if (s !== step) {
          step = s;
          begin = 0;
          if (cutAtHazards && walk.enter(s) !== undefined) break; // and every longer task has it too
        }
        const ends = cuts.step[p] !== s;
        const piece = pieceInstructions(facts[s]!, tileOf(begin, ends ? cuts.units[s]! : cuts.unit[p]!, cuts.units[s]!), overheads);
        if (fixed + done + piece > limit) break;
        const save = bytesCost(overheads, liveAt(p).bytes);
        const len = fixed + done + piece + save;
        if (len <= limit) {
          const cost = best[q]! + done + piece + overheads.commit + save + (len * len) / reExecution;
          if (cost < best[p]!) {
            best[p] = cost;
            from[p] = q;
          }
        }
        if (ends) {
          walk.leave(s, begin === 0);
          done += piece;
        }
      }
    }
    if (best[positions - 1] === Infinity) throw new Error('internal: no split into tasks although every piece fits alone');
    const bounds: number[] = [];
    for (let p = positions - 1; p > 0; p = from[p]!) bounds.push(p);
    bounds.push(0);
    return bounds.reverse();
  };

  // What a split costs a run without failures, beside the steps themselves: commits, saves, extra tiles' calls.
  const work = facts.reduce((sum, f) => sum + Math.ceil(f.instructions), 0);
  const overheadOf = (bounds: number[]): number => {
    let extra = 0;
    for (let t = 0; t + 1 < bounds.length; t++) {
      const pieces = piecesBetween(cuts, bounds[t]!, bounds[t + 1]!);
      extra += overheads.commit + bytesCost(overheads, liveAt(bounds[t + 1]!).bytes);
      extra += pieces.reduce((sum, piece) => sum + pieceInstructions(facts[piece.step]!, piece.tile, overheads), 0);
    }
    return work > 0 ? (extra - work) / work : 0;
  };
  // The expected re-execution alone would make tasks as short as a commit is worth; where that costs a run without
  // failures more than maxOverhead, the split expects failures less often (longer tasks) until it does not, or
  // until the tasks grow no longer.
  let meanWindow = options.meanWindowBudgets ?? MEAN_WINDOW_BUDGETS;
  let bounds = search(meanWindow);
  const cap = options.maxOverhead ?? MAX_OVERHEAD;
  for (let i = 0; i < OVERHEAD_ROUNDS && overheadOf(bounds) > cap; i++) {
    meanWindow *= 2;
    const longer = search(meanWindow);
    if (longer.length >= bounds.length) break;
    bounds = longer;
  }
  const tasks: Task[] = [];
  for (let t = 0; t + 1 < bounds.length; t++) {
    const q = bounds[t]!;
    const p = bounds[t + 1]!;
    const pieces = piecesBetween(cuts, q, p);
    const live = liveAt(p);
    tasks.push({
      index: t,
      pieces,
      instructions: pieces.reduce((sum, piece) => sum + pieceInstructions(facts[piece.step]!, piece.tile, overheads), 0),
      liveAfter: live.buffers,
      liveBytesAfter: live.bytes,
    });
  }
  return { budget: options.budget, nvm: options.nvm, tasks, overheads: options.overheads, outOfPlace: [...(options.outOfPlace ?? [])] };
}

/** Units [begin, end) of a step of `units`: undefined for the whole step. */
function tileOf(begin: number, end: number, units: number): TileRange | undefined {
  return begin === 0 && end >= units ? undefined : { begin, end, units };
}

/** The pieces from cut position q to cut position p. */
function piecesBetween(cuts: Cuts, q: number, p: number): Piece[] {
  const pieces: Piece[] = [];
  const last = cuts.unit[p]! > 0 ? cuts.step[p]! : cuts.step[p]! - 1;
  for (let s = cuts.step[q]!; s <= last; s++) {
    const units = cuts.units[s]!;
    const begin = s === cuts.step[q] ? cuts.unit[q]! : 0;
    const end = s === cuts.step[p] ? cuts.unit[p]! : units;
    const tile = tileOf(begin, end, units);
    pieces.push(tile ? { step: s, tile } : { step: s });
  }
  return pieces;
}

/** Units of a step along its tiler's axis when it may be cut (more than one granule), else undefined. */
function tiledUnits(facts: StepFacts): { units: number; granule: number } | undefined {
  const tiling = facts.tiling;
  if (!tiling || tiling.units <= 1 || tiling.granule < 1 || tiling.granule >= tiling.units) return undefined;
  return tiling;
}

/** The fixed costs of a window around a piece of step s: resume, commit, and the largest restore and save around it. */
function worstFixed(overheads: TaskOverheads, sets: LiveSets, s: number, tiled: boolean): number {
  const restore = tiled ? Math.max(sets.before[s]!.bytes, sets.inside[s]!.bytes) : sets.before[s]!.bytes;
  const save = tiled ? Math.max(sets.inside[s]!.bytes, sets.before[s + 1]!.bytes) : sets.before[s + 1]!.bytes;
  return taskWindowInstructions(overheads, restore, 0, save);
}

/** The cut positions: before every step, inside tiled steps at chunks of granules that fit a task alone, and the end. */
function cutPositions(facts: readonly StepFacts[], overheads: TaskOverheads, sets: LiveSets, limit: number): Cuts {
  const steps: number[] = [];
  const units: number[] = [];
  const at: number[] = [];
  facts.forEach((f, s) => {
    steps.push(s);
    at.push(0);
    const tiling = tiledUnits(f);
    units.push(tiling?.units ?? 1);
    if (!tiling) return;
    const call = f.tileCall ?? overheads.tileCall;
    const perGranule = (Math.max(0, f.instructions - call) * tiling.granule) / tiling.units;
    if (perGranule <= 0) return;
    let granules = Math.max(1, Math.ceil(limit / CUT_RESOLUTION / perGranule));
    // A chunk must fit a task alone (checkPiecesFit made sure one granule does).
    const room = limit - worstFixed(overheads, sets, s, true) - call;
    granules = Math.max(1, Math.min(granules, Math.floor((room - 1) / perGranule)));
    const chunk = granules * tiling.granule;
    for (let unit = chunk; unit < tiling.units; unit += chunk) {
      steps.push(s);
      at.push(unit);
    }
  });
  steps.push(facts.length);
  at.push(0);
  return { step: Int32Array.from(steps), unit: Int32Array.from(at), units };
}

/** E_BUDGET when the largest indivisible piece, with its window's fixed costs, does not fit taskLimit(budget). */
function checkPiecesFit(plan: MemoryPlan, facts: readonly StepFacts[], overheads: TaskOverheads, sets: LiveSets, options: SplitOptions): void {
  const limit = taskLimit(options.budget);
  let worst: { step: number; need: number; granule?: { units: number; axisUnits: number } } | undefined;
  facts.forEach((f, s) => {
    const whole = worstFixed(overheads, sets, s, false) + pieceInstructions(f, undefined, overheads);
    const tiling = tiledUnits(f);
    let need = whole;
    let granule: { units: number; axisUnits: number } | undefined;
    if (tiling) {
      const tile = { begin: 0, end: tiling.granule, units: tiling.units };
      const tiled = worstFixed(overheads, sets, s, true) + pieceInstructions(f, tile, overheads);
      if (tiled < whole) {
        need = tiled;
        granule = { units: tiling.granule, axisUnits: tiling.units };
      }
    }
    if (!worst || need > worst.need) worst = { step: s, need, ...(granule ? { granule } : {}) };
  });
  if (!worst || worst.need <= limit) return;
  const { step, need, granule } = worst;
  const node = plan.steps[step]!.nodes[0]!;
  const budgetText = options.budgetText ?? `--budget ${options.budget}`;
  const piece = granule ? `cannot be cut below ${granule.units} of its ${granule.axisUnits} units (one tile) and` : 'cannot be cut and';
  throw new EennError({
    code: 'E_BUDGET',
    node: { name: node.name, op: node.op },
    message:
      `step ${step} "${node.name}" (${node.op}) ${piece} needs ${need} instructions in one window, with the task's resume and commit; ` +
      `${budgetText} allows ${limit} per task`,
    hint: granule
      ? `give --budget ${budgetFor(Math.ceil(need * (facts[step]!.tileCall === undefined ? PREDICTION_HEADROOM : MEASURED_TILE_HEADROOM)))} or more ` +
        `(a tile's needs are predicted from its step's measured cost, and a tile at the border of the image costs more than its share)`
      : `give --budget ${budgetFor(need)} or more`,
  });
}

/** The instructions of a task in its window (resume, restore, pieces, commit, save), as the split weighed it. */
export function taskWindowCost(plan: TaskPlan, task: Task, restoreBytes: number): number {
  const overheads = plan.nvm === 'hooks' ? plan.overheads : { ...plan.overheads, perByte: 0 };
  return taskWindowInstructions(overheads, restoreBytes, task.instructions, task.liveBytesAfter);
}
