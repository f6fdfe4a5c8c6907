// The frontend as one call: load → shapes → fold → shapes. The compile pipeline (src/compile.ts) starts here.

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { fold } from './fold.js';
import { loadModel } from './load.js';
import { inferGraphShapes, withGivenInputShapes, type ShapeOptions } from './shapes.js';

export interface ImportOptions {
  /** Shapes for inputs with dynamic dimensions (CLI: --input-shape name=1x1x28x28). */
  inputShapes?: Record<string, number[]>;
  /**
   * A rewrite of the graph as loaded, before shapes and folding (the import of a model's own quantization needs
   * its QuantizeLinear/DequantizeLinear nodes before folding merges them into float constants).
   */
  rewrite?: (loaded: Graph) => Graph;
}

export interface ImportResult {
  /** Static shapes everywhere, constants folded, BatchNorm merged, only operators codegen compiles. */
  graph: Graph;
  notes: string[];
}

export function importModel(path: string, options: ImportOptions = {}): ImportResult {
  try {
    // A rewrite sees the inputs with the shapes the user gave (the QDQ import infers shapes itself).
    const read = loadModel(path);
    const loaded = options.rewrite ? options.rewrite(options.inputShapes ? withGivenInputShapes(read, options.inputShapes) : read) : read;
    const shapeOptions: ShapeOptions = { inputShapes: options.inputShapes };
    const shaped = inferGraphShapes(loaded, shapeOptions);
    const folded = fold(shaped.graph);
    const final = inferGraphShapes(folded, {});
    return { graph: final.graph, notes: shaped.notes };
  } catch (err) {
    throw err instanceof EennError ? err.withFile(path) : err;
  }
}

export { loadModel } from './load.js';
export { inferGraphShapes } from './shapes.js';
export { fold, foldConstants, removeDeadNodes, removeIdentities } from './fold.js';
export { foldBatchNorm } from './fold-batchnorm.js';
export { runReference } from './reference.js';
export { bindInputs } from './bind-inputs.js';
export { parseInputShapes } from './input-shapes.js';
