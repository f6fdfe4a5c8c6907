// A small model with two early exits for the tests of the exits stage: three convolutions (the backbone, listed
// first) and a classifier head of 10 classes after each.

import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { Graph } from '../../src/ir/graph.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

export const SHAPE = [1, 1, 12, 12];
export const SIZE = 144;

export function weights(shape: number[], seed: number, scale: number): ['float32', number[], Float32Array] {
  return [
    'float32',
    shape,
    randomFloats(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map((v) => v * scale),
  ];
}

/**
 * conv -> conv -> conv (the backbone, listed first), then a head (GAP, Flatten, Gemm of 10 classes; `softmax`: and
 * a Softmax) on each conv's output: exit0, exit1, final. The outputs are listed out of exit order; `extra` adds an
 * output of another shape.
 */
export function branchy(options: { softmax?: boolean; extra?: boolean } = {}): Graph {
  const spec: GraphSpec = {
    inputs: { x: ['float32', SHAPE] },
    constants: { w1: weights([4, 1, 3, 3], 11, 0.6), w2: weights([16, 4, 3, 3], 12, 0.3), w3: weights([16, 16, 3, 3], 13, 0.15) },
    nodes: [],
    outputs: ['final', 'exit1', 'exit0', ...(options.extra ? ['pooled'] : [])],
  };
  const conv = (x: string, w: string, y: string) =>
    spec.nodes.push(['Conv', [x, w], [`${y}_c`], { pads: [1, 1, 1, 1] }, `${y}_conv`], ['Relu', [`${y}_c`], [y], {}, y]);
  const head = (from: string, channels: number, out: string, seed: number) => {
    spec.constants![`${out}_w`] = weights([10, channels], seed, 4);
    spec.constants![`${out}_b`] = weights([10], seed + 1, 1);
    spec.nodes.push(['GlobalAveragePool', [from], [`${out}_gap`]], ['Flatten', [`${out}_gap`], [`${out}_flat`]]);
    const logits = options.softmax ? `${out}_logits` : out;
    spec.nodes.push(['Gemm', [`${out}_flat`, `${out}_w`, `${out}_b`], [logits], { transB: 1 }, `${out}_fc`]);
    if (options.softmax) spec.nodes.push(['Softmax', [logits], [out], { axis: -1 }, `${out}_softmax`]);
  };
  conv('x', 'w1', 't1');
  conv('t1', 'w2', 't2');
  conv('t2', 'w3', 't3');
  head('t1', 4, 'exit0', 21);
  head('t2', 16, 'exit1', 23);
  head('t3', 16, 'final', 25);
  if (options.extra) spec.nodes.push(['GlobalAveragePool', ['t3'], ['pooled']]);
  return inferGraphShapes(buildGraph(spec)).graph;
}

export const EXITS = ['exit0', 'exit1', 'final'];
