// Where the early exits' decisions fall in the schedule: the node after which each decision can be made (its
// decision tensor and its output written), the segments between decisions that no fused step may cross, and the
// step after which the generated code decides. The node order is the exits stage's (src/exits/): kept as it is.

import type { Graph } from '../ir/graph.js';
import type { Step } from './schedule.js';

/**
 * The position in graph.nodes of the last node each early exit's decision waits for (the writer of its decision
 * tensor or of its output, whichever comes later), in exit order; empty for a model without exits.
 */
export function decisionPositions(graph: Graph, producer: ReadonlyMap<string, number>): number[] {
  return (graph.exits?.decisions ?? []).map((decision) => {
    const at = Math.max(producer.get(decision.tensor) ?? -1, producer.get(decision.output) ?? -1);
    if (at < 0) throw new Error(`internal: nothing computes exit "${decision.output}"`);
    return at;
  });
}

/**
 * Each node's segment: the number of decisions made before it runs (nodes at or before the first decision's
 * position are in segment 0). A step fuses nodes of one segment only, so that nothing a decision skips runs
 * before it and nothing it needs runs after it.
 */
export function nodeSegments(graph: Graph, producer: ReadonlyMap<string, number>): (position: number) => number {
  const boundaries = decisionPositions(graph, producer).sort((a, b) => a - b);
  return (position) => boundaries.filter((at) => at < position).length;
}

/** The step after which each early exit decides (the step that computes its decision position's node), in exit order. */
export function decisionSteps(graph: Graph, steps: readonly Step[]): number[] {
  const stepOf = new Map<string, number>();
  for (const step of steps) for (const node of step.nodes) for (const out of node.outputs) if (out !== '') stepOf.set(out, step.index);
  return (graph.exits?.decisions ?? []).map((decision) => {
    const at = Math.max(stepOf.get(decision.tensor) ?? -1, stepOf.get(decision.output) ?? -1);
    if (at < 0) throw new Error(`internal: no step computes exit "${decision.output}"`);
    return at;
  });
}
