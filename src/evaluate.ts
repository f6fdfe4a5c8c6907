// Accuracy of a quantized model against its float original: top-1 of both references on a labelled set, and the
// error each int8 tensor adds (SQNR against the float tensor of the same name), so a user sees which layer hurts.
// Pipeline glue like compile.ts: the float reference (frontend) and the int8 reference (quantize) meet here.

import { runReference } from './frontend/index.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { scaleZeroOf } from './ir/int8.js';
import type { Value } from './ops/types.js';
import { encodeInput } from './io-codec.js';
import { dequantizeS8F32 } from './quantize/fixedpoint.js';
import { runInt8Reference } from './quantize/int8-reference.js';

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
  /** Top-1 accuracy in [0, 1] of the float reference and of the int8 reference. */
  floatTop1: number;
  int8Top1: number;
  /** Samples where the two references predict different classes. */
  disagreements: number;
  /** Per-layer error over the first `sqnrSamples` samples, in graph order. */
  layers: LayerError[];
  sqnrSamples: number;
}

export interface AccuracyOptions {
  /** Samples used for the per-layer SQNR (default 100: every intermediate tensor is kept for these). */
  sqnrSamples?: number;
  onProgress?: (done: number, total: number) => void;
}

function argmax(data: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}

/**
 * Run both references on `samples` (floats of the single model input) and compare with `labels`
 * (class indices of the first model output).
 */
export function evaluateAccuracy(
  floatGraph: Graph,
  int8Graph: Graph,
  samples: readonly Float32Array[],
  labels: Int32Array,
  options: AccuracyOptions = {},
): AccuracyReport {
  if (labels.length < samples.length) {
    throw new EennError({ code: 'E_DATA', message: `${samples.length} samples but only ${labels.length} labels`, hint: 'give one label per sample' });
  }
  const floatInput = floatGraph.inputs[0]!;
  const int8InputName = int8Graph.inputs[0]!;
  const int8Input = int8Graph.tensors.get(int8InputName)!;
  const floatOutput = floatGraph.outputs[0]!;
  const int8Output = int8Graph.outputs[0]!;
  const sqnrSamples = Math.min(options.sqnrSamples ?? 100, samples.length);
  const signal = new Map<string, number>();
  const noise = new Map<string, number>();
  let floatCorrect = 0;
  let int8Correct = 0;
  let disagreements = 0;

  samples.forEach((sample, i) => {
    const keep = i < sqnrSamples ? 'all' : 'outputs';
    const floatValues = runReference(floatGraph, { [floatInput]: { shape: [...int8Input.shape], dtype: 'float32', data: sample } }, { keep });
    const int8Values = runInt8Reference(int8Graph, { [int8InputName]: encodeInput(int8Input, sample).value }, { keep });
    const floatClass = argmax(floatValues[floatOutput]!.data as ArrayLike<number>);
    const int8Class = argmax(int8Values[int8Output]!.data as ArrayLike<number>);
    if (floatClass === labels[i]) floatCorrect++;
    if (int8Class === labels[i]) int8Correct++;
    if (floatClass !== int8Class) disagreements++;
    if (keep === 'all') accumulateErrors(int8Graph, floatValues, int8Values, signal, noise);
    options.onProgress?.(i + 1, samples.length);
  });

  const layers: LayerError[] = [];
  for (const node of int8Graph.nodes) {
    for (const tensor of node.outputs) {
      const s = signal.get(tensor);
      const n = noise.get(tensor);
      if (s === undefined || n === undefined) continue;
      layers.push({ tensor, node: node.name, op: node.op, sqnrDb: n === 0 ? Infinity : 10 * Math.log10(s / n) });
    }
  }
  return {
    samples: samples.length,
    floatTop1: floatCorrect / samples.length,
    int8Top1: int8Correct / samples.length,
    disagreements,
    layers,
    sqnrSamples,
  };
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
    if (!f || !t || t.data || q.dtype !== 'int8' || f.data.length !== q.data.length) continue;
    const { scale, zeroPoint } = scaleZeroOf(t);
    let s = 0;
    let n = 0;
    for (let k = 0; k < q.data.length; k++) {
      const real = Number(f.data[k]);
      const diff = real - dequantizeS8F32(Number(q.data[k]), scale, zeroPoint);
      s += real * real;
      n += diff * diff;
    }
    signal.set(name, (signal.get(name) ?? 0) + s);
    noise.set(name, (noise.get(name) ?? 0) + n);
  }
}
