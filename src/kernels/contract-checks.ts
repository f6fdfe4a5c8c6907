// The compile-time checks model.c carries: each scratch size and kernel constant the compiler computed, tied by a
// _Static_assert to the macro of the kernel header that states it, so that a change in one language that the
// other misses fails the build.

import type { Graph } from '../ir/graph.js';
import type { LoweredStep } from '../codegen/kernel-call.js';
import type { Step } from '../schedule/schedule.js';

/** One `_Static_assert(expr, "message");` of model.c. */
export interface ContractCheck {
  expr: string;
  message: string;
}

/** The checks of a lowered model, in step order (each distinct check once). */
export function contractChecks(_graph: Graph, _steps: readonly { step: Step; lowered: LoweredStep }[]): ContractCheck[] {
  return [];
}
