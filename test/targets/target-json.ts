// Helpers for target tests: a shipped target's JSON to break on purpose, and the E_TARGET error a broken one gives.

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, parseTarget } from '../../src/target/target.js';

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

/** The JSON of a board built around cortex-m4's CPU and compiler: flash at 0x08000000, SRAM at 0x20000000, no emulator. */
export function m4BoardJson(
  name: string, description: string, sizes: { flash: string; ram: string; stack: string; hz: number },
): Record<string, unknown> {
  const { cc, size, objcopy, flags, linkFlags } = loadTarget('cortex-m4').compiler;
  return {
    name,
    description,
    kind: 'board',
    cpu: 'cortex-m4',
    arch: 'armv7e-m',
    features: { dsp: true, mve: false, fpu: true },
    compiler: { cc, size, objcopy, flags, linkFlags },
    limits: { flash: sizes.flash, ram: sizes.ram },
    stack: sizes.stack,
    memoryMap: {
      regions: [
        { name: 'FLASH', origin: '0x08000000', length: sizes.flash, attributes: 'rx' },
        { name: 'SRAM', origin: '0x20000000', length: sizes.ram, attributes: 'rwx' },
      ],
      vectors: 'FLASH', code: 'FLASH', data: 'SRAM',
    },
    counter: { source: 'systick', hz: sizes.hz },
    exit: 'semihosting',
  };
}
