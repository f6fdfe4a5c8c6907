// Flags of one kind of build given without the flag that asks for it: one message, naming each of them.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { refuseOutsideMode } from '../../src/util/mode-flags.js';

const MODE = { builds: 'multi-device builds', flag: '--devices', example: '--devices node=a,gateway=b' };

describe('refuseOutsideMode', () => {
  it('passes when none of the flags is given (undefined or false)', () => {
    expect(() =>
      refuseOutsideMode(
        [
          ['--link', undefined],
          ['--flag', false],
        ],
        MODE,
      ),
    ).not.toThrow();
  });

  it('names every flag given, in one E_USAGE', () => {
    let error: unknown;
    try {
      refuseOutsideMode(
        [
          ['--link', 'uart:9600'],
          ['--cut', undefined],
          ['--link-faults', 0],
        ],
        MODE,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EennError);
    expect((error as EennError).code).toBe('E_USAGE');
    expect((error as EennError).message).toBe('--link and --link-faults apply only to multi-device builds, and --devices is not given');
    expect((error as EennError).hint).toBe('add --devices node=a,gateway=b, or leave out --link and --link-faults');
  });
});
