// Which optional paths of the int8 kernels a model's calls take (the EENN_*_S8_* switches of eenn_kernels_s8.h),
// asked of each call's contract. The emitter writes them to kernels/eenn_config.h so that a firmware links only
// the paths it runs. A fast path switched off falls back to the general one (a wrong guess costs speed, never
// bits); the correctness switches (EXACT, DIRECT) are on whenever a call needs them, and model.c checks them.

import type { Graph } from '../ir/graph.js';
import type { KernelCall } from './call.js';
import { CallArgs } from './call-args.js';
import type { KernelSwitch } from './contract.js';
import { contractOf, KERNEL_CONTRACTS } from './registry.js';

/** Every switch of the int8 kernels, in the order the header lists them (eenn_kernels_s8.h documents each). */
export const INT8_KERNEL_SWITCHES: readonly KernelSwitch[] = [
  ...new Map(
    KERNEL_CONTRACTS.filter((c) => c.header === 'eenn_kernels_s8.h')
      .flatMap((c) => c.switches)
      .map((s) => [s.macro, s]),
  ).values(),
];

/** The switches the calls take, as a set of macro names. */
export function int8KernelSwitches(graph: Graph, calls: readonly KernelCall[]): Set<string> {
  const used = new Set<string>();
  for (const call of calls) {
    const contract = contractOf(call.fn);
    if (contract) for (const s of contract.switchesOf(new CallArgs(graph, call))) used.add(s);
  }
  // A model links one of the multiply loops of word-aligned convolution rows on DSP: three pixels per pass where
  // every such layer takes it, else two (both would cost ~1.3 KiB of flash more than either).
  if (used.has('EENN_CONV_S8_TWO_PIXELS')) used.delete('EENN_CONV_S8_THREE_PIXELS');
  return used;
}
