// What pieces of work and the fixed parts of a task cost, in instructions: each step's cost measured from a traced
// run of the naive split (a commit after every step), a tile's cost from its step's, and the resume, restore,
// commit and save around a task's pieces. Whole instructions throughout, so that sums compare exactly.

import type { StepFacts, TaskOverheads, TaskPlan, TileRange } from './types.js';

/**
 * The instructions of each step, from a traced run of `naive` (naiveTasks: task t runs step t), whose trace gives the
 * instruction counter right after each task's commit. `cumulativeTaskInstructions` holds one count per task, or one
 * more at its front: the counter when task 0 began (after the inference's start and its first commit); without it
 * the counter starts at 0 and step 0 pays for the start. A step costs the difference of the counts around its task
 * less the commit (and, through hooks, the save of the task's live bytes); never below 0.
 */
export function stepCostsFromTrace(naive: TaskPlan, cumulativeTaskInstructions: readonly number[], overheads: TaskOverheads): number[] {
  const tasks = naive.tasks;
  const counts = cumulativeTaskInstructions;
  if (counts.length !== tasks.length && counts.length !== tasks.length + 1) {
    throw new Error(`internal: a trace of ${counts.length} counts for ${tasks.length} tasks`);
  }
  const start = counts.length === tasks.length + 1 ? counts[0]! : 0;
  const after = counts.length === tasks.length + 1 ? counts.slice(1) : counts;
  const costs: number[] = [];
  tasks.forEach((task, t) => {
    const spent = after[t]! - (t === 0 ? start : after[t - 1]!);
    const fixed = overheads.commit + bytesCost(overheads, task.liveBytesAfter);
    const cost = Math.max(0, spent - fixed);
    for (const piece of task.pieces) if (costs[piece.step] === undefined) costs[piece.step] = cost;
  });
  return costs;
}

/**
 * The instructions of a piece of a step: the whole step's measured cost, or for a tile one kernel call's overhead
 * (the step's own StepFacts.tileCall where measured, else TaskOverheads.tileCall) plus the tile's share of the rest
 * (units in proportion), rounded up.
 */
export function pieceInstructions(facts: StepFacts, tile: TileRange | undefined, overheads: Pick<TaskOverheads, 'tileCall'>): number {
  if (!tile || (tile.begin === 0 && tile.end >= tile.units)) return Math.ceil(facts.instructions);
  const call = facts.tileCall ?? overheads.tileCall;
  const share = Math.max(0, facts.instructions - call) * ((tile.end - tile.begin) / tile.units);
  return Math.ceil(call + share);
}

/** Instructions to save or restore `bytes` through the hooks (0 for memory-mapped NVM, whose perByte is 0). */
export function bytesCost(overheads: Pick<TaskOverheads, 'perByte'>, bytes: number): number {
  return Math.ceil(overheads.perByte * bytes);
}

/**
 * Instructions of a whole task in one window: resume, restore of the live bytes at its start, its pieces, the
 * commit and the save of the live bytes at its end. This, at most budget * (1 - INTERMITTENT_MARGIN), is what a
 * task must fit.
 */
export function taskWindowInstructions(overheads: TaskOverheads, restoreBytes: number, pieces: number, saveBytes: number): number {
  return overheads.resume + bytesCost(overheads, restoreBytes) + pieces + overheads.commit + bytesCost(overheads, saveBytes);
}
