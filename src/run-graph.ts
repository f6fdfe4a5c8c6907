// Runs a graph (float32 or int8) on a target without an ONNX file (tests, per-layer benchmarks): plans and emits it,
// wraps it in the test firmware (host or an emulated Cortex-M), builds it with the project's Makefile and runs its
// samples through main.c's input.bin / output.bin protocol, decoding each output by its dtype.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitModel, type EmittedModel } from './codegen/emit-model.js';
import { renderFirmware } from './codegen/firmware.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import { planMemory, tensorBytes, validatePlan, type MemoryPlan } from './schedule/memory-plan.js';
import type { Target } from './target/target.js';
import { buildFirmware, runFirmware, type FirmwareImage } from './toolchain/index.js';

/** One sample's results. */
export interface SampleRun {
  /** Outputs in graph order: Int8Array for int8 outputs, Float32Array for float32 ones. */
  outputs: (Int8Array | Float32Array)[];
  instructions: number | null;
  /** The exit eenn_run returned (0 for a model without early exits). */
  exit: number;
  /** The cumulative instructions at each early exit the sample got to (runFirmware's exitInstructions). */
  exitInstructions: (number | null)[];
}

export interface GraphRun extends SampleRun {
  plan: MemoryPlan;
  emitted: EmittedModel;
  image: FirmwareImage;
}

/** A run of several samples through one build. */
export interface GraphSamplesRun {
  plan: MemoryPlan;
  emitted: EmittedModel;
  image: FirmwareImage;
  samples: SampleRun[];
}

/** A run of an int8 graph. */
export type Int8Run = GraphRun;

export interface RunGraphOptions {
  precision: 'float32' | 'int8';
  /** The memory plan (default: planMemory's). */
  plan?: MemoryPlan;
  /** Shown in the generated comments (default: the graph's name). */
  modelName?: string;
  /** make jobs (callers that build several firmwares side by side give 1). Default 2. */
  jobs?: number;
  /** Time limit of the emulator run (default 120 s: M0+ layers). */
  timeoutMs?: number;
  /** Run past every early exit, measuring each (runFirmware's continuePastExits). */
  continuePastExits?: boolean;
}

/** The bytes main.c reads for one sample: every input in graph order, float32 inputs as float32. */
export function sampleBytes(graph: Graph, inputs: Record<string, Value>): Uint8Array {
  return new Uint8Array(
    Buffer.concat(
      graph.inputs.map((name) => {
        const value = inputs[name];
        if (!value) throw new Error(`${graph.name}: no value for input "${name}"`);
        const float = graph.tensors.get(name)!.dtype === 'float32';
        const data = float && !(value.data instanceof Float32Array) ? Float32Array.from(value.data as ArrayLike<number>) : value.data;
        return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      }),
    ),
  );
}

/** Generate, build (in `dir`) and run `graph` on `inputs` for `target`. */
export async function runGraph(
  graph: Graph,
  inputs: Record<string, Value>,
  target: Target,
  dir: string,
  options: RunGraphOptions,
): Promise<GraphRun> {
  const { samples, ...built } = await runGraphSamples(graph, [inputs], target, dir, options);
  return { ...built, ...samples[0]! };
}

/** Generate, build (in `dir`) and run `graph` for `target` on every sample of `inputs`, in one run of the firmware. */
export async function runGraphSamples(
  graph: Graph,
  inputs: Record<string, Value>[],
  target: Target,
  dir: string,
  options: RunGraphOptions,
): Promise<GraphSamplesRun> {
  const plan = options.plan ?? planMemory(graph);
  const problems = validatePlan(plan, graph);
  if (problems.length > 0) throw new Error(`memory plan: ${problems.join('; ')}`);
  const modelName = options.modelName ?? graph.name;
  const emitted = emitModel(graph, plan, { modelName, precision: options.precision });
  const tensor = (name: string) => graph.tensors.get(name)!;
  const firmware = renderFirmware(target, {
    modelName,
    kernelSources: emitted.kernelSources,
    inputBytes: graph.inputs.map((name) => tensorBytes(tensor(name))),
    outputBytes: graph.outputs.map((name) => tensorBytes(tensor(name))),
    exits: emitted.exits,
  });
  for (const [path, text] of [...emitted.files, ...firmware]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const image = await buildFirmware(dir, target, { jobs: options.jobs ?? 2 });
  const bytes = new Uint8Array(Buffer.concat(inputs.map((sample) => sampleBytes(graph, sample))));
  const run = await runFirmware(image.elfPath, target, bytes, {
    samples: inputs.length,
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.continuePastExits ? { continuePastExits: true } : {}),
  });
  const samples = run.outputs.map((sampleOutputs, i) => ({
    outputs: decodeOutputs(graph, sampleOutputs),
    instructions: run.instructions[i] ?? null,
    exit: run.exits[i]!,
    exitInstructions: run.exitInstructions[i] ?? [],
  }));
  return { plan, emitted, image, samples };
}

/** One sample's output bytes as typed arrays, in graph order. */
function decodeOutputs(graph: Graph, bytes: Uint8Array): (Int8Array | Float32Array)[] {
  let at = 0;
  return graph.outputs.map((name) => {
    const t = graph.tensors.get(name)!;
    const n = tensorBytes(t);
    // Copied out so that every output starts on its own aligned buffer.
    const chunk = bytes.slice(at, at + n);
    at += n;
    return t.dtype === 'int8'
      ? new Int8Array(chunk.buffer, chunk.byteOffset, n)
      : new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + n));
  });
}

/** runGraph for an int8 graph (with planMemory's plan unless given). */
export function runInt8Model(graph: Graph, inputs: Record<string, Value>, target: Target, dir: string, plan?: MemoryPlan): Promise<Int8Run> {
  return runGraph(graph, inputs, target, dir, { precision: 'int8', ...(plan ? { plan } : {}) });
}
