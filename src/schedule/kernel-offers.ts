// What each step's kernel allows the memory planner, from the kernel facts of src/kernels alone: whether it may
// write over its input, how, and whether that is an optional choice. The answers are the same under every choice of
// the plan search, so one schedule asks each question once, when a plan first needs it, and keeps the answer.

import type { Graph } from '../ir/graph.js';
import { inPlaceConv, int8PointwiseInPlaceScratch, poolRunsInPlace, writesOverInput, type InPlaceConv } from '../kernels/index.js';
import { convPairMayOverwriteInput } from './conv-pair.js';
import type { Step } from './schedule.js';

/** The answer kept for `step`, computed the first time it is asked for. */
function kept<T>(cache: Map<number, T>, step: Step, compute: () => T): T {
  if (cache.has(step.index)) return cache.get(step.index) as T;
  const value = compute();
  cache.set(step.index, value);
  return value;
}

export class KernelOffers {
  private readonly convs = new Map<number, InPlaceConv | undefined>();
  private readonly optionals = new Map<number, boolean>();
  private readonly pairs = new Map<number, boolean>();
  private readonly pools = new Map<number, boolean>();
  private readonly elementwises = new Map<number, boolean>();

  constructor(private readonly graph: Graph) {}

  /** How the step's primary Conv may run over its input (only a step without a fused pool, residual or Conv pair). */
  conv(step: Step): InPlaceConv | undefined {
    return kept(this.convs, step, () => (step.pool || step.residual || step.convPair ? undefined : inPlaceConv(this.graph, step.nodes[0]!)));
  }

  /** The step's primary is an optional in-place step of conv(): an int8 1x1 convolution, in place only when chosen. */
  optional(step: Step): boolean {
    return kept(this.optionals, step, () => int8PointwiseInPlaceScratch(this.graph, step.nodes[0]!) !== undefined);
  }

  /** The step runs a Conv pair whose result may go over the pair's input (convPairMayOverwriteInput). */
  pairOverInput(step: Step): boolean {
    const pair = step.convPair;
    return kept(this.pairs, step, () => pair !== undefined && convPairMayOverwriteInput(this.graph, pair, pair.bandRows));
  }

  /** A one-node int8 pool that may write over the start of its input (optional: in place only when chosen). */
  pool(step: Step): boolean {
    return kept(this.pools, step, () => step.nodes.length === 1 && poolRunsInPlace(this.graph, step.nodes[0]!));
  }

  /** A one-node step whose kernel may write its one output over an input of the same size (element-wise...). */
  elementwise(step: Step): boolean {
    const node = step.nodes[0]!;
    return kept(this.elementwises, step, () => step.nodes.length === 1 && writesOverInput(node) && node.outputs.length === 1);
  }
}
