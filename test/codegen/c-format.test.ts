// C literal formatting: float literals must read back as exactly the same float32 (checked by compiling them
// with the host gcc and comparing bits), identifiers must be valid, unique C names.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { formatArrayBody, formatFloat, IdentifierPool, sanitizeIdentifier, stringLiteral } from '../../src/codegen/c-format.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { HOST_CFLAGS } from './host-run.js';

describe('formatFloat', () => {
  it('prints values that gcc reads back bit for bit', async () => {
    const rand = seededRandom(99);
    const bits = new Uint32Array(2000);
    for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(rand() * 0x100000000) >>> 0;
    // Edge cases: zeros, the smallest denormal, the largest denormal, the smallest normal, FLT_MAX, 1, 0.1.
    bits.set([0x00000000, 0x80000000, 0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x3f800000, 0x3dcccccd, 0xff7fffff], 0);
    const values = new Float32Array(bits.buffer);
    const finite = [...values].filter((v) => Number.isFinite(v));
    const dir = mkdtempSync(join(tmpdir(), 'eenn-float-'));
    try {
      writeFileSync(
        join(dir, 'floats.c'),
        [
          '#include <math.h>',
          '#include <stdint.h>',
          '#include <stdio.h>',
          '#include <string.h>',
          `static const float values[${finite.length}] = {`,
          formatArrayBody(finite, 'float'),
          '};',
          'int main(void) {',
          `    for (int i = 0; i < ${finite.length}; i++) {`,
          '        uint32_t b; memcpy(&b, &values[i], 4); printf("%08x\\n", (unsigned)b);',
          '    }',
          '    return 0;',
          '}',
          '',
        ].join('\n'),
      );
      await execa('gcc', [...HOST_CFLAGS, 'floats.c', '-o', 'floats'], { cwd: dir });
      const { stdout } = await execa(join(dir, 'floats'));
      const printed = stdout.trim().split('\n');
      const expected = finite.map((v) => (new Uint32Array(Float32Array.of(v).buffer)[0]! >>> 0).toString(16).padStart(8, '0'));
      expect(printed).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses short literals and the math.h names for non-finite values', () => {
    expect(formatFloat(1)).toBe('1.0f');
    expect(formatFloat(0.5)).toBe('0.5f');
    expect(formatFloat(Math.fround(0.1))).toBe('0.1f');
    expect(formatFloat(-0)).toBe('-0.0f');
    expect(formatFloat(1e30)).toMatch(/^1(\.0)?e\+30f$/);
    expect(formatFloat(Infinity)).toBe('INFINITY');
    expect(formatFloat(-Infinity)).toBe('-INFINITY');
    expect(formatFloat(NaN)).toBe('NAN');
  });
});

describe('identifiers', () => {
  it('turns any tensor name into a C identifier', () => {
    expect(sanitizeIdentifier('/conv1/Conv_output_0')).toBe('conv1_Conv_output_0');
    expect(sanitizeIdentifier('0.weight')).toBe('t_0_weight');
    expect(sanitizeIdentifier('float')).toBe('t_float');
    expect(sanitizeIdentifier('eenn_run')).toBe('t_eenn_run');
    expect(sanitizeIdentifier('::')).toBe('tensor');
    for (const name of ['a-b', 'ä', 'x y', '1', 'return']) expect(sanitizeIdentifier(name)).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  });

  it('keeps identifiers unique, also for names that only differ in punctuation or case', () => {
    const pool = new IdentifierPool(['input']);
    const ids = ['a.b', 'a_b', 'a/b', 'A_B', 'input'].map((n) => pool.take(n));
    expect(new Set(ids.map((i) => i.toLowerCase())).size).toBe(ids.length);
    expect(ids[0]).toBe('a_b');
    expect(ids[1]).toBe('a_b_2');
  });

  it('escapes string literals', () => {
    expect(stringLiteral('a"b\\c??=')).toBe('"a\\"b\\\\c?\\?="');
  });
});
