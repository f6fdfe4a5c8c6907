// Which calibration method suits each activation tensor: the range each method gives (from one MethodsObserver pass
// over the calibration data, calibrate.ts) and the squared error int8 over that range is expected to add, estimated
// from the same signed histogram for every method, so they compare fairly. `eennc accuracy` prints the result beside
// the measured SQNR. Pure: no I/O.

import { CALIBRATION_METHODS, expectedRangeError, type CalibrationMethod, type MethodsObserver, type Range } from './calibrate.js';

/** What each method would make of one tensor, and which one expects the least error. */
export interface MethodChoice {
  tensor: string;
  /** The method the build used. */
  used: CalibrationMethod;
  /** The method whose range expects the least squared error; `used` when no other is better by METHOD_TIE_DB. */
  best: CalibrationMethod;
  /** How much less error `best` expects than `used`, in dB (0 when best is used). */
  gainDb: number;
  /** Each method's range. */
  ranges: Record<CalibrationMethod, Range>;
  /** Each method's expected squared error, summed over the calibration values of the tensor. */
  errors: Record<CalibrationMethod, number>;
}

/**
 * A method must expect this much less error (in dB) than the used one to be named better: the estimate stands
 * values at their bin's center, so smaller differences say nothing (two methods that give the same range tie exactly).
 */
export const METHOD_TIE_DB = 0.1;

/** The ranges and expected errors of every method on the tensor `observer` saw, and the best of them. */
export function chooseMethod(observer: MethodsObserver, used: CalibrationMethod): MethodChoice {
  const observed = observer.observed();
  const ranges = observer.ranges();
  const errors = Object.fromEntries(
    CALIBRATION_METHODS.map((method) => [method, expectedRangeError(observer.signed, observed, ranges[method])]),
  ) as Record<CalibrationMethod, number>;
  let best = used;
  let gainDb = 0;
  for (const method of CALIBRATION_METHODS) {
    const gain = decibels(errors[used], errors[method]);
    if (gain >= METHOD_TIE_DB && gain > gainDb) {
      best = method;
      gainDb = gain;
    }
  }
  return { tensor: observer.tensor, used, best, gainDb, ranges, errors };
}

/** 10 log10(worse / better): how much less error `better` has, in dB (0 when both are 0, Infinity when only better is). */
function decibels(worse: number, better: number): number {
  if (worse === better) return 0;
  if (better === 0) return Infinity;
  return 10 * Math.log10(worse / better);
}

/** Over a set of tensors: how many each method is best on, and the method best on the most. */
export interface MethodSummary {
  used: CalibrationMethod;
  /** Tensors where each method is best (a tie with the used method counts for the used method). */
  wins: Record<CalibrationMethod, number>;
  /** The method best on the most tensors; the used one on a tie with it. */
  winner: CalibrationMethod;
  tensors: number;
}

/** How the methods fare over `choices` (all made with the same used method). */
export function summarizeChoices(choices: readonly MethodChoice[], used: CalibrationMethod): MethodSummary {
  const wins = Object.fromEntries(CALIBRATION_METHODS.map((method) => [method, 0])) as Record<CalibrationMethod, number>;
  for (const choice of choices) wins[choice.best]++;
  let winner = used;
  for (const method of CALIBRATION_METHODS) if (wins[method] > wins[winner]) winner = method;
  return { used, wins, winner, tensors: choices.length };
}

/** The choice for people: "= percentile" when the used method is best, else "entropy (+1.8 dB)". */
export function formatChoice(choice: MethodChoice): string {
  if (choice.best === choice.used) return `= ${choice.used}`;
  const gain = Number.isFinite(choice.gainDb) ? `+${choice.gainDb.toFixed(1)} dB` : 'exact';
  return `${choice.best} (${gain})`;
}
