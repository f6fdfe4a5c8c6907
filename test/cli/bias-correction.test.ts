// `eennc accuracy` on the Fashion-MNIST example with bias correction (the default) and with --no-bias-correction: the build says what the correction did, and the
// int8 tensors of its layers come closer to the float ones than without it.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eennc, ROOT } from './cli-helpers.js';

const EXAMPLE = join(ROOT, 'examples', 'fmnist');
const TEST_SET = '/usr/share/datasets/fashion-mnist';
/** uint8 pixels to [0, 1], as the model was trained. */
const PIXEL_SCALE = String(1 / 255);

/** `eennc accuracy --json` on 200 test images, calibrated on 200 images; the document and the notes (stderr). */
async function accuracy(...flags: string[]): Promise<{ layers: { node: string; op: string; sqnr_db: number }[]; stderr: string }> {
  const r = await eennc(
    'accuracy',
    join(EXAMPLE, 'fmnist_cnn.onnx'),
    '--calib',
    join(EXAMPLE, 'calib_u8.npy'),
    '--calib-scale',
    PIXEL_SCALE,
    '--calib-count',
    '200',
    '--data',
    join(TEST_SET, 't10k-images-idx3-ubyte.gz'),
    '--labels',
    join(TEST_SET, 't10k-labels-idx1-ubyte.gz'),
    '--scale',
    PIXEL_SCALE,
    '--count',
    '200',
    '--json',
    ...flags,
  );
  expect(r.exitCode).toBe(0);
  return { ...(JSON.parse(r.stdout) as { layers: { node: string; op: string; sqnr_db: number }[] }), stderr: r.stderr };
}

/** Mean SQNR (dB) of the int8 Conv and Gemm outputs. */
function layerSqnr(layers: { op: string; sqnr_db: number }[]): number {
  const weighted = layers.filter((l) => l.op === 'QConv' || l.op === 'QGemm');
  expect(weighted.length).toBe(4);
  return weighted.reduce((a, l) => a + l.sqnr_db, 0) / weighted.length;
}

describe('eennc accuracy with bias correction (the default) and --no-bias-correction', () => {
  it('notes the correction of the four layers and raises their SQNR', async () => {
    const [plain, corrected] = await Promise.all([accuracy('--no-bias-correction'), accuracy()]);
    expect(plain.stderr).not.toMatch(/bias correction/);
    expect(corrected.stderr).toMatch(/note: int8: bias correction on 4 layers \(largest shift \d+\.\d\d output steps, in \/\w+\/\w+\)/);
    expect(layerSqnr(corrected.layers)).toBeGreaterThan(layerSqnr(plain.layers));
  }, 300_000);
});
