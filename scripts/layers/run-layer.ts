// Builds one benchmark model (scripts/layers/layer-models.ts) the way a user does, through the command line of
// `eennc run MODEL.onnx --target T --calib CALIB.npy --input INPUT.npy` (default flags: calibration, the
// default post-training techniques, `--arena tflm`), runs it in QEMU, checks its output against the int8
// reference bit for bit and estimates its cycles: the measurement behind each row of scripts/bench-layers.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { main } from '../../src/cli/main.js';
import { register as registerRun } from '../../src/cli/commands/run.js';
import { buildAndExecute, type Execution, type ExecuteOptions } from '../../src/cli/execute.js';
import { countMismatches } from '../../src/cli/commands/test.js';
import { int8ReferenceRun } from '../../src/exit-reference.js';
import type { CycleEstimate } from '../../src/target/cycle-model.js';
import type { Target } from '../../src/target/target.js';
import { estimateInferenceCycles } from '../../src/toolchain/cycle-estimate.js';
import type { LayerFiles } from './layer-models.js';

export interface LayerRun {
  /** Instructions of one inference (eenn_run) under QEMU -icount. */
  instructions: number;
  /** The cycle estimate of the same inference (src/target/cycle-model.ts); undefined where the core has no model. */
  cycles?: CycleEstimate;
  /** Output values that differ from the int8 reference (0: bit-exact). */
  mismatches: number;
  /** The kernel functions the generated model.c calls. */
  kernels: string[];
  /** Whether the build is what a plain int8 build is: int8 tensors and kernels only (no int16 layer, no float one). */
  plainInt8: boolean;
  /** Flash of the constant arrays (weights, bias, requantization) and the arena, bytes. */
  weightBytes: number;
  arenaBytes: number;
}

/**
 * The Execution of `eennc run ARGS` as the command line builds it: run's own options and defaults (commander),
 * with its action replaced by one that keeps the Execution instead of printing it.
 */
async function runCommand(args: string[]): Promise<Execution> {
  let execution: Execution | undefined;
  const code = await main(['node', 'eennc', 'run', ...args], (program: Command) => {
    registerRun(program);
    program.commands
      .find((c) => c.name() === 'run')!
      .action(async (model: string, options: ExecuteOptions & { input: string[] }) => {
        execution = await buildAndExecute(model, options, options.input, `building ${model} for ${options.target}`);
      });
  });
  if (code !== 0 || !execution) throw new Error(`eennc run ${args.join(' ')} failed (exit ${code})`);
  return execution;
}

/** Build and run `files` for `target` in `dir` (the C project is kept there: --out-dir). */
export async function runLayer(files: LayerFiles, target: Target, dir: string): Promise<LayerRun> {
  const execution = await runCommand([
    files.model,
    '--target',
    target.name,
    '--calib',
    files.calib,
    '--input',
    files.input,
    // Not --json: it changes no build, and would put an error's JSON document on the bench's stdout.
    '--out-dir',
    dir,
  ]);
  const { compiled, samples } = execution;
  const { graph } = compiled;
  const sample = samples[0]!;
  const reference = int8ReferenceRun(graph, execution.encoded[0]!.values);
  const mismatches = countMismatches(graph.outputs, sample.raw, reference.outputs);
  const modelC = readFileSync(join(compiled.outDir, 'model.c'), 'utf8');
  const kernels = [...new Set([...modelC.matchAll(/\b(eenn_\w+?_(?:s8|s16|f32))\(/g)].map((m) => m[1]!))];
  const plainInt8 = kernels.every((k) => k.endsWith('_s8')) && [...graph.tensors.values()].every((t) => t.dtype !== 'int16' && t.dtype !== 'float32');
  const cycles = await estimateInferenceCycles(compiled.image!.elfPath, target, execution.encoded[0]!.bytes);
  const m = compiled.report.memory;
  return {
    instructions: sample.instructions ?? Number.NaN,
    ...(cycles ? { cycles } : {}),
    mismatches,
    kernels,
    plainInt8,
    weightBytes: m.weights_bytes,
    arenaBytes: m.arena_bytes,
  };
}
