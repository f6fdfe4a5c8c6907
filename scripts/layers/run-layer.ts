// Builds one benchmark layer (scripts/layers/layer-graphs.ts) into the test firmware of a target with the default
// arena policy (as a user's build plans it), runs it in QEMU and checks its output against the int8 reference bit
// for bit: the measurement behind each cell of scripts/bench-layers.ts.

import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { arenaPlanOptions, DEFAULT_ARENA_POLICY } from '../../src/schedule/arena-budget.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import type { Target } from '../../src/target/target.js';
import { runInt8Model } from '../../src/run-graph.js';

export interface LayerRun {
  /** Instructions of one inference (eenn_run) under QEMU -icount. */
  instructions: number;
  /** Output bytes that differ from the int8 reference (0: bit-exact). */
  mismatches: number;
  /** The kernel functions the generated model.c calls. */
  kernels: string[];
  /** Flash of the constant arrays (weights, bias, requantization) and the arena, bytes. */
  weightBytes: number;
  arenaBytes: number;
}

/** Plan (the default arena policy), emit, build (in `dir`) and run the one-output graph on `inputs` for `target`. */
export async function runLayer(graph: Graph, inputs: Record<string, Value>, target: Target, dir: string): Promise<LayerRun> {
  const plan = planMemory(graph, arenaPlanOptions(graph, target, DEFAULT_ARENA_POLICY));
  const { emitted, outputs, instructions } = await runInt8Model(graph, inputs, target, dir, plan);
  const expected = runInt8Reference(graph, inputs)[graph.outputs[0]!]!.data as Int8Array;
  const got = outputs[0]!;
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) mismatches++;
  const modelC = emitted.files.get('model.c') ?? '';
  const kernels = [...new Set([...modelC.matchAll(/\b(eenn_\w+_s8)\(/g)].map((m) => m[1]!))];
  return {
    instructions: instructions ?? Number.NaN,
    mismatches,
    kernels,
    weightBytes: emitted.weightBytes,
    arenaBytes: emitted.arenaBytes,
  };
}
