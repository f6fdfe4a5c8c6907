// The independent check of a memory plan: arena buffers alive together share no byte, and, given the graph, every
// tensor's lifetime recomputed from the graph and the steps fits its buffer and no kernel writes over an input it
// cannot. It trusts none of the planner's decisions (it imports no planner code), only the kernel facts.

import type { Graph } from '../ir/graph.js';
import { inPlaceConv, poolRunsInPlace, writesOverInput } from '../kernels/index.js';
import { convPairMayOverwriteInput } from './conv-pair.js';
import { decisionSteps } from './exits.js';
import { tensorBytes, type MemoryPlan, type PlannedBuffer } from './plan-types.js';
import { ALIAS_OPS } from './schedule.js';

/**
 * Problems in a plan, empty when it is sound: arena buffers alive at the same step share no byte, offsets
 * are aligned and inside the arena. With the graph, lifetimes are recomputed from the nodes independently
 * of the planner: each buffer must cover the lifetime of every tensor in it, and a tensor may only be
 * written over another of its buffer (not an alias of it) at the step where that other tensor dies.
 */
export function validatePlan(plan: MemoryPlan, graph?: Graph): string[] {
  const problems: string[] = [];
  const arena = plan.buffers.filter((b) => b.storage.kind === 'arena');
  const offsetOf = (b: PlannedBuffer) => (b.storage as { offset: number }).offset;
  for (const b of arena) {
    const off = offsetOf(b);
    if (off % plan.alignment !== 0) problems.push(`buffer ${b.id} (${b.tensors[0]}) offset ${off} is not aligned to ${plan.alignment}`);
    if (off < 0 || off + b.bytes > plan.arenaBytes)
      problems.push(`buffer ${b.id} (${b.tensors[0]}) [${off}, ${off + b.bytes}) is outside the ${plan.arenaBytes}-byte arena`);
  }
  // Pairs alive together: a sweep over the steps compares each buffer with those still alive when it starts.
  const clashes: [number, number][] = [];
  const byStart = arena.map((_, i) => i).sort((i, j) => arena[i]!.firstStep - arena[j]!.firstStep || i - j);
  let alive: number[] = [];
  for (const j of byStart) {
    const b = arena[j]!;
    alive = alive.filter((i) => arena[i]!.lastStep >= b.firstStep);
    for (const i of alive) {
      const a = arena[i]!;
      const timeOverlap = a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
      const byteOverlap = offsetOf(a) < offsetOf(b) + b.bytes && offsetOf(b) < offsetOf(a) + a.bytes;
      if (timeOverlap && byteOverlap && a.bytes > 0 && b.bytes > 0) clashes.push(i < j ? [i, j] : [j, i]);
    }
    alive.push(j);
  }
  clashes.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (const [i, j] of clashes) {
    const a = arena[i]!;
    const b = arena[j]!;
    problems.push(`buffers ${a.id} (${a.tensors[0]}) and ${b.id} (${b.tensors[0]}) are alive together and share bytes`);
  }
  if (!graph) return problems;

  // Independent lifetimes from the graph and the steps.
  const produced = new Map<string, number>();
  const read = new Map<string, number>();
  const aliasSource = new Map<string, string>();
  for (const step of plan.steps) {
    const inside = new Set(step.nodes.slice(0, -1).flatMap((n) => n.outputs));
    for (const node of step.nodes) {
      for (const input of node.inputs) {
        if (input !== '' && !inside.has(input)) read.set(input, Math.max(read.get(input) ?? -1, step.index));
      }
      for (const out of node.outputs) if (out !== '') produced.set(out, step.index);
      if (ALIAS_OPS.has(node.op) && node.outputs[0]) aliasSource.set(node.outputs[0], node.inputs[0]!);
    }
  }
  for (const out of graph.outputs) read.set(out, plan.steps.length);
  // An early exit's decision reads its tensor after its decision step.
  const decisions = graph.exits?.decisions ?? [];
  const decidedAt = decisionSteps(graph, plan.steps);
  decisions.forEach((d, i) => read.set(d.tensor, Math.max(read.get(d.tensor) ?? -1, decidedAt[i]!)));
  const roots = new Map<string, string>();
  const rootOf = (name: string): string => {
    const path: string[] = [];
    let r = name;
    while (aliasSource.has(r) && !roots.has(r)) {
      path.push(r);
      r = aliasSource.get(r)!;
    }
    r = roots.get(r) ?? r;
    for (const p of path) roots.set(p, r);
    return r;
  };
  const modelInputs = new Set(graph.inputs);
  // Scratches: one per step that asks for one, big enough, alive exactly at that step.
  for (const step of plan.steps) {
    if (!step.scratchBytes) continue;
    const b = plan.buffers[plan.scratchOf.get(step.index) ?? -1];
    if (!b || b.storage.kind !== 'arena' || b.bytes < step.scratchBytes || b.firstStep > step.index || b.lastStep < step.index) {
      problems.push(`step ${step.index} needs a ${step.scratchBytes}-byte scratch in the arena during the step`);
    }
  }
  // A step writes over one of its inputs only when its kernel can: element-wise operators, and the
  // depthwise / pointwise Convs that inPlaceConv accepts (recomputed here, not trusted from the plan).
  for (const step of plan.steps) {
    const primary = step.nodes[0]!;
    if (ALIAS_OPS.has(primary.op)) continue;
    const out = step.nodes[step.nodes.length - 1]!.outputs[0];
    const outBuffer = out ? plan.bufferOf.get(out) : undefined;
    if (outBuffer === undefined || plan.buffers[outBuffer]?.storage.kind === 'fused') continue;
    const shared = primary.inputs.some((i) => i !== '' && !graph.tensors.get(i)?.data && plan.bufferOf.get(i) === outBuffer);
    const conv = inPlaceConv(graph, primary);
    const allowed =
      (step.nodes.length === 1 && (writesOverInput(primary) || poolRunsInPlace(graph, primary))) ||
      (conv !== undefined && !step.pool && step.inPlace === conv.kind && (step.scratchBytes ?? 0) >= conv.scratchBytes) ||
      (step.convPair !== undefined && convPairMayOverwriteInput(graph, step.convPair, step.convPair.bandRows));
    if (shared && !allowed) problems.push(`step ${step.index} (${primary.op}) writes over its input but its kernel cannot run in place`);
    if (step.inPlace && !shared)
      problems.push(`step ${step.index} (${primary.op}) is marked in place but its input and output do not share a buffer`);
  }
  // The caller's output buffer is only as big as that output.
  for (const b of plan.buffers) {
    if (b.storage.kind !== 'output') continue;
    const own = graph.tensors.get(graph.outputs[b.storage.index]!);
    const room = own ? tensorBytes(own) : 0;
    for (const name of b.tensors) {
      const t = graph.tensors.get(name);
      if (t && tensorBytes(t) > room)
        problems.push(`tensor ${name} (${tensorBytes(t)} bytes) does not fit the ${room}-byte output buffer ${b.storage.index}`);
    }
  }
  for (const [name, id] of plan.bufferOf) {
    const b = plan.buffers[id];
    if (!b) {
      problems.push(`tensor ${name} points at missing buffer ${id}`);
      continue;
    }
    if (b.storage.kind === 'fused') continue;
    const first = produced.get(name) ?? 0;
    const last = read.get(name) ?? first;
    if (b.storage.kind === 'arena' && (first < b.firstStep || last > b.lastStep)) {
      problems.push(`tensor ${name} lives in steps ${first}..${last} but its buffer ${id} only covers ${b.firstStep}..${b.lastStep}`);
    }
    if (graph.tensors.get(name) && tensorBytes(graph.tensors.get(name)!) > b.bytes) {
      problems.push(`tensor ${name} is larger than its buffer ${id}`);
    }
  }
  for (const b of plan.buffers) problems.push(...overwrittenWhileRead(b.tensors, produced, read, rootOf, modelInputs));
  decisions.forEach((d, i) => problems.push(...exitProblems(plan, d.output, d.tensor, decidedAt[i]!, produced, rootOf)));
  return problems;
}

