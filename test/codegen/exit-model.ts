// The small model of the early-exit tests: conv -> exit0 -> conv -> exit1 -> conv -> final (each exit a global
// average pooling and a fully connected layer of 10 classes), its samples, and thresholds that split them.

import { calibrate } from '../../src/calibration.js';
import { floatReferenceRun } from '../../src/exit-reference.js';
import { attachExits } from '../../src/exits/index.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { DType, Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

export const SHAPE = [1, 1, 12, 12];
export const SIZE = 144;
export const SAMPLES = 16;
export const EXITS = ['exit0', 'exit1', 'final'];

/** Weights of a Conv or Gemm, deterministic, scaled so that activations stay in range. */
function weights(shape: number[], seed: number, scale: number): [DType, number[], Float32Array] {
  const size = shape.reduce((a, b) => a * b, 1);
  return ['float32', shape, randomFloats(size, seed).map((v) => v * scale)];
}

/** Global average pooling, flatten and a fully connected layer of 10 classes: an exit head on `from` (C channels). */
function head(from: string, channels: number, out: string, seed: number, spec: GraphSpec): void {
  spec.constants![`${out}_w`] = weights([10, channels], seed, 4);
  spec.constants![`${out}_b`] = weights([10], seed + 1, 1);
  spec.nodes.push(['GlobalAveragePool', [from], [`${out}_gap`]], ['Flatten', [`${out}_gap`], [`${out}_flat`]]);
  spec.nodes.push(['Gemm', [`${out}_flat`, `${out}_w`, `${out}_b`], [out], { transB: 1 }, `${out}_fc`]);
}

/** conv (1 -> 4) -> exit0 -> conv (4 -> 16) -> exit1 -> conv (16 -> 16) -> final; `chain` Mul steps before exit0. */
export function exitModel(chain = 0): Graph {
  const spec: GraphSpec = {
    inputs: { x: ['float32', SHAPE] },
    constants: {
      w1: weights([4, 1, 3, 3], 11, 0.6),
      w2: weights([16, 4, 3, 3], 12, 0.3),
      w3: weights([16, 16, 3, 3], 13, 0.15),
      k: ['float32', [1], [1.0]],
    },
    nodes: [],
    outputs: EXITS,
  };
  const conv = (x: string, w: string, y: string) => spec.nodes.push(['Conv', [x, w], [`${y}_c`], { pads: [1, 1, 1, 1] }], ['Relu', [`${y}_c`], [y]]);
  conv('x', 'w1', 't1');
  let at = 't1';
  for (let i = 0; i < chain; i++) {
    spec.nodes.push(['Mul', [at, 'k'], [`m${i}`]]);
    at = `m${i}`;
  }
  head(at, 4, 'exit0', 21, spec);
  conv(at, 'w2', 't2');
  head('t2', 16, 'exit1', 23, spec);
  conv('t2', 'w3', 't3');
  head('t3', 16, 'final', 25, spec);
  return inferGraphShapes(buildGraph(spec)).graph;
}

export const samples = Array.from({ length: SAMPLES }, (_, i) => randomFloats(SIZE, 100 + i).map((v) => v * 2));
export const floatInputs = samples.map((data): Record<string, Value> => ({ x: { shape: SHAPE, dtype: 'float32', data } }));

/** The largest softmax probability of `logits`. */
function maxSoftmax(logits: ArrayLike<number>): number {
  const values = Array.from(logits);
  const max = Math.max(...values);
  const sum = values.reduce((s, v) => s + Math.exp(v - max), 0);
  return 1 / sum;
}

/** Thresholds that split the samples: exit0 stops about a third of them, exit1 about half of the rest. */
export function splittingThresholds(graph: Graph): number[] {
  const runs = floatInputs.map((inputs) => floatReferenceRun(graph, inputs).outputs);
  const between = (values: number[], share: number): number => {
    const sorted = [...values].sort((a, b) => b - a);
    const at = Math.max(1, Math.round(sorted.length * share));
    return (sorted[at - 1]! + sorted[at]!) / 2;
  };
  const p0 = runs.map((r) => maxSoftmax(r['exit0']!.data as Float32Array));
  const t0 = between(p0, 1 / 3);
  const rest = runs.filter((_, i) => p0[i]! < t0).map((r) => maxSoftmax(r['exit1']!.data as Float32Array));
  return [t0, between(rest, 1 / 2)];
}

/** The model with its exits attached (max-softmax), float32 or quantized to int8 (with int8 or float32 io). */
export async function attached(graph: Graph, thresholds: number[], precision: 'float32' | 'int8', io: 'int8' | 'float32' = 'int8'): Promise<Graph> {
  const resolved = { outputs: EXITS, policy: 'max-softmax' as const, thresholds, source: 'option' as const };
  if (precision === 'float32') return attachExits(graph, resolved);
  const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
  return attachExits(quantizeGraph(graph, { ranges, io }), resolved);
}
