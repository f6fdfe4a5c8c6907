// Bias correction: not built yet.

import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import type { PerChannelWeights } from './quantize/quant-params.js';

/**
 * `graph` with the bias of every Conv and Gemm corrected for the expected output shift that rounding its weights
 * (`weights` where given, else symmetric per channel to nearest) causes on the calibration `samples`.
 */
export function correctBias(
  graph: Graph,
  samples: readonly Float32Array[],
  weights: ReadonlyMap<string, PerChannelWeights>,
): { graph: Graph; notes: string[] } {
  void graph, samples, weights;
  throw new EennError({ code: 'E_UNSUPPORTED', message: '--bias-correction is not available in this build' });
}
