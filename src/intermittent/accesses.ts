// What each step of a memory plan reads and writes, as byte ranges of the places the state lives in (the arena, the
// captured inputs, the outputs): the facts the write-after-read analysis (hazards.ts) walks. At buffer granularity:
// a step's kernel reads its inputs' buffers and writes its outputs' buffers and its scratch; an early exit's
// decision reads its tensor after its step (from the graph; without it, every buffer is read once more at its last
// step, which covers the decisions and more).

import type { Graph } from '../ir/graph.js';
import { decisionSteps } from '../schedule/exits.js';
import type { MemoryPlan, PlannedBuffer } from '../schedule/plan-types.js';
import { ALIAS_OPS } from '../schedule/schedule.js';

/** Bytes [begin, end) of one place the state lives in ("arena", "input:0", "output:1"), holding plan buffer `buffer`. */
export interface ByteRange {
  area: string;
  begin: number;
  end: number;
  buffer: number;
}

/** The byte ranges one step touches. */
export interface StepAccess {
  step: number;
  /** The buffers its kernel calls read (each tensor input that has bytes of its own: no constant, nothing fused). */
  reads: ByteRange[];
  /** What it may write: its outputs' buffers and its scratch (a tile of the step writes a part, or all, of these). */
  writes: ByteRange[];
  /** What it writes in full when it runs whole: its outputs' buffers (the scratch is never read after the step). */
  outputs: ByteRange[];
  /**
   * The buffers whose last reader is this step, read once more when it ends: an early exit's decision after the step
   * reads its tensor there (a buffer the step's own kernel reads is here too, harmlessly).
   */
  readsAfter: ByteRange[];
  /** When the step writes its result over one of its inputs (in place): that input's bytes. */
  inPlaceInput?: ByteRange;
  /** The primary node's name and op, for messages and PlanOptions.outOfPlace. */
  node: { name: string; op: string };
}

/** The area and bytes of a buffer, or undefined for one without bytes the program writes (a constant, a fused tensor). */
export function rangeOf(buffer: PlannedBuffer): ByteRange | undefined {
  const s = buffer.storage;
  switch (s.kind) {
    case 'arena':
      return { area: 'arena', begin: s.offset, end: s.offset + buffer.bytes, buffer: buffer.id };
    case 'input':
    case 'output':
      return { area: `${s.kind}:${s.index}`, begin: 0, end: buffer.bytes, buffer: buffer.id };
    default:
      return undefined;
  }
}

/**
 * The accesses of every step of `plan` (made for `graph`), in step order. Without the graph the reads after each
 * step are guessed from the buffers' last steps: more than there are where PlanOptions.keepUntil kept a buffer.
 */
export function planAccesses(plan: MemoryPlan, graph?: Graph): StepAccess[] {
  const rangeOfTensor = (name: string): ByteRange | undefined => {
    const id = plan.bufferOf.get(name);
    return id === undefined ? undefined : rangeOf(plan.buffers[id]!);
  };
  const lastReaders = new Map<number, ByteRange[]>();
  const readAfter = (step: number, range: ByteRange | undefined) => {
    if (range) lastReaders.set(step, [...(lastReaders.get(step) ?? []), range]);
  };
  if (graph) {
    const decidedAt = decisionSteps(graph, plan.steps);
    (graph.exits?.decisions ?? []).forEach((decision, i) => readAfter(decidedAt[i]!, rangeOfTensor(decision.tensor)));
  } else {
    for (const buffer of plan.buffers) {
      if (buffer.scratchOfStep === undefined && buffer.lastStep < plan.steps.length) readAfter(buffer.lastStep, rangeOf(buffer));
    }
  }
  return plan.steps.map((step) => {
    const primary = step.nodes[0]!;
    const inside = new Set(step.nodes.slice(0, -1).flatMap((node) => node.outputs));
    const reads = unique(step.nodes.flatMap((node) => node.inputs.filter((name) => name !== '' && !inside.has(name)).map(rangeOfTensor)));
    const outputs = unique(step.nodes.flatMap((node) => node.outputs.filter((name) => name !== '' && !inside.has(name)).map(rangeOfTensor)));
    // An alias that shares its input's bytes writes nothing; one given bytes of its own copies into them.
    const aliasShared = ALIAS_OPS.has(primary.op) && step.nodes.length === 1 && outputs.every((o) => reads.some((r) => r.buffer === o.buffer));
    const written = aliasShared ? [] : outputs;
    const scratchId = plan.scratchOf.get(step.index);
    const scratch = scratchId === undefined ? undefined : rangeOf(plan.buffers[scratchId]!);
    const inPlaceInput = aliasShared ? undefined : reads.find((r) => written.some((w) => w.buffer === r.buffer));
    return {
      step: step.index,
      reads,
      writes: scratch ? [...written, scratch] : written,
      outputs: written,
      readsAfter: lastReaders.get(step.index) ?? [],
      ...(inPlaceInput ? { inPlaceInput } : {}),
      node: { name: primary.name, op: primary.op },
    };
  });
}

/** The ranges that are there, each buffer once. */
function unique(ranges: (ByteRange | undefined)[]): ByteRange[] {
  const seen = new Set<number>();
  const out: ByteRange[] = [];
  for (const r of ranges) {
    if (!r || seen.has(r.buffer)) continue;
    seen.add(r.buffer);
    out.push(r);
  }
  return out;
}

/** A set of bytes over the areas: disjoint sorted intervals per area. */
export class ByteSet {
  private readonly areas = new Map<string, [number, number][]>();

  add(range: ByteRange): void {
    const list = this.areas.get(range.area) ?? [];
    let begin = range.begin;
    let end = range.end;
    const kept: [number, number][] = [];
    for (const [b, e] of list) {
      if (e < begin || b > end) kept.push([b, e]);
      else {
        begin = Math.min(begin, b);
        end = Math.max(end, e);
      }
    }
    kept.push([begin, end]);
    kept.sort((x, y) => x[0] - y[0]);
    this.areas.set(range.area, kept);
  }

  /** The parts of `range` outside this set. */
  outside(range: ByteRange): ByteRange[] {
    const list = this.areas.get(range.area);
    if (!list) return [range];
    const parts: ByteRange[] = [];
    let at = range.begin;
    for (const [b, e] of list) {
      if (e <= at) continue;
      if (b >= range.end) break;
      if (b > at) parts.push({ ...range, begin: at, end: b });
      at = Math.max(at, e);
      if (at >= range.end) break;
    }
    if (at < range.end) parts.push({ ...range, begin: at, end: range.end });
    return parts;
  }
}

/** True when two ranges share a byte. */
export function overlaps(a: ByteRange, b: ByteRange): boolean {
  return a.area === b.area && a.begin < b.end && b.begin < a.end;
}
