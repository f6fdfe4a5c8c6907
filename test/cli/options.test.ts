// The command line's value parsers (src/cli/options.ts): what each accepts, and that every bad value is an E_USAGE
// error naming the option and the value.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { parseInputShapes } from '../../src/frontend/input-shapes.js';
import {
  collectInputShape,
  MAX_ARENA_BYTES,
  MAX_TIMEOUT_SECONDS,
  parseArenaPolicy,
  parseCount,
  parseNonNegative,
  parsePercentile,
  parsePositive,
  parseTimeoutSeconds,
  timeoutMs,
} from '../../src/cli/options.js';

/** The E_USAGE error `fn` throws; its message names `option` and quotes `value`, and it has a hint. */
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

describe('number options', () => {
  it('--rtol and --atol: zero or more, never negative or NaN', () => {
    expect(parseNonNegative('--rtol', '1e-4')).toBe(1e-4);
    expect(parseNonNegative('--atol', '0')).toBe(0);
    for (const bad of ['-1', '-0.5', 'abc', '', 'NaN', 'Infinity', '1e400', '0x10', '1,5']) {
      usageError(() => parseNonNegative('--rtol', bad), '--rtol', bad);
    }
  });

  it('counts are whole numbers: 2.9 is refused, not floored', () => {
    expect(parseCount('--count', '3')).toBe(3);
    expect(parseCount('--calib-count', '1000')).toBe(1000);
    for (const bad of ['2.9', '2.5', '0', '-3', '1e3', 'ten', '', '99999999999999999999']) {
      usageError(() => parseCount('--calib-count', bad), '--calib-count', bad);
    }
  });

  it('--scale and --calib-scale: positive and finite, fractions accepted', () => {
    expect(parsePositive('--scale', '1/255')).toBeCloseTo(1 / 255, 15);
    expect(parsePositive('--scale', '0.5')).toBe(0.5);
    for (const bad of ['0', '-1', '1/0', '0/0', 'abc', '1/2/3', '1e999', '']) {
      usageError(() => parsePositive('--scale', bad), '--scale', bad);
    }
  });

  it('--timeout: up to what a timer can hold, refused above with the limit in the message', () => {
    expect(parseTimeoutSeconds('300')).toBe(300);
    expect(timeoutMs(parseTimeoutSeconds(String(MAX_TIMEOUT_SECONDS)))).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(timeoutMs(parseTimeoutSeconds('0.0001'))).toBe(1);
    for (const bad of ['3000000', String(MAX_TIMEOUT_SECONDS + 1), '0', '-5', 'soon']) {
      const e = usageError(() => parseTimeoutSeconds(bad), '--timeout', bad);
      expect(e.message).toContain(String(MAX_TIMEOUT_SECONDS));
    }
  });

  it('--percentile: above 0 and at most 100', () => {
    expect(parsePercentile('99.99')).toBe(99.99);
    expect(parsePercentile('100')).toBe(100);
    for (const bad of ['0', '100.5', '-1', 'high']) usageError(() => parsePercentile(bad), '--percentile', bad);
  });

  it('--arena: the policies and sizes from 1 byte to 4 GiB, without overflow', () => {
    expect(parseArenaPolicy('ram')).toBe('ram');
    expect(parseArenaPolicy('48k')).toBe(48 * 1024);
    expect(parseArenaPolicy('4096M')).toBe(MAX_ARENA_BYTES);
    for (const bad of ['99999999999999999999k', '4097M', '0', '0k', '-5', '1.5k', '64kb', 'max', '9'.repeat(400)]) {
      usageError(() => parseArenaPolicy(bad), '--arena', bad);
    }
  });
});

describe('--input-shape', () => {
  it('takes whole dimensions from 1 to 2^31-1 and each input once', () => {
    expect(collectInputShape('x=1x3', ['y=2'])).toEqual(['y=2', 'x=1x3']);
    expect(parseInputShapes(['x=1x2147483647'])).toEqual({ x: [1, 2147483647] });
    for (const bad of ['x=1x0', 'x=1x2147483648', 'x=99999999999999999999']) {
      usageError(() => collectInputShape(bad), '--input-shape', bad);
    }
    usageError(() => collectInputShape('x=1x4', ['x=1x3']), '--input-shape', 'x');
  });
});
