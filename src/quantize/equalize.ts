// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization"): not built yet.

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';

/** `graph` with its Conv -> ReLU -> Conv chains equalized; what was done, one line each. */
export function equalizeGraph(graph: Graph): { graph: Graph; notes: string[] } {
  void graph;
  throw new EennError({ code: 'E_UNSUPPORTED', message: '--equalize is not available in this build' });
}
