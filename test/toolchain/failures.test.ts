// What goes wrong must come back as a clear EennError, never a hang or a stack trace: an emulator run that never
// ends, a crash, a model error, a stack overflow, a compile error, missing tools, input of the wrong size.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget, parseTarget, type Target } from '../../src/target/target.js';
import { buildFirmware, type FirmwareImage } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { makeScratchDir, stubInput, writeStubProject, type StubVariant } from './stub-project.js';
import { errorOf } from './error-of.js';
import { m4BoardJson } from '../targets/target-json.js';

const m4 = loadTarget('cortex-m4');
const m0plus = loadTarget('cortex-m0plus');
const m33 = loadTarget('cortex-m33');
const host = loadTarget('host');
const oneSample = stubInput([[1, 0, 0, 0]]);

let scratch = '';
const images = new Map<string, FirmwareImage>();
const key = (target: Target, variant: StubVariant): string => `${target.name}/${variant}`;

/** [name, target] rows for it.each, so that test names show the target name. */
function named(targets: Target[]): [string, Target][] {
  return targets.map((target) => [target.name, target]);
}

beforeAll(async () => {
  scratch = await makeScratchDir();
  const builds: [Target, StubVariant][] = [
    [m4, 'hang'],
    [m4, 'fault'],
    [m0plus, 'fault'],
    [m4, 'fail'],
    [host, 'fail'],
    [m4, 'stack-overflow'],
    [m33, 'stack-overflow'],
    [m4, 'add-one'],
  ];
  await Promise.all(
    builds.map(async ([target, variant]) => {
      const dir = await writeStubProject(join(scratch, target.name, variant), target, variant);
      images.set(key(target, variant), await buildFirmware(dir, target, { jobs: 1 }));
    }),
  );
}, 600_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('runFirmware failures', () => {
  it('kills an emulator that never finishes and reports E_RUN with the time limit', async () => {
    // The firmware loops forever: that the call returns at all shows the limit stopped it.
    const error = await errorOf(runFirmware(images.get(key(m4, 'hang'))!.elfPath, m4, oneSample, { samples: 1, timeoutMs: 1_500 }));
    expect(error.code).toBe('E_RUN');
    expect(error.message).toMatch(/emulator did not finish within 1\.5 s/);
    expect(error.hint).toMatch(/loop forever/);
  });

  it.each(named([m4, m0plus]))('reports a hard fault on %s with its exit status and the function that faulted', async (_name, target) => {
    const error = await errorOf(runFirmware(images.get(key(target, 'fault'))!.elfPath, target, oneSample, { samples: 1, timeoutMs: 120_000 }));
    expect(error.code).toBe('E_RUN');
    expect(error.message).toMatch(/crashed \(hard fault\) \(exit status 14\) in eenn_run/);
    expect(error.details?.join('\n')).toMatch(/hard fault pc=0x[0-9a-f]{8}/);
  });

  it.each(named([m4, host]))('reports a negative eenn_run() result on %s', async (_name, target) => {
    const error = await errorOf(runFirmware(images.get(key(target, 'fail'))!.elfPath, target, oneSample, { samples: 1, timeoutMs: 120_000 }));
    expect(error.code).toBe('E_RUN');
    expect(error.message).toBe('eenn_run() returned an error (exit status 13)');
  });

  it('reports a stack overflow on Armv8-M (MSPLIM fault) and on Armv7-M (the whole stack was used)', async () => {
    const overflow = await errorOf(runFirmware(images.get(key(m33, 'stack-overflow'))!.elfPath, m33, oneSample, { samples: 1, timeoutMs: 120_000 }));
    expect(overflow.message).toMatch(/hard fault/);
    // CFSR.STKOF (bit 20 of the UsageFault status) says the stack limit check fired.
    expect(overflow.details?.join('\n')).toMatch(/cfsr=0x00100000/);
    const used = await errorOf(runFirmware(images.get(key(m4, 'stack-overflow'))!.elfPath, m4, oneSample, { samples: 1, timeoutMs: 120_000 }));
    expect(used.code).toBe('E_RUN');
    expect(used.message).toBe(`stack overflow: the firmware used all ${m4.stackBytes} bytes of its stack`);
  });

  it('rejects input that is not a whole number of samples with E_DATA', async () => {
    const image = images.get(key(m4, 'add-one'))!.elfPath;
    const error = await errorOf(runFirmware(image, m4, oneSample.subarray(0, 12), { samples: 1 }));
    expect(error.code).toBe('E_DATA');
    expect(error.message).toMatch(/could not read its input file \(exit status 10\)/);
    const mismatch = await errorOf(
      runFirmware(
        image,
        m4,
        stubInput([
          [1, 0, 0, 0],
          [2, 0, 0, 0],
        ]),
        { samples: 3 },
      ),
    );
    expect(mismatch.code).toBe('E_DATA');
  });

  it('says a board target has no emulator', async () => {
    const board = boardTarget();
    const error = await errorOf(runFirmware(images.get(key(m4, 'add-one'))!.elfPath, board, oneSample, { samples: 1 }));
    expect(error.code).toBe('E_RUN');
    expect(error.message).toMatch(/has no emulator/);
  });

  it('says how to install a missing emulator', async () => {
    const json = JSON.parse(await readFile(m4.file, 'utf8'));
    json.emulator.program = 'qemu-system-eennc-missing';
    const target = parseTarget(json, m4.file);
    const error = await errorOf(runFirmware(images.get(key(m4, 'add-one'))!.elfPath, target, oneSample, { samples: 1 }));
    expect(error.code).toBe('E_TOOLCHAIN');
    expect(error.message).toMatch(/qemu-system-eennc-missing not found/);
    expect(error.hint).toMatch(/sudo apt-get install -y qemu-system-arm/);
  });
});

describe('buildFirmware failures', () => {
  it("surfaces the compiler's first error line as E_TOOLCHAIN", async () => {
    const dir = await writeStubProject(join(scratch, 'broken'), m4);
    await writeFile(join(dir, 'model.c'), '#include "model.h"\nint32_t eenn_run(void) { return undefined_name; }\n');
    const error = await errorOf(buildFirmware(dir, m4, { jobs: 1 }));
    expect(error.code).toBe('E_TOOLCHAIN');
    expect(error.message).toMatch(/^building the firmware for cortex-m4 failed: model\.c:\d+:\d+: error: /);
    expect(error.hint).toMatch(/run `make`/);
  });

  it('says how to install a missing compiler', async () => {
    const json = JSON.parse(await readFile(m4.file, 'utf8'));
    json.compiler.cc = 'arm-none-eabi-eennc-missing-gcc';
    const target = parseTarget(json, m4.file);
    const error = await errorOf(buildFirmware(join(scratch, 'broken'), target));
    expect(error.code).toBe('E_TOOLCHAIN');
    expect(error.hint).toMatch(/sudo apt-get install -y gcc-arm-none-eabi/);
  });

  it('reports a project folder without a Makefile', async () => {
    const error = await errorOf(buildFirmware(join(scratch, 'nowhere'), m4));
    expect(error.code).toBe('E_FILE');
  });
});

/** cortex-m4 described as a real chip: same CPU, flash at 0x08000000, no emulator. */
function boardTarget(): Target {
  return parseTarget(
    m4BoardJson('example-board', 'an STM32F4-like board', { flash: '1M', ram: '128K', stack: '8K', hz: 168_000_000 }),
    '/boards/example-board.json',
  );
}
