// Runs a quantized graph once on a target without an ONNX file (tests, per-layer benchmarks): plans and emits it,
// wraps it in the test firmware (host or an emulated Cortex-M), builds it with the project's Makefile and runs one
// sample through main.c's input.bin / output.bin protocol, decoding each output by its dtype.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitModel, type EmittedModel } from './codegen/emit-model.js';
import { renderFirmware } from './codegen/firmware.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import { planMemory, tensorBytes, validatePlan, type MemoryPlan } from './partition/memory-plan.js';
import type { Target } from './target.js';
import { buildFirmware, runFirmware, type FirmwareImage } from './toolchain/index.js';

export interface Int8Run {
  plan: MemoryPlan;
  emitted: EmittedModel;
  image: FirmwareImage;
  /** Outputs in graph order: Int8Array for int8 outputs, Float32Array for float32 ones. */
  outputs: (Int8Array | Float32Array)[];
  instructions: number | null;
}

/** Generate, build (in `dir`) and run `graph` on `inputs` for `target` (with planMemory's plan unless given). */
export async function runInt8Model(graph: Graph, inputs: Record<string, Value>, target: Target, dir: string,
  plan: MemoryPlan = planMemory(graph)): Promise<Int8Run> {
  const problems = validatePlan(plan, graph);
  if (problems.length > 0) throw new Error(`memory plan: ${problems.join('; ')}`);
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
  const bytes = run.outputs[0]!;
  let at = 0;
  const outputs = graph.outputs.map((name) => {
    const t = tensor(name);
    const n = tensorBytes(t);
    const chunk = bytes.slice(at, at + n);
    at += n;
    return t.dtype === 'int8' ? new Int8Array(chunk.buffer, chunk.byteOffset, n) : new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + n));
  });
  return { plan, emitted, image, outputs, instructions: run.instructions[0] ?? null };
}
