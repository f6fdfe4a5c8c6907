// The shape of a memory plan: where each buffer lives, which tensors share it, and the arena they make, as the
// planner returns it and as code generation and the validator read it. No planning happens here.

import { bytesPerElement, sizeOf, type Tensor } from '../ir/graph.js';
import type { ScheduleOptions, Step } from './schedule.js';

/** Where a buffer lives. */
export type Storage =
  | { kind: 'arena'; offset: number }
  /** The caller's input buffer `index` (read-only). */
  | { kind: 'input'; index: number }
  /** The caller's output buffer `index`. */
  | { kind: 'output'; index: number }
  /** A constant tensor's data (weights in flash), for alias groups rooted in a constant. */
  | { kind: 'constant'; tensor: string }
  /** Exists only inside a fused kernel (the tensor between a Conv and its fused Relu). */
  | { kind: 'fused' };

/** A place outside the arena that a buffer is bound to: the caller's input or output, or a constant's data. */
export type Binding = Exclude<Storage, { kind: 'arena' } | { kind: 'fused' }>;

/** A run of bytes shared by one or more tensors (a tensor and its aliases, or an in-place chain). */
export interface PlannedBuffer {
  id: number;
  /** Tensors stored here, in order of production. */
  tensors: string[];
  bytes: number;
  /** First step that writes it (0 for model inputs and constants). */
  firstStep: number;
  /** Last step that reads it; `steps.length` for buffers holding a model output. */
  lastStep: number;
  storage: Storage;
  /** Set on a step's scratch buffer (working memory of one kernel call, no tensor): that step's index. */
  scratchOfStep?: number;
}

export interface MemoryPlan {
  /**
   * The plan's own records of the schedule's steps: each the scheduler's step with what the plan decided for it
   * (`inPlace`, and the `scratchBytes` of its in-place kernel). Code generation walks these.
   */
  steps: Step[];
  buffers: PlannedBuffer[];
  /** Buffer id of each runtime tensor (activations, inputs, outputs; constants only when aliased). */
  bufferOf: Map<string, number>;
  /** Buffer id of the scratch of each step that has one (step index -> buffer id). */
  scratchOf: Map<number, number>;
  /** Bytes of the static arena (a multiple of `alignment`). */
  arenaBytes: number;
  /** The smallest arena any placement could reach for these lifetimes (peak of live bytes). */
  lowerBoundBytes: number;
  /**
   * Sum of the bytes of every intermediate tensor (produced by a node, not a model output), each in its
   * own buffer: what a generator without memory reuse (onnx2c) allocates.
   */
  naiveBytes: number;
  alignment: number;
  /** Which greedy order produced the arena layout. */
  strategy: string;
  /**
   * Under an arena budget: the smallest arena planMemory reached before spending the budget on speed (what
   * `scratchlessConvs` without a budget gives).
   */
  smallestArenaBytes?: number;
}

export interface PlanOptions extends ScheduleOptions {
  /** Arena offset alignment in bytes (default 8). */
  alignment?: number;
  /** Run element-wise operators in place when possible (default true). */
  inPlace?: boolean;
  /**
   * Names of the optional in-place steps to run in place (isOptionalInPlace: int8 pooling over the start of its
   * input, int8 1x1 convolutions through a scratch). Default: chosen by planMemory so that the arena is as small
   * as it can make it and no such step runs in place without making it smaller (a pooled output keeps its
   * input's bytes alive; a 1x1 convolution in place runs a few percent slower).
   */
  optionalInPlace?: ReadonlySet<string>;
  /**
   * The arena the model may use (e.g. the target's RAM less stack and data). Without it, planMemory makes the
   * arena as small as it can. With it, the smallest arena comes first, and then the steps that save memory at
   * some speed give it back as long as the arena stays within the budget: int8 convolutions get their im2col
   * scratch back (scratchlessConvs), fused int8 QConv steps take more output channels per pass (or are not fused),
   * optional in-place steps run out of place.
   */
  arenaBudgetBytes?: number;
  /**
   * Let int8 convolutions run without their im2col scratch, reading the input in place (several times slower),
   * where that makes the smallest arena smaller (default false; under an arena budget they may, and get the
   * scratch back as the budget allows).
   */
  scratchlessConvs?: boolean;
  /**
   * Node names of steps that must not write over their input (element-wise in place, depthwise / pointwise
   * convolutions in place, optional in-place steps): an intermittent task re-run after a power failure reads its
   * input again (src/intermittent/hazards.ts: outOfPlaceNeeded).
   */
  outOfPlace?: ReadonlySet<string>;
  /**
   * Tensors whose bytes must stay untouched until the end of a later step than their last reader (tensor name ->
   * step index): an intermittent task that reads a tensor from before it started must not write over it before its
   * commit, since a run after a power failure reads it again (src/intermittent/hazards.ts: keepUntilOfTasks).
   */
  keepUntil?: ReadonlyMap<string, number>;
}

/** Bytes of a tensor's contents. */
export function tensorBytes(t: Pick<Tensor, 'shape' | 'dtype'>): number {
  return sizeOf(t.shape) * bytesPerElement(t.dtype);
}
