// --devices, --link, --objective and --cut: what they resolve to, and a clear error for every bad input (a name
// given twice, an unknown target, a link that does not parse, flags without --devices, a target
// that is not emulated, a target without a clock or energy).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_LATENCY_US, parseLink, resolveDeviceOptions, uartNanojoulesPerByte, UART_BITS_PER_BYTE } from '../../src/devices/options.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

/** The repository, where the shipped target files are. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const DEVICES = 'node=cortex-m0plus,gateway=cortex-m7';

/** The thrown EennError of `work`. */
function errorOf(work: () => unknown): EennError {
  try {
    work();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('resolveDeviceOptions', () => {
  it('is undefined without any multi-device flag', () => {
    expect(resolveDeviceOptions({})).toBeUndefined();
  });

  it('resolves two devices, a UART link with its defaults and the latency objective', () => {
    const options = resolveDeviceOptions({ devices: DEVICES, link: 'uart:115200' })!;
    expect(options.devices.map((d) => [d.name, d.target.name])).toEqual([
      ['node', 'cortex-m0plus'],
      ['gateway', 'cortex-m7'],
    ]);
    expect(options.objective).toBe('latency');
    expect(options.cut).toBeUndefined();
    const link = options.link;
    expect(link).toMatchObject({ kind: 'uart', text: 'uart:115200', baud: 115200, bitsPerByte: 10, messageLatencyUs: DEFAULT_MESSAGE_LATENCY_US });
    // 10 mW for the 86.8 us a byte takes at 115,200 baud (8N1).
    expect(link.nanojoulesPerByte).toBeCloseTo(868.06, 1);
    expect(uartNanojoulesPerByte(9600)).toBeCloseTo((10e-3 * UART_BITS_PER_BYTE * 1e9) / 9600, 6);
  });

  it('takes the link options, the energy objective and --cut as given', () => {
    const options = resolveDeviceOptions({ devices: DEVICES, link: 'uart:921600,latency-us=500,nj-per-byte=1400', objective: 'energy', cut: ' 5 ' })!;
    expect(options.link).toMatchObject({ baud: 921600, messageLatencyUs: 500, nanojoulesPerByte: 1400 });
    expect(options.objective).toBe('energy');
    expect(options.cut).toBe('5');
  });

  it('refuses a device name given twice', () => {
    const err = errorOf(() => resolveDeviceOptions({ devices: 'node=cortex-m0plus,node=cortex-m7', link: 'uart:115200' }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('device name "node" given twice');
  });

  it("refuses an unknown target with loadTarget's error", () => {
    const err = errorOf(() => resolveDeviceOptions({ devices: 'node=cortex-m0plus,gateway=cortex-m99', link: 'uart:115200' }));
    expect(err.code).toBe('E_TARGET');
    expect(err.message).toContain('unknown target "cortex-m99"');
    expect(err.hint).toContain('cortex-m7');
  });

  it('refuses other than two devices, a name that is not a C identifier, an item without "="', () => {
    const one = errorOf(() => resolveDeviceOptions({ devices: 'node=cortex-m0plus', link: 'uart:115200' }));
    expect(one.code).toBe('E_USAGE');
    expect(one.hint).toContain('--devices takes two devices: the node that reads the input, then the gateway');
    const three = errorOf(() => resolveDeviceOptions({ devices: `${DEVICES},c=cortex-m4`, link: 'uart:115200' }));
    expect(three.hint).toContain('--devices takes two devices');
    expect(errorOf(() => resolveDeviceOptions({ devices: '1node=cortex-m0plus,gateway=cortex-m7', link: 'uart:115200' })).message).toContain(
      'not a C identifier',
    );
    expect(errorOf(() => resolveDeviceOptions({ devices: 'cortex-m0plus,cortex-m7', link: 'uart:115200' })).message).toContain('name=target');
  });

  it('refuses a link spec that does not parse, naming --link and the accepted form', () => {
    for (const [link, why] of [
      ['spi:1000000', 'the only link kind is uart:BAUD'],
      ['uart:fast', '"fast" is not a baud rate'],
      ['uart:0', 'not a positive baud rate'],
      ['uart:115200,parity=even', 'unknown option "parity"'],
      ['uart:115200,toString=1', 'unknown option "toString"'],
      ['uart:115200,latency-us=-5', 'latency-us takes a number'],
      ['uart:115200,nj-per-byte', 'nj-per-byte takes a number'],
    ] as const) {
      const err = errorOf(() => parseLink(link));
      expect(err.code, link).toBe('E_USAGE');
      expect(err.message, link).toContain(`--link ${link}: `);
      expect(err.message, link).toContain(why);
      expect(err.hint, link).toContain('uart:BAUD[,latency-us=N][,nj-per-byte=N]');
    }
  });

  it('refuses --devices without --link, and --link, --objective or --cut without --devices', () => {
    expect(errorOf(() => resolveDeviceOptions({ devices: DEVICES })).message).toContain('--link');
    const err = errorOf(() => resolveDeviceOptions({ link: 'uart:115200', cut: '3' }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toBe('--link and --cut apply only to multi-device builds, and --devices is not given');
    expect(errorOf(() => resolveDeviceOptions({ objective: 'energy' })).message).toContain('--objective applies only');
  });

  it('refuses an unknown objective and an empty --cut', () => {
    const err = errorOf(() => resolveDeviceOptions({ devices: DEVICES, link: 'uart:115200', objective: 'speed' }));
    expect(err.code).toBe('E_USAGE');
    expect(err.hint).toContain('--objective latency or --objective energy');
    expect(errorOf(() => resolveDeviceOptions({ devices: DEVICES, link: 'uart:115200', cut: ' ' })).message).toBe('--cut is empty');
  });

  it('refuses a target that is not emulated: the steps are measured in QEMU', () => {
    for (const devices of ['node=cortex-m0plus,gateway=host', 'node=host,gateway=cortex-m7']) {
      const err = errorOf(() => resolveDeviceOptions({ devices, link: 'uart:115200', objective: 'energy' }));
      expect(err.code).toBe('E_TARGET');
      expect(err.message).toMatch(/device (node|gateway)'s target host runs natively on this computer; a multi-device build needs emulated targets/);
      expect(err.hint).toContain('eennc targets');
    }
  });

  it('refuses the latency objective on a target without a clock, the energy objective on one without energy', async () => {
    const dir = await makeTempDir('eenn-device-options-');
    try {
      const file = join(dir, 'm7-bare.json');
      const { clock: _clock, energy: _energy, ...bare } = JSON.parse(readFileSync(join(ROOT, 'targets/cortex-m7.json'), 'utf8'));
      writeFileSync(file, JSON.stringify({ ...bare, name: 'm7-bare' }));
      const latency = errorOf(() => resolveDeviceOptions({ devices: `node=cortex-m0plus,gateway=${file}`, link: 'uart:115200' }));
      expect(latency.code).toBe('E_TARGET');
      expect(latency.message).toContain("the clock of device gateway's target m7-bare");
      expect(latency.hint).toContain('"clock"');
      const energy = errorOf(() => resolveDeviceOptions({ devices: `node=${file},gateway=cortex-m7`, link: 'uart:115200', objective: 'energy' }));
      expect(energy.message).toContain("the energy of one instruction on device node's target m7-bare");
    } finally {
      await removeTempDir(dir);
    }
  });
});
