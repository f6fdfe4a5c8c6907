// renderFirmware's `device` option (src/codegen/firmware.ts), without compiling: which main.c, which link runtime
// for which target, eenn_link_config.h, the Makefile's LINK_TIMEOUT_MS, and the options it refuses. The projects
// are compiled and run by link-firmware.test.ts.

import { describe, expect, it } from 'vitest';
import { renderFirmware, type DeviceFirmware, type FirmwareOptions } from '../../src/codegen/firmware.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, parseTarget, type Target } from '../../src/target/target.js';
import { rawTarget } from '../targets/target-json.js';

const HASH = 0xc0ffee01;
const link = { modelHash: HASH, baud: 115_200 };
const node: DeviceFirmware = { role: 'node', cutTensor: '/conv2/Relu_output_0', payloadBytes: 1568, nodeExits: 1, ...link };
const gateway: DeviceFirmware = { role: 'gateway', cutTensor: '/conv2/Relu_output_0', payloadBytes: 1568, nodeExits: 0, ...link };
const bare: DeviceFirmware = { role: 'node', cutTensor: 'input', payloadBytes: 784, nodeExits: 0, noModel: true, ...link };

/** The options of a device project around a model with `inputs` and `outputs` (bytes). */
function options(device: DeviceFirmware, inputs: number[], outputs: number[], more: Partial<FirmwareOptions> = {}): FirmwareOptions {
  return {
    modelName: 'branchy',
    kernelSources: device.noModel ? [] : ['kernels/eenn_fc_s8.c'],
    inputBytes: inputs,
    outputBytes: outputs,
    device,
    ...more,
  };
}

const nodeOptions = options(node, [784], [10, 1568]);
const gatewayOptions = options(gateway, [1568], [10, 10]);
const bareOptions = options(bare, [784], [], { modelSources: [] });

/** The E_* code of what `render` throws (fails the test when it does not throw). */
function errorOf(render: () => unknown): EennError {
  try {
    render();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    return err as EennError;
  }
  throw new Error('expected an EennError');
}

