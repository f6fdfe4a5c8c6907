// The kernel contracts' sizes against the C headers' macros: a host program that includes eenn_kernels_s8.h and
// eenn_kernels_f32.h prints each macro over a sweep of sizes (1, 3, 15, 16, 17, odd, large...), and every value
// must equal what the TypeScript contract computes for the same sizes.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONV_POOL_BLOCK } from '../../src/kernels/conv-block.js';
import {
  conv1x1InPlaceF32ScratchFloats,
  convPairF32ScratchFloats,
  convPoolF32ScratchFloats,
  depthwiseInPlaceF32ScratchFloats,
  POINTWISE_IN_PLACE_PIXELS,
} from '../../src/kernels/conv-f32.js';
import { conv1x1InPlaceS8ScratchBytes, conv1x1S8ScratchBytes, convS8ScratchBytes, POINTWISE_S8_IN_PLACE_PIXELS } from '../../src/kernels/conv-s8.js';
import { DEPTHWISE_S8_BAND, depthwiseS8ScratchBytes } from '../../src/kernels/depthwise-s8.js';
import { convS16ScratchBytes } from '../../src/kernels/int16.js';
import { RECURRENT_F32_KERNELS, recurrentF32ScratchFloats, type RecurrentOpName } from '../../src/kernels/recurrent-f32.js';
import { BOUNDED_DEPTH_S8 } from '../../src/kernels/output-stage-s8.js';
import { PAIR_CHUNK_S8, pairedRowBytes } from '../../src/kernels/weight-layout-s8.js';
import { HOST_CFLAGS } from '../codegen/host-run.js';

const TEMPLATES = join(import.meta.dirname, '../../templates/c');

/** Sizes around every boundary of the formulas (multiples of 4, the 16-value chunk, the 8-row band) and large ones. */
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 27, 31, 32, 33, 63, 64, 100, 144, 255, 1000, 4097];

/** One macro applied to some arguments, and the contract's value for them. */
interface Case {
  macro: string;
  args: number[];
  expected: number;
}

function sweep(): Case[] {
  const cases: Case[] = [
    { macro: 'EENN_PAIR_CHUNK_S8', args: [], expected: PAIR_CHUNK_S8 },
    { macro: 'EENN_BOUNDED_DEPTH_S8', args: [], expected: BOUNDED_DEPTH_S8 },
    { macro: 'EENN_DEPTHWISE_S8_BAND', args: [], expected: DEPTHWISE_S8_BAND },
    { macro: 'EENN_CONV_1X1_IN_PLACE_S8_PIXELS', args: [], expected: POINTWISE_S8_IN_PLACE_PIXELS },
    { macro: 'EENN_CONV_POOL_F32_BLOCK', args: [], expected: CONV_POOL_BLOCK },
    { macro: 'EENN_CONV_1X1_IN_PLACE_F32_PIXELS', args: [], expected: POINTWISE_IN_PLACE_PIXELS },
  ];
  for (const n of SIZES) {
    cases.push(
      { macro: 'EENN_CONV_S8_SCRATCH_BYTES', args: [n], expected: convS8ScratchBytes(n) },
      { macro: 'EENN_CONV_S16_SCRATCH_BYTES', args: [n], expected: convS16ScratchBytes(n) },
      { macro: 'EENN_CONV_1X1_S8_SCRATCH_BYTES', args: [n], expected: conv1x1S8ScratchBytes(n) },
      { macro: 'EENN_PAIRED_ROW_S8', args: [n], expected: pairedRowBytes(n) },
      { macro: 'EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS', args: [n], expected: conv1x1InPlaceF32ScratchFloats(n) },
    );
    for (const op of Object.keys(RECURRENT_F32_KERNELS) as RecurrentOpName[]) {
      cases.push({ macro: RECURRENT_F32_KERNELS[op].macro, args: [n], expected: recurrentF32ScratchFloats(op, n) });
    }
    for (const m of [1, 3, 16, 17, 64]) {
      cases.push(
        { macro: 'EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES', args: [n, m], expected: conv1x1InPlaceS8ScratchBytes(n, m) },
        { macro: 'EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS', args: [n, m], expected: depthwiseInPlaceF32ScratchFloats(n, m) },
        { macro: 'EENN_CONV_POOL_F32_SCRATCH_FLOATS', args: [n, m, m + 2], expected: convPoolF32ScratchFloats(n, m, m + 2) },
      );
      for (const residual of [false, true]) {
        const args = [(m % 5) + 1, n, m, Math.min(n, 3), m + 1, n + 2];
        const [slab, midC, midW, band, outC, outW] = args as [number, number, number, number, number, number];
        cases.push({
          macro: 'EENN_CONV_PAIR_F32_SCRATCH_FLOATS',
          args: [...args, residual ? 1 : 0],
          expected: convPairF32ScratchFloats(slab, midC, midW, band, outC, outW, residual),
        });
      }
    }
  }
  // The depthwise ring of rows: output sizes around the band and the 4-pixel vectors, kernels, strides, dilations.
  for (const outH of [1, 2, 7, 8, 9, 17]) {
    for (const outW of [1, 3, 4, 5, 16, 33]) {
      for (const [kH, kW] of [
        [1, 1],
        [3, 3],
        [5, 5],
        [1, 9],
      ] as const) {
        for (const [s, d] of [
          [1, 1],
          [2, 1],
          [1, 2],
          [3, 2],
        ] as const) {
          cases.push({
            macro: 'EENN_DEPTHWISE_S8_SCRATCH_BYTES',
            args: [outH, outW, kH, kW, s, s + 1, d, d],
            expected: depthwiseS8ScratchBytes(outH, outW, kH, kW, s, s + 1, d, d),
          });
        }
      }
    }
  }
  return cases;
}

