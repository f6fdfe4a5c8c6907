// `eennc accuracy --optimize-rounding` on examples/fmnist: the build learns the rounding of its four layers (two
// Conv, two Gemm), says so in a note, and the int8 model keeps the float model's top-1.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eennc, ROOT } from './cli-helpers.js';

const FMNIST = join(ROOT, 'examples', 'fmnist');
/** Calibration samples read (enough to sample every layer's inputs, few for the test's time). */
const CALIB_COUNT = '64';
/** The scale of calib_u8.npy's pixels (0..255 to 0..1). */
const PIXEL_SCALE = String(1 / 255);

describe('accuracy --optimize-rounding', () => {
  it('learns the rounding of every layer of examples/fmnist and prints the note', async () => {
    const r = await eennc(
      'accuracy',
      join(FMNIST, 'fmnist_cnn.onnx'),
      '--calib',
      join(FMNIST, 'calib_u8.npy'),
      '--calib-scale',
      PIXEL_SCALE,
      '--calib-count',
      CALIB_COUNT,
      '--data',
      join(FMNIST, 'test_inputs.npy'),
      '--labels',
      join(FMNIST, 'test_labels.npy'),
      '--optimize-rounding',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^optimizing rounding: 4\/4 layers/m);
    const note = /^note: int8: learned rounding of 4 layers \(output error (\d+)% below nearest rounding on average\)$/m.exec(r.stderr);
    expect(note, r.stderr).not.toBeNull();
    expect(Number(note![1])).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/top-1 on 16 samples: float32 100\.00%, int8 100\.00%/);
  });
});
