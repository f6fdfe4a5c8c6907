// The int8 compile-time bar, measured once for every bench that reports it (bench:int8, bench:accuracy): the
// Fashion-MNIST example built and linked for cortex-m4 with calibration on 1,000 images, which must take under 10 s.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModel, type CalibrationSource } from '../src/compile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The compile-time bar for the fmnist build with 1,000 calibration images. */
export const COMPILE_BAR_SECONDS = 10;
/** The Fashion-MNIST example's calibration as its README gives it: 1,000 training images, pixels times 1/255, percentile. */
export const FMNIST_CALIBRATION: CalibrationSource = {
  path: join(ROOT, 'examples/fmnist/calib_u8.npy'),
  scale: 1 / 255,
  count: 1000,
  method: 'percentile',
};

/** What the bar measured. */
export interface CompileTime {
  seconds: number;
  bar: 'PASS' | 'FAIL';
}

/** Build and link examples/fmnist for cortex-m4 in int8 into `workDir`, timed against COMPILE_BAR_SECONDS. */
export async function measureCompileTime(workDir: string): Promise<CompileTime> {
  const started = performance.now();
  await compileModel({
    model: join(ROOT, 'examples/fmnist/fmnist_cnn.onnx'),
    target: 'cortex-m4',
    precision: 'int8',
    outDir: join(workDir, 'compile-time'),
    calibration: FMNIST_CALIBRATION,
    link: true,
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, bar: seconds < COMPILE_BAR_SECONDS ? 'PASS' : 'FAIL' };
}