/**
 * validatePlan's check of one buffer: a tensor v (not an alias) produced at step s overwrites every tensor w of
 * the buffer written before it (other than v's aliases), so w and its aliases must not be read after step s.
 * A sweep in step order: the written tensors whose alias group is still read wait in a list until s passes that
 * read, so a sound buffer costs one pass however many tensors it holds. Problems come in buffer order (v, then w).
 */
function overwrittenWhileRead(
  tensors: readonly string[],
  produced: ReadonlyMap<string, number>,
  read: ReadonlyMap<string, number>,
  rootOf: (name: string) => string,
  modelInputs: ReadonlySet<string>,
): string[] {
  const groupLast = new Map<string, number>();
  for (const x of tensors) groupLast.set(rootOf(x), Math.max(groupLast.get(rootOf(x)) ?? -Infinity, read.get(x) ?? -1));
  const writes: { index: number; step: number }[] = [];
  tensors.forEach((w, index) => {
    const step = produced.get(w) ?? (modelInputs.has(w) ? -1 : undefined);
    if (step !== undefined) writes.push({ index, step });
  });
  writes.sort((a, b) => a.step - b.step || a.index - b.index);
  const overwrites = writes.filter(({ index }) => produced.has(tensors[index]!) && rootOf(tensors[index]!) === tensors[index]);
  const found: { v: number; w: number; message: string }[] = [];
  let waiting: number[] = [];
  let next = 0;
  for (const { index: v, step: s } of overwrites) {
    while (next < writes.length && writes[next]!.step < s) waiting.push(writes[next++]!.index);
    waiting = waiting.filter((w) => groupLast.get(rootOf(tensors[w]!))! > s);
    for (const w of waiting) {
      if (w === v || rootOf(tensors[w]!) === tensors[v]) continue;
      const name = tensors[w]!;
      found.push({
        v,
        w,
        message: `tensor ${tensors[v]} overwrites ${name} at step ${s} but ${name} is still read at step ${groupLast.get(rootOf(name))}`,
      });
    }
  }
  return found.sort((a, b) => a.v - b.v || a.w - b.w).map((f) => f.message);
}

