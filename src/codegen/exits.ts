// Codegen: the early exits of model.c and model.h. After the step that computes an early exit (its decision
// tensor and its output), eenn_run calls the exit's decision (src/kernels/exit-decision.ts) and, when it is
// taken, copies the outputs it has computed where model-io.ts says they are stored elsewhere and returns the exit's
// index.

import type { Graph } from '../ir/graph.js';
import type { ExitPolicy } from '../ir/exits.js';
import { exitDecisionCall } from '../kernels/exit-decision.js';
import { nodeMacs } from '../ops/macs.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import { decisionSteps } from '../schedule/exits.js';
import { commentText, formatCount, formatFloat, stringLiteral } from './c-format.js';
import type { ConstantTable } from './constants.js';
import type { OutputCopy } from './model-io.js';
import { printCall, type PrintedCall } from './print-steps.js';
import type { TensorStorage } from './storage.js';

/** eenn_run's variable holding the last decision (the eenn_ prefix keeps it apart from the constants' names). */
export const TAKEN_VARIABLE = 'eenn_taken';

/** An early exit as model.c prints it after the step `step`. */
export interface PrintedExit {
  index: number;
  /** The exit's output name, safe in a comment. */
  name: string;
  /** When the exit is taken, in words (policy and threshold). */
  rule: string;
  call: PrintedCall;
  /** The outputs of this exit and the earlier ones copied into the caller's buffers, where stored elsewhere. */
  copies: OutputCopy[];
  step: number;
}

/** An exit (early or final) as model.h documents it. */
export interface ExitDoc {
  index: number;
  /** Index of the model output the exit answers with. */
  output: number;
  name: string;
  nameLiteral: string;
  /** "taken when ..." (policy and threshold), in words; the final exit always answers. */
  rule: string;
  threshold: string;
  /** Multiply-accumulates from the start of eenn_run to this exit's answer (decision excluded). */
  macs: number;
  macsText: string;
}

/** What model.c and model.h print about the exits, and the kernel files of the decisions. */
export interface PrintedExits {
  exits: PrintedExit[];
  docs: ExitDoc[];
  policy: ExitPolicy | undefined;
  sources: Set<string>;
}

/** When an exit of `policy` with `threshold` is taken, in words. */
function ruleText(policy: ExitPolicy, threshold: number): string {
  const t = formatFloat(threshold).replace(/f$/, '');
  switch (policy) {
    case 'max-softmax':
      return `the largest softmax probability is at least ${t}`;
    case 'margin':
      return `the two largest softmax probabilities differ by at least ${t}`;
    case 'entropy':
      return `the softmax entropy is at most ${t} of its largest (ln classes)`;
  }
}

/**
 * The exits of `graph` as model.c and model.h print them; none without graph.exits. `copies` are outputCopies':
 * an early exit taken makes those of the outputs it has computed before it returns.
 */
export function printExits(graph: Graph, plan: MemoryPlan, storage: TensorStorage, constants: ConstantTable, copies: OutputCopy[]): PrintedExits {
  const exits = graph.exits;
  if (!exits) return { exits: [], docs: [], policy: undefined, sources: new Set() };
  const sources = new Set<string>();
  const decidedAt = decisionSteps(graph, plan.steps);
  const macsTo = (step: number): number =>
    plan.steps.slice(0, step + 1).reduce((sum, s) => sum + s.nodes.reduce((n, node) => n + nodeMacs(graph, node), 0), 0);
  const outputIndex = (name: string): number => {
    const index = graph.outputs.indexOf(name);
    if (index < 0) throw new Error(`internal: exit "${name}" is not a model output`);
    return index;
  };
  // The outputs of the exits, by index: an exit taken copies its own and those of the exits before it.
  const answered = exits.outputs.map(outputIndex);
  const printed = exits.decisions.map((decision, index): PrintedExit => {
    const threshold = exits.thresholds[index]!;
    const call = exitDecisionCall(graph, decision, exits.policy, threshold);
    sources.add(call.source);
    for (const used of call.uses ?? []) sources.add(used);
    const step = decidedAt[index]!;
    return {
      index,
      name: commentText(decision.output),
      rule: ruleText(exits.policy, threshold),
      call: printCall(call, { storage, constants, stepIndex: step }),
      copies: copies.filter((copy) => answered.slice(0, index + 1).includes(copy.index)),
      step,
    };
  });
  const docs = exits.outputs.map((name, index): ExitDoc => {
    const early = index < exits.decisions.length;
    const macs = early ? macsTo(decidedAt[index]!) : macsTo(plan.steps.length - 1);
    return {
      index,
      output: outputIndex(name),
      name: commentText(name),
      nameLiteral: stringLiteral(name),
      rule: early ? `taken when ${ruleText(exits.policy, exits.thresholds[index]!)}` : 'the final classifier, always taken',
      threshold: early ? formatFloat(exits.thresholds[index]!) : '',
      macs,
      macsText: formatCount(macs),
    };
  });
  return { exits: printed, docs, policy: exits.policy, sources };
}
