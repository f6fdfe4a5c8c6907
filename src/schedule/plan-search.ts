// The search over a memory plan's choices: which optional in-place steps run in place, which float Conv pairs stay
// fused and how many rows a band takes, which int8 convolutions go without their im2col scratch, and how many
// channels a fused int8 step takes per pass. The smallest arena comes first; an arena budget is then spent on speed.
// Each candidate is one plan for fixed choices (plan.ts).

import type { Graph, Node } from '../ir/graph.js';
import { int8ConvScratchBytes, int8PointwiseInPlaceScratch, poolRunsInPlace } from '../kernels/index.js';
import { planWith, scheduleOf } from './plan.js';
import type { MemoryPlan, PlanOptions } from './plan-types.js';

/** Plan where each runtime tensor of `graph` lives. The graph's nodes must be in topological order. */
export function planMemory(graph: Graph, options: PlanOptions = {}): MemoryPlan {
  // Every optional step in place, then each one back out of place unless that makes the arena larger.
  // (The choice changes no step, so every trial shares one schedule.)
  const schedule = scheduleOf(graph, options);
  let chosen = new Set(options.optionalInPlace ?? []);
  let best = planWith(graph, options, chosen, schedule);
  if (!options.optionalInPlace && options.inPlace !== false) {
    chosen = new Set(graph.nodes.filter((node) => isOptionalInPlace(graph, node)).map((node) => node.name));
    best = planWith(graph, options, chosen, schedule);
    for (const name of [...chosen]) {
      chosen.delete(name);
      const trial = planWith(graph, options, chosen, schedule);
      if (trial.arenaBytes <= best.arenaBytes) best = trial;
      else chosen.add(name);
    }
  }
  // Float Conv pairs: each one stays fused only where unfusing it would make the arena larger.
  if (!options.unfusedConvPairs && !options.convPairBandRows) {
    const unfused = new Set<string>();
    for (const step of best.steps) {
      if (!step.convPair) continue;
      unfused.add(step.convPair.first.name);
      const trial = planWith(graph, { ...options, unfusedConvPairs: unfused }, chosen);
      if (trial.arenaBytes <= best.arenaBytes) best = trial;
      else unfused.delete(step.convPair.first.name);
    }
    // Then as many output rows per band as the smallest arena allows: fewer, longer kernel calls run a little
    // faster. The budget is not spent on them (a band of one row costs under 1% of the pair's time; whole-image
    // bands would give back all the memory the pair saves).
    const bandRows = new Map<string, number>();
    const smallest = best.arenaBytes;
    for (const step of best.steps) {
      const pair = step.convPair;
      if (!pair) continue;
      const rows = graph.tensors.get(pair.second.outputs[0]!)!.shape[2]!;
      for (let band = pair.bandRows * 2; band < 2 * rows; band *= 2) {
        const size = Math.min(band, rows);
        const trial = planWith(
          graph,
          {
            ...options,
            unfusedConvPairs: unfused,
            convPairBandRows: new Map([...bandRows, [pair.first.name, size]]),
          },
          chosen,
        );
        if (trial.arenaBytes > smallest) break;
        bandRows.set(pair.first.name, size);
        best = trial;
      }
    }
    options = { ...options, unfusedConvPairs: unfused, convPairBandRows: bandRows };
  }
  // int8 convolutions that read their input in place instead of gathering im2col columns into a scratch (several
  // times slower): only when asked for or under a budget, where that makes the smallest arena smaller, and given
  // back within the budget below.
  if (!options.int8DirectConvs && (options.scratchlessConvs || options.arenaBudgetBytes !== undefined)) {
    const direct = new Set<string>();
    for (const step of best.steps) {
      const conv = step.nodes[0]!;
      if (step.blockChannels || step.inPlace || int8ConvScratchBytes(graph, conv) === 0) continue;
      direct.add(conv.name);
      const trial = planWith(graph, { ...options, int8DirectConvs: direct }, chosen);
      if (trial.arenaBytes < best.arenaBytes) best = trial;
      else direct.delete(conv.name);
    }
    options = { ...options, int8DirectConvs: direct };
  }
  if (options.int8BlockChannels) return best;
  const smallestArenaBytes = best.arenaBytes;
  // Within the budget, the convolutions get their scratch back first (the largest speed-up).
  const budget = Math.max(best.arenaBytes, options.arenaBudgetBytes ?? 0);
  if (options.arenaBudgetBytes !== undefined) {
    const direct = new Set(options.int8DirectConvs);
    for (const name of [...direct]) {
      direct.delete(name);
      const trial = planWith(graph, { ...options, int8DirectConvs: direct }, chosen);
      if (trial.arenaBytes <= budget) best = trial;
      else direct.add(name);
    }
    options = { ...options, int8DirectConvs: direct };
  }
  // Fused int8 QConv steps: as many output channels per pass as the arena allows (fewer passes run faster; as
  // many as the QConv has undoes the fusion), first without growing the smallest arena, then within the budget.
  const blocks = new Map<string, number>();
  for (const limit of [best.arenaBytes, budget]) {
    for (const step of best.steps) {
      if (!step.blockChannels) continue;
      const conv = step.nodes[0]!;
      const channels = graph.tensors.get(conv.outputs[0]!)!.shape[1]!;
      for (let block = step.blockChannels * 2; ; block *= 2) {
        const size = Math.min(block, channels);
        const trial = planWith(graph, { ...options, int8BlockChannels: new Map([...blocks, [conv.name, size]]) }, chosen);
        if (trial.arenaBytes > limit) break;
        blocks.set(conv.name, size);
        best = trial;
        if (size >= channels) break;
      }
    }
  }
  // Within the budget, the 1x1 convolutions run out of place again (faster).
  if (options.arenaBudgetBytes !== undefined && !options.optionalInPlace) {
    const blocked = { ...options, int8BlockChannels: blocks };
    const blockedSchedule = scheduleOf(graph, blocked);
    for (const name of [...chosen]) {
      chosen.delete(name);
      const trial = planWith(graph, blocked, chosen, blockedSchedule);
      if (trial.arenaBytes <= budget) best = trial;
      else chosen.add(name);
    }
  }
  return options.arenaBudgetBytes === undefined ? best : { ...best, smallestArenaBytes };
}

/**
 * Steps that may run in place but need not: int8 pooling (kernels/pool-s8.ts: poolRunsInPlace) and int8 1x1
 * convolutions (int8PointwiseInPlaceScratch). Whether their input dies at their step is the planner's business.
 */
export function isOptionalInPlace(graph: Graph, node: Node): boolean {
  return poolRunsInPlace(graph, node) || int8PointwiseInPlaceScratch(graph, node) !== undefined;
}
