// Which exits to keep and their thresholds: the choice with the lowest expected cost per inference whose top-1 on
// the held-back samples stays within the accuracy budget of the original model's. The decisions are given, sample
// by sample and threshold by threshold, as the built model makes them (src/exits decides), so the accuracy and the
// shares found here are the ones the device gives on those samples.

import type { ExitPolicy } from '../../ir/exits.js';

/** What one candidate exit does on the held-back samples. */
export interface CandidateOutcome {
  /** stops[t][i]: whether the exit stops on sample i at threshold `thresholds[t]`. */
  stops: Uint8Array[];
  /** correct[i]: whether the exit's answer on sample i is the label. */
  correct: Uint8Array;
  /** Cost of the head alone (added to every inference that reaches it when it is kept). */
  headCost: number;
  /** Cost of the backbone up to this exit's decision, no head counted. */
  backboneCost: number;
}

export interface SelectionInput {
  policy: ExitPolicy;
  thresholds: readonly number[];
  /** Candidates in backbone order. */
  candidates: readonly CandidateOutcome[];
  /** correct[i] of the final classifier (the original model: the backbone is unchanged). */
  finalCorrect: Uint8Array;
  /** Cost of every backbone node (the original model). */
  finalCost: number;
  /** Largest top-1 loss allowed, in percentage points. */
  maxDropPoints: number;
}

/** A choice and what it gives on the held-back samples. */
export interface Selection {
  policy: ExitPolicy;
  /** Per candidate: the index into `thresholds`, or -1 when the exit is left out. */
  choice: number[];
  /** Expected cost per inference, and the original model's. */
  expectedCost: number;
  originalCost: number;
  /** Top-1 of the model with exits and of the original, in [0, 1]. */
  accuracy: number;
  originalAccuracy: number;
  /** Per candidate and last the final: the share of samples answered there, and the top-1 among them. */
  shares: number[];
  exitAccuracy: number[];
  /** Per candidate and last the final: the cumulative cost there, with the kept heads before it. */
  costs: number[];
  /** Samples an exit answers wrongly where the final classifier is right, and the other way round. */
  losses: number;
  gains: number;
  samples: number;
}

/** Above this many combinations, thresholds are chosen one exit at a time instead of all at once. */
const EXHAUSTIVE_LIMIT = 20000;
const PASSES = 6;

/** What a choice gives on the held-back samples. */
export function evaluateChoice(input: SelectionInput, choice: readonly number[]): Selection {
  const { candidates, finalCorrect } = input;
  const n = finalCorrect.length;
  const k = candidates.length;
  const costs: number[] = [];
  let heads = 0;
  for (let j = 0; j < k; j++) {
    if (choice[j]! >= 0) heads += candidates[j]!.headCost;
    costs.push(candidates[j]!.backboneCost + heads);
  }
  costs.push(input.finalCost + heads);
  const counts = new Array<number>(k + 1).fill(0);
  const right = new Array<number>(k + 1).fill(0);
  let total = 0;
  let correct = 0;
  let original = 0;
  let losses = 0;
  let gains = 0;
  const leaving = exitsOfChoice(input, choice);
  leaving.at.forEach((at, i) => {
    const ok = leaving.correct[i]! ? 1 : 0;
    if (ok < finalCorrect[i]!) losses++;
    if (ok > finalCorrect[i]!) gains++;
    counts[at]!++;
    right[at]! += ok;
    correct += ok;
    original += finalCorrect[i]!;
    total += costs[at]!;
  });
  return {
    policy: input.policy,
    choice: [...choice],
    expectedCost: total / Math.max(1, n),
    originalCost: input.finalCost,
    accuracy: correct / Math.max(1, n),
    originalAccuracy: original / Math.max(1, n),
    shares: counts.map((c) => c / Math.max(1, n)),
    exitAccuracy: counts.map((c, j) => (c === 0 ? 0 : right[j]! / c)),
    costs,
    losses,
    gains,
    samples: n,
  };
}

