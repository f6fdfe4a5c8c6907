// One memory plan for a fixed set of choices (schedule options, optional in-place steps): the steps, the tensors'
// lifetimes, the buffers they share, each step's scratch, and the arena layout. plan-search.ts chooses the options.

import type { Graph } from '../ir/graph.js';
import { allocateArena, alignUp, arenaLowerBound, type ArenaRequest } from './arena-allocator.js';
import { shareBuffers, type Schedule } from './buffer-sharing.js';
import { KernelOffers } from './kernel-offers.js';
import { tensorLifetimes } from './lifetimes.js';
import { tensorBytes, type MemoryPlan, type PlannedBuffer, type PlanOptions, type Storage } from './plan-types.js';
import { buildSteps, type ScheduleOptions } from './schedule.js';

/**
 * The schedule of `graph` under `options` that a plan is made for: the steps, their tensors' lifetimes and what
 * their kernels allow. Plans never change it, so plans that differ only in their optional in-place steps share one.
 */
export function scheduleOf(graph: Graph, options: ScheduleOptions): Schedule {
  const steps = buildSteps(graph, options);
  return { steps, lifetimes: tensorLifetimes(graph, steps), offers: new KernelOffers(graph) };
}

/**
 * The plan of `graph` under `options`, with the optional in-place steps `optionalInPlace` run in place; `schedule`
 * must be scheduleOf(graph, options) when given.
 */
export function planWith(
  graph: Graph,
  options: PlanOptions,
  optionalInPlace: ReadonlySet<string>,
  schedule: Schedule = scheduleOf(graph, options),
): MemoryPlan {
  const alignment = options.alignment ?? 8;
  const { producer, fused } = schedule.lifetimes;
  const { groups, steps } = shareBuffers(graph, schedule, {
    inPlace: options.inPlace ?? true,
    optionalInPlace,
    ...(options.outOfPlace ? { outOfPlace: options.outOfPlace } : {}),
  });
  const isConstant = (name: string) => graph.tensors.get(name)?.data !== undefined;
  const bytesOf = (name: string) => tensorBytes(graph.tensors.get(name)!);

  // Collect the classes into buffers.
  const members = new Map<string, string[]>();
  const collected = new Set<string>();
  for (const name of [...graph.inputs, ...producer.keys(), ...graph.outputs]) {
    if (!groups.has(name) || collected.has(name)) continue;
    collected.add(name);
    const root = groups.root(name);
    const list = members.get(root) ?? [];
    list.push(name);
    members.set(root, list);
  }
  // Constants that joined a class through an alias are members too (first, in the order their steps read them).
  const aliasedConstants = new Map<string, string[]>();
  for (const step of steps) {
    const src = step.nodes[0]!.inputs[0];
    if (src && isConstant(src) && groups.has(src) && !collected.has(src)) {
      collected.add(src);
      const root = groups.root(src);
      const list = aliasedConstants.get(root) ?? [];
      list.push(src);
      aliasedConstants.set(root, list);
      if (!members.has(root)) members.set(root, []);
    }
  }
  for (const [root, list] of aliasedConstants) members.set(root, [...list.reverse(), ...(members.get(root) ?? [])]);

  const buffers: PlannedBuffer[] = [];
  const bufferOf = new Map<string, number>();
  const arenaIds: number[] = [];
  for (const [root, names] of members) {
    names.sort((a, b) => (producer.get(a) ?? -1) - (producer.get(b) ?? -1));
    const binding = groups.bindingOf(root);
    const allFused = names.every((n) => fused.has(n));
    const storage: Storage = binding ?? (allFused ? { kind: 'fused' } : { kind: 'arena', offset: 0 });
    let firstStep = Infinity;
    let bytes = -Infinity;
    for (const n of names) {
      firstStep = Math.min(firstStep, producer.get(n) ?? 0);
      bytes = Math.max(bytes, bytesOf(n));
    }
    let lastStep = Math.max(firstStep, groups.lastReadOf(root));
    for (const n of names) lastStep = Math.max(lastStep, options.keepUntil?.get(n) ?? -1);
    const id = buffers.length;
    buffers.push({ id, tensors: names, bytes, firstStep, lastStep, storage });
    for (const n of names) bufferOf.set(n, id);
    if (storage.kind === 'arena') arenaIds.push(id);
  }
  // Each step's working memory: an arena buffer alive at that step only.
  const scratchOf = new Map<number, number>();
  for (const step of steps) {
    if (!step.scratchBytes) continue;
    const id = buffers.length;
    buffers.push({
      id,
      tensors: [`step${step.index}_scratch`],
      bytes: step.scratchBytes,
      firstStep: step.index,
      lastStep: step.index,
      storage: { kind: 'arena', offset: 0 },
      scratchOfStep: step.index,
    });
    scratchOf.set(step.index, id);
    arenaIds.push(id);
  }

  const requests: ArenaRequest[] = arenaIds.map((id) => ({
    bytes: buffers[id]!.bytes,
    first: buffers[id]!.firstStep,
    last: buffers[id]!.lastStep,
  }));
  const layout = allocateArena(requests, alignment);
  arenaIds.forEach((id, i) => {
    buffers[id]!.storage = { kind: 'arena', offset: layout.offsets[i]! };
  });

  const outputs = new Set(graph.outputs);
  let naiveBytes = 0;
  for (const name of producer.keys()) {
    if (!outputs.has(name) && !isConstant(name)) naiveBytes += bytesOf(name);
  }

  return {
    steps,
    buffers,
    bufferOf,
    scratchOf,
    arenaBytes: alignUp(layout.totalBytes, alignment),
    lowerBoundBytes: arenaLowerBound(requests, alignment),
    naiveBytes,
    alignment,
    strategy: layout.strategy,
  };
}
