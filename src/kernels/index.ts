// What the schedule and the memory planner ask about the kernels: which steps may write over their input, and
// the scratch that takes. Each kernel family's facts are written once, in its contract in this folder.

import type { Graph, Node } from '../ir/graph.js';
import { runsInPlace } from '../ops/facts.js';
import { floatInPlaceConv, type InPlaceConv } from './conv-f32.js';
import { int8PointwiseInPlaceScratch } from './conv-s8.js';
import { int8DepthwiseInPlaceScratch } from './depthwise-s8.js';
import { isInt8InPlaceOp } from './elementwise-s8.js';

export type { InPlaceConv } from './conv-f32.js';
export { int8ConvScratchBytes, int8PointwiseInPlaceScratch } from './conv-s8.js';
export { poolRunsInPlace } from './pool-s8.js';

/** True when the node's kernel may write its output over an input of the same size (element-wise, softmax...). */
export function writesOverInput(node: Node): boolean {
  return runsInPlace(node) || isInt8InPlaceOp(node);
}

/**
 * Whether `conv` may run over its own input buffer, judged from shapes and attributes only (the planner also
 * requires the input to die at that step): the int8 depthwise kernel (padded rows, no plane copy), the int8 1x1
 * one (a few pixels at a time), and the float ones (floatInPlaceConv).
 */
export function inPlaceConv(graph: Graph, conv: Node): InPlaceConv | undefined {
  const depthwise = int8DepthwiseInPlaceScratch(graph, conv);
  if (depthwise !== undefined) return { kind: 'depthwise', scratchBytes: depthwise };
  const pointwise = int8PointwiseInPlaceScratch(graph, conv);
  if (pointwise !== undefined) return { kind: 'pointwise', scratchBytes: pointwise };
  return floatInPlaceConv(graph, conv);
}
