// Learned rounding of the weights (AdaRound): not built yet.

import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import type { Range } from './quantize/calibrate.js';
import type { PerChannelWeights } from './quantize/quant-params.js';
import type { ProgressListener } from './util/progress.js';

export interface RoundingOptions {
  onProgress?: ProgressListener;
  /** Weights the model quantized itself: kept as they are. */
  keep: ReadonlyMap<string, PerChannelWeights>;
  /** Worker threads; default one per core. */
  workers?: number;
}

/** The int8 weights of every Conv and Gemm, rounded to minimise each layer's output error on `samples`. */
export async function optimizeRounding(
  graph: Graph,
  samples: readonly Float32Array[],
  ranges: ReadonlyMap<string, Range>,
  options: RoundingOptions,
): Promise<{ weights: Map<string, PerChannelWeights>; notes: string[] }> {
  void graph, samples, ranges, options;
  throw new EennError({ code: 'E_UNSUPPORTED', message: '--optimize-rounding is not available in this build' });
}
