// Test helpers for intermittent builds: the bundled examples as graphs (float32, int8, with early exits), their
// plans without fused bands, task plans (a task per step, several steps per task, or tiles forced by large step
// costs) and the project of a plain or intermittent build written to a folder.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitModel, type EmittedModel } from '../../src/codegen/emit-model.js';
import { stepTilings } from '../../src/codegen/intermittent.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { quantizeModel } from '../../src/compile.js';
import { readNpy } from '../../src/data/index.js';
import { attachExits, resolveExits } from '../../src/exits/index.js';
import { importModel } from '../../src/frontend/index.js';
import { INTERMITTENT_SCHEDULE, naiveTasks, splitTasks, type NvmKind, type StepFacts, type TaskPlan } from '../../src/intermittent/index.js';
import { encodeSamples } from '../../src/io-codec.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { planMemory, tensorBytes, type MemoryPlan } from '../../src/schedule/memory-plan.js';
import type { Target } from '../../src/target/target.js';

export type Precision = 'float32' | 'int8';

export interface ExampleModel {
  name: string;
  graph: Graph;
  precision: Precision;
  /** `samples` test images, encoded for the model's input, back to back. */
  inputBytes: Uint8Array;
  samples: number;
}

const EXAMPLES = {
  fmnist: { model: 'examples/fmnist/fmnist_cnn.onnx', dir: 'examples/fmnist' },
  branchy: { model: 'examples/fmnist_branchy/fmnist_branchy.onnx', dir: 'examples/fmnist_branchy' },
} as const;

/** An example as a graph of `precision` (int8: calibrated on 50 samples, with its early exits attached). */
export async function exampleModel(example: keyof typeof EXAMPLES, precision: Precision, samples: number): Promise<ExampleModel> {
  const { model, dir } = EXAMPLES[example];
  const floatGraph = importModel(model).graph;
  const exits = resolveExits(floatGraph, {}, []);
  const compiled =
    precision === 'int8'
      ? await quantizeModel(floatGraph, { model, calibration: { path: `${dir}/calib_u8.npy`, scale: 1 / 255, count: 50, method: 'minmax' } })
      : floatGraph;
  const graph = exits ? attachExits(compiled, exits) : compiled;
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const size = sizeOf(input.shape);
  const images = readNpy(`${dir}/test_inputs.npy`).data as Float32Array;
  const { bytes } = encodeSamples(
    input,
    Array.from({ length: samples }, (_, s) => images.slice(s * size, (s + 1) * size)),
  );
  return { name: `${example}_${precision}`, graph, precision, inputBytes: bytes, samples };
}

/** The plan of an intermittent build: no fused pool or conv-pair bands (their bands overwrite what they read). */
export function intermittentPlan(graph: Graph): MemoryPlan {
  return planMemory(graph, { ...INTERMITTENT_SCHEDULE });
}

const OVERHEADS = { tileCall: 100, resume: 600, commit: 400, perByte: 0 };

/**
 * Tasks of `plan`: 'steps' one per step (naiveTasks); 'tiles' from splitTasks with every tileable step made to cost
 * `tileFactor` budgets (at most 30,000 instructions a granule, so that one fits a task), so that it is cut into tiles
 * across tasks, and the others a few hundred instructions, so that several share a task.
 */
export function tasksOf(model: ExampleModel, plan: MemoryPlan, nvm: NvmKind, kind: 'steps' | 'tiles', tileFactor = 2.5): TaskPlan {
  const budget = 100_000;
  if (kind === 'steps') return naiveTasks(plan, undefined, { nvm, budget, overheads: OVERHEADS });
  const tilings = stepTilings(model.graph, plan, model.precision);
  const facts: StepFacts[] = tilings.map((tiling) =>
    tiling ? { instructions: Math.round(Math.min(tileFactor * budget, (30_000 * tiling.units) / tiling.granule)), tiling } : { instructions: 300 },
  );
  return splitTasks(plan, facts, { budget, nvm, overheads: OVERHEADS });
}

/** Writes the project of `model` (intermittent when `tasks` is given) for `target` into `dir`. */
export function writeProject(dir: string, target: Target, model: ExampleModel, plan: MemoryPlan, tasks?: TaskPlan): EmittedModel {
  const emitted = emitModel(model.graph, plan, {
    modelName: model.name,
    precision: model.precision,
    ...(tasks ? { intermittent: { tasks } } : {}),
  });
  const bytesOf = (name: string) => tensorBytes(model.graph.tensors.get(name)!);
  const firmware = renderFirmware(target, {
    modelName: model.name,
    kernelSources: emitted.kernelSources,
    inputBytes: model.graph.inputs.map(bytesOf),
    outputBytes: model.graph.outputs.map(bytesOf),
    exits: emitted.exits,
    ...(tasks ? { intermittent: { nvm: tasks.nvm } } : {}),
  });
  for (const [path, text] of [...emitted.files, ...firmware]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return emitted;
}
