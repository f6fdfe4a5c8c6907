// Every target end to end: render the firmware around the add-one stub model, build it with make, run it in
// QEMU (natively for the host) and check outputs, exits, instruction counts, stack and sizes.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAllTargets, type Target } from '../../src/target/target.js';
import { buildFirmware, type FirmwareImage } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { floatsOf, makeScratchDir, stubInput, writeStubProject } from './stub-project.js';

const targets = loadAllTargets();
const images = new Map<string, FirmwareImage>();
let scratch = '';

// Three plain samples: the first two take the final exit (1), the negative one the early exit (0).
const samples = [
  [1, 2, 3, 4],
  [0.5, 0, -7.25, 1e6],
  [-5, 0, 6.5, 0.125],
];
// The stub runs input[1] iterations of a two-instruction loop first.
const loopIterations = [1_000, 100_000, 10_000_000] as const;

beforeAll(async () => {
  scratch = await makeScratchDir();
  // All targets at once: one make each, spread over the CPUs.
  await Promise.all(
    targets.map(async (target) => {
      const dir = await writeStubProject(join(scratch, target.name), target);
      images.set(target.name, await buildFirmware(dir, target, { jobs: 1 }));
    }),
  );
}, 600_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.each(targets.map((target) => [target.name, target] as [string, Target]))('%s', (_name, target) => {
  // Emulator targets and boards QEMU runs count instructions; the host runs natively; a board without an emulator only builds.
  const emulated = target.emulator !== undefined;
  const embedded = target.kind !== 'host';

  it('builds an image whose flash and RAM are those of a small firmware', () => {
    const image = images.get(target.name)!;
    expect(image.elfPath).toMatch(embedded ? /stub\.elf$/ : /stub$/);
    expect(image.flash_bytes).toBe(image.text_bytes + image.data_bytes);
    expect(image.ram_bytes).toBe(image.data_bytes + image.bss_bytes);
    // main's two 16-byte tensor buffers are in .bss at least.
    expect(image.bss_bytes).toBeGreaterThanOrEqual(32);
    if (embedded) {
      expect(image.flash_bytes).toBeGreaterThan(1_000);
      expect(image.flash_bytes).toBeLessThan(8 * 1024);
      expect(image.ram_bytes).toBeLessThan(256);
      expect(image.stack_reserved_bytes).toBe(target.stackBytes);
    }
  });

  it('runs every sample: outputs are input + 1, exits follow the first input (a board without an emulator is refused)', async () => {
    if (embedded && !emulated) {
      await expect(runFirmware(images.get(target.name)!.elfPath, target, stubInput(samples), { samples: samples.length })).rejects.toThrow(
        /emulator/,
      );
      return;
    }
    const run = await runFirmware(images.get(target.name)!.elfPath, target, stubInput(samples), { samples: samples.length, timeoutMs: 120_000 });
    expect(run.outputs).toHaveLength(samples.length);
    run.outputs.forEach((output, index) => {
      expect(floatsOf(output)).toEqual(samples[index]!.map((value) => Math.fround(value + 1)));
    });
    expect(run.exits).toEqual([1, 1, 0]);
    if (emulated) {
      for (const count of run.instructions) expect(count).toBeGreaterThan(0);
      expect(run.stackBytes).toBeGreaterThan(0);
      expect(run.stackBytes).toBeLessThan(target.stackBytes);
    } else {
      expect(run.instructions).toEqual([null, null, null]);
      expect(run.stackBytes).toBeNull();
    }
  });
});

describe.each(targets.filter((target) => target.emulator !== undefined).map((target) => [target.name, target] as [string, Target]))(
  '%s instruction counting',
  (_name, target) => {
    it('is deterministic and within 1% of a known loop', async () => {
      const input = stubInput(loopIterations.map((iterations) => [1, iterations, 0, 0]));
      const options = { samples: loopIterations.length, timeoutMs: 120_000 };
      const [first, second] = await Promise.all([
        runFirmware(images.get(target.name)!.elfPath, target, input, options),
        runFirmware(images.get(target.name)!.elfPath, target, input, options),
      ]);
      expect(second.instructions).toEqual(first.instructions);
      expect(second.ticks).toEqual(first.ticks);

      const [atFirst, atSecond, atLast] = first.instructions as [number, number, number];
      // Two instructions per iteration; what the loop adds between two samples is exact up to rounding.
      const perIteration = (atSecond - atFirst) / (loopIterations[1] - loopIterations[0]);
      expect(perIteration).toBeGreaterThan(1.99);
      expect(perIteration).toBeLessThan(2.01);
      // The 10M-iteration sample spans many 24-bit SysTick wraps; the total stays within 1% of 2 per iteration.
      const ratio = atLast / (2 * loopIterations[2]);
      expect(ratio).toBeGreaterThan(0.99);
      expect(ratio).toBeLessThan(1.01);
      // Outputs are still input + 1 after the loop.
      expect(floatsOf(first.outputs[2]!)).toEqual([2, loopIterations[2] + 1, 1, 1]);
    });
  },
);