/**
 * validatePlan's check of one early exit decided after step `at`: the exit's output is the caller's buffer (never
 * the arena, which later steps reuse), and nothing written after its decision tensor, up to and including step
 * `at`, goes over that tensor's bytes (the decision reads them after the step).
 */
function exitProblems(
  plan: MemoryPlan,
  output: string,
  tensor: string,
  at: number,
  produced: ReadonlyMap<string, number>,
  rootOf: (name: string) => string,
): string[] {
  const problems: string[] = [];
  const outputBuffer = plan.buffers[plan.bufferOf.get(output) ?? -1];
  if (outputBuffer && (outputBuffer.storage.kind === 'arena' || outputBuffer.storage.kind === 'fused')) {
    problems.push(`exit ${output} is kept in the arena, which the steps after its decision reuse`);
  }
  const buffer = plan.buffers[plan.bufferOf.get(tensor) ?? -1];
  const written = produced.get(tensor) ?? -1;
  for (const name of buffer?.tensors ?? []) {
    const step = produced.get(name);
    if (name === tensor || rootOf(name) === rootOf(tensor) || step === undefined || step <= written || step > at) continue;
    problems.push(`tensor ${name} overwrites ${tensor} at step ${step} before the decision of exit ${output} after step ${at} reads it`);
  }
  return problems;
}
