// Test helper for failure injection on real models: builds an intermittent project of a bundled example (tiles of its
// convolutions cut across tasks, test/codegen/intermittent-models.ts), runs it continuously with its tasks traced,
// and gives the budget its measured tasks fit, so that windows of 1x-5x that budget always make progress.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTERMITTENT_MARGIN, type NvmKind } from '../../src/intermittent/index.js';
import { loadTarget, type Target } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import type { ContinuousReference } from '../../src/toolchain/power-failures.js';
import { exampleModel, intermittentPlan, tasksOf, writeProject } from '../codegen/intermittent-models.js';

/** Instructions a window needs besides its task: the resume (two record slots checked) with room to spare. */
const RESUME_ALLOWANCE = 4_000;
/** Instructions per byte a hooks resume restores through eenn_nvm_read (the test firmware copies byte by byte). */
const RESTORE_PER_BYTE = 8;

export interface BuiltExample {
  image: string;
  target: Target;
  /** The first sample's input bytes. */
  sample: Uint8Array;
  continuous: ContinuousReference;
  /** A budget every measured task fits with its resume, within the margin. */
  budget: number;
  tasks: number;
}

/** cortex-m4 with its NVM behind the hooks (a target file copy in `dir`). */
export function hooksTarget(dir: string): Target {
  const json = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8')) as Record<string, unknown>;
  json.nvm = { kind: 'hooks', size: '1M', note: 'external FRAM behind eenn_nvm_read/eenn_nvm_write' };
  delete json.$schema;
  mkdirSync(join(dir, 'hooks'), { recursive: true });
  writeFileSync(join(dir, 'hooks', 'cortex-m4.json'), JSON.stringify(json));
  return loadTarget(join(dir, 'hooks', 'cortex-m4.json'));
}

/** Build `example` in `precision` for `target` (its nvm kind) in `dir`, run its first sample traced, size the budget. */
export async function buildExample(
  dir: string,
  example: 'fmnist' | 'branchy',
  precision: 'int8' | 'float32',
  target: Target = loadTarget('cortex-m4'),
): Promise<BuiltExample> {
  const nvm: NvmKind = target.nvm!.kind;
  const model = await exampleModel(example, precision, 1);
  const plan = intermittentPlan(model.graph);
  const tasks = tasksOf(model, plan, nvm, 'tiles');
  const folder = join(dir, `${example}-${precision}-${nvm}`);
  writeProject(folder, target, model, plan, tasks);
  const image = (await buildFirmware(folder, target, { jobs: 1 })).elfPath;
  const run = await runFirmware(image, target, model.inputBytes, { samples: 1, timeoutMs: 120_000 });
  // The tasks the sample reached (an early exit ends the inference at its task).
  const ends = run.taskInstructions[0]!.filter((at): at is number => at !== null);
  const largest = Math.max(...ends.map((end, t) => end - (t === 0 ? 0 : ends[t - 1]!)));
  const restore = nvm === 'hooks' ? RESTORE_PER_BYTE * Math.max(...tasks.tasks.map((t) => t.liveBytesAfter)) : 0;
  return {
    image,
    target,
    sample: model.inputBytes,
    continuous: { outputs: run.outputs[0]!, exit: run.exits[0]!, instructions: run.instructions[0]!, taskInstructions: run.taskInstructions[0]! },
    budget: Math.ceil((largest + RESUME_ALLOWANCE + restore) / (1 - INTERMITTENT_MARGIN)),
    tasks: tasks.tasks.length,
  };
}
