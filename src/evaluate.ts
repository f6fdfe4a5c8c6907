// Accuracy of a quantized model against its float original: top-1 of both references on a labelled set, and the
// error each int8 tensor adds (SQNR against the float tensor of the same name), so a user sees which layer hurts.
// With early exits, each reference takes its exits: top-1 with and without them, and the exit each sample takes.
// Pipeline glue like compile.ts: the float reference (frontend) and the int8 reference (quantize) meet here.

import { answeringOutput, floatReferenceRun, int8ReferenceRun } from './exit-reference.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import { encodeFeeds, rawToFloat } from './io-codec.js';
import { argmax } from './util/argmax.js';
import { feedsOf, type InputSample } from './data/model-inputs.js';

export interface LayerError {
  /** The int8 tensor (same name as the float tensor it approximates). */
  tensor: string;
  /** The node that writes it, and its operator. */
  node: string;
  op: string;
  /** Signal-to-quantization-noise ratio in dB: 10 log10(sum f^2 / sum (f - dequantized q)^2); Infinity when exact. */
  sqnrDb: number;
}

export interface AccuracyReport {
  samples: number;
  /** Top-1 accuracy in [0, 1] of the float reference and of the int8 reference (each taking its exits, if any). */
  floatTop1: number;
  int8Top1: number;
  /** A model with early exits (both graphs attached): what each reference did at its exits. */
  exits?: ExitAccuracy;
  /** Samples where the two references predict different classes. */
  disagreements: number;
  /** Per-layer error over the first `sqnrSamples` samples, in graph order. */
  layers: LayerError[];
  sqnrSamples: number;
}

/** Per sample and per exit, what the two references of a model with early exits did. */
export interface ExitAccuracy {
  /** The exit outputs in order, the last being the final classifier. */
  names: string[];
  /** Top-1 of the final output (every layer run, as with --no-exits). */
  floatNoExitsTop1: number;
  int8NoExitsTop1: number;
  /** The exit each sample takes, and whether its answer there is right, in each reference. */
  float: ExitOutcomes;
  int8: ExitOutcomes;
  /** SQNR in dB of each exit's int8 output against the float output of the same exit, over every sample. */
  sqnrDb: number[];
}

export interface ExitOutcomes {
  taken: number[];
  correct: boolean[];
  /** Whether the final output's answer is right (--no-exits). */
  finalCorrect: boolean[];
}

export interface AccuracyOptions {
  /** Samples used for the per-layer SQNR (default 100: every intermediate tensor is kept for these). */
  sqnrSamples?: number;
  onProgress?: (done: number, total: number) => void;
  /** A model without exits (or with --no-exits): the output whose top-1 counts (default: the first). */
  output?: string;
  /**
   * The float graph the int8 one was quantized from, where it is not `floatGraph` itself (--equalize renames the
   * tensors whose values it changes): per-layer errors compare with its tensors. Default: `floatGraph`.
   */
  layerReference?: Graph;
}

/**
 * Run both references on `samples` (floats of the single model input) and compare with `labels`
 * (class indices of the first model output).
 */
