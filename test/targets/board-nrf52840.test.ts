// nrf52840, a board QEMU cannot run: `eennc build` links an image placed in its flash at 0 and RAM at 0x20000000,
// checks it against its 1 MiB / 240 KiB limits and prints the OpenOCD command that flashes it; `eennc run` and
// `eennc test` refuse it before building anything, saying it has no emulator and what to do instead.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/target/target.js';
import { eennc } from '../cli/cli-helpers.js';
import { makeScratchDir } from '../toolchain/stub-project.js';

const nrf = loadTarget('nrf52840');
const MODEL = 'examples/fmnist/fmnist_cnn.onnx';
const DATA = 'examples/fmnist/test_inputs.npy';

let scratch = '';
beforeAll(async () => {
  scratch = await makeScratchDir();
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface BuildJson {
  limits: { flash_bytes: number; ram_bytes: number };
  memory: { flash_bytes: number; ram_bytes: number; measured: boolean };
  image: string;
  flash_command: string;
}

describe('nrf52840', () => {
  it('builds and fit-checks an image in its flash and RAM, and prints the OpenOCD command', async () => {
    const out = join(scratch, 'build');
    const r = await eennc('build', MODEL, '--target', 'nrf52840', '--precision', 'float32', '-o', out, '--json');
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as BuildJson;
    expect(json.limits).toMatchObject({ flash_bytes: nrf.limits.flashBytes, ram_bytes: nrf.limits.ramBytes });
    expect(json.memory.measured).toBe(true);
    expect(json.memory.flash_bytes).toBeLessThanOrEqual(nrf.limits.flashBytes!);
    expect(json.memory.ram_bytes).toBeLessThanOrEqual(nrf.limits.ramBytes!);
    expect(json.flash_command).toBe(
      `openocd -f interface/jlink.cfg -c 'transport select swd' -f target/nrf52.cfg -c 'program {${join(out, 'fmnist_cnn.hex')}} verify reset exit'`,
    );
    expect(existsSync(join(out, 'fmnist_cnn.hex'))).toBe(true);

    const symbols = execFileSync('arm-none-eabi-nm', [json.image], { encoding: 'utf8' });
    const address = (name: string): number => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)![1]!, 16);
    expect(address('eenn_vector_table')).toBe(0);
    expect(address('Reset_Handler')).toBeLessThan(1024 * 1024);
    expect(address('__stack_limit')).toBe(0x2000_0000);
    expect(address('__stack_top')).toBe(0x2000_0000 + nrf.stackBytes);
  }, 300_000);

  it.each(['run', 'test'])('%s refuses it before building, saying it has no emulator', async (command) => {
    const out = join(scratch, command);
    const r = await eennc(command, MODEL, '--target', 'nrf52840', '--precision', 'float32', command === 'run' ? '-i' : '--data', DATA, '--count', '1', '-o', out);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('error: target nrf52840 has no emulator: run and test need one');
    expect(r.stderr).toMatch(/hint: build it \(eennc build writes the \.bin and \.hex and prints the command that flashes them\)/);
    expect(existsSync(join(out, 'Makefile'))).toBe(false);
  }, 300_000);
});
