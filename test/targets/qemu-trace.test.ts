// The QEMU trace reader (src/target/qemu-trace.ts) on a captured log: the blocks one call of eenn_run executed,
// with a block an I/O access cut short, and the instructions objdump's disassembly gives them.

import { describe, expect, it } from 'vitest';
import { callWindow, executedInstructions, parseDisassembly, readExecutedBlocks } from '../../src/target/qemu-trace.js';

// arm-none-eabi-objdump -d of a Cortex-M4 firmware (a fully connected layer), the call of eenn_run and its body.
const OBJDUMP = `
000000f8 <main_loop>:
      f8:\ta909      \tadd\tr1, sp, #36\t@ 0x24
      fa:\ta808      \tadd\tr0, sp, #32
      fc:\tf000 f8b4 \tbl\t268 <eenn_run>
     100:\t4680      \tmov\tr8, r0

00000268 <eenn_run>:
     268:\tb308      \tcbz\tr0, 2ae <eenn_run+0x46>
     26a:\tb301      \tcbz\tr1, 2ae <eenn_run+0x46>
     26c:\t6800      \tldr\tr0, [r0, #0]
     26e:\tb1f0      \tcbz\tr0, 2ae <eenn_run+0x46>
     2a8:\t2000      \tmovs\tr0, #0
     2aa:\tb008      \tadd\tsp, #32
     2ac:\tbd10      \tpop\t{r4, pc}
     2ae:\tf04f 30ff \tmov.w\tr0, #4294967295\t@ 0xffffffff
     2b2:\t4770      \tbx\tlr
     2b4:\t00001078 \t.word\t0x00001078
`;

// qemu-system-arm -d in_asm,exec,nochain: translations ("IN:") and executions ("Trace"), as QEMU 7.2 writes them.
const LOG = `----------------
IN: main_loop
0x000000f8:  a909       add      r1, sp, #0x24
0x000000fa:  a808       add      r0, sp, #0x20
0x000000fc:  f000 f8b4  bl       #0x268

Trace 0: 0x7fb3a4009b00 [00800408/000000f8/00000010/ff020200] main_loop
----------------
IN: eenn_run
0x00000268:  b308       cbz      r0, #0x2ae

Trace 0: 0x7fb3a4009d00 [00800408/00000268/00000010/ff020200] eenn_run
----------------
IN: eenn_run
0x0000026a:  b301       cbz      r1, #0x2ae

Trace 0: 0x7fb3a4009e40 [00800408/0000026a/00000010/ff020200] eenn_run
----------------
IN: eenn_run
0x0000026c:  6800       ldr      r0, [r0]
0x0000026e:  b1f0       cbz      r0, #0x2ae

Trace 0: 0x7fb3a4009f80 [00800408/0000026c/00000010/ff020200] eenn_run
cpu_io_recompile: rewound execution of TB to 0000026c
----------------
IN: eenn_run
0x0000026c:  6800       ldr      r0, [r0]

Trace 0: 0x7fb3a400a0c0 [00800408/0000026c/00000010/ff038201] eenn_run
----------------
IN: eenn_run
0x0000026e:  b1f0       cbz      r0, #0x2ae

Trace 0: 0x7fb3a400a200 [00800408/0000026e/00000010/ff020200] eenn_run
----------------
IN: eenn_run
0x000002a8:  2000       movs     r0, #0
0x000002aa:  b008       add      sp, #0x20
0x000002ac:  bd10       pop      {r4, pc}

Trace 0: 0x7fb3a400a340 [00800408/000002a8/00000010/ff020200] eenn_run
----------------
IN: main_loop
0x00000100:  4680       mov      r8, r0

Trace 0: 0x7fb3a400a480 [00800408/00000100/00000010/ff020200] main_loop
Trace 0: 0x7fb3a4009d00 [00800408/00000268/00000010/ff020200] eenn_run
`;

describe('parseDisassembly', () => {
  it('reads instructions, their sizes, branch targets and the symbols, and skips data words', () => {
    const d = parseDisassembly(OBJDUMP);
    expect(d.symbols.get('eenn_run')).toBe(0x268);
    expect(d.instructions.get(0xfc)).toMatchObject({ size: 4, mnemonic: 'bl', target: 0x268 });
    expect(d.instructions.get(0x2ae)).toMatchObject({ size: 4, mnemonic: 'mov.w', operands: 'r0, #4294967295' });
    expect(d.instructions.get(0x2ac)).toMatchObject({ size: 2, mnemonic: 'pop', operands: '{r4, pc}' });
    expect(d.instructions.has(0x2b4)).toBe(false);
  });

  it('finds the window of a call: the entry and the return address of each call', () => {
    const window = callWindow(parseDisassembly(OBJDUMP), 'eenn_run');
    expect(window.entry).toBe(0x268);
    expect([...window.returns]).toEqual([0x100]);
  });
});

describe('readExecutedBlocks', () => {
  const disassembly = parseDisassembly(OBJDUMP);
  const window = callWindow(disassembly, 'eenn_run');

  it('keeps the blocks between the entry and the return, cutting a block an I/O access rewound', () => {
    const blocks = readExecutedBlocks(LOG.split('\n'), window);
    expect(blocks.starts).toEqual([0x268, 0x26a, 0x26c, 0x26c, 0x26e, 0x2a8]);
    // The first run of the block at 0x26c stopped before its load: it executed nothing.
    expect(blocks.ends).toEqual([0x26a, 0x26c, 0x26c, 0x26e, 0x270, 0x2ae]);
    expect(blocks.after).toBe(0x100);
  });

  it('reads every block without a window', () => {
    expect(readExecutedBlocks(LOG.split('\n')).starts).toHaveLength(9);
  });

  it('lists the executed instructions in order, with the taken branches and the return redirected', () => {
    const executed = [...executedInstructions(readExecutedBlocks(LOG.split('\n'), window), disassembly)];
    expect(executed.map((e) => e.instruction.mnemonic)).toEqual(['cbz', 'cbz', 'ldr', 'cbz', 'movs', 'add', 'pop']);
    expect(executed.map((e) => e.redirected)).toEqual([false, false, false, true, false, false, true]);
  });

  it('refuses a block the log ran before translating it', () => {
    expect(() => readExecutedBlocks(['Trace 0: 0x7f0000001000 [00800408/00000268/00000010/ff020200] eenn_run'])).toThrow(/translation/);
  });
});
