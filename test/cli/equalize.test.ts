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

describe('eennc accuracy --equalize', () => {
  it('equalizes fmnist without losing accuracy, and compares only the tensors it left unchanged', async () => {
    const plain = await accuracy();
    const equalized = await accuracy('--equalize');
    expect(equalized.float_top1).toBe(plain.float_top1);
    expect(equalized.int8_top1).toBeGreaterThanOrEqual(plain.int8_top1);
    // Every activation between the three layer pairs (conv1 -> conv2 -> fc1 -> fc2) changed: only the output is left.
    expect(plain.layers.map((l) => l.tensor)).toContain('/MaxPool_output_0');
    expect(equalized.layers.map((l) => l.tensor)).toEqual(['logits']);
    const logits = (layers: LayerJson[]) => layers.find((l) => l.tensor === 'logits')!.sqnr_db!;
    expect(logits(equalized.layers)).toBeGreaterThan(logits(plain.layers) - 1);
  });
});
