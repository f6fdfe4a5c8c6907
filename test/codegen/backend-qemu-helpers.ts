// Runs a prepared ONNX backend case on an emulated target (src/run-graph.ts: generated float32 model, test
// firmware, the target's gcc, one inference in QEMU). Used by backend-qemu.test.ts.

import type { Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/run-graph.js';
import type { Target } from '../../src/target/target.js';
import type { FirmwareImage } from '../../src/toolchain/index.js';
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
  const run = await runGraph(prepared.graph, prepared.inputs, target, dir, {
    precision: 'float32',
    modelName: prepared.name,
    jobs: 1,
    timeoutMs: 30_000,
  });
  return { outputs: run.outputs as Float32Array[], image: run.image, instructions: run.instructions };
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
