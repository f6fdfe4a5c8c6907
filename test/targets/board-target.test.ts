// A board target (a real chip: flash and SRAM at its own addresses, no emulator) is just another JSON file:
// loaded by path, its firmware builds with a linker script generated from its memory map.

import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { makeScratchDir, stubInput, writeStubProject } from '../toolchain/stub-project.js';

const board = {
  name: 'stm32f446-nucleo',
  description: 'STM32F446RE (Cortex-M4F, 180 MHz): 512 KiB flash, 128 KiB SRAM',
  kind: 'board',
  cpu: 'cortex-m4',
  arch: 'armv7e-m',
  features: { dsp: true, mve: false, fpu: true },
  compiler: {
    cc: 'arm-none-eabi-gcc', size: 'arm-none-eabi-size', objcopy: 'arm-none-eabi-objcopy',
    flags: ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'],
    linkFlags: ['-nostartfiles', '--specs=nano.specs', '--specs=nosys.specs'],
  },
  limits: { flash: '512K', ram: '128K' },
  stack: '4K',
  memoryMap: {
    regions: [
      { name: 'FLASH', origin: '0x08000000', length: '512K', attributes: 'rx' },
      { name: 'SRAM', origin: '0x20000000', length: '128K', attributes: 'rwx' },
    ],
    vectors: 'FLASH', code: 'FLASH', data: 'SRAM',
  },
  counter: { source: 'systick', hz: 180_000_000 },
  exit: 'semihosting',
};

let scratch = '';
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('board target', () => {
  it('loads from its own file and builds an image placed in its flash and SRAM', async () => {
    scratch = await makeScratchDir();
    const file = join(scratch, `${board.name}.json`);
    await writeFile(file, JSON.stringify(board));
    const target = loadTarget(file);
    expect(target.kind).toBe('board');

    const image = await buildFirmware(await writeStubProject(join(scratch, 'project'), target), target);
    const symbols = execFileSync('arm-none-eabi-nm', [image.elfPath], { encoding: 'utf8' });
    const address = (name: string): number => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)![1]!, 16);
    expect(address('Reset_Handler')).toBeGreaterThanOrEqual(0x0800_0000);
    expect(address('Reset_Handler')).toBeLessThan(0x0808_0000);
    expect(address('__stack_limit')).toBe(0x2000_0000);
    expect(address('__stack_top')).toBe(0x2000_1000);

    await expect(runFirmware(image.elfPath, target, stubInput([[1, 0, 0, 0]]), { samples: 1 })).rejects.toThrow(/has no emulator/);
  }, 300_000);
});