/** Per held-back sample: the candidate it leaves at (the number of candidates: the final classifier), and whether the answer there is right. */
export function exitsOfChoice(input: SelectionInput, choice: readonly number[]): { at: number[]; correct: boolean[] } {
  const k = input.candidates.length;
  const at: number[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < input.finalCorrect.length; i++) {
    let leaves = k;
    for (let j = 0; j < k && leaves === k; j++) {
      const t = choice[j]!;
      if (t >= 0 && input.candidates[j]!.stops[t]![i]) leaves = j;
    }
    at.push(leaves);
    correct.push((leaves === k ? input.finalCorrect[i]! : input.candidates[leaves]!.correct[i]!) === 1);
  }
  return { at, correct };
}

/** Points of top-1 a selection loses against the original model. */
export function dropPoints(s: Selection): number {
  return 100 * (s.originalAccuracy - s.accuracy);
}

/**
 * The loss of top-1 in points with one standard error added: the samples judged are few (a thousand or two), and
 * a choice that just meets the budget on them loses more on new inputs about half the time. The error of the
 * difference (losses - gains) / n, counting each changed answer as an independent event, is sqrt(losses + gains) / n.
 */
export function pessimisticDropPoints(s: Selection): number {
  return (100 * (s.losses - s.gains + Math.sqrt(s.losses + s.gains))) / Math.max(1, s.samples);
}

/** Within the budget, with a standard error to spare? A millionth of a point absorbs the rounding of the division. */
function fits(s: Selection, maxDropPoints: number): boolean {
  return pessimisticDropPoints(s) <= maxDropPoints + 1e-6;
}

/**
 * The cheapest choice within the budget (every exit left out, the original model, when nothing cheaper fits), and
 * the cheapest of all the choices looked at that lose the least accuracy while saving something (to say what the
 * best reachable was when the budget cannot be met by any exit).
 */
export function selectExits(input: SelectionInput): { best: Selection; closest?: Selection } {
  const k = input.candidates.length;
  const options = input.thresholds.length + 1;
  let best = evaluateChoice(input, new Array<number>(k).fill(-1));
  let closest: Selection | undefined;
  const consider = (choice: number[]): Selection => {
    const s = evaluateChoice(input, choice);
    if (s.expectedCost < input.finalCost) {
      const [d, c] = [pessimisticDropPoints(s), closest ? pessimisticDropPoints(closest) : Infinity];
      if (d < c || (d === c && s.expectedCost < closest!.expectedCost)) closest = s;
    }
    if (fits(s, input.maxDropPoints) && s.expectedCost < best.expectedCost) best = s;
    return s;
  };
  if (options ** k <= EXHAUSTIVE_LIMIT) {
    const choice = new Array<number>(k).fill(-1);
    const visit = (j: number): void => {
      if (j === k) {
        consider(choice);
        return;
      }
      for (let t = -1; t < input.thresholds.length; t++) {
        choice[j] = t;
        visit(j + 1);
      }
    };
    visit(0);
  } else {
    // One exit at a time, the others held, until a whole pass changes nothing.
    for (let pass = 0; pass < PASSES; pass++) {
      let changed = false;
      for (let j = 0; j < k; j++) {
        for (let t = -1; t < input.thresholds.length; t++) {
          const choice = [...best.choice];
          choice[j] = t;
          const before = best;
          consider(choice);
          if (best !== before) changed = true;
        }
      }
      if (!changed) break;
    }
  }
  return { best, closest };
}

/** Step of the thresholds tried below 0.93: a hundredth lets the choice come close to the budget. */
const THRESHOLD_STEP = 0.01;

/** Thresholds tried for a policy, each in (0, 1], ascending. */
export function thresholdGrid(policy: ExitPolicy): number[] {
  const start = policy === 'max-softmax' ? 0.3 : 0.05;
  const steps = Math.round((0.93 - start) / THRESHOLD_STEP);
  const coarse = Array.from({ length: steps }, (_, i) => start + i * THRESHOLD_STEP);
  const fine = [0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.993, 0.995, 0.997, 0.998, 0.999, 1];
  return [...new Set([...coarse.filter((t) => t < 0.93), ...fine].map((t) => Math.round(t * 1e6) / 1e6))].sort((a, b) => a - b);
}
