// The cost model of a two-device build: for every cut, each device's instructions per exit (its steps from the
// measured per-step costs, and the link's framing), the mean latency, energy and link bytes over the exit
// probabilities, and whether each side fits; then the cut the objective prefers, or the one --cut forces.

import { EennError } from '../ir/diagnostics.js';
import type { Target } from '../target/target.js';
import { cutLabel } from './cuts.js';
import { frameBytes, linkCosts } from './frame.js';
import { fitOf, type Footprint, type TargetPair } from './memory.js';
import type { CostInputs, Cut, CutEvaluation, DeviceCost, DeviceSpec, LinkSpec, Objective } from './types.js';

/** Microseconds in a second, nanojoules in a microjoule, milliseconds in a second. */
const US_PER_S = 1e6;
const NJ_PER_UJ = 1e3;
const MS_PER_S = 1e3;

/** What one input leaving at one exit costs under one cut. */
interface ExitCost {
  nodeInstructions: number;
  gatewayInstructions: number;
  /** Frame bytes on the link; 0 when the node answered (or ran everything). */
  linkBytes: number;
  seconds: number;
  nanojoules: number;
}

/**
 * Every cut evaluated: per exit of the whole graph, node instructions = its steps up to the exit's step or the cut
 * (whichever comes first) plus, when the input is sent, the framing of one frame; gateway instructions = when
 * sent, receiving the frame and its steps from the cut to the exit's step; latency and energy from those and the
 * link (one message of header, payload and CRC); then the means over the exit probabilities. `footprints` gives
 * each side's flash and RAM (memory.ts: sideMemory), checked against its target.
 */
export function evaluateCuts(
  cuts: readonly Cut[],
  footprints: (cut: Cut) => { node: Footprint; gateway: Footprint },
  inputs: CostInputs,
  devices: readonly DeviceSpec[],
  link: LinkSpec,
): CutEvaluation[] {
  const [node, gateway] = devices;
  if (!node || !gateway || devices.length !== 2) throw new Error(`internal: the cost model takes two devices, not ${devices.length}`);
  const nodeSteps = stepCosts(inputs, node);
  const gatewaySteps = stepCosts(inputs, gateway);
  const n = inputs.stepNames.length;
  if (inputs.exitSteps.length !== inputs.exitProbabilities.length) {
    throw new Error(`internal: ${inputs.exitSteps.length} exit steps for ${inputs.exitProbabilities.length} exit probabilities`);
  }
  return cuts.map((cut) => {
    const perExit = inputs.exitSteps.map((exitStep, e) => exitCost(cut, e, exitStep, n, nodeSteps, gatewaySteps, node.target, gateway.target, link));
    const mean = (of: (cost: ExitCost) => number) => perExit.reduce((sum, cost, e) => sum + inputs.exitProbabilities[e]! * of(cost), 0);
    const sides = footprints(cut);
    const nodeCost = deviceCost(
      node,
      sides.node,
      mean((c) => c.nodeInstructions),
      perExit.map((c) => c.nodeInstructions),
    );
    const gatewayCost = deviceCost(
      gateway,
      sides.gateway,
      mean((c) => c.gatewayInstructions),
      perExit.map((c) => c.gatewayInstructions),
    );
    return {
      cut,
      label: cutLabel(cut, inputs.stepNames),
      node: nodeCost,
      gateway: gatewayCost,
      linkBytes: mean((c) => c.linkBytes),
      latencyMs: mean((c) => c.seconds) * MS_PER_S,
      energyUj: mean((c) => c.nanojoules) / NJ_PER_UJ,
      fits: nodeCost.fits && gatewayCost.fits,
    };
  });
}

/** The measured cost of each step on a device's target, checked against the schedule's length. */
function stepCosts(inputs: CostInputs, device: DeviceSpec): number[] {
  const costs = inputs.stepInstructions[device.name];
  if (!costs || costs.length !== inputs.stepNames.length) {
    throw new Error(`internal: ${costs?.length ?? 'no'} step costs for device ${device.name}, the schedule has ${inputs.stepNames.length} steps`);
  }
  return costs;
}

/** The sum of `costs` over steps [from, to] (nothing when to < from). */
function stepsSum(costs: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let s = from; s <= to; s++) sum += costs[s]!;
  return sum;
}

/** The costs of an input leaving at exit `e` (decided after step `exitStep`) under `cut` (design.md, "Cost model"). */
function exitCost(
  cut: Cut,
  e: number,
  exitStep: number,
  n: number,
  nodeSteps: readonly number[],
  gatewaySteps: readonly number[],
  nodeTarget: Target,
  gatewayTarget: Target,
  link: LinkSpec,
): ExitCost {
  const k = cut.position;
  const sent = k < n && e >= cut.nodeExits.length;
  const frame = sent ? frameBytes(cut.payloadBytes) : 0;
  const send = linkCosts(nodeTarget);
  const receive = linkCosts(gatewayTarget);
  const nodeInstructions = stepsSum(nodeSteps, 0, Math.min(k - 1, exitStep)) + (sent ? send.sendFixed + send.sendPerByte * frame : 0);
  const gatewayInstructions = sent ? receive.recvFixed + receive.recvPerByte * frame + stepsSum(gatewaySteps, k, exitStep) : 0;
  return {
    nodeInstructions,
    gatewayInstructions,
    linkBytes: frame,
    seconds: nodeInstructions / clockHz(nodeTarget) + (sent ? lineSeconds(link, frame) + gatewayInstructions / clockHz(gatewayTarget) : 0),
    nanojoules:
      nodeInstructions * nanojoules(nodeTarget) + (sent ? frame * link.nanojoulesPerByte + gatewayInstructions * nanojoules(gatewayTarget) : 0),
  };
}

