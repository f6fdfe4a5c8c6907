// How many bytes of arena the memory planner may spend on speed (PlanOptions.arenaBudgetBytes), from the build's
// arena policy: the smallest arena, the arena TensorFlow Lite Micro would need for the same graph with a small
// slack (the default: about the interpreter's RAM, and within that the fastest code), all the RAM the target has,
// or a size.

import type { Graph } from '../ir/graph.js';
import type { Target } from '../target/target.js';
import { greedyBySizePlanBytes } from './greedy-plan.js';

/**
 * 'min': the smallest arena the planner can reach (some layers slower); 'tflm': the fastest plan within the arena
 * of a TensorFlow Lite Micro-style greedy plan with CMSIS-NN's scratch buffers, plus tflmSlackBytes; 'ram': the
 * fastest plan that fits the target's RAM beside the stack; a number: the fastest plan within that many bytes.
 */
export type ArenaPolicy = 'min' | 'tflm' | 'ram' | number;

export const DEFAULT_ARENA_POLICY: ArenaPolicy = 'tflm';

/**
 * The least slack the tflm policy allows over TensorFlow Lite Micro's plan. eennc's tensors are NCHW, so its 1x1
 * and first-layer convolutions gather a few pixels into an im2col scratch that CMSIS-NN's NHWC kernels do without
 * (2 x 32 int16 values for a 1x1 convolution of 32 channels: 128 B; 192 B for a 3x3 one of one channel). At a
 * model's peak, the plan without that scratch runs the layer 2 to 4.6 times slower; 256 B is the scratch of a 1x1
 * convolution of up to 64 input channels, and under 1% of a typical Cortex-M stack.
 */
export const TFLM_SLACK_MIN_BYTES = 256;

/** The slack as a share of TensorFlow Lite Micro's plan, where that is more than TFLM_SLACK_MIN_BYTES (2%). */
export const TFLM_SLACK_SHARE = 0.02;

/** Bytes the tflm policy may spend beyond an arena of `tflmBytes` (TFLite Micro's plan): max(256 B, 2%). */
export function tflmSlackBytes(tflmBytes: number): number {
  return Math.max(TFLM_SLACK_MIN_BYTES, Math.ceil(tflmBytes * TFLM_SLACK_SHARE));
}

/** The tflm policy's arena ceiling: TensorFlow Lite Micro's plan with CMSIS-NN's scratch buffers, plus the slack. */
export function tflmArenaCeilingBytes(graph: Graph): number {
  const tflm = greedyBySizePlanBytes(graph, { kernelScratch: true });
  return tflm + tflmSlackBytes(tflm);
}

/** The target's RAM left for the arena once the stack is reserved (Infinity when the target sets no limit). */
export function arenaRoomBytes(target: Target): number {
  return target.limits.ramBytes === null ? Infinity : Math.max(0, target.limits.ramBytes - target.stackBytes);
}

/** The planMemory options of a policy: a budget, or (min) the smallest arena with scratch-less convolutions. */
export function arenaPlanOptions(graph: Graph, target: Target, policy: ArenaPolicy): { arenaBudgetBytes?: number; scratchlessConvs?: boolean } {
  const budget = arenaBudgetBytes(graph, target, policy);
  return budget === undefined ? { scratchlessConvs: true } : { arenaBudgetBytes: budget };
}

/**
 * The budget for planMemory (undefined: the smallest arena). Never above what the target has room for; a
 * plan's smallest arena still wins when it is larger than the budget (the fit check then reports it).
 */
export function arenaBudgetBytes(graph: Graph, target: Target, policy: ArenaPolicy): number | undefined {
  const room = arenaRoomBytes(target);
  switch (policy) {
    case 'min':
      return undefined;
    case 'tflm':
      return Math.min(room, tflmArenaCeilingBytes(graph));
    case 'ram':
      return Number.isFinite(room) ? room : Number.MAX_SAFE_INTEGER;
    default:
      return Math.min(room, policy);
  }
}
