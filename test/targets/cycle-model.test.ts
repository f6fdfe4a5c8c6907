// The cycle models of src/target/cycle-model.ts on hand-written instruction streams: the class of each instruction
// (scalar, DSP, floating point, MVE, low-overhead loops) and what the Cortex-M4 and Cortex-M55 models charge.

import { describe, expect, it } from 'vitest';
import {
  BRANCH_REFILL_CYCLES,
  CORTEX_M4_CYCLES,
  CORTEX_M55_CYCLES,
  classify,
  cycleModelFor,
  DIVIDE_CYCLES,
  estimateCycles,
  listedWords,
} from '../../src/target/cycle-model.js';
import type { ExecutedInstruction } from '../../src/target/qemu-trace.js';
import { loadTarget } from '../../src/target/target.js';

/** A stream of [mnemonic, operands, redirected?] at consecutive addresses. */
function stream(rows: [string, string, boolean?][]): ExecutedInstruction[] {
  return rows.map(([mnemonic, operands, redirected], i) => ({
    instruction: { address: 0x100 + 4 * i, size: 4, mnemonic, operands },
    redirected: redirected ?? false,
  }));
}

describe('classify', () => {
  it.each([
    ['adds', 'r0, r1, #1', 'alu'],
    ['sxtb16', 'r2, r3', 'alu'],
    ['smlad', 'r0, r1, r2, r0', 'multiply'],
    ['smlabb', 'r0, r1, r2, r0', 'multiply'],
    ['mul', 'r0, r1', 'multiply'],
    ['sdiv', 'r0, r1, r2', 'divide'],
    ['ldr.w', 'r0, [r1], #4', 'load'],
    ['ldrsb', 'r0, [r1, #1]', 'load'],
    ['ldrbne', 'r0, [r1, #1]', 'load'],
    ['strbne', 'r0, [r1, #1]', 'store'],
    ['mls', 'r0, r1, r2, r3', 'multiply'],
    ['movge', 'r0, r1', 'alu'],
    ['strb.w', 'r0, [r1, #1]', 'store'],
    ['ldrd', 'r2, r3, [r0]', 'load-double'],
    ['strd', 'r2, r3, [sp, #8]', 'store-double'],
    ['ldmia.w', 'r0!, {r2, r3, r4}', 'load-multiple'],
    ['pop', '{r4, pc}', 'load-multiple'],
    ['push', '{r4, r5, lr}', 'store-multiple'],
    ['vpush', '{d8-d9}', 'store-multiple'],
    ['bne.n', '100 <f+0x10>', 'branch'],
    ['bl', '268 <eenn_run>', 'branch'],
    ['bx', 'lr', 'branch'],
    ['cbz', 'r0, 2ae <eenn_run+0x46>', 'branch'],
    ['bic.w', 'r3, r3, #3', 'alu'],
    ['ite', 'ge', 'it'],
    ['vldr', 's0, [r0]', 'load'],
    ['vmul.f32', 's0, s1, s2', 'float'],
    ['vmla.f32', 's0, s1, s2', 'float-multiply-accumulate'],
    ['vdiv.f32', 's0, s1, s2', 'float-divide'],
    ['vldrb.s16', 'q0, [r0], #8', 'vector-memory'],
    ['vstrw.32', 'q1, [r2]', 'vector-memory'],
    ['vldrbt.u8', 'q1, [r2]', 'vector-memory'],
    ['vmladavat.s8', 'r0, q0, q1', 'vector-multiply'],
    ['vmladava.s8', 'r0, q0, q1', 'vector-multiply'],
    ['vqrdmulh.s32', 'q0, q0, r2', 'vector-multiply'],
    ['vadd.i32', 'q0, q0, q1', 'vector-arithmetic'],
    ['vctp.8', 'r3', 'vector-predicate'],
    ['vpst', '', 'vector-predicate'],
    ['dlstp.8', 'lr, r3', 'loop'],
    ['letp', 'lr, 1000 <k+0x20>', 'loop'],
    ['dsb', 'sy', 'barrier'],
  ])('%s %s is %s', (mnemonic, operands, kind) => {
    expect(classify(mnemonic, operands)).toBe(kind);
  });

  it('counts the words of a register list', () => {
    expect(listedWords('{r4, r5, r6, lr}')).toBe(4);
    expect(listedWords('{r4-r7, pc}')).toBe(5);
    expect(listedWords('{d8-d9}')).toBe(4);
    expect(listedWords('r0, [r1]')).toBe(1);
  });
});

