// The plan and the split made to agree: a step that writes over its input in place, where that input is live-in
// to its task, is planned out of place (PlanOptions.outOfPlace) and the schedule is split again, until no step
// needs it. The steps stay the same throughout (only buffers move), so the step facts measured once still hold.

import type { Graph } from '../ir/graph.js';
import { planMemory } from '../schedule/memory-plan.js';
import type { MemoryPlan, PlanOptions } from '../schedule/plan-types.js';
import type { ScheduleOptions } from '../schedule/schedule.js';
import { outOfPlaceNeeded } from './hazards.js';
import { splitTasks, type SplitOptions } from './split.js';
import type { StepFacts, TaskPlan } from './types.js';

/**
 * The schedule options of an intermittent build: no fused pool or residual steps and no depth-first float Conv
 * pairs, whose bands write over what the same step still reads (no cut can make such a step safe to re-run).
 */
export const INTERMITTENT_SCHEDULE: Readonly<ScheduleOptions> = { fusePools: false, fuseConvPairs: false };

/**
 * Plan `graph` with `planOptions` (and INTERMITTENT_SCHEDULE) and split it into tasks; while some in-place step's
 * input is live-in to its task, plan those steps out of place too and split again. `facts` are the steps' (those of
 * the plan with `planOptions` alone: out-of-place steps change no step).
 */
export function splitUntilStable(
  graph: Graph,
  planOptions: PlanOptions,
  facts: readonly StepFacts[],
  options: SplitOptions,
): { plan: MemoryPlan; tasks: TaskPlan } {
  const outOfPlace = new Set([...(planOptions.outOfPlace ?? []), ...(options.outOfPlace ?? [])]);
  // Each round adds at least one name, so the rounds are at most the steps.
  for (;;) {
    const plan = planMemory(graph, { ...planOptions, ...INTERMITTENT_SCHEDULE, outOfPlace });
    const tasks = splitTasks(plan, facts, { ...options, outOfPlace: [...outOfPlace] });
    const more = outOfPlaceNeeded(plan, tasks).filter((name) => !outOfPlace.has(name));
    if (more.length === 0) return { plan, tasks };
    for (const name of more) outOfPlace.add(name);
  }
}
