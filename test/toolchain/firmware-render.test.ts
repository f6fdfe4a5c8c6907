// renderFirmware (src/codegen/firmware.ts): which files a target gets and what the templates put in them.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget } from '../../src/target/target.js';
import { FIRMWARE_EXIT } from '../../src/toolchain/exit-codes.js';
import { STUB_OPTIONS } from './stub-project.js';

const m4 = loadTarget('cortex-m4');
const m55 = loadTarget('cortex-m55');
const host = loadTarget('host');

describe('renderFirmware', () => {
  it('gives a Cortex-M target main.c, a Makefile, startup, semihosting platform and a linker script', () => {
    const files = renderFirmware(m4, STUB_OPTIONS);
    expect([...files.keys()].sort()).toEqual([
      'Makefile',
      'main.c',
      'runtime/eenn_cortexm.h',
      'runtime/eenn_exit_codes.h',
      'runtime/eenn_isa.h',
      'runtime/eenn_linker.ld',
      'runtime/eenn_platform.h',
      'runtime/eenn_platform_cortexm.c',
      'runtime/eenn_semihosting.h',
      'runtime/eenn_startup.c',
    ]);
    const makefile = files.get('Makefile')!;
    expect(makefile).toContain('CPUFLAGS := -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard');
    expect(makefile).toMatch(/OPT\s+\?= -O2/);
    expect(makefile).toContain('kernels/eenn_add_scalar_f32.c');
    expect(makefile).toContain('-Ikernels');
    expect(makefile).toContain('qemu-system-arm -M mps2-an386');
  });

  it('gives the host plain stdio and no startup code or linker script', () => {
    const files = renderFirmware(host, STUB_OPTIONS);
    expect([...files.keys()].sort()).toEqual([
      'Makefile',
      'main.c',
      'runtime/eenn_exit_codes.h',
      'runtime/eenn_platform.h',
      'runtime/eenn_platform_host.c',
    ]);
    expect(files.get('Makefile')).toMatch(/^CC\s+:= gcc$/m);
  });

  it('places the linker script sections in the regions the target names', () => {
    const script = renderFirmware(m55, STUB_OPTIONS).get('runtime/eenn_linker.ld')!;
    expect(script).toMatch(/ITCM \(rx\) : ORIGIN = 0x00000000, LENGTH = 524288/);
    expect(script).toMatch(/\.vectors :[\s\S]*?\} > ITCM/);
    expect(script).toMatch(/\.text :[\s\S]*?\} > CODE/);
    expect(script).toMatch(/\} > DATA AT > CODE/);
    expect(script).toContain(`__eenn_stack_bytes = ${m55.stackBytes};`);
  });

  it("lays each input and output in its own 16-byte aligned slot of main.c's buffers", () => {
    const main = renderFirmware(m4, { ...STUB_OPTIONS, inputBytes: [3, 40, 16], outputBytes: [10] }).get('main.c')!;
    expect(main).toContain('#define EENN_SAMPLE_INPUT_BYTES  59u');
    expect(main).toContain('input_offsets[EENN_NUM_INPUTS] = { 0u, 16u, 64u }');
    expect(main).toContain('input_memory[80]');
    expect(main).toContain('expected_output_bytes[EENN_NUM_OUTPUTS] = { 10u }');
    expect(main).not.toMatch(/\{\{|\}\}/);
  });

  it('rejects a model name or source path that would break the Makefile', () => {
    expect(() => renderFirmware(m4, { ...STUB_OPTIONS, modelName: 'my model' })).toThrow(EennError);
    expect(() => renderFirmware(m4, { ...STUB_OPTIONS, kernelSources: ['../outside.c'] })).toThrow(/inside the project/);
    expect(() => renderFirmware(m4, { ...STUB_OPTIONS, inputBytes: [] })).toThrow(/at least one input/);
  });
});

describe('firmware exit codes', () => {
  it('are the same in the C runtime and in TypeScript', () => {
    const header = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../templates/c/runtime/eenn_exit_codes.h'), 'utf8');
    const inC = Object.fromEntries([...header.matchAll(/#define EENN_EXIT_(\w+)\s+(\d+)/g)].map((match) => [match[1], Number(match[2])]));
    expect(inC).toEqual(FIRMWARE_EXIT);
  });
});
