// What a model with early exits costs and where inputs leave it: the cumulative instructions at every exit measured
// on the target (one sample run past every exit, and the same model built with --no-exits), the exit each input
// takes in the reference, and the per-exit table made of them (src/report/exit-table.ts).

import { answeringOutput, floatReferenceRun, int8ReferenceRun } from './exit-reference.js';
import { exitMacs } from './exits/index.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { encodeInput } from './io-codec.js';
import type { Value } from './ops/types.js';
import { exitTable, type ExitTable } from './report/exit-table.js';
import type { Target } from './target/target.js';
import { removeTempDir } from './util/temp-dirs.js';
import { argmax } from './util/argmax.js';
import { countSteps, type ProgressListener } from './util/progress.js';

/** Instructions measured on the target: cumulative at each exit (the last: no early exit taken), and with --no-exits. */
export interface ExitInstructions {
  exits: number[];
  noExits: number;
}

/** A linked image in a temporary folder of its own, which the measurement removes. */
export interface ImageInFolder {
  elfPath: string;
  dir: string;
}

/** Time limit of one measurement run (one sample). */
const MEASURE_TIMEOUT_MS = 120_000;
/** The emulator runs of a measurement: past every exit, and with --no-exits. */
const MEASURE_RUNS = 2;

/**
 * Run `sample` once on the image of `graph` (with exits) past every exit, for the cumulative instructions at each
 * exit, and once on the model built with --no-exits (`withoutExits`). Undefined where the target counts no
 * instructions. The two runs are counted to `onProgress`.
 */
export async function measureExitInstructions(
  graph: Graph,
  target: Target,
  elfPath: string,
  sample: Float32Array,
  withoutExits: () => Promise<ImageInFolder>,
  onProgress?: ProgressListener,
): Promise<ExitInstructions | undefined> {
  // Loaded here: the exit table alone (accuracy without --target) needs no toolchain.
  const { runFirmware } = await import('./toolchain/index.js');
  const input = encodeInput(graph.tensors.get(graph.inputs[0]!)!, sample);
  const ran = countSteps(onProgress, `measuring the cost of each exit on ${target.name}`, 'runs');
  ran(0, MEASURE_RUNS);
  const run = await runFirmware(elfPath, target, input.bytes, { samples: 1, timeoutMs: MEASURE_TIMEOUT_MS, continuePastExits: true });
  const total = run.instructions[0];
  const early = run.exitInstructions[0] ?? [];
  if (total === null || total === undefined) {
    ran.stop();
    return undefined;
  }
  const earlyExits = (graph.exits?.outputs.length ?? 1) - 1;
  if (early.length !== earlyExits || early.some((n) => n === null)) {
    throw new EennError({
      code: 'E_RUN',
      file: elfPath,
      message: `the measurement run past every exit reported ${early.filter((n) => n !== null).length} of the ${earlyExits} early exits' costs`,
      hint: 'the firmware did not trace every exit: this is a bug in eennc; report it with the model',
    });
  }
  ran(1, MEASURE_RUNS);
  const image = await withoutExits();
  try {
    const plain = await runFirmware(image.elfPath, target, input.bytes, { samples: 1, timeoutMs: MEASURE_TIMEOUT_MS });
    ran(MEASURE_RUNS, MEASURE_RUNS);
    return { exits: [...(early as number[]), total], noExits: plain.instructions[0] ?? total };
  } finally {
    await removeTempDir(image.dir);
  }
}

/**
 * The exit each of `samples` takes in the reference of `graph`: the int8 reference (bit for bit the device's
 * decisions) for an int8 graph, the float reference for a float32 one. With `labels`, also whether the answer of
 * the exit taken, and that of the final exit, is right.
 */
export function exitsTaken(
  graph: Graph,
  samples: readonly Float32Array[],
  labels?: ArrayLike<number>,
): { taken: number[]; correct?: boolean[]; finalCorrect?: boolean[] } {
  const name = graph.inputs[0]!;
  const tensor = graph.tensors.get(name)!;
  const int8 = graph.exits?.decisions.some((d) => d.int8 !== undefined) ?? false;
  const taken: number[] = [];
  const correct: boolean[] = [];
  const finalCorrect: boolean[] = [];
  const final = graph.exits ? graph.exits.outputs.at(-1)! : graph.outputs[0]!;
  samples.forEach((sample, i) => {
    const inputs: Record<string, Value> = { [name]: encodeInput(tensor, sample, i).value };
    const run = int8 ? int8ReferenceRun(graph, inputs) : floatReferenceRun(graph, inputs);
    taken.push(run.exit);
    if (labels) {
      correct.push(argmax(run.outputs[answeringOutput(graph, run.exit)]!.data) === labels[i]);
      finalCorrect.push(argmax(run.outputs[final]!.data) === labels[i]);
    }
  });
  return labels ? { taken, correct, finalCorrect } : { taken };
}

/** The per-exit table of an attached graph: its exits' MACs, and what was measured or run. */
export function exitTableOf(
  graph: Graph,
  measured: { instructions?: ExitInstructions; taken?: number[]; source?: string; correct?: boolean[]; finalCorrect?: boolean[] },
): ExitTable {
  const exits = graph.exits;
  if (!exits) throw new Error(`internal: graph "${graph.name}" has no exits`);
  const macs = exitMacs(graph);
  return exitTable({
    names: exits.outputs,
    policy: exits.policy,
    thresholds: exits.thresholds,
    macs: macs.exits,
    noExitsMacs: macs.total,
    instructions: measured.instructions?.exits,
    noExitsInstructions: measured.instructions?.noExits,
    taken: measured.taken,
    source: measured.source,
    correct: measured.correct,
    finalCorrect: measured.finalCorrect,
  });
}
