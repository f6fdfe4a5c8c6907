// The references run as the generated code runs a model with early exits: the float or int8 reference's outputs
// for a sample together with the exit it takes (exitTaken on the decision tensors, kept as they are computed).

import { decideFloat, exitTaken, resolveExits, type ExitOptions } from './exits/index.js';
import { runReference } from './frontend/reference.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import { runInt8Reference } from './quantize/int8-reference.js';

/** A reference run: the values of the graph's outputs (every one is computed) and the exit the model takes. */
export interface ReferenceRun {
  outputs: Record<string, Value>;
  /** Index into graph.exits.outputs of the exit taken; 0 for a model without exits. */
  exit: number;
  /** The tensors the early exits decided on. */
  decisions: Record<string, Value>;
}

/** The name a sample's exit goes by: the exit's output, or "final" for a model without exits. */
export function exitName(graph: Graph, exit: number): string {
  return graph.exits ? (graph.exits.outputs[exit] ?? `exit ${exit}`) : 'final';
}

/** The output that answers when the model takes `exit`: the exit's output, or the first output without exits. */
export function answeringOutput(graph: Graph, exit: number): string {
  return graph.exits ? graph.exits.outputs[exit]! : graph.outputs[0]!;
}

/**
 * The output that answers when no early exit is taken: the final exit's, also with --no-exits (the exits the model
 * would have without it), else the model's first output. `graph` is the float graph after import.
 */
export function finalOutput(graph: Graph, options: ExitOptions = {}): string {
  if (graph.exits) return graph.exits.outputs.at(-1)!;
  if (options.disabled) {
    try {
      const exits = resolveExits(graph, { ...options, disabled: false }, []);
      if (exits) return exits.outputs.at(-1)!;
    } catch {
      // Exits that would not resolve: the model's first output answers, as for any model without exits.
    }
  }
  return graph.outputs[0]!;
}

/** The float reference on `inputs` and the exit it takes (float32 decisions, as eenn_exit_f32.c makes them). */
export function floatReferenceRun(graph: Graph, inputs: Record<string, Value>, keep: 'outputs' | 'all' = 'outputs'): ReferenceRun {
  const decisions = decisionValues(graph);
  const outputs = runReference(graph, inputs, { keep, onTensor: decisions.onTensor });
  return { outputs, exit: graph.exits ? exitTaken(graph, decisions.values) : 0, decisions: decisions.values };
}

/** The int8 reference on `inputs` and the exit it takes: bit for bit what the generated code computes and decides. */
export function int8ReferenceRun(graph: Graph, inputs: Record<string, Value>, keep: 'outputs' | 'all' = 'outputs'): ReferenceRun {
  const decisions = decisionValues(graph);
  const outputs = runInt8Reference(graph, inputs, { keep, onTensor: decisions.onTensor });
  return { outputs, exit: graph.exits ? exitTaken(graph, decisions.values) : 0, decisions: decisions.values };
}

/** How close to its threshold a float decision must be to fall either way on the target: a few float32 ulps. */
const AT_THRESHOLD = 1e-5;

/**
 * Whether float early exit `index` decided, in the run `run`, within a hair of its threshold: where expf and logf on
 * the target, which may differ from the reference's in the last bit, can tip the decision either way.
 */
export function decidedAtThreshold(graph: Graph, index: number, run: ReferenceRun): boolean {
  const exits = graph.exits;
  const decision = exits?.decisions[index];
  const value = decision && run.decisions[decision.tensor];
  if (!exits || !decision || decision.int8 || !value) return false;
  const t = exits.thresholds[index]!;
  const data = value.data as ArrayLike<number>;
  return (
    decideFloat(decision.kind, exits.policy, t * (1 - AT_THRESHOLD), data) !== decideFloat(decision.kind, exits.policy, t * (1 + AT_THRESHOLD), data)
  );
}

/** Collects the tensors the exits' decisions read, as a reference computes them. */
function decisionValues(graph: Graph): { values: Record<string, Value>; onTensor: (name: string, value: Value) => void } {
  const wanted = new Set(graph.exits?.decisions.map((d) => d.tensor) ?? []);
  const values: Record<string, Value> = {};
  return {
    values,
    onTensor: (name, value) => {
      if (wanted.has(name)) values[name] = value;
    },
  };
}
