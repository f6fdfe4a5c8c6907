// The compile-time checks model.c carries: each scratch size and kernel constant the compiler computed, tied by a
// _Static_assert to the macro of the kernel header that states it, so that a change in one language that the
// other misses fails the build; and every correctness switch a call needs (EENN_CONV_S8_EXACT...) required on.

import type { Graph } from '../ir/graph.js';
import type { LoweredStep } from './kernel-call.js';
import { stringLiteral } from './c-format.js';
import type { Step } from '../schedule/schedule.js';
import { CallArgs } from '../kernels/call-args.js';
import { contractOf } from '../kernels/registry.js';

/** One `_Static_assert(expr, "message");` of model.c (`message` already escaped for the inside of a C string). */
export interface ContractCheck {
  expr: string;
  message: string;
}

/**
 * Bytes of the step's scratch from a scratch argument `offset` elements in to its end. Only int8 kernels take a
 * scratch part of the way in (a fused step's blocks), and an int8 model's arena pointer counts bytes.
 */
function scratchLeft(step: Step, offset: number): number {
  return (step.scratchBytes ?? 0) - offset;
}

/** The checks of a lowered model, in step order, each distinct check once (at the first step that needs it). */
export function contractChecks(graph: Graph, steps: readonly { step: Step; lowered: LoweredStep }[]): ContractCheck[] {
  const seen = new Set<string>();
  const checks: ContractCheck[] = [];
  for (const { step, lowered } of steps) {
    for (const call of lowered.calls) {
      const contract = contractOf(call.fn);
      if (!contract) continue;
      const args = new CallArgs(graph, call);
      const offset = args.scratchOffset('scratch');
      const scratch = offset === undefined ? undefined : scratchLeft(step, offset);
      for (const { expr, what } of contract.checksOf(args, scratch)) {
        if (seen.has(expr)) continue;
        seen.add(expr);
        const name = step.nodes[0]?.name ?? '';
        // "step 3 "conv1": scratch of eenn_conv2d_s8", "step 5 "fc" needs the exact output stage: ..."
        const join = /^(needs|calls) /.test(what) ? ' ' : ': ';
        checks.push({ expr, message: stringLiteral(`step ${step.index} "${name}"${join}${what}`).slice(1, -1) });
      }
    }
  }
  return checks;
}
