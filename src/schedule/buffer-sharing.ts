// Which tensors share a buffer under one set of choices. Aliases (Reshape and the like) join their source; a step
// whose kernel may write over an input that dies there joins that input, all through one guard (writeOver). What
// each step's kernel allows comes from src/kernels through the schedule's KernelOffers (kernel-offers.ts: which
// steps may run in place, and the scratch that takes); whether the input dies at the step, whom it is bound to and
// whether the sizes fit is the planner's business, decided here for each set of choices.

import type { Graph } from '../ir/graph.js';
import { BufferGroups } from './buffer-groups.js';
import { convPairResult } from './conv-pair.js';
import type { KernelOffers } from './kernel-offers.js';
import type { Lifetimes } from './lifetimes.js';
import { tensorBytes, type Binding } from './plan-types.js';
import { ALIAS_OPS, type Step } from './schedule.js';

/** The steps of one schedule, their tensors' lifetimes and what their kernels allow: fixed while choices vary. */
export interface Schedule {
  steps: readonly Step[];
  lifetimes: Lifetimes;
  offers: KernelOffers;
}

export interface SharingChoices {
  /** Let steps write over their inputs at all (aliases share their source either way). */
  inPlace: boolean;
  /** The optional in-place steps (by node name) chosen to run in place (plan-search.ts: isOptionalInPlace). */
  optionalInPlace: ReadonlySet<string>;
  /** Steps (by primary node name) that must not write over any input (PlanOptions.outOfPlace). */
  outOfPlace?: ReadonlySet<string>;
}

export interface SharedBuffers {
  /** The classes of tensors that share a buffer. */
  groups: BufferGroups;
  /** The plan's own records of the steps: copies of the scheduler's, with `inPlace` and its scratch where decided. */
  steps: Step[];
}

/**
 * How an output may lie over the input it replaces: element by element over an input of the same size, or over
 * the start of an input at least as large.
 */
type Overlay = 'same-size' | 'over-start';

/** Group the runtime tensors of `graph`, run as `schedule`, into buffers. */
export function shareBuffers(graph: Graph, schedule: Schedule, choices: SharingChoices): SharedBuffers {
  const { steps, offers } = schedule;
  const { producer, lastRead, fused } = schedule.lifetimes;
  const isConstant = (name: string) => graph.tensors.get(name)?.data !== undefined;
  const bytesOf = (name: string) => {
    const t = graph.tensors.get(name);
    if (!t) throw new Error(`internal: tensor "${name}" has no shape`);
    return tensorBytes(t);
  };

  // Every runtime tensor gets a class; model inputs and outputs are bound to the caller's buffers.
  const groups = new BufferGroups(bytesOf, (index) => bytesOf(graph.outputs[index] ?? ''));
  const bindingOfTensor = (name: string): Binding | undefined => {
    const inputIndex = graph.inputs.indexOf(name);
    if (inputIndex >= 0) return { kind: 'input', index: inputIndex };
    if (isConstant(name)) return { kind: 'constant', tensor: name };
    const outputIndex = graph.outputs.indexOf(name);
    if (outputIndex >= 0) return { kind: 'output', index: outputIndex };
    return undefined;
  };
  const addTensor = (name: string) => groups.add(name, lastRead.get(name) ?? producer.get(name) ?? 0, bindingOfTensor(name));
  for (const name of graph.inputs) addTensor(name);
  for (const step of steps) {
    for (const node of step.nodes) for (const out of node.outputs) if (out !== '') addTensor(out);
  }
  for (const name of graph.outputs) if (!groups.has(name)) addTensor(name);

  /**
   * The one in-place guard: `out` joins `src`'s buffer when `src` is a runtime tensor of the arena or of the
   * caller's output (never a model input or a constant), no step after this one reads it (nor any tensor of its
   * buffer), the sizes fit the overlay, and the classes may merge (tryMerge keeps anything larger than a model
   * output out of the caller's output buffer).
   */
  const writeOver = (src: string, out: string, step: number, overlay: Overlay): boolean => {
    if (!groups.has(src) || isConstant(src)) return false;
    const bound = groups.bindingOf(src);
    if (bound && bound.kind !== 'output') return false;
    if (groups.lastReadOf(src) !== step) return false;
    const fits = overlay === 'same-size' ? bytesOf(src) === bytesOf(out) : bytesOf(out) <= bytesOf(src);
    return fits && groups.tryMerge(src, out);
  };

  // Aliases and in-place steps join their input's class, in step order.
  return { groups, steps: steps.map(shareStep) };

  /** The sharing one step allows; its planned record. */
  function shareStep(step: Step): Step {
    const primary = step.nodes[0]!;
    const last = step.nodes[step.nodes.length - 1]!;
    const { optionalInPlace } = choices;
    const inPlace = choices.inPlace && !choices.outOfPlace?.has(primary.name);
    const optional = offers.optional(step);
    const conv =
      inPlace && !step.pool && !step.residual && !step.convPair && (!optional || optionalInPlace.has(primary.name)) ? offers.conv(step) : undefined;
    if (conv) {
      // A depthwise conv writes each plane over its own input plane; a narrowing 1x1 conv over the input's start.
      const overlay: Overlay = conv.kind === 'depthwise' ? 'same-size' : 'over-start';
      const src = primary.inputs[0] ?? '';
      const out = last.outputs[0] ?? '';
      return writeOver(src, out, step.index, overlay) ? { ...step, inPlace: conv.kind, scratchBytes: conv.scratchBytes } : { ...step };
    }
    if (step.convPair) {
      // The pair's result goes over its Add's residual (element by element) or, without an Add, over its input
      // when convPairMayOverwriteInput; the residual may be the input itself only under the same condition.
      const pair = step.convPair;
      const input = pair.first.inputs[0] ?? '';
      const src = pair.add ? (pair.residual ?? '') : input;
      const overInput = groups.has(input) && groups.root(src) === groups.root(input);
      if (inPlace && (!overInput || (src === input && offers.pairOverInput(step)))) {
        writeOver(src, convPairResult(pair), step.index, 'same-size');
      }
      return { ...step };
    }
    if (step.residual) {
      // The fused QAdd writes the sum over its residual operand, which dies here (schedule.ts).
      const add = step.residual;
      const residual = (add.inputs[0] === primary.outputs[0] ? add.inputs[1] : add.inputs[0]) ?? '';
      if (inPlace) writeOver(residual, add.outputs[0] ?? '', step.index, 'same-size');
      return { ...step };
    }
    if (step.nodes.length !== 1) return { ...step };
    const out = primary.outputs[0];
    if (!out || fused.has(out)) return { ...step };
    const alias = primary.inputs[0];
    if (ALIAS_OPS.has(primary.op) && alias) {
      if (isConstant(alias)) addTensor(alias);
      if (bytesOf(alias) === bytesOf(out)) groups.tryMerge(alias, out);
      return { ...step };
    }
    if (!inPlace) return { ...step };
    if (optionalInPlace.has(primary.name) && offers.pool(step)) {
      // The pooled output goes over the start of its input (the pool's contract says when no window reads a
      // written byte).
      writeOver(primary.inputs[0] ?? '', out, step.index, 'over-start');
      return { ...step };
    }
    if (offers.elementwise(step)) {
      for (const src of primary.inputs) if (src !== '' && writeOver(src, out, step.index, 'same-size')) break;
    }
    return { ...step };
  }
}
