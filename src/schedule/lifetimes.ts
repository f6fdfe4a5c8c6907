// Tensor lifetimes over the schedule's steps: the step that writes each tensor, the last step that reads it, and
// the tensors that exist only inside one step's kernel. The memory planner sizes and shares buffers from these.

import type { Graph } from '../ir/graph.js';
import { decisionSteps } from './exits.js';
import type { Step } from './schedule.js';

export interface Lifetimes {
  /** The step that writes each node output. */
  producer: Map<string, number>;
  /**
   * The last step that reads each tensor; `steps.length` for the model's outputs (the caller reads them); at least
   * the step after which an early exit's decision reads it.
   */
  lastRead: Map<string, number>;
  /** Outputs of every node of a step but its last: they exist only inside that step's kernel. */
  fused: Set<string>;
}

/** The lifetimes of the tensors of `graph` when it runs as `steps` (in order). */
export function tensorLifetimes(graph: Graph, steps: readonly Step[]): Lifetimes {
  const producer = new Map<string, number>();
  const lastRead = new Map<string, number>();
  const fused = new Set<string>();
  for (const step of steps) {
    for (const node of step.nodes.slice(0, -1)) {
      const out = node.outputs[0];
      if (out !== undefined) fused.add(out);
    }
    for (const node of step.nodes) {
      for (const out of node.outputs) if (out !== '') producer.set(out, step.index);
      for (const input of node.inputs) {
        if (input === '' || fused.has(input)) continue;
        lastRead.set(input, Math.max(lastRead.get(input) ?? -1, step.index));
      }
    }
  }
  for (const out of graph.outputs) lastRead.set(out, steps.length);
  // An early exit decides after its step on a tensor that lives until then; one read by that step (a Dequantize
  // to the exit's output) lives one step more, so that the step cannot write its result over it.
  const decidedAt = decisionSteps(graph, steps);
  (graph.exits?.decisions ?? []).forEach(({ tensor }, i) => {
    const at = decidedAt[i]!;
    lastRead.set(tensor, Math.max(lastRead.get(tensor) ?? -1, at > (producer.get(tensor) ?? at) ? at + 1 : at));
  });
  return { producer, lastRead, fused };
}
