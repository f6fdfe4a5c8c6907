// The intermittent flags checked against each other and the target (src/intermittent/options.ts): the budget in
// instructions or through the target's energy per instruction, and every refusal with its message and hint.

import { describe, expect, it } from 'vitest';
import { instructionsOf, resolveIntermittentOptions } from '../../src/intermittent/index.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, type Target } from '../../src/target/target.js';

const m4 = loadTarget('cortex-m4');

/** The EennError `run` throws. */
function errorOf(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('resolveIntermittentOptions', () => {
  it('is undefined without any intermittent flag', () => {
    expect(resolveIntermittentOptions({}, m4)).toBeUndefined();
    expect(resolveIntermittentOptions({ intermittent: false }, m4)).toBeUndefined();
  });

  it('takes --budget in instructions', () => {
    expect(resolveIntermittentOptions({ intermittent: true, budget: '100000' }, m4)).toEqual({ budget: 100_000, budgetText: '--budget 100000' });
    expect(resolveIntermittentOptions({ intermittent: true, budget: 5000, failures: 10 }, m4)?.budget).toBe(5000);
  });

  it("turns --budget-uj into instructions at the target's energy per instruction", () => {
    // cortex-m4: 0.2 nJ per instruction.
    expect(m4.energy?.nanojoulesPerInstruction).toBe(0.2);
    expect(resolveIntermittentOptions({ intermittent: true, budgetUj: '20' }, m4)).toEqual({
      budget: 100_000,
      budgetText: '--budget-uj 20 (100000 instructions at 0.2 nJ each)',
    });
    expect(resolveIntermittentOptions({ intermittent: true, budgetUj: '0.0333' }, m4)?.budget).toBe(166);
    expect(instructionsOf(0.3, 0.1)).toBe(3000);
  });

  it('refuses --budget, --budget-uj and --failures without --intermittent', () => {
    const e = errorOf(() => resolveIntermittentOptions({ budget: '100000', failures: 3 }, m4));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toBe('--budget and --failures apply only to intermittent builds, and --intermittent is not given');
    expect(e.hint).toBe('add --intermittent (e.g. --intermittent --budget 100000), or leave out --budget and --failures');
    expect(errorOf(() => resolveIntermittentOptions({ failures: '5' }, m4)).message).toBe(
      '--failures applies only to intermittent builds, and --intermittent is not given',
    );
    expect(errorOf(() => resolveIntermittentOptions({ budgetUj: '20' }, m4)).message).toMatch(/^--budget-uj applies only/);
  });

  it('refuses --intermittent without a budget, and with both budgets', () => {
    const none = errorOf(() => resolveIntermittentOptions({ intermittent: true }, m4));
    expect(none.code).toBe('E_USAGE');
    expect(none.message).toBe('--intermittent needs the size of a power-on window: --budget (instructions) or --budget-uj (microjoules)');
    expect(none.hint).toMatch(/--budget 100000/);
    const both = errorOf(() => resolveIntermittentOptions({ intermittent: true, budget: '1000', budgetUj: '2' }, m4));
    expect(both.code).toBe('E_USAGE');
    expect(both.message).toBe('--budget 1000 and --budget-uj 2 both give the power-on window: give one');
  });

  it('refuses a budget that is not a positive whole number, or not a positive number of microjoules', () => {
    for (const budget of ['0', '-5', '1.5', '1e5', 'abc', '']) {
      const e = errorOf(() => resolveIntermittentOptions({ intermittent: true, budget }, m4));
      expect(e.code).toBe('E_USAGE');
      expect(e.message).toBe(`--budget ${budget} is not a positive whole number of instructions`);
    }
    for (const budgetUj of ['0', '-1', 'x', 'Infinity']) {
      const e = errorOf(() => resolveIntermittentOptions({ intermittent: true, budgetUj }, m4));
      expect(e.code).toBe('E_USAGE');
      expect(e.message).toBe(`--budget-uj ${budgetUj} is not a positive number of microjoules`);
    }
    const tiny = errorOf(() => resolveIntermittentOptions({ intermittent: true, budgetUj: '0.0000001' }, m4));
    expect(tiny.message).toBe('--budget-uj 1e-7 is less than one instruction at 0.2 nJ each (target cortex-m4)');
  });

  it('refuses a target without non-volatile memory, saying how to describe one and which targets have one', () => {
    const host = loadTarget('host');
    expect(host.nvm).toBeUndefined();
    const e = errorOf(() => resolveIntermittentOptions({ intermittent: true, budget: '100000' }, host));
    expect(e.code).toBe('E_TARGET');
    expect(e.message).toBe('target host describes no non-volatile memory, which an intermittent build commits its progress to');
    expect(e.hint).toContain('add an "nvm" block to the target file, e.g. "nvm": { "kind": "memory-mapped", "region": "NVM", "size": "1M" }');
    expect(e.hint).toContain('{ "kind": "hooks", "size": "512K" }');
    expect(e.hint).toMatch(/the targets .*cortex-m4.* have one$/);
    expect(e.hint).not.toMatch(/host/);
  });

  it("refuses --budget-uj on a target that does not give an instruction's energy", () => {
    const noEnergy: Target = { ...m4, energy: undefined };
    const e = errorOf(() => resolveIntermittentOptions({ intermittent: true, budgetUj: '20' }, noEnergy));
    expect(e.code).toBe('E_TARGET');
    expect(e.message).toBe('--budget-uj needs the energy of one instruction, and target cortex-m4 does not give it');
    expect(e.hint).toBe(
      'give --budget in instructions instead, or add an "energy" block to the target file, e.g. "energy": { "nanojoulesPerInstruction": 0.2 }',
    );
    // --budget needs no energy.
    expect(resolveIntermittentOptions({ intermittent: true, budget: '100000' }, noEnergy)?.budget).toBe(100_000);
  });
});