function program(cases: readonly Case[]): string {
  const lines = cases.map((c) => `    printf("%ld\\n", (long)(${c.args.length > 0 ? `${c.macro}(${c.args.join(', ')})` : c.macro}));`);
  return [
    '#include <stdio.h>',
    '#include "eenn_kernels_s8.h"',
    '#include "eenn_kernels_s16.h"',
    '#include "eenn_kernels_f32.h"',
    '',
    'int main(void)',
    '{',
    ...lines,
    '    return 0;',
    '}',
    '',
  ].join('\n');
}

describe('the kernel contracts against the C headers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-contract-macros-'));
  const cases = sweep();
  let printed: number[] = [];

  beforeAll(async () => {
    writeFileSync(join(dir, 'macros.c'), program(cases));
    const exe = join(dir, 'macros');
    await execa('gcc', [...HOST_CFLAGS, '-I', join(TEMPLATES, 'kernels'), '-I', join(TEMPLATES, 'runtime'), join(dir, 'macros.c'), '-o', exe]);
    printed = (await execa(exe)).stdout.trim().split('\n').map(Number);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one value per case', () => {
    expect(printed).toHaveLength(cases.length);
  });

  it("every scratch size and constant equals the contract's", () => {
    const differing = cases
      .map((c, i) => ({ call: `${c.macro}(${c.args.join(', ')})`, c: printed[i], ts: c.expected }))
      .filter((row) => row.c !== row.ts);
    expect(differing).toEqual([]);
  });

  it('sweeps every scratch size the public headers state', () => {
    const headers = ['eenn_kernels_s8.h', 'eenn_kernels_s16.h', 'eenn_kernels_f32.h']
      .map((h) => readFileSync(join(TEMPLATES, 'kernels', h), 'utf8'))
      .join('\n');
    const stated = [...headers.matchAll(/#define (EENN_\w+_SCRATCH_(?:BYTES|FLOATS))\(/g)].map((m) => m[1]);
    expect(stated.length).toBeGreaterThanOrEqual(8);
    const swept = new Set(cases.map((c) => c.macro));
    expect(stated.filter((macro) => !swept.has(macro!))).toEqual([]);
  });
});
