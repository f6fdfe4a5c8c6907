// Test helper: writes a complete firmware project around the hand-written stub models in fixtures/, the way
// `eennc build` lays out a generated one (model.c/model.h, kernels/, then renderFirmware's files).

import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderFirmware, type FirmwareOptions } from '../../src/codegen/firmware.js';
import type { Target } from '../../src/target/target.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Stub model variants: fixtures/<variant>.c becomes model.c. */
export type StubVariant = 'add-one' | 'hang' | 'fault' | 'fail' | 'stack-overflow';

export const STUB_OPTIONS: FirmwareOptions = {
  modelName: 'stub',
  kernelSources: ['kernels/eenn_add_scalar_f32.c'],
  inputBytes: [16],
  outputBytes: [16],
};

/** A fresh temporary folder for one test's projects. */
export function makeScratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'eennc-toolchain-test-'));
}

/** Write the stub project for `target` into `dir` and return `dir`. */
export async function writeStubProject(dir: string, target: Target, variant: StubVariant = 'add-one'): Promise<string> {
  await mkdir(join(dir, 'kernels'), { recursive: true });
  for (const [path, contents] of renderFirmware(target, STUB_OPTIONS)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
  await copyFile(join(FIXTURES, 'model.h'), join(dir, 'model.h'));
  await copyFile(join(FIXTURES, `${variant}.c`), join(dir, 'model.c'));
  for (const file of ['eenn_add_scalar_f32.c', 'eenn_add_scalar_f32.h']) {
    await copyFile(join(FIXTURES, 'kernels', file), join(dir, 'kernels', file));
  }
  return dir;
}

/** Samples of the stub's one input (four float32 each), back to back. */
export function stubInput(samples: number[][]): Uint8Array {
  const values = new Float32Array(samples.length * 4);
  samples.forEach((sample, index) => values.set(sample, index * 4));
  return new Uint8Array(values.buffer);
}

/** The float32 values in raw output bytes. */
export function floatsOf(bytes: Uint8Array): number[] {
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}
