// A model of many steps with an early exit, for the tests of step tracing (test/measure-steps*.test.ts).

import { attachExits, resolveExits } from '../src/exits/index.js';
import { inferGraphShapes } from '../src/frontend/shapes.js';
import type { Graph } from '../src/ir/graph.js';
import { weights } from './exits/branchy-model.js';
import { buildGraph, type GraphSpec } from './frontend/build-graph.js';

/** Elements of the model's input, of each step's output and of each exit. */
export const WIDTH = 10;

/**
 * A chain of `length` Adds of a constant on a float32 [1, WIDTH] input, ending in output "final", and output
 * "early" (a Relu head) after `exitAfter` of them; with `exits`, attached as an early exit and the final one.
 */
export function longModel(length: number, exitAfter: number, exits = true): Graph {
  const spec: GraphSpec = { inputs: { x: ['float32', [1, WIDTH]] }, constants: {}, nodes: [], outputs: ['early', 'final'] };
  let last = 'x';
  for (let i = 0; i < length; i++) {
    spec.constants![`c${i}`] = weights([1, WIDTH], 100 + i, 0.1);
    const out = i === length - 1 ? 'final' : `t${i}`;
    spec.nodes.push(['Add', [last, `c${i}`], [out], {}, `add${i}`]);
    if (i === exitAfter - 1) spec.nodes.push(['Relu', [out], ['early'], {}, 'early_head']);
    last = out;
  }
  const graph = inferGraphShapes(buildGraph(spec)).graph;
  return exits ? attachExits(graph, resolveExits(graph, { names: ['early', 'final'] }, [])!) : graph;
}
