// The default arena (--arena tflm) of single-layer models as a user builds them (`eennc run LAYER.onnx --calib
// ... --json`): a 1x1 convolution and a first layer, whose im2col scratch is their model's whole arena, keep it
// (within the TensorFlow Lite Micro plan's slack) and run within 1.3x of `--arena ram`'s instructions on
// Cortex-M4, where they ran 2 to 4.6 times slower without it.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { tflmArenaCeilingBytes } from '../../src/schedule/arena-budget.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eennc } from './cli-helpers.js';
import { LAYER_MODELS, writeLayerModel } from './layer-models.js';

/** The most instructions the default build may take over `--arena ram`'s. */
const DEFAULT_OVER_RAM = 1.3;

interface RunDocument {
  memory: { arena_bytes: number };
  samples: { instructions: number }[];
}

let scratch: string;
beforeAll(async () => {
  scratch = await makeTempDir('eennc-arena-tflm-');
});
afterAll(async () => {
  await removeTempDir(scratch);
});

/** `eennc run` of the model on its first calibration sample for cortex-m4, with `extra` flags. */
async function run(model: string, calib: string, ...extra: string[]): Promise<RunDocument> {
  const r = await eennc('run', model, '--target', 'cortex-m4', '--calib', calib, '--input', calib, '--count', '1', '--json', ...extra);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RunDocument;
}

describe('the default arena of single-layer models', () => {
  for (const name of ['conv1x1', 'first3x3']) {
    it(`${name}: within ${DEFAULT_OVER_RAM}x of --arena ram's instructions, the arena within the TFLite Micro plan and its slack`, async () => {
      const { model, calib } = writeLayerModel(
        LAYER_MODELS.find((l) => l.name === name)!,
        scratch,
      );
      const byDefault = await run(model, calib);
      const ram = await run(model, calib, '--arena', 'ram');
      expect(byDefault.samples[0]!.instructions).toBeLessThanOrEqual(DEFAULT_OVER_RAM * ram.samples[0]!.instructions);
      // The scratch that makes the difference is the whole arena of a one-layer model.
      expect(byDefault.memory.arena_bytes).toBeGreaterThan(0);
      const compiled = await compileModel({
        model,
        target: 'cortex-m4',
        precision: 'int8',
        calibration: { path: calib, method: 'percentile' },
        outDir: join(scratch, `${name}-plan`),
        link: false,
      });
      expect(byDefault.memory.arena_bytes).toBeLessThanOrEqual(tflmArenaCeilingBytes(compiled.graph));
    }, 300_000);
  }
});
