// Runs a prepared ONNX backend case on an emulated target: generated float32 model, test firmware around it,
// the target's gcc, then one inference in QEMU with semihosting. Used by backend-qemu.test.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitModel } from '../../src/codegen/emit-model.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import type { Graph } from '../../src/ir/graph.js';
import { planMemory, tensorBytes } from '../../src/partition/memory-plan.js';
import type { Target } from '../../src/target.js';
import { buildFirmware, runFirmware, type FirmwareImage } from '../../src/toolchain/index.js';
import type { PreparedCase } from './backend-cases.js';

export interface TargetRun {
  /** Outputs in graph order. */
  outputs: Float32Array[];
  image: FirmwareImage;
  /** Instructions of the one inference (QEMU -icount). */
  instructions: number | null;
}

/** Names of the graph's inputs and outputs that are not float32 (the float firmware passes raw float32 bytes). */
export function nonFloatTensors(graph: Graph): string[] {
  return [...graph.inputs, ...graph.outputs].filter((name) => graph.tensors.get(name)!.dtype !== 'float32');
}

/**
 * Generate, build and run `prepared` for `target` in `dir` (created). One make job: callers build several
 * firmwares side by side.
 */
export async function runOnTarget(prepared: PreparedCase, target: Target, dir: string): Promise<TargetRun> {
  const { graph } = prepared;
  const tensor = (name: string) => graph.tensors.get(name)!;
  const emitted = emitModel(graph, planMemory(graph), { modelName: prepared.name, precision: 'float32' });
  const firmware = renderFirmware(target, {
    modelName: prepared.name,
    kernelSources: emitted.kernelSources,
    inputBytes: graph.inputs.map((name) => tensorBytes(tensor(name))),
    outputBytes: graph.outputs.map((name) => tensorBytes(tensor(name))),
  });
  for (const [path, text] of [...emitted.files, ...firmware]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const image = await buildFirmware(dir, target, { jobs: 1 });

  // One sample: every input's float32 bytes in graph input order, as main.c reads them.
  const sample = Buffer.concat(graph.inputs.map((name) => {
    const value = prepared.inputs[name];
    if (!value) throw new Error(`${prepared.name}: no value for input "${name}"`);
    const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data as ArrayLike<number>);
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }));
  const run = await runFirmware(image.elfPath, target, new Uint8Array(sample), { samples: 1, timeoutMs: 30_000 });

  const bytes = run.outputs[0]!;
  let at = 0;
  const outputs = graph.outputs.map((name) => {
    const n = tensorBytes(tensor(name));
    // Copied out so that every output starts on a 4-byte boundary.
    const values = new Float32Array(bytes.slice(at, at + n).buffer);
    at += n;
    return values;
  });
  return { outputs, image, instructions: run.instructions[0] ?? null };
}

/** Runs async jobs at most `limit` at a time, in the order they are queued. */
export function createLimiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    // A finishing job hands its slot straight to the next one waiting, so no newcomer can slip in between.
    if (running < limit) running++;
    else await new Promise<void>((wake) => waiting.push(wake));
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
