// The buffers live at a cut between pieces: produced, even partly, before the cut and read after it. A hooks-mode
// commit saves them to the external NVM and a resume restores them; the split weighs cuts by their bytes. Model
// inputs are captured at the start of an inference (live until their last reader); model outputs are live to the end.

import type { MemoryPlan, PlannedBuffer } from '../schedule/plan-types.js';
import type { Piece } from './types.js';

/** Plan buffer ids, in id order, and their bytes in all. */
export interface LiveSet {
  buffers: number[];
  bytes: number;
}

/** The live sets of every cut of a plan: before each step (and at the end), and inside each step (between its tiles). */
export interface LiveSets {
  /** before[s]: the cut before step s; before[steps.length]: the end of the inference (the outputs). */
  before: LiveSet[];
  /** inside[s]: a cut between two tiles of step s (its inputs, and its outputs partly written). */
  inside: LiveSet[];
}

/** The step before which `buffer` holds something (-1 for a captured model input), or undefined for one never saved. */
function producedAt(buffer: PlannedBuffer): number | undefined {
  if (buffer.scratchOfStep !== undefined) return undefined;
  switch (buffer.storage.kind) {
    case 'input':
      return -1;
    case 'arena':
    case 'output':
      return buffer.firstStep;
    default:
      return undefined; // constants are in flash; fused tensors exist only inside a kernel
  }
}

/**
 * The buffers live at the cut before step `step` (`inside` false; step = steps.length: the end), or at a cut between
 * two tiles of step `step` (`inside` true).
 */
export function liveAtCut(plan: MemoryPlan, step: number, inside = false): LiveSet {
  const buffers: number[] = [];
  let bytes = 0;
  for (const buffer of plan.buffers) {
    const at = producedAt(buffer);
    if (at === undefined) continue;
    const produced = inside ? at <= step : at < step;
    if (produced && buffer.lastStep >= step) {
      buffers.push(buffer.id);
      bytes += buffer.bytes;
    }
  }
  return { buffers, bytes };
}

/** The live sets of every cut of `plan`. */
export function liveSets(plan: MemoryPlan): LiveSets {
  const n = plan.steps.length;
  return {
    before: Array.from({ length: n + 1 }, (_, s) => liveAtCut(plan, s)),
    inside: Array.from({ length: n }, (_, s) => liveAtCut(plan, s, true)),
  };
}

/** The live set at the cut right after `piece` (inside its step when a tile ends before the step's last unit). */
export function liveAfterPiece(sets: LiveSets, piece: Piece): LiveSet {
  return piece.tile && piece.tile.end < piece.tile.units ? sets.inside[piece.step]! : sets.before[piece.step + 1]!;
}

/** The live set at the cut right before `piece`. */
export function liveBeforePiece(sets: LiveSets, piece: Piece): LiveSet {
  return piece.tile && piece.tile.begin > 0 ? sets.inside[piece.step]! : sets.before[piece.step]!;
}
