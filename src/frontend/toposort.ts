// Orders nodes so every tensor is written before it is read, keeping the file's order where it already is one.
// Part of loading (load.ts): finds cycles, tensors nobody produces, and tensors produced twice.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';

export interface SortOptions {
  /** Subgraphs (If/Loop bodies) may read tensors of the enclosing graph. */
  allowOuterScope?: boolean;
  file?: string;
}

/**
 * Depth-first topological sort. `available` holds the tensors that exist before any node runs
 * (graph inputs, initializers, constants).
 */
export function sortNodes(nodes: readonly Node[], available: ReadonlySet<string>, options: SortOptions = {}): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.outputs) {
      if (output === '') continue;
      const other = producer.get(output);
      if (other !== undefined) {
        throw nodeError(
          'E_GRAPH',
          node,
          `tensor "${output}" is written by two nodes ("${nodes[other]!.name}" and "${node.name}")`,
          'the graph is malformed (each tensor has one producer): check it with onnx.checker.check_model and export it again',
          options.file,
        );
      }
      producer.set(output, index);
    }
  });

  // Dependencies of each node, checked for missing tensors once.
  const dependencies = nodes.map((node) => {
    const deps: number[] = [];
    for (const input of node.inputs) {
      if (input === '') continue;
      const p = producer.get(input);
      if (p !== undefined) deps.push(p);
      else if (!available.has(input) && !options.allowOuterScope) {
        throw nodeError(
          'E_GRAPH',
          node,
          `input "${input}" is produced by no node and is neither a graph input nor an initializer`,
          'the model is incomplete: an initializer or a node is missing (was it saved with external data that is not there?)',
          options.file,
        );
      }
    }
    return deps;
  });

  const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on the stack, 2 done
  const order: Node[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] === 2) continue;
    // Iterative DFS: each frame is a node and the index of the next dependency to visit.
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const [index, next] = frame;
      const deps = dependencies[index]!;
      if (next < deps.length) {
        frame[1]++;
        const dep = deps[next]!;
        if (state[dep] === 1) {
          const node = nodes[dep]!;
          throw nodeError(
            'E_GRAPH',
            node,
            'the graph has a cycle through this node',
            'ONNX graphs must be acyclic; loops are expressed with the Loop operator',
            options.file,
          );
        }
        if (state[dep] === 0) {
          state[dep] = 1;
          stack.push([dep, 0]);
        }
      } else {
        state[index] = 2;
        order.push(nodes[index]!);
        stack.pop();
      }
    }
  }
  return order;
}
