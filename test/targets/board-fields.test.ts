// The fields of a board target (src/target/target.ts): its chip's start-up, its serial console and how it is flashed,
// as the shipped netduinoplus2 and nrf52840 use them, the QEMU command and firmware files they give, the flash
// command `eennc build` prints (src/target/flash-command.ts), and the wrong ones refused naming the field.

import { describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { checkRunnable, emulatorCommand, loadTarget, parseTarget } from '../../src/target/target.js';
import { flashCommand, flashImagesOf, shellWord } from '../../src/target/flash-command.js';
import { STUB_OPTIONS } from '../toolchain/stub-project.js';
import { rawTarget, targetError } from './target-json.js';

const netduino = loadTarget('netduinoplus2');
const nrf = loadTarget('nrf52840');

describe('netduinoplus2: an STM32F405 board QEMU also runs', () => {
  it("has the chip's memory map, clock, start-up, USART1 console and st-flash", () => {
    expect(netduino.kind).toBe('board');
    expect(netduino.emulator).toMatchObject({ machine: 'netduinoplus2', icountShift: 3 });
    expect(netduino.memoryMap?.regions.map((r) => [r.name, r.origin, r.lengthBytes])).toEqual([
      ['FLASH', 0x0800_0000, 1024 * 1024],
      ['SRAM', 0x2000_0000, 128 * 1024],
      ['CCM', 0x1000_0000, 64 * 1024],
    ]);
    // QEMU's netduinoplus2 runs its SysTick from SYSCLK at 168 MHz (hw/arm/netduinoplus2.c).
    expect(netduino.counter).toEqual({ source: 'systick', hz: 168_000_000 });
    expect(netduino.startup?.kind).toBe('stm32f4');
    // USART1 is the first of the STM32F405's USARTs QEMU wires to -serial (hw/arm/stm32f405_soc.c: serial_hd(0)).
    expect(netduino.console).toMatchObject({ kind: 'stm32-usart', base: 0x4001_1000, clockHz: 84_000_000, baud: 115_200, qemuSerial: 0 });
    expect(netduino.flash).toEqual({ tool: 'st-flash', address: 0x0800_0000 });
    expect(netduino.uart).toBeUndefined();
  });

  it('runs in QEMU with its console on standard output and semihosting for files', () => {
    const command = emulatorCommand(netduino, 'fw.elf');
    expect(command.join(' ')).toBe(
      'qemu-system-arm -M netduinoplus2 -nographic -monitor none -serial stdio -semihosting-config enable=on,target=native -icount shift=3 -kernel fw.elf',
    );
    expect(() => checkRunnable(netduino)).not.toThrow();
  });

  it('a console on a later port gets "null" ports before it; a link beside it keeps its socket', () => {
    const json = rawTarget('netduinoplus2');
    json.console.qemuSerial = 2;
    const later = parseTarget(json, '/boards/netduinoplus2.json');
    expect(emulatorCommand(later, 'fw.elf').join(' ')).toContain('-serial null -serial null -serial stdio -semihosting');
    const linked = emulatorCommand(later, 'fw.elf', { serial: 0, port: 4000 }).join(' ');
    expect(linked).toContain('-chardev socket,id=eennlink,host=127.0.0.1,port=4000,nodelay=on -serial chardev:eennlink -serial null -serial stdio');
  });

  it("gets the board runtime: the STM32F4 start-up, the USART console, the semihosting guard and the board's config", () => {
    const files = renderFirmware(netduino, STUB_OPTIONS);
    for (const name of ['runtime/eenn_stm32f4.c', 'runtime/eenn_console_stm32_usart.c', 'runtime/eenn_semihosting_guard.c', 'eenn_board_config.h']) {
      expect(files.has(name), name).toBe(true);
    }
    const makefile = files.get('Makefile')!;
    expect(makefile).toContain('runtime/eenn_stm32f4.c');
    expect(makefile).toContain('runtime/eenn_console_stm32_usart.c');
    expect(makefile).toContain('runtime/eenn_semihosting_guard.c');
    expect(makefile).toContain('qemu-system-arm -M netduinoplus2');
    expect(makefile).toContain("flash: $(NAME).bin $(NAME).hex\n\tst-flash --reset write '$(NAME).bin' 0x08000000\n");
    const config = files.get('eenn_board_config.h')!;
    expect(config).toContain('#define EENN_CONSOLE_USART_BASE 0x40011000u');
    expect(config).toContain('#define EENN_CONSOLE_CLOCK_HZ 84000000u');
    expect(config).toContain('#define EENN_CONSOLE_BAUD     115200u');
    const linker = files.get('runtime/eenn_linker.ld')!;
    expect(linker).toContain('FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 1048576');
    expect(linker).toContain('CCM (rw) : ORIGIN = 0x10000000, LENGTH = 65536');
    expect(linker).toMatch(/KEEP\(\*\(\.vectors\)\)\s+KEEP\(\*\(\.vectors_irq\)\)/);
  });

  it('prints st-flash writing the .bin at the start of flash', () => {
    expect(flashImagesOf('/out/fmnist_cnn.elf')).toEqual({ bin: '/out/fmnist_cnn.bin', hex: '/out/fmnist_cnn.hex' });
    expect(flashCommand(netduino, flashImagesOf('/out/fmnist_cnn.elf'))).toBe('st-flash --reset write /out/fmnist_cnn.bin 0x08000000');
    expect(flashCommand(netduino, flashImagesOf("/my models/it's.elf"))).toBe(`st-flash --reset write '/my models/it'\\''s.bin' 0x08000000`);
  });
});

describe('nrf52840: a board QEMU cannot run', () => {
  it('has its flash at 0 and RAM at 0x20000000, no emulator and no console', () => {
    expect(nrf.kind).toBe('board');
    expect(nrf.emulator).toBeUndefined();
    expect(nrf.console).toBeUndefined();
    expect(nrf.memoryMap?.regions.map((r) => [r.name, r.origin, r.lengthBytes])).toEqual([
      ['FLASH', 0, 1024 * 1024],
      ['RAM', 0x2000_0000, 256 * 1024],
    ]);
  });

  it('refuses to run, saying how to use the image instead', () => {
    expect(() => checkRunnable(nrf)).toThrow(/target nrf52840 has no emulator: run and test need one/);
    expect(() => emulatorCommand(nrf, 'fw.elf')).toThrow(/has no emulator/);
    try {
      checkRunnable(nrf);
    } catch (err) {
      expect((err as { hint?: string }).hint).toMatch(/eennc build writes the \.bin and \.hex and prints the command/);
    }
  });

  it('gets the semihosting guard but no chip start-up or console, and its Makefile says it has no emulator', () => {
    const files = renderFirmware(nrf, STUB_OPTIONS);
    expect(files.has('runtime/eenn_semihosting_guard.c')).toBe(true);
    expect(files.has('runtime/eenn_stm32f4.c')).toBe(false);
    expect(files.has('eenn_board_config.h')).toBe(false);
    expect(files.get('Makefile')).toContain('nrf52840 has no emulator');
    expect(files.get('Makefile')).toContain("\topenocd -f interface/jlink.cfg -c 'transport select swd' -f target/nrf52.cfg -c 'program {$(NAME).hex} verify reset exit'\n");
  });

  it('prints OpenOCD programming the .hex through its J-Link over SWD', () => {
    expect(flashCommand(nrf, flashImagesOf('/out/m.elf'))).toBe(
      "openocd -f interface/jlink.cfg -c 'transport select swd' -f target/nrf52.cfg -c 'program {/out/m.hex} verify reset exit'",
    );
  });
});

describe('the emulator targets and the host', () => {
  it('keep no serial port, no board runtime and no flash command', () => {
    const m4 = loadTarget('cortex-m4');
    expect(emulatorCommand(m4, 'fw.elf')).toContain('none');
    expect(emulatorCommand(m4, 'fw.elf').join(' ')).toContain('-serial none');
    expect([...renderFirmware(m4, STUB_OPTIONS).keys()].some((name) => /stm32|guard|board/.test(name))).toBe(false);
    expect(renderFirmware(m4, STUB_OPTIONS).get('Makefile')).not.toContain('flash:');
    expect(flashCommand(m4, flashImagesOf('fw.elf'))).toBeUndefined();
    expect(() => checkRunnable(loadTarget('host'))).not.toThrow();
  });

  it('shellWord leaves plain words alone and quotes the rest', () => {
    expect(shellWord('/a/b-c_d.bin')).toBe('/a/b-c_d.bin');
    expect(shellWord('a b')).toBe("'a b'");
    expect(shellWord('$(rm)')).toBe("'$(rm)'");
  });
});

describe('parseTarget refuses a wrong board field, naming it', () => {
  const broken = (change: (json: Record<string, any>) => void, name = 'netduinoplus2'): string => {
    const json = rawTarget(name);
    change(json);
    return targetError(json, `/boards/${name}.json`).message;
  };

  it('start-up, console and flash on a target that is not a board', () => {
    expect(broken((json) => (json.console = rawTarget('netduinoplus2').console), 'cortex-m4')).toMatch(/^console is for a board target \(kind "board"\), not an emulator one/);
    expect(broken((json) => (json.flash = { tool: 'st-flash', address: 0 }), 'cortex-m4')).toMatch(/^flash is for a board target/);
    expect(broken((json) => (json.startup = { kind: 'stm32f4' }), 'host')).toMatch(/^startup is for a board target \(kind "board"\), not the host/);
  });

  it('an unknown kind, a misplaced or too fast console, a console on the link port', () => {
    expect(broken((json) => (json.startup.kind = 'stm32h7'))).toMatch(/^startup\.kind must be one of "stm32f4"/);
    expect(broken((json) => (json.console.kind = 'pl011'))).toMatch(/^console\.kind must be one of "stm32-usart"/);
    expect(broken((json) => (json.console.base = '0x40011002'))).toMatch(/^console\.base is 0x40011002: .*word-aligned/);
    expect(broken((json) => (json.console.baud = 6_000_000))).toMatch(/^console\.baud is 6000000: a USART clocked at 84000000 Hz sends at most 5250000 baud/);
    expect(broken((json) => (json.console.qemuSerial = 4))).toMatch(/^console\.qemuSerial is 4: QEMU has serial ports 0 to 3/);
    expect(broken((json) => (json.console.parity = 'even'))).toMatch(/^console\.parity is not a known field/);
    expect(
      broken((json) => (json.uart = { kind: 'cmsdk-apb', base: '0x40004000', clockHz: 25_000_000, qemuSerial: 0 })),
    ).toMatch(/^console\.qemuSerial is 0, the serial port of "uart"/);
  });

  it('a flash tool it does not know, or a field of another tool', () => {
    expect(broken((json) => (json.flash = { tool: 'dfu-util' }))).toMatch(/^flash\.tool must be one of "st-flash", "openocd"/);
    expect(broken((json) => (json.flash = { tool: 'st-flash', address: '0x08000000', target: 'stm32f4x' }))).toMatch(/^flash\.target is not a known field/);
    expect(broken((json) => (json.flash = { tool: 'openocd', interface: 'stlink', target: '../x' }))).toMatch(/^flash\.target is "\.\.\/x"/);
    expect(broken((json) => (json.flash.transport = 'usb'), 'nrf52840')).toMatch(/^flash\.transport must be one of "swd", "jtag"/);
  });
});