export function evaluateAccuracy(
  floatGraph: Graph,
  int8Graph: Graph,
  samples: readonly InputSample[],
  labels: Int32Array,
  options: AccuracyOptions = {},
): AccuracyReport {
  if (labels.length < samples.length) {
    throw new EennError({ code: 'E_DATA', message: `${samples.length} samples but only ${labels.length} labels`, hint: 'give one label per sample' });
  }
  const exitNames = int8Graph.exits?.outputs;
  const final = exitNames ? exitNames.at(-1)! : (options.output ?? int8Graph.outputs[0]!);
  const sqnrSamples = Math.min(options.sqnrSamples ?? 100, samples.length);
  const signal = new Map<string, number>();
  const noise = new Map<string, number>();
  const exitSignal = new Map<string, number>();
  const exitNoise = new Map<string, number>();
  const outcomes = { float: newOutcomes(), int8: newOutcomes() };
  let disagreements = 0;

  samples.forEach((sample, i) => {
    const keep = i < sqnrSamples ? 'all' : 'outputs';
    const float = floatReferenceRun(floatGraph, feedsOf(floatGraph, sample), keep);
    const int8 = int8ReferenceRun(int8Graph, encodeFeeds(int8Graph, sample, i), keep);
    const floatClass = argmax(float.outputs[exitNames ? answeringOutput(floatGraph, float.exit) : final]!.data);
    const int8Class = argmax(int8.outputs[exitNames ? answeringOutput(int8Graph, int8.exit) : final]!.data);
    record(outcomes.float, float.exit, floatClass === labels[i], argmax(float.outputs[final]!.data) === labels[i]);
    record(outcomes.int8, int8.exit, int8Class === labels[i], argmax(int8.outputs[final]!.data) === labels[i]);
    if (floatClass !== int8Class) disagreements++;
    if (keep === 'all') {
      const reference = options.layerReference
        ? floatReferenceRun(options.layerReference, feedsOf(options.layerReference, sample), 'all').outputs
        : float.outputs;
      accumulateErrors(int8Graph, reference, int8.outputs, signal, noise);
    }
    for (const name of exitNames ?? []) {
      const q = rawToFloat(int8Graph.tensors.get(name)!, int8.outputs[name]!.data as ArrayLike<number>);
      accumulate(float.outputs[name]!.data, q, name, exitSignal, exitNoise);
    }
    options.onProgress?.(i + 1, samples.length);
  });

  const layers: LayerError[] = [];
  for (const node of int8Graph.nodes) {
    for (const tensor of node.outputs) {
      const s = signal.get(tensor);
      const n = noise.get(tensor);
      if (s === undefined || n === undefined) continue;
      layers.push({ tensor, node: node.name, op: node.op, sqnrDb: sqnr(s, n) });
    }
  }
  const top1 = (correct: boolean[]) => correct.filter(Boolean).length / samples.length;
  const exits: ExitAccuracy | undefined = exitNames && {
    names: exitNames,
    floatNoExitsTop1: top1(outcomes.float.finalCorrect),
    int8NoExitsTop1: top1(outcomes.int8.finalCorrect),
    ...outcomes,
    sqnrDb: exitNames.map((name) => sqnr(exitSignal.get(name) ?? 0, exitNoise.get(name) ?? 0)),
  };
  return {
    samples: samples.length,
    floatTop1: top1(outcomes.float.correct),
    int8Top1: top1(outcomes.int8.correct),
    ...(exits ? { exits } : {}),
    disagreements,
    layers,
    sqnrSamples,
  };
}

function newOutcomes(): ExitOutcomes {
  return { taken: [], correct: [], finalCorrect: [] };
}

function record(outcomes: ExitOutcomes, exit: number, correct: boolean, finalCorrect: boolean): void {
  outcomes.taken.push(exit);
  outcomes.correct.push(correct);
  outcomes.finalCorrect.push(finalCorrect);
}

/** Add each int8 tensor's signal and noise energy against the float tensor of the same name. */
function accumulateErrors(
  int8Graph: Graph,
  floatValues: Record<string, Value>,
  int8Values: Record<string, Value>,
  signal: Map<string, number>,
  noise: Map<string, number>,
): void {
  for (const [name, q] of Object.entries(int8Values)) {
    const f = floatValues[name];
    const t = int8Graph.tensors.get(name);
    if (!f || !t || t.data || (q.dtype !== 'int8' && q.dtype !== 'int16') || f.data.length !== q.data.length) continue;
    accumulate(f.data, rawToFloat(t, q.data as ArrayLike<number>), name, signal, noise);
  }
}

/** 10 log10(signal / noise) in dB; Infinity when there is no noise. */
function sqnr(signal: number, noise: number): number {
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** Add the signal and noise energy of `approx` against `exact` to the sums of `name`. */
function accumulate(
  exact: ArrayLike<number | bigint>,
  approx: ArrayLike<number>,
  name: string,
  signal: Map<string, number>,
  noise: Map<string, number>,
): void {
  let s = 0;
  let n = 0;
  for (let k = 0; k < exact.length; k++) {
    const real = Number(exact[k]);
    const diff = real - approx[k]!;
    s += real * real;
    n += diff * diff;
  }
  signal.set(name, (signal.get(name) ?? 0) + s);
  noise.set(name, (noise.get(name) ?? 0) + n);
}