describe("renderFirmware's device option", () => {
  it('renders the node, the gateway and a node without a model, each with the link for a CMSDK UART', () => {
    const target = loadTarget('cortex-m4');
    for (const [what, opts, title] of [
      ['node', nodeOptions, 'firmware of the node'],
      ['gateway', gatewayOptions, 'firmware of the gateway'],
      ['bare', bareOptions, 'The node runs no part of the model'],
    ] as const) {
      const files = renderFirmware(target, opts);
      expect(files.get('main.c'), what).toContain(title);
      for (const runtime of ['eenn_link.h', 'eenn_link.c', 'eenn_crc32.c', 'eenn_link_uart_cmsdk.c'])
        expect(files.has(`runtime/${runtime}`), `${what} ${runtime}`).toBe(true);
      expect(files.has('runtime/eenn_link_host.c'), what).toBe(false);
      const config = files.get('eenn_link_config.h')!;
      expect(config).toContain('#define EENN_LINK_MODEL_HASH 0xC0FFEE01u');
      expect(config).toContain(`#define EENN_LINK_PAYLOAD_BYTES ${opts.device!.payloadBytes}u`);
      expect(config).toContain('#define EENN_LINK_UART_BASE     0x40004000u');
      expect(config).toContain('#define EENN_LINK_UART_CLOCK_HZ 25000000u');
      expect(config).toContain('#define EENN_COUNTER_HZ 25000000u');
      const makefile = files.get('Makefile')!;
      expect(makefile).toMatch(/^LINK_TIMEOUT_MS \?= 1000$/m);
      expect(makefile).toContain('-DEENN_LINK_TIMEOUT_MS=$(LINK_TIMEOUT_MS)u');
      for (const source of ['runtime/eenn_link.c', 'runtime/eenn_crc32.c', 'runtime/eenn_link_uart_cmsdk.c'])
        expect(makefile, `${what} ${source}`).toContain(source);
      expect(/^\s+model\.c\b/m.test(makefile), `${what}: model.c among the sources`).toBe(what !== 'bare');
    }
    const bareMain = renderFirmware(target, bareOptions).get('main.c')!;
    expect(bareMain).not.toContain('#include "model.h"');
  });

  it('numbers the node exits: its early exits, then "sent"', () => {
    const main = renderFirmware(loadTarget('cortex-m4'), nodeOptions).get('main.c')!;
    expect(main).toContain('#define EENN_NODE_EXITS 1');
    expect(main).toContain('int32 node exit index (0 .. 0: an early exit answered here; 1: the sample was sent)');
    const one = renderFirmware(loadTarget('cortex-m4'), options({ ...node, nodeExits: 0 }, [784], [1568])).get('main.c')!;
    expect(one).toContain('int32 node exit index (no early exit on this device; 0: the sample was sent)');
  });

  it('links the host over its socket, and sets the timeout the device asks for', () => {
    const files = renderFirmware(loadTarget('host'), options({ ...gateway, timeoutMs: 250 }, [1568], [10, 10]));
    expect(files.has('runtime/eenn_link_host.c')).toBe(true);
    expect(files.has('runtime/eenn_link_uart_cmsdk.c')).toBe(false);
    expect(files.get('eenn_link_config.h')).not.toContain('EENN_LINK_UART_BASE');
    expect(files.get('Makefile')).toMatch(/^LINK_TIMEOUT_MS \?= 250$/m);
  });

  it('leaves the hooks to the application where the target describes no UART', () => {
    const json = rawTarget('cortex-m4');
    delete json.uart;
    const target: Target = parseTarget(json, loadTarget('cortex-m4').file);
    const files = renderFirmware(target, nodeOptions);
    expect(files.has('runtime/eenn_link.c')).toBe(true);
    expect(files.has('runtime/eenn_link_uart_cmsdk.c')).toBe(false);
    expect(files.get('Makefile')).not.toContain('eenn_link_uart_cmsdk.c');
  });

  it('builds a device without early-exit tracing, even for a model with exits', () => {
    const makefile = renderFirmware(loadTarget('cortex-m4'), { ...nodeOptions, exits: 2 }).get('Makefile')!;
    expect(makefile).not.toContain('EENN_TRACE_EXITS');
  });

  it('refuses what a device cannot be, saying why', () => {
    const m4 = loadTarget('cortex-m4');
    expect(errorOf(() => renderFirmware(m4, { ...nodeOptions, intermittent: { nvm: 'memory-mapped' } })).message).toMatch(
      /neither intermittent nor traced/,
    );
    expect(errorOf(() => renderFirmware(m4, options({ ...node, baud: 3_000_000 }, [784], [10, 1568]))).message).toMatch(
      /3000000 baud is too fast for cortex-m4's UART, clocked at 25000000 Hz/,
    );
    expect(errorOf(() => renderFirmware(m4, options({ ...node, baud: 0 }, [784], [10, 1568]))).message).toMatch(/0 baud is not a line rate/);
    expect(errorOf(() => renderFirmware(m4, options(node, [784], [10, 1000]))).message).toMatch(/then the 1568 bytes at the cut/);
    expect(errorOf(() => renderFirmware(m4, options(gateway, [784], [10]))).message).toMatch(/gateway's model takes one input, the 1568 bytes/);
    expect(errorOf(() => renderFirmware(m4, options({ ...bare }, [784], [10], { modelSources: [] }))).message).toMatch(
      /without a model has no outputs/,
    );
    expect(errorOf(() => renderFirmware(m4, options({ ...node, timeoutMs: -5 }, [784], [10, 1568]))).message).toMatch(/link timeout -5 ms/);

    const json = rawTarget('cortex-m4');
    json.kind = 'board';
    delete json.emulator;
    json.counter = { source: 'none' };
    const noCounter = parseTarget(json, loadTarget('cortex-m4').file);
    const error = errorOf(() => renderFirmware(noCounter, nodeOptions));
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toMatch(/times out by its tick counter/);
  });
});
