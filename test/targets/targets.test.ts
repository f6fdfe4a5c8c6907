// The target files in targets/ and their loader (src/target/target.ts): every file is valid, its features agree with
// what its compiler flags enable, its memory map holds its limits, and bad files fail with E_TARGET naming the field.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import {
  DEFAULT_TARGET_NAME, emulatorCommand, listTargets, loadAllTargets, loadTarget, parseSize, parseTarget, type Target,
} from '../../src/target/target.js';
import { rawTarget, targetError } from './target-json.js';

const targets = loadAllTargets();
const armTargets = targets.filter((target) => target.kind !== 'host');

describe('shipped targets', () => {
  it('are the documented set, Cortex-M by core number, with cortex-m4 the default', () => {
    expect(listTargets()).toEqual(['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'host', 'netduinoplus2', 'nrf52840']);
    expect(loadTarget(DEFAULT_TARGET_NAME).name).toBe('cortex-m4');
  });

  it.each(armTargets.map((target) => [target.name, target] as [string, Target]))(
    '%s: features match the macros its compiler flags define', (_name, target) => {
      const macros = execFileSync(target.compiler.cc, [...target.compiler.flags, '-dM', '-E', '-x', 'c', '/dev/null'], { encoding: 'utf8' });
      const defines = (name: string): boolean => new RegExp(`^#define ${name} `, 'm').test(macros);
      expect(defines('__ARM_FEATURE_DSP')).toBe(target.features.dsp);
      expect(defines('__ARM_FEATURE_MVE')).toBe(target.features.mve);
      expect(defines('__ARM_FP')).toBe(target.features.fpu);
      expect(defines('__thumb__')).toBe(true);
    });

  it.each(armTargets.map((target) => [target.name, target] as [string, Target]))(
    '%s: the memory map holds the flash and RAM limits, so what fits the limits links', (_name, target) => {
      const map = target.memoryMap!;
      const region = (name: string) => map.regions.find((candidate) => candidate.name === name)!;
      expect(region(map.code).lengthBytes).toBeGreaterThanOrEqual(target.limits.flashBytes!);
      expect(region(map.data).lengthBytes).toBeGreaterThanOrEqual(target.limits.ramBytes! + target.stackBytes);
      expect(target.stackBytes).toBeLessThan(target.limits.ramBytes! / 4);
      // Regions do not overlap.
      const sorted = [...map.regions].sort((a, b) => a.origin - b.origin);
      for (const [i, region] of sorted.entries()) {
        const before = sorted[i - 1];
        if (before) expect(region.origin).toBeGreaterThanOrEqual(before.origin + before.lengthBytes);
      }
    });

  it('run emulated targets in QEMU with semihosting and deterministic instruction counting', () => {
    const command = emulatorCommand(loadTarget('cortex-m55'), 'stub.elf');
    expect(command.slice(0, 3)).toEqual(['qemu-system-arm', '-M', 'mps3-an547']);
    expect(command.join(' ')).toContain('-semihosting-config enable=on,target=native -icount shift=6');
    expect(command.slice(-2)).toEqual(['-kernel', 'stub.elf']);
  });

  it('host has no emulator, no limits and no counter', () => {
    const host = loadTarget('host');
    expect(host.limits).toEqual({ flashBytes: null, ramBytes: null });
    expect(host.counter.source).toBe('none');
    expect(() => emulatorCommand(host, 'stub')).toThrow(/no emulator/);
  });
});

describe('loadTarget', () => {
  it('names the known targets when the name is unknown', () => {
    try {
      loadTarget('cortex-m99');
      throw new Error('expected E_TARGET');
    } catch (err) {
      expect(err).toBeInstanceOf(EennError);
      expect((err as EennError).code).toBe('E_TARGET');
      expect((err as EennError).message).toBe('unknown target "cortex-m99"');
      expect((err as EennError).hint).toContain('cortex-m0plus, cortex-m3, cortex-m4');
    }
  });

  it('loads a target from a path, so a board can live outside the package', () => {
    expect(loadTarget(loadTarget('cortex-m7').file).emulator?.machine).toBe('mps2-an500');
    expect(() => loadTarget('/no/such/board.json')).toThrow(/target file not found/);
  });

  it('accepts a board target: a real chip with flash and SRAM, no emulator', () => {
    const json = rawTarget('cortex-m4');
    json.name = 'stm32f4-board';
    json.kind = 'board';
    delete json.emulator;
    // A chip without FRAM: no NVM region, so no nvm description either.
    delete json.nvm;
    json.memoryMap = {
      regions: [
        { name: 'FLASH', origin: '0x08000000', length: '1M', attributes: 'rx' },
        { name: 'SRAM', origin: '0x20000000', length: '128K', attributes: 'rwx' },
      ],
      vectors: 'FLASH', code: 'FLASH', data: 'SRAM',
    };
    const board = parseTarget(json, '/boards/stm32f4-board.json');
    expect(board.kind).toBe('board');
    expect(board.memoryMap?.regions[0]).toEqual({ name: 'FLASH', origin: 0x08000000, lengthBytes: 1 << 20, attributes: 'rx', note: undefined });
  });
});

describe('parseTarget rejects', () => {
  it('a name that is not the file name', () => {
    expect(targetError(rawTarget('cortex-m4'), '/targets/other.json').message).toMatch(/^name is "cortex-m4" but the file is other\.json/);
  });

  it('a missing or mistyped field, naming it', () => {
    const missing = rawTarget('cortex-m4');
    delete missing.features.dsp;
    expect(targetError(missing).message).toBe('features.dsp must be true or false');
    const mistyped = rawTarget('cortex-m4');
    mistyped.limits.flash = 'lots';
    expect(targetError(mistyped).message).toMatch(/^limits\.flash must be a size/);
  });

  it('an unknown field (a typo must not be ignored)', () => {
    const json = rawTarget('cortex-m4');
    json.emulator.icount = 3;
    expect(targetError(json).message).toMatch(/^emulator\.icount is not a known field/);
  });

  it('a memory map that places sections in a region it does not define', () => {
    const json = rawTarget('cortex-m4');
    json.memoryMap.data = 'SRAM';
    expect(targetError(json).message).toBe('memoryMap.data names region "SRAM", which is not in memoryMap.regions');
  });

  it('kinds that contradict their fields', () => {
    const hostWithEmulator = rawTarget('host');
    hostWithEmulator.emulator = rawTarget('cortex-m4').emulator;
    expect(targetError(hostWithEmulator, '/targets/host.json').message).toMatch(/^emulator a host target runs natively/);
    const emulatorWithoutOne = rawTarget('cortex-m4');
    delete emulatorWithoutOne.emulator;
    expect(targetError(emulatorWithoutOne).message).toMatch(/^emulator is required/);
    const oddStack = rawTarget('cortex-m4');
    oddStack.stack = 1001;
    expect(targetError(oddStack).message).toMatch(/^stack must be a positive multiple of 8/);
  });
});

describe('parseSize', () => {
  it('reads bytes, K, M and hex', () => {
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('256K')).toBe(262144);
    expect(parseSize('2M')).toBe(2097152);
    expect(parseSize('0x20000000')).toBe(0x20000000);
    expect(parseSize('1.5M')).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
  });
});
