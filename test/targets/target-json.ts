// Helpers for target tests: a shipped target's JSON to break on purpose, and the E_TARGET error a broken one gives.

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, parseTarget } from '../../src/target.js';

/** A copy of a shipped target file's JSON, to break on purpose. */
export function rawTarget(name: string): Record<string, any> {
  return JSON.parse(readFileSync(loadTarget(name).file, 'utf8'));
}

/** The E_TARGET error `parseTarget` throws for `json` (fails the test when it accepts it). */
export function targetError(json: unknown, file = '/targets/cortex-m4.json'): EennError {
  try {
    parseTarget(json, file);
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_TARGET');
    return err as EennError;
  }
  throw new Error('expected E_TARGET');
}
