// The order of a multi-exit graph's nodes: each exit head as early as its inputs allow, the backbone behind it
// after its decision. For each exit in turn, every node its output needs that is not yet placed, in the original
// order; then the rest. Any order the nodes had stays topological.

import type { Graph } from '../ir/graph.js';

/** Indices into `graph.nodes` of the nodes tensor `name` depends on (its producer included). */
export function ancestorNodes(graph: Graph, name: string): Set<number> {
  const producer = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const output of node.outputs) if (output !== '') producer.set(output, index);
  });
  const found = new Set<number>();
  const pending = [name];
  for (let tensor = pending.pop(); tensor !== undefined; tensor = pending.pop()) {
    const index = producer.get(tensor);
    if (index === undefined || found.has(index)) continue;
    found.add(index);
    for (const input of graph.nodes[index]!.inputs) if (input !== '') pending.push(input);
  }
  return found;
}

/**
 * The nodes of `graph` in exit order, and for each exit output the number of nodes placed up to it (the prefix of
 * the order that computes it: its decision runs after node `placed[i] - 1`).
 */
export function exitOrder(graph: Graph, outputs: readonly string[]): { nodes: Graph['nodes']; placed: number[] } {
  const taken = new Set<number>();
  const order: number[] = [];
  const placed: number[] = [];
  for (const output of outputs) {
    const needed = [...ancestorNodes(graph, output)].filter((i) => !taken.has(i)).sort((a, b) => a - b);
    for (const i of needed) taken.add(i);
    order.push(...needed);
    placed.push(order.length);
  }
  graph.nodes.forEach((_, i) => {
    if (!taken.has(i)) order.push(i);
  });
  return { nodes: order.map((i) => graph.nodes[i]!), placed };
}
