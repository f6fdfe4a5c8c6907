// What each side of a cut needs of its device's flash and RAM, estimated before anything is built as the
// single-device fit check does (weights and code in flash; arena, stack and the firmware's buffers in RAM), and the
// smallest pair of shipped targets on which some cut fits, for the message of a model that fits no split.

import type { Graph } from '../ir/graph.js';
import { arenaPlanOptions, DEFAULT_ARENA_POLICY, type ArenaPolicy } from '../schedule/arena-budget.js';
import { planMemory, tensorBytes, type MemoryPlan } from '../schedule/memory-plan.js';
import { loadAllTargets, type Target } from '../target/target.js';
import type { SplitGraphs } from './types.js';

/** Flash and RAM a device's project takes. */
export interface Footprint {
  flashBytes: number;
  ramBytes: number;
}

/**
 * What the code generator knows of a project's size, which this stage (below codegen) takes from its caller: the
 * same figures as the single-device fit check (compile.ts), so that a side is estimated as a whole model would be.
 */
export interface ProjectSizer {
  /** Bytes of the constant arrays model.c holds for `graph` planned as `plan` (emitModel's weightBytes). */
  weightBytes(graph: Graph, plan: MemoryPlan): number;
  /** Bytes of the firmware's input and output buffers for these tensor sizes (codegen's firmwareBufferBytes). */
  ioBufferBytes(inputBytes: number[], outputBytes: number[]): number;
  /** Code and runtime besides the weights, before linking (compile.ts's allowance). */
  codeBytes: number;
}

/**
 * Flash the link code adds to a device that sends or receives frames: eenn_link.c (framing, CRC-32 with its
 * 16-entry table), the UART driver and the firmware's loop, about 2 KiB of Thumb code.
 */
export const LINK_CODE_BYTES = 2 * 1024;

/** A side that does nothing (the gateway when everything runs on the node): no project. */
const NOTHING: Footprint = { flashBytes: 0, ramBytes: 0 };

/**
 * The flash and RAM of one side of `split` on `target`: its graph planned with the build's arena policy, its
 * weights, the code allowance and the link code, its arena, the stack and the firmware's input and output
 * buffers. A node without a model (position 0) holds the input it sends; a gateway with nothing to do, nothing.
 */
export function sideMemory(
  split: SplitGraphs,
  role: 'node' | 'gateway',
  target: Target,
  sizer: ProjectSizer,
  policy: ArenaPolicy = DEFAULT_ARENA_POLICY,
): Footprint {
  const graph = role === 'node' ? split.node : split.gateway;
  const linked = role === 'gateway' || split.gateway !== undefined;
  const linkCode = linked ? LINK_CODE_BYTES : 0;
  if (!graph) {
    if (role === 'gateway') return NOTHING;
    return {
      flashBytes: sizer.codeBytes + linkCode,
      ramBytes: target.stackBytes + sizer.ioBufferBytes([split.cut.payloadBytes], []),
    };
  }
  const plan = planMemory(graph, arenaPlanOptions(graph, target, policy));
  const bytes = (names: string[]) => names.map((name) => tensorBytes(graph.tensors.get(name)!));
  return {
    flashBytes: sizer.weightBytes(graph, plan) + sizer.codeBytes + linkCode,
    ramBytes: plan.arenaBytes + target.stackBytes + sizer.ioBufferBytes(bytes(graph.inputs), bytes(graph.outputs)),
  };
}

/** Whether `footprint` fits `target`, and when not, what is over and by how much ("RAM 41,212 B of 32,768 B: 8,444 B over"). */
export function fitOf(footprint: Footprint, target: Target): { fits: boolean; overBy?: string } {
  const over = [
    ['flash', footprint.flashBytes, target.limits.flashBytes],
    ['RAM', footprint.ramBytes, target.limits.ramBytes],
  ] as const;
  const words = over
    .filter(([, used, limit]) => limit !== null && used > limit)
    .map(([what, used, limit]) => `${what} ${bytesText(used)} of ${bytesText(limit!)}: ${bytesText(used - limit!)} over`);
  return words.length === 0 ? { fits: true } : { fits: false, overBy: words.join('; ') };
}

/** "41,212 B". */
function bytesText(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} B`;
}

/** A node and a gateway target. */
export interface TargetPair {
  node: Target;
  gateway: Target;
}

/**
 * The pair of shipped targets (emulated or boards) with the least flash and RAM in all on which some cut of
 * `splits` fits both sides, or undefined when none does: what a model that fits no split on the given devices
 * would need. Cuts where the gateway works come first; all on the node (any gateway) only when none of them fits.
 */
export function smallestFittingPair(
  splits: readonly SplitGraphs[],
  sizer: ProjectSizer,
  policy: ArenaPolicy = DEFAULT_ARENA_POLICY,
  targets: readonly Target[] = loadAllTargets(),
): TargetPair | undefined {
  const devices = targets.filter((t) => t.kind !== 'host' && t.limits.flashBytes !== null && t.limits.ramBytes !== null);
  const size = (t: Target) => t.limits.flashBytes! + t.limits.ramBytes!;
  const pairs = devices.flatMap((node) => devices.map((gateway) => ({ node, gateway })));
  pairs.sort((a, b) => size(a.node) + size(a.gateway) - (size(b.node) + size(b.gateway)));
  /** Whether each side of each cut fits, by target (two targets may share a file's name): estimated once. */
  const known = new Map<Target, Map<string, boolean>>();
  const fits = (split: SplitGraphs, role: 'node' | 'gateway', target: Target): boolean => {
    const ofTarget = known.get(target) ?? new Map<string, boolean>();
    known.set(target, ofTarget);
    const key = `${role} ${split.cut.position}`;
    let fit = ofTarget.get(key);
    if (fit === undefined) {
      fit = fitOf(sideMemory(split, role, target, sizer, policy), target).fits;
      ofTarget.set(key, fit);
    }
    return fit;
  };
  const fitting = (among: readonly SplitGraphs[]) =>
    pairs.find((pair) => among.some((split) => fits(split, 'node', pair.node) && fits(split, 'gateway', pair.gateway)));
  // A pair that shares the work first; only then one whose node runs everything (its gateway idle).
  return fitting(splits.filter((split) => split.gateway !== undefined)) ?? fitting(splits);
}
