// The loop both reference interpreters share (float: src/frontend/reference.ts, int8: src/quantize/int8-reference.ts):
// run a graph's nodes in order on concrete values, freeing each tensor after its last reader unless all are kept.

import type { Graph, Node } from '../ir/graph.js';
import type { Value } from './types.js';

export interface RunNodesOptions {
  /** Called with every tensor as it is computed (graph inputs first, then each node's outputs). */
  onTensor?: (name: string, value: Value) => void;
  /** 'all' keeps every tensor in the result (calibration, per-layer error); by default only the graph outputs. */
  keep?: 'outputs' | 'all';
}

/** One node and what the interpreter made of it (its operator definition, its prepared kernel). */
export interface NodeStep {
  node: Node;
}

/**
 * For each node of `graph`, the tensors it reads for the last time or writes without a reader: what may be freed
 * after it. Constants and graph outputs are never listed.
 */
export function lastReadBy(graph: Graph): string[][] {
  const isConstant = (name: string) => graph.tensors.get(name)?.data !== undefined;
  const lastReader = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const name of node.inputs) if (name !== '' && !isConstant(name)) lastReader.set(name, index);
  });
  const outputs = new Set(graph.outputs);
  const freed: string[][] = graph.nodes.map(() => []);
  for (const [name, index] of lastReader) if (!outputs.has(name)) freed[index]!.push(name);
  graph.nodes.forEach((node, index) => {
    for (const name of node.outputs) if (name !== '' && !lastReader.has(name) && !outputs.has(name)) freed[index]!.push(name);
  });
  return freed;
}

/**
 * Runs `steps` (one per node of `graph`, in order) on the checked graph inputs `inputs`; `evaluate` computes a step's
 * outputs from its inputs (undefined for an omitted one), `constant` gives a tensor no step computed. Returns the
 * graph outputs by name, or every tensor with `keep: 'all'`.
 */
export function runNodes<S extends NodeStep>(
  graph: Graph,
  plan: { steps: readonly S[]; lastReadBy: readonly string[][] },
  inputs: ReadonlyMap<string, Value>,
  evaluate: (step: S, args: (Value | undefined)[]) => Value[],
  constant: (name: string) => Value | undefined,
  options: RunNodesOptions = {},
): Record<string, Value> {
  const values = new Map<string, Value>();
  for (const [name, value] of inputs) {
    values.set(name, value);
    options.onTensor?.(name, value);
  }
  const keepAll = options.keep === 'all';
  plan.steps.forEach((step, index) => {
    const { node } = step;
    const args = node.inputs.map((name) => (name === '' ? undefined : (values.get(name) ?? constant(name))));
    const results = evaluate(step, args);
    node.outputs.forEach((output, i) => {
      if (output === '') return;
      const value = results[i];
      if (!value) throw new Error(`internal: ${node.op} "${node.name}" returned no value for output ${i}`);
      values.set(output, value);
      options.onTensor?.(output, value);
    });
    // Free what no later node reads, so big models run in little memory.
    if (!keepAll) for (const name of plan.lastReadBy[index]!) values.delete(name);
  });
  const result: Record<string, Value> = {};
  if (keepAll) for (const [name, value] of values) result[name] = value;
  for (const name of graph.outputs) {
    const value = values.get(name) ?? constant(name);
    if (!value) throw new Error(`internal: graph output "${name}" was not computed`);
    result[name] = value;
  }
  return result;
}
