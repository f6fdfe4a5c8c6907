// Which tensors get int16 activations (--int16-layers): not built yet.

import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import type { Range } from './quantize/calibrate.js';
import type { QuantOverrides } from './quantize/overrides.js';
import type { Int16Layers } from './quantize/techniques.js';

export interface Int16Request {
  ranges: ReadonlyMap<string, Range>;
  overrides: QuantOverrides;
  io: 'int8' | 'float32';
  request: Exclude<Int16Layers, { kind: 'none' }>;
}

/** The float tensors to hold as int16, and one note per choice. */
export function selectInt16(graph: Graph, samples: readonly Float32Array[], request: Int16Request): { tensors: Set<string>; notes: string[] } {
  void graph, samples, request;
  throw new EennError({ code: 'E_UNSUPPORTED', message: '--int16-layers is not available in this build' });
}