describe('Cortex-M4', () => {
  it('charges each class its TRM cycles: loads pipelined after a load, stores 1, an address just computed 1 more', () => {
    const estimate = estimateCycles(
      CORTEX_M4_CYCLES,
      stream([
        ['push', '{r4, r5, r6, lr}'], // 1 + 4
        ['ldr', 'r0, [r1]'], // 2
        ['ldr', 'r2, [r1, #4]'], // 1: pipelined
        ['smlad', 'r3, r0, r2, r3'], // 1
        ['str', 'r3, [r4]'], // 1
        ['add.w', 'r4, r4, #4'], // 1
        ['ldr', 'r0, [r4]'], // 2 + 1: its address register was just written
        ['ldrd', 'r0, r2, [r1]'], // 3
        ['sdiv', 'r0, r0, r2'], // DIVIDE_CYCLES
        ['subs', 'r5, #1'], // 1
        ['bne.n', '104 <loop>', true], // 1 + P
        ['bne.n', '104 <loop>'], // 1: not taken
        ['pop', '{r4, r5, r6, pc}', true], // 1 + 4 + P
      ]),
    );
    expect(estimate.instructions).toBe(13);
    expect(estimate.cycles).toBe(5 + 2 + 1 + 1 + 1 + 1 + 3 + 3 + DIVIDE_CYCLES + 1 + (1 + BRANCH_REFILL_CYCLES) + 1 + (5 + BRANCH_REFILL_CYCLES));
    expect(estimate.classes.load).toEqual({ instructions: 3, cycles: 6 });
    expect(estimate.classes.store).toEqual({ instructions: 1, cycles: 1 });
    expect(estimate.classes.branch).toEqual({ instructions: 2, cycles: 2 + BRANCH_REFILL_CYCLES });
    expect(estimate.classes['load-multiple']).toEqual({ instructions: 1, cycles: 5 + BRANCH_REFILL_CYCLES });
    expect(estimate.classes.multiply).toEqual({ instructions: 1, cycles: 1 });
  });
});

describe('Cortex-M55', () => {
  it('overlaps MVE instructions of different units and makes a cached loop end free', () => {
    const body: [string, string, boolean?][] = [
      ['vldrb.8', 'q0, [r0], #16'], // 2 after the loop's start or its first end, 1 after the multiply (the LETP is free)
      ['vldrb.8', 'q1, [r1], #16'], // 2: the same unit as the load before
      ['vmladava.s8', 'r2, q0, q1'], // 1: overlaps the load
      ['letp', 'lr, 100 <loop>', true], // 1 + P the first time, 0 once cached
    ];
    // The loop body runs three times from the same addresses.
    const loop = stream(body);
    const estimate = estimateCycles(CORTEX_M55_CYCLES, [...stream([['dlstp.8', 'lr, r3']]), ...loop, ...loop, ...loop]);
    expect(estimate.instructions).toBe(13);
    expect(estimate.classes['vector-memory']).toEqual({ instructions: 6, cycles: 2 + 2 + (2 + 2) + (1 + 2) });
    expect(estimate.classes['vector-multiply']).toEqual({ instructions: 3, cycles: 3 });
    // DLSTP 1; the LETP at one address: 1 + P, then free.
    expect(estimate.classes.loop).toEqual({ instructions: 4, cycles: 1 + 1 + BRANCH_REFILL_CYCLES });
  });

  it('charges scalar loads 1 cycle and multiple loads by 64-bit beats', () => {
    const estimate = estimateCycles(
      CORTEX_M55_CYCLES,
      stream([
        ['ldr', 'r0, [r1]'],
        ['ldrd', 'r0, r2, [r1]'],
        ['pop', '{r4, r5, r6, r7}'],
      ]),
    );
    expect(estimate.cycles).toBe(1 + 2 + 3);
  });
});

describe('cycleModelFor', () => {
  it('has models for Cortex-M4 and Cortex-M55 only', () => {
    expect(cycleModelFor(loadTarget('cortex-m4'))?.core).toBe('cortex-m4');
    expect(cycleModelFor(loadTarget('cortex-m55'))?.core).toBe('cortex-m55');
    expect(cycleModelFor(loadTarget('cortex-m0plus'))).toBeUndefined();
  });
});
