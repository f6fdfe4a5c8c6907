// What the schedule and the memory planner ask about the kernels: which steps may write over their input, and
// the scratch that takes. Each kernel family's facts are written once, in its contract in this folder.

import type { Node } from '../ir/graph.js';
import { runsInPlace } from '../ops/facts.js';
import { isInt8InPlaceOp } from '../schedule/int8-steps.js';

export { inPlaceConv, type InPlaceConv } from '../schedule/schedule.js';
export { int8PointwiseInPlaceScratch, poolRunsInPlace } from '../schedule/int8-steps.js';

/** True when the node's kernel may write its output over an input of the same size (element-wise, softmax...). */
export function writesOverInput(node: Node): boolean {
  return runsInPlace(node) || isInt8InPlaceOp(node);
}
