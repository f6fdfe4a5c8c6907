// The checks of what says which outputs are exits and how they decide (the command line or the model's
// metadata_props), and the defaults when neither says: one place for the rules and the messages.

import { EennError, type ErrorCode } from '../ir/diagnostics.js';
import type { ExitPolicy } from '../ir/exits.js';
import type { Graph } from '../ir/graph.js';

export const DEFAULT_EXIT_POLICY: ExitPolicy = 'max-softmax';

/** The threshold of each policy when none is given: about as confident as a largest probability of 0.9 out of 10. */
export const DEFAULT_EXIT_THRESHOLDS: Readonly<Record<ExitPolicy, number>> = { 'max-softmax': 0.9, margin: 0.8, entropy: 0.25 };

/** What each policy's threshold bounds, for messages and help. */
export const EXIT_STATISTIC: Readonly<Record<ExitPolicy, string>> = {
  'max-softmax': 'the exit is taken when its largest softmax probability is at least the threshold',
  margin: 'the exit is taken when its two largest softmax probabilities differ by at least the threshold',
  entropy: 'the exit is taken when the entropy of its softmax, divided by ln(classes), is at most the threshold',
};

/** Where a list came from, for the error: the flag or the metadata key, and the code to throw. */
export interface ExitSource {
  /** E.g. "--exit-threshold" or "metadata_props entry eennc.exit_thresholds". */
  what: string;
  code: ErrorCode;
  hint: string;
}

/** The smallest number of classes of an exit (a decision between fewer is no decision). */
const MIN_CLASSES = 2;

/**
 * One threshold per early exit from `values` (one value for every early exit, or one each), each in (0, 1]; an
 * error naming the source and the value otherwise.
 */
export function checkThresholds(values: readonly number[], earlyExits: number, policy: ExitPolicy, source: ExitSource): number[] {
  // A flag gets a hint about thresholds; a model's metadata keeps its own (write it again, or override it).
  const hint =
    source.code === 'E_USAGE'
      ? `give --exit-threshold one value in (0, 1] for every early exit or one per early exit (${earlyExits} here), e.g. --exit-threshold 0.9`
      : source.hint;
  if (values.length !== 1 && values.length !== earlyExits) {
    throw new EennError({
      code: source.code,
      message: `${source.what} gives ${values.length} thresholds for ${earlyExits} early exit${earlyExits === 1 ? '' : 's'}: give one for every exit or one per early exit`,
      hint,
    });
  }
  for (const t of values) {
    if (!(Number.isFinite(t) && t > 0 && t <= 1)) {
      throw new EennError({
        code: source.code,
        message: `${source.what} ${t} is outside (0, 1]: with the policy ${policy}, ${EXIT_STATISTIC[policy]}`,
        hint,
      });
    }
  }
  return values.length === 1 ? new Array<number>(earlyExits).fill(values[0]!) : [...values];
}

/** True when a tensor of `shape` holds one row of class scores: C >= 2 on the last axis, every other axis 1. */
export function isClassifierShape(shape: readonly number[]): boolean {
  const classes = shape[shape.length - 1];
  return classes !== undefined && classes >= MIN_CLASSES && shape.slice(0, -1).every((d) => d === 1);
}

/** Checks exit output names: each an output of `graph`, no repeats, at least two, all of one classifier shape. */
export function checkExitNames(graph: Graph, names: readonly string[], source: ExitSource): void {
  const fail = (message: string) => new EennError({ code: source.code, message, hint: source.hint });
  for (const name of names) {
    if (!graph.outputs.includes(name)) {
      throw fail(`exit "${name}" (${source.what}) is not an output of the model; its outputs are: ${graph.outputs.join(', ')}`);
    }
  }
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw fail(`exit "${repeated}" is named twice in ${source.what}`);
  if (names.length < 2)
    throw fail(`${source.what} names ${names.length} exit${names.length === 1 ? '' : 's'}: name at least two, the last being the final classifier`);
  const shapeOf = (name: string) => graph.tensors.get(name)?.shape ?? [];
  const first = shapeOf(names[0]!);
  for (const name of names) {
    const shape = shapeOf(name);
    if (shape.length !== first.length || shape.some((d, i) => d !== first[i])) {
      throw fail(
        `the exits' shapes differ: "${names[0]}" is [${first.join(', ')}] but "${name}" is [${shape.join(', ')}]; every exit gives the same class scores`,
      );
    }
  }
  if (!isClassifierShape(first)) {
    throw fail(`exit "${names[0]}" has shape [${first.join(', ')}]: an exit decides on one row of class scores, [1, C] with C >= 2`);
  }
}
