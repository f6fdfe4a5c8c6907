// Post-training quantization of a float graph from calibration samples: the techniques of
// src/quantize/techniques.ts in their order, then the int8 graph. Pipeline glue like calibration.ts: it runs the
// float reference (frontend) and the quantize stage, which meet here, not in each other.

import { calibrate } from './calibration.js';
import { correctBias } from './bias-correction.js';
import { selectInt16 } from './int16-selection.js';
import type { Graph } from './ir/graph.js';
import { optimizeRounding } from './optimize-rounding.js';
import type { CalibrationMethod } from './quantize/calibrate.js';
import { equalizeGraph } from './quantize/equalize.js';
import type { QuantOverrides } from './quantize/overrides.js';
import { quantizeGraph } from './quantize/quantize-graph.js';
import type { QuantTechniques } from './quantize/techniques.js';
import { countSteps, type ProgressListener } from './util/progress.js';
import type { InputSample } from './data/model-inputs.js';

export interface PostTrainingOptions {
  method: CalibrationMethod;
  percentile?: number;
  techniques: QuantTechniques;
  overrides: QuantOverrides;
  io: 'int8' | 'float32';
  onProgress?: ProgressListener;
}

export interface PostTrainingResult {
  /** The quantized graph (src/ir/int8.ts). */
  graph: Graph;
  /**
   * The float graph the int8 graph approximates: the imported one, or its equalized form (tensors whose values
   * equalization changed are renamed, so a comparison by name never pairs different quantities); never the
   * bias-corrected form, whose outputs are shifted on purpose.
   */
  floatGraph: Graph;
  /** What each technique did, one line each, for the build's notes. */
  notes: string[];
}

/** Quantize `floatGraph` with calibration `samples` (of its single input) and the chosen techniques. */
export async function postTrainingQuantize(
  floatGraph: Graph,
  samples: readonly InputSample[],
  options: PostTrainingOptions,
): Promise<PostTrainingResult> {
  const { techniques, overrides, io } = options;
  const notes: string[] = [];
  let graph = floatGraph;
  const statesOwn = overrides.activations.size > 0 || overrides.weights.size > 0;
  if (techniques.equalize && statesOwn) {
    notes.push('int8: --equalize left the model as it is: it states its own quantization, which equalizing would discard');
  } else if (techniques.equalize) {
    const equalized = equalizeGraph(graph);
    graph = equalized.graph;
    notes.push(...equalized.notes);
  }
  const ranges = await calibrate(graph, samples, {
    method: options.method,
    percentile: options.percentile,
    onProgress: countSteps(options.onProgress, 'calibrating', 'samples'),
  });
  const weights = new Map(overrides.weights);
  if (techniques.optimizeRounding) {
    const rounded = await optimizeRounding(graph, samples, ranges, { onProgress: options.onProgress, keep: overrides.weights });
    for (const [name, w] of rounded.weights) weights.set(name, w);
    notes.push(...rounded.notes);
  }
  // The float model the int8 graph stands for: bias correction changes what is quantized, not what it approximates.
  const reference = graph;
  if (techniques.biasCorrection) {
    const corrected = correctBias(graph, samples, weights, ranges);
    graph = corrected.graph;
    notes.push(...corrected.notes);
  }
  const quantOverrides: QuantOverrides = { activations: overrides.activations, weights };
  let int16: ReadonlySet<string> = new Set();
  if (techniques.int16Layers.kind === 'auto' && statesOwn) {
    notes.push(
      'int16: auto left every activation as the model quantized it (it states its own quantization); name layers in --int16-layers to widen them',
    );
  } else if (techniques.int16Layers.kind !== 'none') {
    const selected = selectInt16(graph, samples, { ranges, overrides: quantOverrides, io, request: techniques.int16Layers });
    int16 = selected.tensors;
    notes.push(...selected.notes);
  }
  return { graph: quantizeGraph(graph, { ranges, overrides: quantOverrides, io, int16 }), floatGraph: reference, notes };
}
