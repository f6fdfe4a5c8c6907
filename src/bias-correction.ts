// Bias correction (--bias-correction): runs the float reference (frontend) over calibration samples to measure the
// mean input window of every Conv and Gemm, and folds the output shift its int8 weights cause into its bias (the
// math is in src/quantize/bias-correction.ts). Pipeline glue like calibration.ts: the two stages meet here.

import { runReference } from './frontend/index.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import { biasCorrectionSamples, correctableLayers, expectedShift, WindowMean, withCorrectedBiases } from './quantize/bias-correction.js';
import type { Range } from './quantize/calibrate.js';
import { chooseQuantParams, type PerChannelWeights } from './quantize/quant-params.js';
import { feedsOf, type InputSample } from './data/model-inputs.js';

/** Decimals of the largest shift in the note (in output steps: tenths of a step are what matters). */
const NOTE_DECIMALS = 2;

/**
 * `graph` with the bias of every Conv and Gemm corrected for the expected output shift that rounding its weights
 * (`weights` where given, else symmetric per channel to nearest) causes on the calibration `samples` (at most
 * BIAS_CORRECTION_SAMPLES of them). `ranges` (the calibrated activation ranges) give each layer's output step, in
 * which the note states the largest shift. The input graph is not changed.
 */
export function correctBias(
  graph: Graph,
  samples: readonly InputSample[],
  weights: ReadonlyMap<string, PerChannelWeights>,
  ranges: ReadonlyMap<string, Range>,
): { graph: Graph; notes: string[] } {
  const layers = correctableLayers(graph, weights);
  if (layers.length === 0 || samples.length === 0) return { graph, notes: ['int8: bias correction found no Conv or Gemm to correct'] };
  const means = layers.map((layer) => new WindowMean(layer));
  const readers = new Map<string, WindowMean[]>();
  layers.forEach((layer, i) => readers.set(layer.input, [...(readers.get(layer.input) ?? []), means[i]!]));
  const onTensor = (name: string, value: Value): void => {
    for (const mean of readers.get(name) ?? []) mean.add(value.data as Float32Array);
  };
  for (const sample of biasCorrectionSamples(samples)) {
    runReference(graph, feedsOf(graph, sample), { onTensor });
  }

  const shifts = new Map<string, Float64Array>();
  let largest = { steps: 0, node: '' };
  layers.forEach((layer, i) => {
    const shift = expectedShift(layer, means[i]!.mean());
    if (shift.every((s) => s === 0)) return; // weights the model quantized itself: nothing to correct
    shifts.set(layer.node.name, shift);
    const range = ranges.get(layer.node.outputs[0]!);
    const step = range ? chooseQuantParams(range, layer.node.outputs[0]).scale : 1;
    for (const s of shift) if (Math.abs(s) / step > largest.steps) largest = { steps: Math.abs(s) / step, node: layer.node.name };
  });
  if (shifts.size === 0) return { graph, notes: ['int8: bias correction left every bias as it was (no weight rounding error)'] };
  const plural = shifts.size === 1 ? 'layer' : 'layers';
  return {
    graph: withCorrectedBiases(graph, shifts),
    notes: [
      `int8: bias correction on ${shifts.size} ${plural} (largest shift ${largest.steps.toFixed(NOTE_DECIMALS)} output steps, in ${largest.node})`,
    ],
  };
}
