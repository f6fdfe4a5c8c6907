// The EennError a promise rejects with, for toolchain tests that expect a clean failure.

import { expect } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';

/** The EennError a promise rejects with (fails the test when it resolves or throws something else). */
export async function errorOf(promise: Promise<unknown>): Promise<EennError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    return err as EennError;
  }
  throw new Error('expected an EennError, but the call succeeded');
}
