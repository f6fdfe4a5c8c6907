// The per-layer rows of the report and of `eennc profile` (src/report/layer-table.ts StepReport), filled from the
// planned graph (kernel, MACs, weights, arena slice), from a measuring run on the target (instructions,
// src/measure-steps.ts) and from the two references on calibration samples (int8 error, src/evaluate.ts).
// Pipeline glue like compile.ts, which calls it.

import { lowerGraph } from './codegen/lower-float.js';
import { lowerInt8Graph } from './codegen/lower-int8.js';
import { evaluateAccuracy } from './evaluate.js';
import { EennError } from './ir/diagnostics.js';
import { sizeOf, type Graph } from './ir/graph.js';
import { encodeSamples } from './io-codec.js';
import { measureStepInstructions } from './measure-steps.js';
import { nodeMacs } from './ops/macs.js';
import type { ProfileSummary, StepReport } from './report/layer-table.js';
import { tensorBytes, type MemoryPlan } from './schedule/memory-plan.js';
import type { Target } from './target/target.js';

/** Each step of `plan`'s schedule with its kernel, MACs, weights and arena slice (not yet measured). */
export function stepReports(graph: Graph, plan: MemoryPlan, precision: 'int8' | 'float32'): StepReport[] {
  const lowered = precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);
  return lowered.map(({ step, lowered: low }): StepReport => {
    const output = step.nodes.at(-1)!.outputs[0]!;
    const id = plan.bufferOf.get(output);
    const buffer = id === undefined ? undefined : plan.buffers.find((b) => b.id === id);
    const inArena = buffer?.storage.kind === 'arena' ? buffer.storage.offset : null;
    // int64 constants (shapes, axes) are read at compile time and never reach model.c.
    const isWeight = (name: string) => name !== '' && graph.tensors.get(name)?.data !== undefined && graph.tensors.get(name)?.dtype !== 'int64';
    const constants = new Set(step.nodes.flatMap((node) => node.inputs.filter(isWeight)));
    return {
      index: step.index,
      name: step.nodes[0]!.name,
      op: step.nodes[0]!.op,
      fused: step.nodes.slice(1).map((node) => node.name),
      kernel: [...new Set(low.calls.map((call) => call.fn))].join(', '),
      output_shape: [...(graph.tensors.get(output)?.shape ?? [])],
      macs: step.nodes.reduce((sum, node) => sum + nodeMacs(graph, node), 0),
      weight_bytes: [...constants].reduce((sum, name) => sum + tensorBytes(graph.tensors.get(name)!), 0),
      arena_offset: inArena,
      arena_bytes: inArena === null ? 0 : buffer!.bytes,
    };
  });
}

/** What measureProfile needs: the compiled graph and plan, the target, and the samples (floats of the one input). */
export interface ProfileRun {
  graph: Graph;
  plan: MemoryPlan;
  target: Target;
  precision: 'int8' | 'float32';
  modelName: string;
  samples: readonly Float32Array[];
  optimization?: string;
  onProgress?: (message: string) => void;
}

/**
 * Measure each step's instructions on the target's emulator (every step run, past any early exit) and write them
 * into `steps`; returns the mean total of eenn_run per sample. E_TARGET for a target without an emulator that
 * counts instructions, E_DATA for a model that does not take one input.
 */
export async function measureProfile(run: ProfileRun, steps: StepReport[]): Promise<ProfileSummary> {
  const { graph } = run;
  if (graph.inputs.length !== 1) {
    throw new EennError({
      code: 'E_DATA',
      message: `the model has ${graph.inputs.length} inputs; the profile runs models of one input`,
      hint: 'profile a model of one input, or measure with your own firmware',
    });
  }
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const samples = run.samples.length > 0 ? run.samples : [new Float32Array(sizeOf(input.shape))];
  const { bytes } = encodeSamples(input, samples);
  const measured = await measureStepInstructions({
    graph,
    plan: run.plan,
    target: run.target,
    precision: run.precision,
    modelName: run.modelName,
    samples: bytes,
    count: samples.length,
    optimization: run.optimization,
    onProgress: run.onProgress,
  });
  measured.steps.forEach((step, k) => {
    const row = steps.find((s) => s.index === step.index);
    if (row) row.instructions = measured.perStep[k]!;
  });
  const total = measured.totals.reduce((sum, n) => sum + n, 0) / measured.totals.length;
  return { samples: samples.length, total_instructions: total };
}

/**
 * Each step's int8 error (SQNR of its output against the float model's tensor of the same name) over `samples`,
 * written into `steps`; steps whose output is not an int8 tensor get none.
 */
export function addStepErrors(floatGraph: Graph, int8Graph: Graph, samples: readonly Float32Array[], steps: StepReport[], plan: MemoryPlan): void {
  // The labels do not matter here: only the per-layer errors are read.
  const errors = evaluateAccuracy(floatGraph, int8Graph, samples, new Int32Array(samples.length), { sqnrSamples: samples.length }).layers;
  const byTensor = new Map(errors.map((e) => [e.tensor, e.sqnrDb]));
  for (const step of plan.steps) {
    const row = steps.find((s) => s.index === step.index);
    const db = byTensor.get(step.nodes.at(-1)!.outputs[0]!);
    if (row && db !== undefined) row.sqnr_db = Number.isFinite(db) ? db : null;
  }
}
