// The call that decides, after an exit head, whether the generated code stops there: the C functions of
// templates/c/kernels/eenn_exit_s8.c (integer arithmetic, the rule of src/ir/exits.ts) and eenn_exit_f32.c.

import type { Graph } from '../ir/graph.js';
import type { ExitDecision, ExitPolicy } from '../ir/exits.js';
import type { KernelCall } from './call.js';

/** The call that returns 1 when exit `decision` is taken (threshold: its float threshold, for float32 exits). */
export function exitDecisionCall(graph: Graph, decision: ExitDecision, policy: ExitPolicy, threshold: number): KernelCall {
  void graph;
  void decision;
  void policy;
  void threshold;
  throw new Error('internal: exit decisions are not lowered yet');
}
