// Where a schedule can be cut between two devices: every position where exactly one tensor crosses from the steps
// before it to the steps after it, with the early exits decided before it, and --cut read as one of them.

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { decisionSteps } from '../schedule/exits.js';
import { EQUALIZED_SUFFIX } from '../quantize/equalize.js';
import { tensorBytes } from '../schedule/memory-plan.js';
import type { Step } from '../schedule/schedule.js';
import type { Cut } from './types.js';

/** The step of a model input: before the first. */
const BEFORE_FIRST_STEP = -1;

/**
 * Every cut of `graph`'s schedule `steps`, by position (0 .. steps.length). Position K is a cut when exactly one
 * tensor (not a constant) is made before step K (a model input counts as made before step 0) and needed from step K
 * on, and it is not a model output nor int16; position steps.length (everything on the node) always is. The early exits
 * decided at a step before K are the node's, which must be the first ones in exit order; a model output made before
 * K that is not one of them rules the cut out (a plain model's outputs all come from one side).
 */
export function enumerateCuts(graph: Graph, steps: readonly Step[]): Cut[] {
  const n = steps.length;
  const made = new Map<string, number>();
  for (const name of graph.inputs) made.set(name, BEFORE_FIRST_STEP);
  for (const step of steps) for (const node of step.nodes) for (const out of node.outputs) if (out !== '') made.set(out, step.index);
  const lastRead = new Map<string, number>();
  for (const step of steps) {
    for (const node of step.nodes) {
      for (const name of node.inputs) {
        if (name === '' || graph.tensors.get(name)?.data !== undefined || made.get(name) === step.index) continue;
        lastRead.set(name, Math.max(lastRead.get(name) ?? BEFORE_FIRST_STEP, step.index));
      }
    }
  }
  const exits = graph.exits;
  const decided = decisionSteps(graph, steps);
  const exitOutputs = exits ? exits.outputs.slice(0, decided.length) : [];
  const cuts: Cut[] = [];
  for (let k = 0; k <= n; k++) {
    const nodeExits = decided.flatMap((at, e) => (at < k ? [e] : []));
    if (k === n) {
      cuts.push({ position: n, payloadBytes: 0, nodeExits });
      continue;
    }
    if (nodeExits.some((e, i) => e !== i)) continue; // exits decided out of order: no node part answers a prefix
    const answeredOnNode = new Set(nodeExits.map((e) => exitOutputs[e]!));
    const crossing: string[] = [];
    for (const [name, at] of made) {
      if (at >= k) continue;
      const readAfter = (lastRead.get(name) ?? BEFORE_FIRST_STEP) >= k;
      const outputLeft = graph.outputs.includes(name) && !answeredOnNode.has(name);
      if (readAfter || outputLeft) crossing.push(name);
    }
    if (crossing.length !== 1 || graph.outputs.includes(crossing[0]!)) continue;
    const tensor = crossing[0]!;
    // An int16 activation (--int16-layers) is never a model output, so never a link's payload.
    if (graph.tensors.get(tensor)?.dtype === 'int16') continue;
    checkExitHeads(graph, made, k, nodeExits.length);
    cuts.push({ position: k, tensor, payloadBytes: tensorBytes(graph.tensors.get(tensor)!), nodeExits });
  }
  return cuts;
}

/**
 * A cut with one crossing tensor never parts an early exit's decision tensor from its output (both are needed on
 * the side that decides): an internal error if it did, since the node would answer with what it does not have.
 */
function checkExitHeads(graph: Graph, made: ReadonlyMap<string, number>, k: number, nodeExits: number): void {
  graph.exits?.decisions.forEach((decision, e) => {
    const onNode = e < nodeExits;
    for (const name of [decision.tensor, decision.output]) {
      if (made.get(name)! < k !== onNode) {
        throw new Error(`internal: the cut at ${k} parts early exit "${decision.output}" from "${name}"`);
      }
    }
  });
}

/** A cut's label in tables and messages: "all on gateway" (0), "all on node" (last), else "after <step's node>". */
export function cutLabel(cut: Cut, stepNames: readonly string[]): string {
  if (cut.position === 0) return 'all on gateway';
  if (cut.position === stepNames.length) return 'all on node';
  return `after ${stepNames[cut.position - 1]}`;
}

/**
 * The cut --cut names: a position (a whole number), the name of the tensor that crosses, or the name of a step's
 * node (the cut right after that step). E_USAGE, listing the valid positions, for anything else or a place that is
 * not a cut; a tensor that crosses at several cuts (an early exit's head between them) asks for the position.
 */
export function resolveCut(text: string, cuts: readonly Cut[], stepNames: readonly string[]): Cut {
  const given = text.trim();
  const fail = (why: string, hint?: string): never => {
    throw new EennError({
      code: 'E_USAGE',
      message: `--cut ${given}: ${why}`,
      hint: hint ?? `give one of the cuts: ${cuts.map((cut) => describeCut(cut, stepNames)).join('; ')}`,
    });
  };
  if (/^\d+$/.test(given)) {
    const position = Number(given);
    const cut = cuts.find((c) => c.position === position);
    if (cut) return cut;
    if (position > stepNames.length) return fail(`position ${position} is past the last step (the schedule has ${stepNames.length} steps)`);
    return fail(`position ${position} is not a cut: more than one tensor crosses there (a connection spans it)`);
  }
  // The model's own name of a tensor --equalize renamed (its values scaled per channel) names it too.
  const byTensor = cuts.filter((c) => c.tensor === given || c.tensor === `${given}${EQUALIZED_SUFFIX}`);
  if (byTensor.length === 1) return byTensor[0]!;
  if (byTensor.length > 1) {
    return fail(
      `tensor "${given}" crosses at ${byTensor.length} cuts`,
      `give the position instead: ${byTensor.map((cut) => describeCut(cut, stepNames)).join('; ')}`,
    );
  }
  const step = stepNames.indexOf(given);
  if (step >= 0) {
    const cut = cuts.find((c) => c.position === step + 1);
    if (cut) return cut;
    return fail(`the place after node "${given}" (position ${step + 1}) is not a cut: more than one tensor crosses there`);
  }
  return fail('not a cut position, a tensor that crosses at a cut, or the node of a step');
}

/** "3 (after /conv1/Conv, sends /relu1/Relu_output_0)" for the lists of --cut's errors. */
function describeCut(cut: Cut, stepNames: readonly string[]): string {
  const sends = cut.tensor === undefined ? 'sends nothing' : `sends ${cut.tensor}`;
  return `${cut.position} (${cutLabel(cut, stepNames)}, ${sends})`;
}
