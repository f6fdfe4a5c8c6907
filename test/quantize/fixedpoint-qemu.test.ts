// The int8 arithmetic on real Cortex-M cores: eenn_fixedpoint.h built into a stub model with the firmware runtime,
// run in QEMU on the differential vectors, bit for bit against src/quantize/fixedpoint.ts.

import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { loadTarget, type Target } from '../../src/target/target.js';
import { buildFirmware, type FirmwareImage } from '../../src/toolchain/build.js';
import { runFirmware } from '../../src/toolchain/run.js';
import { buildVectors, bytesOf, mismatches, OP, paddedTo, RECORD_WORDS } from './fixedpoint-vectors.js';
import { Random } from './random.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const SAMPLE_RECORDS = 128; // FIXEDPOINT_SAMPLE_RECORDS in fixtures/fixedpoint-model.h

// Armv6-M with soft float, Armv7E-M with DSP and FPv4, Armv8.1-M with MVE.
const targets = ['cortex-m0plus', 'cortex-m4', 'cortex-m55'].map((name) => loadTarget(name));

async function writeProject(dir: string, target: Target): Promise<string> {
  const files = renderFirmware(target, {
    modelName: 'fixedpoint',
    kernelSources: [],
    inputBytes: [SAMPLE_RECORDS * RECORD_WORDS * 4],
    outputBytes: [SAMPLE_RECORDS * 4],
  });
  for (const [path, contents] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
  await copyFile(join(root, 'templates/c/runtime/eenn_fixedpoint.h'), join(dir, 'runtime/eenn_fixedpoint.h'));
  await copyFile(join(here, 'fixedpoint-ops.h'), join(dir, 'fixedpoint-ops.h'));
  await copyFile(join(here, 'fixtures/fixedpoint-model.h'), join(dir, 'model.h'));
  await copyFile(join(here, 'fixtures/fixedpoint-model.c'), join(dir, 'model.c'));
  return dir;
}

// All the host vectors (about 495000; QEMU runs them in well under a second), padded to whole samples.
const vectors = paddedTo(buildVectors(new Random(0x5eed)), SAMPLE_RECORDS);
const images = new Map<string, FirmwareImage>();
let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eenn-fixedpoint-qemu-'));
  await Promise.all(
    targets.map(async (target) => {
      const dir = await writeProject(join(scratch, target.name), target);
      images.set(target.name, await buildFirmware(dir, target, { jobs: 1 }));
    }),
  );
}, 180_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('eenn_fixedpoint.h in QEMU against fixedpoint.ts', () => {
  it('covers every operation', () => {
    expect(new Set(vectors.ops).size).toBe(Object.keys(OP).length);
    expect(vectors.expected.length).toBeGreaterThan(400000);
  });

  for (const target of targets) {
    it(`gives the same bits on ${target.name}`, async () => {
      const samples = vectors.expected.length / SAMPLE_RECORDS;
      const run = await runFirmware(images.get(target.name)!.elfPath, target, bytesOf(vectors), { samples, timeoutMs: 60_000 });
      const results = new Int32Array(vectors.expected.length);
      run.outputs.forEach((bytes, sample) => {
        results.set(new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), sample * SAMPLE_RECORDS);
      });
      expect(run.outputs).toHaveLength(samples);
      expect(mismatches(vectors, results)).toEqual([]);
    });
  }
});
