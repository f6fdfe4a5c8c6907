// Write-after-read hazards of a task: a task cut off by a power failure runs again from its start, so it must not
// write, before its commit, over bytes it reads that were there before it started (its live-in bytes): the second
// run would read what the first one wrote. Checked at byte-range granularity over the plan's buffers (accesses.ts),
// scratch included. The split (split.ts) cuts where a group of pieces has a hazard; a step that writes over its own
// live-in input (in place) cannot be fixed by a cut and is run out of place instead (outOfPlaceNeeded).

import type { MemoryPlan } from '../schedule/plan-types.js';
import { ByteSet, overlaps, planAccesses, type ByteRange, type StepAccess } from './accesses.js';
import type { Piece, TaskPlan } from './types.js';

/** A live-in range and the step that read it. */
interface LiveIn extends ByteRange {
  reader: number;
}

/**
 * The state of a walk through the pieces of one task, in order: the bytes written in full so far and the live-in
 * bytes read so far. A piece's own writes are checked against the live-in bytes of the pieces before it (a step
 * that writes over its own input is in place: outOfPlaceNeeded's business, not a cut's).
 */
export class TaskWalk {
  private readonly written = new ByteSet();
  private readonly liveIn: LiveIn[] = [];

  constructor(private readonly accesses: readonly StepAccess[]) {}

  /**
   * Enter step `step` (a whole step, or its first piece in the task): its reads join the live-in bytes; returns why
   * its writes break idempotence, or undefined.
   */
  enter(step: number): string | undefined {
    const access = this.accesses[step]!;
    const reads = access.reads.flatMap((r) => this.written.outside(r).map((part) => ({ ...part, reader: step })));
    let hazard: string | undefined;
    for (const write of access.writes) {
      const hit = this.liveIn.find((live) => overlaps(live, write));
      if (hit) {
        hazard = describe(this.accesses, step, write, hit);
        break;
      }
    }
    this.liveIn.push(...reads);
    return hazard;
  }

  /** Leave step `step`, which ran `whole` in this task (else only its last part): what it wrote, what is read after it. */
  leave(step: number, whole: boolean): void {
    const access = this.accesses[step]!;
    if (whole) for (const out of access.outputs) this.written.add(out);
    for (const r of access.readsAfter) for (const part of this.written.outside(r)) this.liveIn.push({ ...part, reader: step });
  }

  /** The plan buffers of the live-in bytes read so far. */
  liveInBuffers(): Set<number> {
    return new Set(this.liveIn.map((live) => live.buffer));
  }

  /** True when some byte of `range` was not written in full by the task so far (it holds what was there before). */
  isLiveIn(range: ByteRange): boolean {
    return this.written.outside(range).length > 0;
  }
}

/** The message of a hazard: step `step` writes `write` over bytes `hit` that an earlier step of the task read. */
function describe(accesses: readonly StepAccess[], step: number, write: ByteRange, hit: LiveIn): string {
  const writer = accesses[step]!;
  const reader = accesses[hit.reader]!;
  return (
    `step ${step} "${writer.node.name}" (${writer.node.op}) writes ${write.area} bytes ${write.begin}..${write.end} ` +
    `(buffer ${write.buffer}) over bytes ${Math.max(write.begin, hit.begin)}..${Math.min(write.end, hit.end)} of buffer ${hit.buffer}, ` +
    `which step ${hit.reader} "${reader.node.name}" read as it was before the task`
  );
}

/** The steps of `pieces` in order, each once, with whether the task runs it whole and whether it ends it. */
function stepsOf(pieces: readonly Piece[]): { step: number; whole: boolean; ends: boolean }[] {
  const out: { step: number; whole: boolean; ends: boolean }[] = [];
  for (const piece of pieces) {
    const tile = piece.tile;
    const begins = !tile || tile.begin === 0;
    const ends = !tile || tile.end >= tile.units;
    const last = out[out.length - 1];
    if (last && last.step === piece.step) {
      last.whole = last.whole && ends;
      last.ends = ends;
    } else out.push({ step: piece.step, whole: begins && ends, ends });
  }
  return out;
}

/**
 * Why the consecutive `pieces` cannot be one task (a write, scratch included, over bytes that are live-in to the
 * group: read in it and there before it), or undefined when they can. `accesses` defaults to planAccesses(plan).
 */
export function taskHazard(plan: MemoryPlan, pieces: readonly Piece[], accesses: readonly StepAccess[] = planAccesses(plan)): string | undefined {
  const walk = new TaskWalk(accesses);
  for (const { step, whole, ends } of stepsOf(pieces)) {
    const hazard = walk.enter(step);
    if (hazard) return hazard;
    if (ends) walk.leave(step, whole);
  }
  return undefined;
}

/**
 * The in-place steps whose input is live-in to their task (each written over while a re-run would read it again): the
 * node names to give the planner as PlanOptions.outOfPlace, in step order, each once.
 */
export function outOfPlaceNeeded(plan: MemoryPlan, tasks: TaskPlan, accesses: readonly StepAccess[] = planAccesses(plan)): string[] {
  const names: string[] = [];
  for (const task of tasks.tasks) {
    const walk = new TaskWalk(accesses);
    for (const { step, whole, ends } of stepsOf(task.pieces)) {
      const input = accesses[step]!.inPlaceInput;
      if (input && walk.isLiveIn(input) && !names.includes(accesses[step]!.node.name)) names.push(accesses[step]!.node.name);
      walk.enter(step);
      if (ends) walk.leave(step, whole);
    }
  }
  return names;
}

/**
 * What the planner must keep for `tasks` to be free of hazards whatever the arena's layout (PlanOptions.keepUntil):
 * each tensor of a buffer that is live-in to a task, produced (even partly) before the task, is kept until the task's
 * last step,
 * so that nothing the task writes can take its bytes. With these (and outOfPlaceNeeded's steps out of place) a
 * split made without cutting at hazards (SplitOptions.hazards 'ignore') has none in the new plan; the arena pays
 * only for the tasks that need it.
 */
export function keepUntilOfTasks(plan: MemoryPlan, tasks: TaskPlan, accesses: readonly StepAccess[] = planAccesses(plan)): Map<string, number> {
  const producedAt = new Map<string, number>();
  for (const step of plan.steps) for (const node of step.nodes) for (const out of node.outputs) if (out !== '') producedAt.set(out, step.index);
  const keep = new Map<string, number>();
  for (const task of tasks.tasks) {
    if (task.pieces.length === 0) continue;
    const first = task.pieces[0]!.step;
    // A task that begins inside a step finds that step's outputs partly written before it.
    const begunBefore = (task.pieces[0]!.tile?.begin ?? 0) > 0;
    const last = task.pieces[task.pieces.length - 1]!.step;
    const walk = new TaskWalk(accesses);
    for (const { step, whole, ends } of stepsOf(task.pieces)) {
      walk.enter(step);
      if (ends) walk.leave(step, whole);
    }
    // Even where the buffer lives on (an in-place chain the planner may now break up), each tensor is kept itself.
    for (const id of walk.liveInBuffers()) {
      for (const name of plan.buffers[id]!.tensors) {
        const at = producedAt.get(name) ?? -1;
        if (at < first || (at === first && begunBefore)) keep.set(name, Math.max(keep.get(name) ?? -1, last));
      }
    }
  }
  return keep;
}
