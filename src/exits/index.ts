// The exits stage: which outputs of a model are early exits (named by the user, stated in the model's
// metadata_props, or found in the graph), the decision each exit makes, and an order of the nodes in which every
// exit head runs as early as its inputs allow. Talks to the rest through the IR (src/ir/exits.ts).

import type { Graph } from '../ir/graph.js';
import type { ExitPolicy } from '../ir/exits.js';
import type { Value } from '../ops/types.js';

/** What the command line says about exits (--exits, --exit-threshold, --exit-policy, --no-exits). */
export interface ExitOptions {
  /** --exits: output names in exit order, the last being the final classifier. */
  names?: string[];
  /** --exit-threshold: one value for every early exit, or one per early exit. */
  thresholds?: number[];
  /** --exit-policy (default max-softmax, or what the model's metadata states). */
  policy?: ExitPolicy;
  /** --no-exits: every layer runs and every output is computed. */
  disabled?: boolean;
}

/** The exits of a model as resolved on its float graph, before the decisions are made concrete. */
export interface ResolvedExits {
  /** Output names in exit order; the last is the final classifier. */
  outputs: string[];
  policy: ExitPolicy;
  /** One per early exit. */
  thresholds: number[];
  /** Where the exits came from, for the notes: 'option', 'metadata' or 'found'. */
  source: 'option' | 'metadata' | 'found';
}

/**
 * Which outputs of `graph` (the float graph after import) are exits: from `options.names`, else the model's
 * metadata_props, else the outputs found to branch off one backbone. Validates names, shapes and thresholds
 * (E_USAGE naming what is wrong) and pushes a note saying what was found. Undefined when the model has a single
 * exit or `options.disabled`.
 */
export function resolveExits(graph: Graph, options: ExitOptions, notes: string[]): ResolvedExits | undefined {
  void graph;
  void options;
  void notes;
  return undefined;
}

/**
 * The graph ready for the schedule: `graph.exits` set (each decision made concrete for the graph's precision:
 * the int8 rule from the decision tensor's scale), and the nodes reordered so that each exit head runs as soon as
 * its inputs are ready and the backbone behind it after its decision. `graph` may be the float or the int8 graph.
 */
export function attachExits(graph: Graph, exits: ResolvedExits): Graph {
  void exits;
  return graph;
}

/**
 * The exit the model takes, given the values of every exit's decision tensor (a reference run that kept them):
 * the index into `graph.exits.outputs` of the first exit whose decision says stop, else the last (final).
 * Bit for bit what the generated code decides on int8 tensors.
 */
export function exitTaken(graph: Graph, values: Record<string, Value>): number {
  void values;
  return graph.exits ? graph.exits.outputs.length - 1 : 0;
}
