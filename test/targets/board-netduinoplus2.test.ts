// netduinoplus2, a real board's target that QEMU also runs: `eennc build` writes an image placed in the STM32F405's
// flash with its vector table at 0x08000000 and prints the st-flash command; `eennc test` runs the int8 Fashion-MNIST
// CNN bit-exact in QEMU's netduinoplus2, counting the same instructions as cortex-m4 does on mps2-an386 (SysTick at
// 168 MHz under -icount); the firmware's text comes over USART1, and without semihosting (a board with no debugger)
// it still prints and stops instead of locking up; a fault is reported over the console.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCommand, loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { eennc } from '../cli/cli-helpers.js';
import { errorOf } from '../toolchain/error-of.js';
import { makeScratchDir, stubInput, writeStubProject } from '../toolchain/stub-project.js';

const board = loadTarget('netduinoplus2');
const MODEL = 'examples/fmnist/fmnist_cnn.onnx';
const INT8_TEST = [
  '--calib', 'examples/fmnist/calib_u8.npy', '--calib-scale', '1/255', '--calib-count', '100',
  '--data', 'examples/fmnist/test_inputs.npy', '--count', '2', '--json',
];
/** The STM32F405's vectors: the core's 16, then its 82 interrupts (RM0090 table 61). */
const VECTOR_WORDS = 16 + 82;
/** How long a firmware that parks its core must keep running after its last text. */
const PARKED_MS = 2_000;
/** How far the board's instruction count may be from cortex-m4's for the same model (a few instructions in a million). */
const COUNT_TOLERANCE = 1e-5;

let scratch = '';
beforeAll(async () => {
  scratch = await makeScratchDir();
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface TestJson {
  pass: boolean;
  comparisons: { mismatches: number }[];
  samples: { instructions: number | null }[];
}

describe('netduinoplus2', () => {
  it('build writes a .bin that starts with its vector table at 0x08000000 and prints the st-flash command', async () => {
    const out = join(scratch, 'build');
    const r = await eennc('build', MODEL, '--target', 'netduinoplus2', '--precision', 'float32', '-o', out);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.exitCode).toBe(0);
    const bin = join(out, 'fmnist_cnn.bin');
    expect(r.stdout).toContain(`to flash: st-flash --reset write ${bin} 0x08000000  (not run by eennc)`);
    expect(existsSync(join(out, 'fmnist_cnn.hex'))).toBe(true);

    const symbols = execFileSync('arm-none-eabi-nm', [join(out, 'fmnist_cnn.elf')], { encoding: 'utf8' });
    const address = (name: string): number => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)![1]!, 16);
    const image = readFileSync(bin);
    // Word 0 is the initial stack pointer, word 1 the reset vector (Thumb: bit 0 set), the IRQ vectors right after the 16.
    expect(image.readUInt32LE(0)).toBe(address('__stack_top'));
    expect(image.readUInt32LE(4)).toBe(address('Reset_Handler') | 1);
    expect(address('Reset_Handler')).toBeGreaterThanOrEqual(0x0800_0000);
    expect(address('eenn_stm32f4_irq_vectors')).toBe(0x0800_0000 + 16 * 4);
    expect(image.readUInt32LE((VECTOR_WORDS - 1) * 4)).toBe(address('Default_Handler') | 1);
    expect(address('__stack_limit')).toBe(0x2000_0000);
  }, 300_000);

  it('tests int8 Fashion-MNIST bit-exact in QEMU, counting the instructions cortex-m4 counts', async () => {
    const [onBoard, onM4] = [await eennc('test', MODEL, '--target', 'netduinoplus2', ...INT8_TEST), await eennc('test', MODEL, '--target', 'cortex-m4', ...INT8_TEST)];
    expect(onBoard.exitCode).toBe(0);
    const board = JSON.parse(onBoard.stdout) as TestJson;
    const m4 = JSON.parse(onM4.stdout) as TestJson;
    expect(board.pass).toBe(true);
    expect(board.comparisons.map((c) => c.mismatches)).toEqual([0, 0]);
    expect(board.samples[0]!.instructions).toBeGreaterThan(100_000);
    // Same core, same kernels: SysTick at 168 MHz under -icount shift=3 counts what SysTick at 25 MHz under shift=6
    // does. The two firmwares place their buffers at different addresses, and a copy's alignment prologue may take
    // an instruction more or less: equal within COUNT_TOLERANCE.
    for (const [i, s] of board.samples.entries()) {
      const [boardCount, m4Count] = [s.instructions ?? Number.NaN, m4.samples[i]!.instructions ?? Number.NaN];
      expect(Math.abs(boardCount - m4Count), `sample ${i}`).toBeLessThanOrEqual(m4Count * COUNT_TOLERANCE);
    }
  }, 600_000);

  it('prints over USART1, and without semihosting (no debugger) still prints and parks the core', async () => {
    const project = await writeStubProject(join(scratch, 'stub'), board);
    const { elfPath } = await buildFirmware(project, board);
    // No input.bin in the working folder: main.c says so on the console and stops.
    const [program, ...args] = emulatorCommand(board, elfPath);
    const withConsole = await execa(program, args, { cwd: scratch, reject: false, all: true, timeout: 60_000 });
    expect(withConsole.all).toContain('eenn: cannot open input.bin');
    // The text is the USART's, not semihosting's: with the serial port unplugged it is gone.
    const unplugged = args.map((arg) => (arg === 'stdio' ? 'null' : arg));
    const silent = await execa(program, unplugged, { cwd: scratch, reject: false, all: true, timeout: 60_000 });
    expect(silent.all).not.toContain('cannot open');
    expect(silent.exitCode).toBe(withConsole.exitCode);
    // As on a board with no debugger: every semihosting call fails and returns, the exit too, so the core parks. QEMU
    // would stop at once on a lockup; parked, it is still running well after the text came.
    const semihostingAt = args.indexOf('-semihosting-config');
    const noDebugger = [...args.slice(0, semihostingAt), ...args.slice(semihostingAt + 2)];
    const parked = execa(program, noDebugger, { cwd: scratch, reject: false, all: true, timeout: 120_000 });
    let printed = '';
    await new Promise<void>((resolve) => {
      parked.all!.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        if (printed.includes('cannot open input.bin')) resolve();
      });
      void parked.finally(() => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, PARKED_MS));
    expect(parked.exitCode).toBeNull();
    parked.kill('SIGKILL');
    const result = await parked;
    expect(result.all).toContain('eenn: cannot open input.bin');
    expect(result.all).not.toMatch(/hard fault|Lockup/);
  }, 300_000);

  it('runs a firmware with runFirmware and reports a fault over the console', async () => {
    const project = await writeStubProject(join(scratch, 'add-one'), board);
    const run = await runFirmware((await buildFirmware(project, board)).elfPath, board, stubInput([[1, 2, 3, 4]]), { samples: 1, timeoutMs: 120_000 });
    expect(new Float32Array(run.outputs[0]!.slice().buffer)).toEqual(new Float32Array([2, 3, 4, 5]));
    expect(run.instructions[0]).toBeGreaterThan(0);

    const faulty = await writeStubProject(join(scratch, 'fault'), board, 'fault');
    const error = await errorOf(runFirmware((await buildFirmware(faulty, board)).elfPath, board, stubInput([[1, 2, 3, 4]]), { samples: 1, timeoutMs: 120_000 }));
    expect(error.message).toMatch(/hard fault\) \(exit status 14\) in eenn_run/);
    expect(error.details?.join('\n')).toMatch(/hard fault pc=0x080[0-9a-f]{5}/);
  }, 300_000);
});
