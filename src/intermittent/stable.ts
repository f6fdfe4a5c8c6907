// The plan and the split made to agree. First the tasks are chosen by cost alone; the planner is then asked to keep
// each task's live-in tensors until the task ends (PlanOptions.keepUntil) and to run out of place the in-place steps
// whose input is live-in to their task (PlanOptions.outOfPlace), so that no task writes over what it read from
// before it. Where that arena does not fit the room given, tasks end at the hazards of the plain plan instead.
// The steps stay the same throughout (only buffers move), so the step facts measured once still hold.

import type { Graph } from '../ir/graph.js';
import { planMemory } from '../schedule/memory-plan.js';
import type { MemoryPlan, PlanOptions } from '../schedule/plan-types.js';
import type { ScheduleOptions } from '../schedule/schedule.js';
import { planAccesses } from './accesses.js';
import { keepUntilOfTasks, outOfPlaceNeeded, taskHazard } from './hazards.js';
import { liveAfterPiece, liveSets } from './live.js';
import { splitTasks, taskLimit, taskWindowCost, type SplitOptions } from './split.js';
import type { StepFacts, TaskPlan } from './types.js';

/**
 * The schedule options of an intermittent build: no fused pool or residual steps and no depth-first float Conv
 * pairs, whose bands write over what the same step still reads (no cut can make such a step safe to re-run).
 */
export const INTERMITTENT_SCHEDULE: Readonly<ScheduleOptions> = { fusePools: false, fuseConvPairs: false };

/** What the split asks of the planner: PlanOptions.outOfPlace and PlanOptions.keepUntil. */
export interface PlanChoices {
  outOfPlace: ReadonlySet<string>;
  keepUntil: ReadonlyMap<string, number>;
}

/** The agreed plan and tasks; `keptInputs` says whether the tasks were chosen by cost (true) or cut at hazards. */
export interface PlannedTasks {
  plan: MemoryPlan;
  tasks: TaskPlan;
  keptInputs: boolean;
}

/** Rounds of planning again before giving up on keeping inputs (each adds steps out of place or tensors kept). */
const KEEP_ROUNDS = 4;

/**
 * Plan with `planFor` and split into tasks for the steps' `facts`. Tasks chosen by cost alone, with the plan made to
 * keep their live-in tensors, when that plan's arena is at most `arenaRoom` bytes; else tasks that end where a
 * hazard of the plan would begin. Either way no task has a hazard in the plan returned, and no in-place step reads
 * a live-in input.
 */
export function splitWithPlanner(
  planFor: (choices: PlanChoices) => MemoryPlan,
  facts: readonly StepFacts[],
  options: SplitOptions,
  arenaRoom = Infinity,
): PlannedTasks {
  const outOfPlace = new Set(options.outOfPlace ?? []);
  const accessesOf = (plan: MemoryPlan) => planAccesses(plan, options.graph);
  let plan = planFor({ outOfPlace, keepUntil: new Map() });
  for (let round = 0; round < KEEP_ROUNDS; round++) {
    const free = splitTasks(plan, facts, { ...options, hazards: 'ignore', outOfPlace: [...outOfPlace] });
    const accesses = accessesOf(plan);
    for (const name of outOfPlaceNeeded(plan, free, accesses)) outOfPlace.add(name);
    const keepUntil = keepUntilOfTasks(plan, free, accesses);
    const next = planFor({ outOfPlace, keepUntil });
    if (next.arenaBytes > arenaRoom) break;
    const tasks = withPlan(next, free, [...outOfPlace]);
    const nextAccesses = accessesOf(next);
    if (
      tasks &&
      tasks.tasks.every((task) => taskHazard(next, task.pieces, nextAccesses) === undefined) &&
      outOfPlaceNeeded(next, tasks, nextAccesses).length === 0
    ) {
      return { plan: next, tasks, keptInputs: true };
    }
    plan = next;
  }
  for (;;) {
    plan = planFor({ outOfPlace, keepUntil: new Map() });
    const tasks = splitTasks(plan, facts, { ...options, hazards: 'cut', outOfPlace: [...outOfPlace] });
    const more = outOfPlaceNeeded(plan, tasks, accessesOf(plan)).filter((name) => !outOfPlace.has(name));
    if (more.length === 0) return { plan, tasks, keptInputs: false };
    for (const name of more) outOfPlace.add(name);
  }
}

/**
 * splitWithPlanner with planMemory(graph, planOptions and INTERMITTENT_SCHEDULE) as the planner; the room for the
 * arena is `arenaRoom`, else planOptions.arenaBudgetBytes, else unbounded. `facts` are the steps' (those of the plan
 * with `planOptions` alone: the choices change no step).
 */
export function splitUntilStable(
  graph: Graph,
  planOptions: PlanOptions,
  facts: readonly StepFacts[],
  options: SplitOptions,
  arenaRoom = planOptions.arenaBudgetBytes ?? Infinity,
): PlannedTasks {
  const planFor = (choices: PlanChoices) =>
    planMemory(graph, {
      ...planOptions,
      ...INTERMITTENT_SCHEDULE,
      outOfPlace: new Set([...(planOptions.outOfPlace ?? []), ...choices.outOfPlace]),
      keepUntil: choices.keepUntil,
    });
  return splitWithPlanner(planFor, facts, { graph, ...options }, arenaRoom);
}

/** `tasks` with their live sets taken from `plan`, or undefined when a task no longer fits its window there. */
function withPlan(plan: MemoryPlan, tasks: TaskPlan, outOfPlace: string[]): TaskPlan | undefined {
  const sets = liveSets(plan);
  const limit = taskLimit(tasks.budget);
  let restore = sets.before[0]!.bytes;
  const out: TaskPlan = { ...tasks, outOfPlace, tasks: [] };
  for (const task of tasks.tasks) {
    const live = liveAfterPiece(sets, task.pieces[task.pieces.length - 1]!);
    const next = { ...task, liveAfter: live.buffers, liveBytesAfter: live.bytes };
    if (taskWindowCost(tasks, next, restore) > limit) return undefined;
    out.tasks.push(next);
    restore = live.bytes;
  }
  return out;
}
