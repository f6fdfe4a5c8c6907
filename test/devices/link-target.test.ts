// The target fields the multi-device link reads: `clock` (the cost model's latencies) and `uart` (the CMSDK APB
// UART of runtime/eenn_link_uart_cmsdk.c), as shipped and as src/target/target.ts refuses them when wrong.

import { describe, expect, it } from 'vitest';
import { listTargets, loadTarget, parseTarget } from '../../src/target/target.js';
import { rawTarget, targetError } from '../targets/target-json.js';

/** UART0 of each QEMU machine, found in QEMU 7.2's hw/arm/mps2.c and mps2-tz.c and checked by link-uart.test.ts. */
const UART0: Record<string, { base: number; clockHz: number }> = {
  'mps2-an385': { base: 0x40004000, clockHz: 25_000_000 },
  'mps2-an386': { base: 0x40004000, clockHz: 25_000_000 },
  'mps2-an500': { base: 0x40004000, clockHz: 25_000_000 },
  'mps2-an505': { base: 0x50200000, clockHz: 20_000_000 },
  'mps3-an547': { base: 0x59303000, clockHz: 25_000_000 },
};

describe('target clock and uart', () => {
  it('every Cortex-M target gives a core clock; the host gives none', () => {
    for (const name of listTargets()) {
      const target = loadTarget(name);
      if (target.kind === 'host') {
        expect(target.clock, name).toBeUndefined();
        continue;
      }
      expect(target.clock?.hz, name).toBeGreaterThanOrEqual(1_000_000);
      expect(target.clock?.note, name).toMatch(/your own target file/);
    }
    expect(loadTarget('cortex-m0plus').clock?.hz).toBe(48_000_000);
    expect(loadTarget('cortex-m7').clock?.hz).toBe(216_000_000);
  });

  it("every emulator target's uart is UART0 of its QEMU machine, the first -serial", () => {
    for (const name of listTargets()) {
      const target = loadTarget(name);
      // A board QEMU also runs (netduinoplus2) keeps its serial port for its console, and has no CMSDK UART.
      if (target.kind !== 'emulator' || !target.emulator) {
        expect(target.uart, name).toBeUndefined();
        continue;
      }
      const expected = UART0[target.emulator.machine];
      expect(expected, `${name}: ${target.emulator.machine}`).toBeDefined();
      expect(target.uart, name).toMatchObject({ kind: 'cmsdk-apb', ...expected, qemuSerial: 0 });
    }
  });

  it('refuses a wrong clock, naming the field', () => {
    const broken = (clock: unknown): string => {
      const json = rawTarget('cortex-m4');
      json.clock = clock;
      return targetError(json).message;
    };
    expect(broken({ hz: 0 })).toMatch(/clock\.hz must be an integer >= 1/);
    expect(broken({ hz: '80M' })).toMatch(/clock\.hz must be an integer/);
    expect(broken({ hz: 80e12 })).toMatch(/clock\.hz is 80000000000000/);
    expect(broken({ hz: 80e6, mhz: 80 })).toMatch(/clock\.mhz is not a known field/);
    expect(broken(80e6)).toMatch(/clock must be an object/);
  });

  it('refuses a wrong uart, naming the field', () => {
    const broken = (change: Record<string, unknown>): string => {
      const json = rawTarget('cortex-m4');
      json.uart = { ...json.uart, ...change };
      return targetError(json).message;
    };
    expect(broken({ kind: 'pl011' })).toMatch(/uart\.kind must be one of "cmsdk-apb"/);
    expect(broken({ base: '0x40004002' })).toMatch(/uart\.base is 0x40004002: .*word-aligned/);
    expect(broken({ base: '0x140004000' })).toMatch(/uart\.base is 0x140004000/);
    expect(broken({ base: 'UART0' })).toMatch(/uart\.base must be a size/);
    expect(broken({ clockHz: -1 })).toMatch(/uart\.clockHz must be an integer >= 1/);
    expect(broken({ qemuSerial: 4 })).toMatch(/uart\.qemuSerial is 4: QEMU has serial ports 0 to 3/);
    expect(broken({ qemuSerial: -1 })).toMatch(/uart\.qemuSerial must be an integer >= 0/);
    expect(broken({ parity: 'none' })).toMatch(/uart\.parity is not a known field/);
    const missing = rawTarget('cortex-m4');
    delete missing.uart.clockHz;
    expect(targetError(missing).message).toMatch(/uart\.clockHz must be an integer/);
  });

  it('refuses a uart on the host, whose link is a socket', () => {
    const json = rawTarget('host');
    json.uart = rawTarget('cortex-m4').uart;
    expect(targetError(json, '/targets/host.json').message).toMatch(/a host target has no UART/);
  });

  it("a target file without clock or uart still loads (the link hooks are then the application's)", () => {
    const json = rawTarget('cortex-m4');
    delete json.clock;
    delete json.uart;
    const target = parseTarget(json, '/targets/cortex-m4.json');
    expect(target.clock).toBeUndefined();
    expect(target.uart).toBeUndefined();
  });
});
