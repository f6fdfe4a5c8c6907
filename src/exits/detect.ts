// Finding the exits of a model that names none: outputs of one classifier shape whose graphs branch off the
// backbone of the deepest one (the final classifier), ordered by where on the backbone they branch.

import type { Graph } from '../ir/graph.js';
import { ancestorNodes } from './order.js';
import { isClassifierShape } from './options.js';

/** Exits found in a graph: output names in exit order (the last is the final) and the node each branches after. */
export interface FoundExits {
  outputs: string[];
  /** For each early exit, the name of the last backbone node it shares with the final classifier. */
  branchesAfter: string[];
}

/** The exits of `graph`, or undefined when fewer than two of its outputs are classifiers branching off one backbone. */
export function findExits(graph: Graph): FoundExits | undefined {
  const candidates = graph.outputs
    .filter((name) => {
      const t = graph.tensors.get(name);
      // Class scores are float32 or int8; an index, mask or count output (int64, bool...) is no classifier.
      return t !== undefined && (t.dtype === 'float32' || t.dtype === 'int8') && isClassifierShape(t.shape);
    })
    .map((name) => ({ name, needs: ancestorNodes(graph, name) }));
  if (candidates.length < 2) return undefined;
  // The final classifier is the deepest: the one that needs the most nodes (the later output on a tie).
  const final = candidates.reduce((best, c) => (c.needs.size >= best.needs.size ? c : best));
  const shape = graph.tensors.get(final.name)!.shape;
  const early: { name: string; branch: number; position: number }[] = [];
  candidates.forEach((c, position) => {
    if (c === final) return;
    const other = graph.tensors.get(c.name)!.shape;
    if (other.length !== shape.length || other.some((d, i) => d !== shape[i])) return;
    const shared = [...c.needs].filter((i) => final.needs.has(i));
    const own = c.needs.size - shared.length;
    // A branch shares part of the backbone and has a head of its own.
    if (shared.length === 0 || own === 0) return;
    early.push({ name: c.name, branch: Math.max(...shared), position });
  });
  if (early.length === 0) return undefined;
  early.sort((a, b) => a.branch - b.branch || a.position - b.position);
  return {
    outputs: [...early.map((e) => e.name), final.name],
    branchesAfter: early.map((e) => graph.nodes[e.branch]!.name),
  };
}

/**
 * Where each early exit of `outputs` (in exit order, the last the final) branches off the final's backbone: the
 * index in `graph.nodes` of the last node it shares with the final classifier, -1 when it shares none.
 */
export function branchPoints(graph: Graph, outputs: readonly string[]): number[] {
  const final = ancestorNodes(graph, outputs[outputs.length - 1]!);
  return outputs.slice(0, -1).map((name) => Math.max(-1, ...[...ancestorNodes(graph, name)].filter((i) => final.has(i))));
}
