// Small helpers the frontend's graph passes share: fresh names, renaming a tensor, and what a node reads
// (including tensors its subgraphs take from the enclosing graph).

import type { Graph, Node } from '../ir/graph.js';

/** A tensor name not yet in the graph, derived from `base`. */
export function freshName(tensors: ReadonlyMap<string, unknown>, base: string): string {
  if (!tensors.has(base)) return base;
  let k = 1;
  while (tensors.has(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

/** The node with every occurrence of tensor `from` (input or output) replaced by `to`. */
export function renameInNode(node: Node, from: string, to: string): Node {
  if (!node.inputs.includes(from) && !node.outputs.includes(from)) return node;
  return {
    ...node,
    inputs: node.inputs.map((n) => (n === from ? to : n)),
    outputs: node.outputs.map((n) => (n === from ? to : n)),
  };
}

/** Tensors a node reads: its inputs, and names its subgraphs (If/Loop bodies) read from the outer graph. */
export function readsOf(node: Node): string[] {
  const reads = node.inputs.filter((n) => n !== '');
  for (const value of Object.values(node.attrs)) {
    if (typeof value === 'object' && value !== null && 'nodes' in value) reads.push(...outerReadsOf(value));
  }
  return reads;
}

function outerReadsOf(graph: Graph): string[] {
  const inner = new Set<string>([...graph.inputs]);
  for (const [name, t] of graph.tensors) if (t.data) inner.add(name);
  for (const node of graph.nodes) for (const o of node.outputs) inner.add(o);
  return graph.nodes.flatMap(readsOf).filter((n) => !inner.has(n));
}
