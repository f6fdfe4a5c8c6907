// `eennc accuracy --equalize` on examples/fmnist: the equalized model keeps its accuracy, and the per-layer SQNR
// leaves out the tensors whose values equalization changed (they no longer match the float model's by name).

import { describe, expect, it } from 'vitest';
import { eennc } from './cli-helpers.js';

/** Calibration samples: few, so that the command runs in seconds. */
const CALIBRATION_SAMPLES = '200';

/** One layer row of `accuracy --json`. */
interface LayerJson {
  tensor: string;
  sqnr_db: number | null;
}

async function accuracy(...more: string[]): Promise<{ float_top1: number; int8_top1: number; layers: LayerJson[] }> {
  const r = await eennc(
    'accuracy',
    'examples/fmnist/fmnist_cnn.onnx',
    '--calib',
    'examples/fmnist/calib_u8.npy',
    '--calib-scale',
    String(1 / 255),
    '--calib-count',
    CALIBRATION_SAMPLES,
    '--data',
    'examples/fmnist/test_inputs.npy',
    '--labels',
    'examples/fmnist/test_labels.npy',
    '--json',
    ...more,
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('eennc accuracy --equalize (the default) and --no-equalize', () => {
  it('equalizes fmnist without losing accuracy, and compares every layer with the equalized float graph', async () => {
    const plain = await accuracy('--no-equalize');
    const equalized = await accuracy();
    expect(equalized.float_top1).toBe(plain.float_top1);
    expect(equalized.int8_top1).toBeGreaterThanOrEqual(plain.int8_top1);
    // Every activation between the three layer pairs (conv1 -> conv2 -> fc1 -> fc2) changed and was renamed; each is
    // compared with its equalized float tensor, so every layer keeps its row.
    expect(plain.layers.map((l) => l.tensor)).toContain('/MaxPool_output_0');
    expect(equalized.layers.map((l) => l.tensor)).toContain('/MaxPool_output_0_equalized');
    expect(equalized.layers).toHaveLength(plain.layers.length);
    const logits = (layers: LayerJson[]) => layers.find((l) => l.tensor === 'logits')!.sqnr_db!;
    expect(logits(equalized.layers)).toBeGreaterThan(logits(plain.layers) - 1);
    // A layer compared with the wrong float tensor (the model's, not the equalized one) would measure near 0 dB.
    for (const layer of equalized.layers) expect(layer.sqnr_db!).toBeGreaterThan(25);
  });
});
