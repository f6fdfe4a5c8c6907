// How many bytes of arena the memory planner may spend on speed (PlanOptions.arenaBudgetBytes), from the build's
// arena policy: the smallest arena, the arena TensorFlow Lite Micro would need for the same graph (the default:
// never more RAM than the interpreter, and within that the fastest code), all the RAM the target has, or a size.

import type { Graph } from '../ir/graph.js';
import type { Target } from '../target/target.js';
import { greedyBySizePlanBytes } from './greedy-plan.js';

/**
 * 'min': the smallest arena the planner can reach (some layers slower); 'tflm': the fastest plan within the arena
 * of a TensorFlow Lite Micro-style greedy plan with CMSIS-NN's scratch buffers; 'ram': the fastest plan that fits
 * the target's RAM beside the stack; a number: the fastest plan within that many bytes.
 */
export type ArenaPolicy = 'min' | 'tflm' | 'ram' | number;

export const DEFAULT_ARENA_POLICY: ArenaPolicy = 'tflm';

/** The target's RAM left for the arena once the stack is reserved (Infinity when the target sets no limit). */
export function arenaRoomBytes(target: Target): number {
  return target.limits.ramBytes === null ? Infinity : Math.max(0, target.limits.ramBytes - target.stackBytes);
}

/** The planMemory options of a policy: a budget, or (min) the smallest arena with scratch-less convolutions. */
export function arenaPlanOptions(graph: Graph, target: Target, policy: ArenaPolicy): { arenaBudgetBytes?: number; scratchlessConvs?: boolean } {
  const budget = arenaBudgetBytes(graph, target, policy);
  return budget === undefined ? { scratchlessConvs: true } : { arenaBudgetBytes: budget };
}

/**
 * The budget for planMemory (undefined: the smallest arena). Never above what the target has room for; a
 * plan's smallest arena still wins when it is larger than the budget (the fit check then reports it).
 */
export function arenaBudgetBytes(graph: Graph, target: Target, policy: ArenaPolicy): number | undefined {
  const room = arenaRoomBytes(target);
  switch (policy) {
    case 'min':
      return undefined;
    case 'tflm':
      return Math.min(room, greedyBySizePlanBytes(graph, { kernelScratch: true }));
    case 'ram':
      return Number.isFinite(room) ? room : Number.MAX_SAFE_INTEGER;
    default:
      return Math.min(room, policy);
  }
}
