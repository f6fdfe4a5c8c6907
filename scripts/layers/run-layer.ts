// Builds one benchmark layer (scripts/layers/layer-graphs.ts) into the test firmware of a target, runs it in
// QEMU and checks its output against the int8 reference bit for bit: the measurement behind each cell of
// scripts/bench-layers.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitModel } from '../../src/codegen/emit-model.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { planMemory, tensorBytes, validatePlan } from '../../src/partition/memory-plan.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import type { Target } from '../../src/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';

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

/** Emit, build (in `dir`) and run the one-output graph on `inputs` for `target`. */
export async function runLayer(graph: Graph, inputs: Record<string, Value>, target: Target, dir: string): Promise<LayerRun> {
  const plan = planMemory(graph);
  const problems = validatePlan(plan, graph);
  if (problems.length > 0) throw new Error(`memory plan of ${graph.name}: ${problems.join('; ')}`);
  const emitted = emitModel(graph, plan, { modelName: graph.name, precision: 'int8' });
  const tensor = (name: string) => graph.tensors.get(name)!;
  const firmware = renderFirmware(target, {
    modelName: graph.name,
    kernelSources: emitted.kernelSources,
    inputBytes: graph.inputs.map((name) => tensorBytes(tensor(name))),
    outputBytes: graph.outputs.map((name) => tensorBytes(tensor(name))),
  });
  for (const [path, text] of [...emitted.files, ...firmware]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const image = await buildFirmware(dir, target, { jobs: 2 });
  const sample = Buffer.concat(graph.inputs.map((name) => {
    const data = inputs[name]!.data;
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }));
  const run = await runFirmware(image.elfPath, target, new Uint8Array(sample), { samples: 1, timeoutMs: 120_000 });
  const expected = runInt8Reference(graph, inputs)[graph.outputs[0]!]!.data as Int8Array;
  const got = new Int8Array(run.outputs[0]!.buffer, run.outputs[0]!.byteOffset, expected.length);
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) mismatches++;
  const modelC = emitted.files.get('model.c') ?? '';
  const kernels = [...new Set([...modelC.matchAll(/\b(eenn_\w+_s8)\(/g)].map((m) => m[1]!))];
  return {
    instructions: run.instructions[0] ?? Number.NaN,
    mismatches,
    kernels,
    weightBytes: emitted.weightBytes,
    arenaBytes: emitted.arenaBytes,
  };
}
