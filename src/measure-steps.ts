// What each step of a model's schedule costs on a target, measured: the model emitted with step tracing
// (emit-model.ts traceSteps) and the test firmware built with EENN_TRACE_STEPS in a temporary folder, run in the
// target's emulator past every early exit; the cumulative instructions after each step (the exit decision that
// follows it included) give each step's own. The multi-device cost model (src/devices/cost-model.ts) and a profile
// of the model read them.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { emitModel } from './codegen/emit-model.js';
import { renderFirmware } from './codegen/firmware.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { tensorBytes, type MemoryPlan } from './schedule/memory-plan.js';
import type { Target } from './target/target.js';
import { makeTempDir, removeTempDir } from './util/temp-dirs.js';
import { countSteps, type ProgressListener } from './util/progress.js';

/** A step of the schedule, as a profile names it. */
export interface StepRecord {
  /** Its index in the plan's schedule (plan.steps). */
  index: number;
  /** Its primary node (the first it computes; the others are fused into it). */
  node: string;
  op: string;
}

/** What measureStepInstructions needs: a planned graph, the target, and the samples to run. */
export interface StepMeasureOptions {
  graph: Graph;
  plan: MemoryPlan;
  target: Target;
  precision: 'int8' | 'float32';
  /** Name of the firmware image (letters, digits, `_`, `-`, `.`). */
  modelName: string;
  /** `count` samples back to back, each every model input in order, encoded as the firmware reads them (input.bin). */
  samples: Uint8Array;
  count: number;
  /** Optimisation flags of the build (Makefile OPT); `-O2` unless given. */
  optimization?: string;
  /** Time limit of the run of all the samples; default MEASURE_BASE_MS plus MEASURE_PER_SAMPLE_MS a sample. */
  timeoutMs?: number;
  /** Lines of each phase, and the samples run counted (their line gives the time the run took). */
  onProgress?: ProgressListener;
}

/** Instructions of each step, measured on the target past every early exit. */
export interface StepInstructions {
  /** Each step of the schedule, in order. */
  steps: StepRecord[];
  /** Mean instructions of each step over the samples, the exit decision that follows it included. */
  perStep: number[];
  /**
   * Per sample, per step. Step 0 carries eenn_run's entry (its argument checks), the last step its return (the
   * copies of outputs stored elsewhere): a sample's steps add up to its whole eenn_run.
   */
  perSample: number[][];
  /** Per sample: eenn_run's instructions, every layer run (the trace's own cost left out). */
  totals: number[];
}

/** Time limit of a measuring run: a fixed part (emulator start-up) and a part per sample. */
const MEASURE_BASE_MS = 60_000;
const MEASURE_PER_SAMPLE_MS = 20_000;

/**
 * Emit `graph` with step tracing and the test firmware into a temporary folder, link it, run the samples in the
 * target's emulator past every early exit, and remove the folder. E_TARGET for a target that has no emulator or
 * does not count instructions, E_DATA for samples that are not `count` whole inputs, E_TOOLCHAIN when the
 * compiler or emulator is missing.
 */
export async function measureStepInstructions(options: StepMeasureOptions): Promise<StepInstructions> {
  const { graph, plan, target, count } = options;
  checkMeasurable(target);
  const inputBytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const sampleBytes = inputBytes.reduce((sum, bytes) => sum + bytes, 0);
  if (!Number.isSafeInteger(count) || count <= 0 || options.samples.length !== count * sampleBytes) {
    throw new EennError({
      code: 'E_DATA',
      message: `${options.samples.length} input bytes are not ${count} samples of ${graph.name}'s inputs (${sampleBytes} bytes each)`,
      hint: 'give every model input of every sample, encoded as the firmware reads them (encodeInput), back to back',
    });
  }
  // Loaded here: emitting and planning need no toolchain.
  const { buildFirmware, runFirmware } = await import('./toolchain/index.js');
  const emitted = emitModel(graph, plan, { modelName: options.modelName, precision: options.precision, traceSteps: true });
  const firmware = renderFirmware(target, {
    modelName: options.modelName,
    kernelSources: emitted.kernelSources,
    inputBytes,
    outputBytes: graph.outputs.map((name) => tensorBytes(graph.tensors.get(name)!)),
    optimization: options.optimization,
    exits: emitted.exits,
    traceSteps: true,
  });
  const dir = await makeTempDir('eennc-steps-');
  try {
    for (const [path, text] of [...emitted.files, ...firmware]) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    options.onProgress?.(`measuring the instructions of each of ${plan.steps.length} steps on ${target.name}: building`);
    const image = await buildFirmware(dir, target, { optimization: options.optimization });
    options.onProgress?.(`measuring the instructions of each step on ${target.name}: running ${count} sample${count === 1 ? '' : 's'}`);
    // One emulator run for every sample: counted when it ends, the bar's clock running meanwhile.
    const ran = countSteps(options.onProgress, `measuring the instructions of each step on ${target.name}`, 'samples');
    ran(0, count);
    const run = await runFirmware(image.elfPath, target, options.samples, {
      samples: count,
      timeoutMs: options.timeoutMs ?? MEASURE_BASE_MS + MEASURE_PER_SAMPLE_MS * count,
      continuePastExits: graph.exits !== undefined,
    });
    ran(count, count);
    const perSample = run.stepInstructions.map((cumulative, sample) => stepsOf(cumulative, run.instructions[sample], plan.steps.length, target));
    return {
      steps: plan.steps.map((step) => ({ index: step.index, node: step.nodes[0]!.name, op: step.nodes[0]!.op })),
      perStep: plan.steps.map((_, k) => perSample.reduce((sum, steps) => sum + steps[k]!, 0) / count),
      perSample,
      totals: run.instructions as number[],
    };
  } catch (err) {
    // The measuring project's folder is gone when the user reads the error: say what was being measured instead.
    if (err instanceof EennError && err.file?.startsWith(dir)) {
      const hint = `the measuring firmware of ${options.modelName} failed: this is a bug in eennc; report it with the model and the target`;
      throw new EennError({ ...err.toInfo(), file: undefined, hint });
    }
    throw err;
  } finally {
    await removeTempDir(dir);
  }
}

/** E_TARGET unless `target` runs in an emulator that counts instructions (SysTick under -icount). */
export function checkMeasurable(target: Target): void {
  if (!target.emulator || target.counter.source !== 'systick') {
    throw new EennError({
      code: 'E_TARGET',
      file: target.file,
      message: `${target.name} ${target.emulator ? 'does not count instructions (its counter is not SysTick)' : 'has no emulator'}: the instructions of each step are measured in one`,
      hint: 'measure on an emulated Cortex-M target of the same core (eennc targets lists them), e.g. cortex-m4',
    });
  }
}

/**
 * One sample's instructions per step from the cumulative counts after each step and eenn_run's total. E_RUN when
 * the firmware did not report every step (every step runs past the exits).
 */
function stepsOf(cumulative: readonly (number | null)[], total: number | null | undefined, steps: number, target: Target): number[] {
  if (cumulative.length !== steps || cumulative.some((n) => n === null) || total === null || total === undefined) {
    throw new EennError({
      code: 'E_RUN',
      file: target.file,
      message: `the measuring run reported ${cumulative.filter((n) => n !== null).length} of the ${steps} steps' instructions on ${target.name}`,
      hint: 'the firmware did not trace every step: this is a bug in eennc; report it with the model',
    });
  }
  const at = cumulative as number[];
  return at.map((end, k) => (k === steps - 1 ? total : end) - (k === 0 ? 0 : at[k - 1]!));
}