/** Seconds one frame of `frameBytes` takes on the link: the message's fixed latency and its bits at the line rate. */
export function lineSeconds(link: LinkSpec, frameBytes: number): number {
  return link.messageLatencyUs / US_PER_S + (frameBytes * link.bitsPerByte) / link.baud;
}

/** The target's clock (one instruction a cycle); NaN where unknown, so that latencies are unknown, not zero. */
function clockHz(target: Target): number {
  return target.clock?.hz ?? NaN;
}

/** The target's energy per instruction; NaN where unknown. */
function nanojoules(target: Target): number {
  return target.energy?.nanojoulesPerInstruction ?? NaN;
}

/** A device's row figures for one cut: its mean and per-exit instructions, its memory and whether it fits. */
function deviceCost(device: DeviceSpec, footprint: Footprint, instructions: number, byExit: number[]): DeviceCost {
  const fit = fitOf(footprint, device.target);
  return {
    device: device.name,
    target: device.target.name,
    instructions,
    instructionsByExit: byExit,
    flashBytes: footprint.flashBytes,
    ramBytes: footprint.ramBytes,
    fits: fit.fits,
    ...(fit.overBy ? { overBy: fit.overBy } : {}),
  };
}

/** The figure an objective minimises. */
export function objectiveValue(evaluation: CutEvaluation, objective: Objective): number {
  return objective === 'latency' ? evaluation.latencyMs : evaluation.energyUj;
}

/**
 * The cut to build: `forced` (--cut) when it fits both sides, else the fitting cut of least latency or energy (the
 * first of equals, in position order). E_TARGET for a forced cut that does not fit (which side, by how much), and
 * for a model that fits no split (with the smallest pair of shipped targets on which one fits, from `smallestPair`).
 */
export function chooseCut(
  evaluations: readonly CutEvaluation[],
  objective: Objective,
  forced?: Cut,
  smallestPair?: () => TargetPair | undefined,
): CutEvaluation {
  if (forced) {
    const chosen = evaluations.find((e) => e.cut.position === forced.position);
    if (!chosen) throw new Error(`internal: the cut at ${forced.position} was not evaluated`);
    if (chosen.fits) return chosen;
    const fitting = evaluations.filter((e) => e.fits).map((e) => `${e.cut.position} (${e.label})`);
    throw new EennError({
      code: 'E_TARGET',
      message: `--cut ${forced.position} (${chosen.label}) does not fit: ${overSides(chosen).join('; ')}`,
      hint:
        fitting.length > 0
          ? `give a cut that fits (${fitting.join(', ')}), or leave --cut out to let the cost model choose`
          : `no cut fits these devices: ${pairHint(evaluations, smallestPair)}`,
    });
  }
  let best: CutEvaluation | undefined;
  for (const e of evaluations) if (e.fits && (!best || objectiveValue(e, objective) < objectiveValue(best, objective))) best = e;
  if (best) return best;
  const first = evaluations[0];
  const names = first ? `${first.node.device} (${first.node.target}) and ${first.gateway.device} (${first.gateway.target})` : 'the devices';
  throw new EennError({
    code: 'E_TARGET',
    message: `the model fits no split between ${names}`,
    details: evaluations.map((e) => `${e.cut.position} (${e.label}): ${overSides(e).join('; ')}`),
    hint: pairHint(evaluations, smallestPair),
  });
}

/** What to do when no cut fits: the smallest pair of shipped targets on which one does, when there is one. */
function pairHint(evaluations: readonly CutEvaluation[], smallestPair?: () => TargetPair | undefined): string {
  const first = evaluations[0];
  const pair = smallestPair?.();
  return pair
    ? `the smallest pair of targets on which a split fits: --devices ${first?.node.device ?? 'node'}=${pair.node.name},${first?.gateway.device ?? 'gateway'}=${pair.gateway.name}`
    : 'no pair of shipped targets fits any split: make the model smaller, or describe a larger board in a target file';
}

/** "node (cortex-m0plus) RAM 41,212 B of 32,768 B: 8,444 B over" for each side that does not fit. */
function overSides(evaluation: CutEvaluation): string[] {
  return [evaluation.node, evaluation.gateway]
    .filter((side) => !side.fits)
    .map((side) => `${side.device} (${side.target}) ${side.overBy ?? 'does not fit'}`);
}
