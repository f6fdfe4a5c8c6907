// The early-exit options (--exits, --exit-threshold, --exit-policy, --no-exits): what each parser accepts, that a bad
// value is an E_USAGE error naming the option, and the ExitOptions compileModel receives.

import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { EennError } from '../../src/ir/diagnostics.js';
import { parseExitNames, parseExitPolicy, parseExitThresholds } from '../../src/cli/options.js';
import { exitOptionsFrom, withSharedOptions, type SharedOptions } from '../../src/cli/common-options.js';
import type { ExitOptions } from '../../src/exits/index.js';

function usageError(fn: () => unknown, option: string, value: string): EennError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `${option} ${value} was accepted`).toBeInstanceOf(EennError);
  const e = caught as EennError;
  expect(e.code).toBe('E_USAGE');
  expect(e.message).toContain(option);
  expect(e.message).toContain(value);
  expect(e.hint).toMatch(/\S/);
  return e;
}

/** The ExitOptions a build command line gives. */
async function exitOptions(...args: string[]): Promise<ExitOptions> {
  const program = new Command().exitOverride();
  let result: ExitOptions | undefined;
  withSharedOptions(program.command('build').argument('<model>')).action((_model: string, options: SharedOptions) => {
    result = exitOptionsFrom(options);
  });
  await program.parseAsync(['node', 'eennc', 'build', 'm.onnx', ...args]);
  return result!;
}

describe('early-exit options', () => {
  it('--exits: names in order, spaces trimmed; an empty name or one named twice is refused', () => {
    expect(parseExitNames('exit0,exit1,logits')).toEqual(['exit0', 'exit1', 'logits']);
    expect(parseExitNames(' a , b ')).toEqual(['a', 'b']);
    for (const bad of ['', 'a,,b', 'a,', ',a']) usageError(() => parseExitNames(bad), '--exits', bad);
    expect(usageError(() => parseExitNames('a,b,a'), '--exits', 'a,b,a').message).toContain('"a" twice');
  });

  it("--exit-threshold: one number or one per exit; anything else is refused (the range is the model stage's)", () => {
    expect(parseExitThresholds('0.9')).toEqual([0.9]);
    expect(parseExitThresholds('0.9, 0.75')).toEqual([0.9, 0.75]);
    for (const bad of ['', 'high', '0.9,', '0.9;0.8', 'NaN', 'Infinity', '1e999']) {
      usageError(() => parseExitThresholds(bad), '--exit-threshold', bad);
    }
  });

  it('--exit-policy: max-softmax, margin or entropy', () => {
    for (const policy of ['max-softmax', 'margin', 'entropy']) expect(parseExitPolicy(policy)).toBe(policy);
    const e = usageError(() => parseExitPolicy('softmax'), '--exit-policy', 'softmax');
    expect(e.message).toContain('max-softmax, margin or entropy');
  });

  it('the command line becomes ExitOptions; --no-exits disables them', async () => {
    expect(await exitOptions()).toEqual({});
    expect(await exitOptions('--exits', 'e0,logits', '--exit-threshold', '0.8', '--exit-policy', 'margin')).toEqual({
      names: ['e0', 'logits'],
      thresholds: [0.8],
      policy: 'margin',
    });
    expect(await exitOptions('--no-exits')).toEqual({ disabled: true });
  });

  it('--exits with --no-exits is refused, in either order', async () => {
    for (const args of [
      ['--exits', 'a,b', '--no-exits'],
      ['--no-exits', '--exits', 'a,b'],
    ]) {
      const e = await exitOptions(...args).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(EennError);
      expect((e as EennError).code).toBe('E_USAGE');
      expect((e as EennError).message).toContain('--no-exits');
    }
  });
});
