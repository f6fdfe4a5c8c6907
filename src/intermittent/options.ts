// The intermittent flags as the command line gives them (--intermittent, --budget, --budget-uj, --failures),
// checked against each other and the target, and the budget of a power-on window resolved to instructions.

import { refuseOutsideMode } from '../util/mode-flags.js';
import { EennError } from '../ir/diagnostics.js';
import { loadAllTargets, type Target } from '../target/target.js';
import type { IntermittentOptions } from './types.js';

/** The intermittent flags as commander leaves them (strings, or numbers where the command parsed them). */
export interface RawIntermittentOptions {
  intermittent?: boolean;
  /** --budget: instructions per power-on window. */
  budget?: string | number;
  /** --budget-uj: microjoules per power-on window. */
  budgetUj?: string | number;
  /** --failures: failure schedules of `eennc test` (only with --intermittent). */
  failures?: string | number;
}

/** The example of a target file's "nvm" block that the messages show. */
const NVM_EXAMPLE = '"nvm": { "kind": "memory-mapped", "region": "NVM", "size": "1M" }';

/** The example of a target file's "energy" block that the messages show. */
const ENERGY_EXAMPLE = '"energy": { "nanojoulesPerInstruction": 0.2 }';

/**
 * The intermittent options of a build on `target`, or undefined when --intermittent is not given (and no flag that
 * needs it is). E_USAGE for --budget, --budget-uj or --failures without --intermittent, --intermittent without a
 * budget or with both, and a budget that is not a positive whole number of instructions (or a positive number of
 * microjoules); E_TARGET for a target without an "nvm" description, or --budget-uj on one without "energy".
 */
export function resolveIntermittentOptions(raw: RawIntermittentOptions, target: Target): IntermittentOptions | undefined {
  const given = (value: unknown) => value !== undefined && value !== false;
  if (!raw.intermittent) {
    refuseOutsideMode(
      [
        ['--budget', raw.budget],
        ['--budget-uj', raw.budgetUj],
        ['--failures', raw.failures],
      ],
      { builds: 'intermittent builds', flag: '--intermittent', example: '--intermittent (e.g. --intermittent --budget 100000)' },
    );
    return undefined;
  }
  if (given(raw.budget) && given(raw.budgetUj)) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--budget ${String(raw.budget)} and --budget-uj ${String(raw.budgetUj)} both give the power-on window: give one`,
      hint: 'keep --budget (instructions per window) or --budget-uj (microjoules per window), not both',
    });
  }
  if (!given(raw.budget) && !given(raw.budgetUj)) {
    throw new EennError({
      code: 'E_USAGE',
      message: '--intermittent needs the size of a power-on window: --budget (instructions) or --budget-uj (microjoules)',
      hint: 'add --budget N, the instructions one power-on window runs from the call of eenn_run() (e.g. --budget 100000)',
    });
  }
  if (given(raw.budget)) {
    const budget = wholeNumber(raw.budget);
    if (budget === undefined) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--budget ${String(raw.budget)} is not a positive whole number of instructions`,
        hint: 'give the instructions of one power-on window as a whole number, e.g. --budget 100000',
      });
    }
    checkNvm(target);
    return { budget, budgetText: `--budget ${budget}` };
  }
  const microjoules = positiveNumber(raw.budgetUj);
  if (microjoules === undefined) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--budget-uj ${String(raw.budgetUj)} is not a positive number of microjoules`,
      hint: 'give the energy of one power-on window in microjoules, e.g. --budget-uj 20',
    });
  }
  checkNvm(target);
  const energy = target.energy;
  if (!energy) {
    throw new EennError({
      code: 'E_TARGET',
      file: target.file,
      message: `--budget-uj needs the energy of one instruction, and target ${target.name} does not give it`,
      hint: `give --budget in instructions instead, or add an "energy" block to the target file, e.g. ${ENERGY_EXAMPLE}`,
    });
  }
  const budget = instructionsOf(microjoules, energy.nanojoulesPerInstruction);
  if (budget < 1) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--budget-uj ${microjoules} is less than one instruction at ${energy.nanojoulesPerInstruction} nJ each (target ${target.name})`,
      hint: 'give a larger --budget-uj, or --budget in instructions',
    });
  }
  return {
    budget,
    budgetText: `--budget-uj ${microjoules} (${budget} instructions at ${energy.nanojoulesPerInstruction} nJ each)`,
  };
}

/** E_TARGET unless `target` describes its non-volatile memory. */
function checkNvm(target: Target): void {
  if (target.nvm) return;
  let withNvm: string[] = [];
  try {
    withNvm = loadAllTargets()
      .filter((t) => t.nvm)
      .map((t) => t.name);
  } catch {
    // A broken shipped target file does not hide this message.
  }
  const others = withNvm.length > 0 ? `; the targets ${withNvm.join(', ')} have one` : '';
  throw new EennError({
    code: 'E_TARGET',
    file: target.file,
    message: `target ${target.name} describes no non-volatile memory, which an intermittent build commits its progress to`,
    hint:
      `add an "nvm" block to the target file, e.g. ${NVM_EXAMPLE} (a memoryMap region of its own, FRAM-like) or ` +
      `{ "kind": "hooks", "size": "512K" } (external NVM behind eenn_nvm_read/eenn_nvm_write)${others}`,
  });
}

/** Instructions that `microjoules` pay for at `nanojoules` each, rounded down (a hair below a whole number is that number). */
export function instructionsOf(microjoules: number, nanojoules: number): number {
  const exact = (microjoules * 1000) / nanojoules;
  const nearest = Math.round(exact);
  return Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.floor(exact);
}

/** A positive safe integer from a flag's value, or undefined. */
function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** A positive finite number from a flag's value, or undefined. */
function positiveNumber(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
