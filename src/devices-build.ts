// The build of a multi-device model (--devices node=T1,gateway=T2 --link uart:BAUD): measure what every step of
// the schedule costs on each device's target, take the exit probabilities from the calibration samples, evaluate
// every cut with the cost model (src/devices/), split the graph at the chosen one and emit one C project per device.
// compile.ts calls it in place of the single-device plan-and-emit.
// measure (a traced build per target) -> evaluate the cuts -> choose -> split -> emit node/ and gateway/.

import { inFile } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { planMemory, type MemoryPlan } from './schedule/memory-plan.js';
import { decisionSteps } from './schedule/exits.js';
import type { Target } from './target/target.js';
import type { ArenaPolicy } from './schedule/arena-budget.js';
import {
  chooseCut,
  enumerateCuts,
  evaluateCuts,
  modelHash,
  resolveCut,
  sideMemory,
  smallestFittingPair,
  splitGraph,
  type ProjectSizer,
  type Cut,
  type CutEvaluation,
  type DeviceOptions,
  type SplitGraphs,
} from './devices/index.js';
import { measureStepInstructions } from './measure-steps.js';

/** Calibration samples a cost measurement runs (the steps' costs barely depend on the data; a few samples average them). */
const MEASURED_SAMPLES = 4;

/** What the build needs from the compile pipeline (compile.ts). */
export interface DevicesBuildContext {
  /** The whole compiled graph, exits attached. */
  graph: Graph;
  precision: 'int8' | 'float32';
  devices: DeviceOptions;
  /** The model file, named by the errors. */
  model: string;
  modelName: string;
  optimization?: string;
  /** The planner's options for `graph` on `target` (the build's arena policy). */
  planFor(graph: Graph, target: Target): Parameters<typeof planMemory>[1];
  /** The build's arena policy (each side is planned with it) and what codegen knows of a project's size. */
  policy: ArenaPolicy;
  sizer: ProjectSizer;
  /** Calibration samples encoded as the firmware reads them (all of them, concatenated), and their count; none: zeros. */
  samples: { bytes: Uint8Array; count: number };
  /** The exit each calibration sample takes in the reference (whole-graph exit indices); empty without calibration data. */
  taken: number[];
  onProgress?: (message: string) => void;
  notes: string[];
}

/** The chosen split, the table it was chosen from, and the link's model hash. */
export interface DevicesPlan {
  split: SplitGraphs;
  chosen: CutEvaluation;
  evaluations: CutEvaluation[];
  /** The whole graph's schedule (on the node's target): the positions of the cuts count its steps. */
  plan: MemoryPlan;
  /** Measured instructions of each step on each device (by name). */
  stepInstructions: Record<string, number[]>;
  hash: number;
}

/** Choose the cut: measure each step on each target, evaluate every cut, take the best (or --cut). */
export async function planDevices(context: DevicesBuildContext): Promise<DevicesPlan> {
  const { graph, devices } = context;
  const [node, gateway] = devices.devices;
  if (!node || !gateway) throw new Error('internal: --devices resolved to fewer than two devices');
  const plans = new Map(devices.devices.map((device) => [device.name, planMemory(graph, context.planFor(graph, device.target))]));
  const plan = plans.get(node.name)!;
  const stepNames = plan.steps.map((step) => step.nodes[0]!.name);
  // The cuts and --cut first: a cut that does not exist is refused before the targets are measured.
  const cuts = enumerateCuts(graph, plan.steps);
  const forced = devices.cut === undefined ? undefined : inFile(context.model, () => resolveCut(devices.cut!, cuts, stepNames));
  const stepInstructions: Record<string, number[]> = {};
  for (const device of devices.devices) {
    const own = plans.get(device.name)!;
    const count = Math.max(1, Math.min(MEASURED_SAMPLES, context.samples.count));
    const perSample = context.samples.bytes.length / Math.max(1, context.samples.count);
    context.onProgress?.(`devices: measuring each of the ${plan.steps.length} steps on ${device.target.name} (${device.name}, ${count} samples)`);
    const measured = await measureStepInstructions({
      graph,
      plan: own,
      target: device.target,
      precision: context.precision,
      modelName: context.modelName,
      samples: context.samples.count > 0 ? context.samples.bytes.subarray(0, count * perSample) : context.samples.bytes,
      count,
      optimization: context.optimization,
      onProgress: context.onProgress,
    });
    stepInstructions[device.name] = onSchedule(measured.perStep, own, plan, device.target);
  }
  const exitCount = graph.exits?.outputs.length ?? 1;
  const exitProbabilities = probabilities(context.taken, exitCount);
  if (context.taken.length === 0 && exitCount > 1) {
    context.notes.push('devices: no calibration samples, so the cost model assumes every input goes on to the final exit');
  }
  const exitSteps = [...decisionSteps(graph, plan.steps), plan.steps.length - 1];
  const sides = new Map<number, SplitGraphs>(cuts.map((cut) => [cut.position, splitGraph(graph, plan.steps, cut)]));
  const memoryOf = (cut: Cut) => {
    const split = sides.get(cut.position)!;
    return {
      node: sideMemory(split, 'node', node.target, context.sizer, context.policy),
      gateway: sideMemory(split, 'gateway', gateway.target, context.sizer, context.policy),
    };
  };
  const inputs = { stepNames, stepInstructions, exitProbabilities, exitSteps };
  const evaluations = evaluateCuts(cuts, memoryOf, inputs, devices.devices, devices.link);
  const smallest = () => smallestFittingPair([...sides.values()], context.sizer, context.policy);
  const chosen = inFile(context.model, () => chooseCut(evaluations, devices.objective, forced, smallest));
  const split = sides.get(chosen.cut.position)!;
  return { split, chosen, evaluations, plan, stepInstructions, hash: modelHash(graph, chosen.cut) };
}

/**
 * A device's measured step costs on the node's schedule, whose positions the cuts count. The schedules can differ
 * between targets (one fuses a residual Add into the convolution before it, the other does not): each step of the
 * device's own schedule counts on the node's step that computes the last of its nodes, so that the costs before and
 * after every cut add up as the device measured them.
 */
function onSchedule(perStep: readonly number[], own: MemoryPlan, plan: MemoryPlan, target: Target): number[] {
  if (own === plan) return [...perStep];
  const stepOf = new Map<string, number>();
  plan.steps.forEach((step, k) => {
    for (const n of step.nodes) stepOf.set(n.name, k);
  });
  const costs = plan.steps.map(() => 0);
  own.steps.forEach((step, k) => {
    const at = Math.max(...step.nodes.map((n) => stepOf.get(n.name) ?? -1));
    if (at < 0) throw new Error(`internal: step ${step.nodes[0]!.name} of the schedule on ${target.name} is not in the node's schedule`);
    costs[at]! += perStep[k]!;
  });
  return costs;
}

/** The share of samples leaving at each exit; without samples, every input goes on to the final exit. */
function probabilities(taken: readonly number[], exits: number): number[] {
  if (taken.length === 0) return Array.from({ length: exits }, (_, i) => (i === exits - 1 ? 1 : 0));
  return Array.from({ length: exits }, (_, i) => taken.filter((t) => t === i).length / taken.length);
}
