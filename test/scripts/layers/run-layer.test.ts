// The measurement behind each row of `npm run bench:layers` (scripts/layers/run-layer.ts) on one small layer: a
// float ONNX fully connected layer built as `eennc run` builds it, run in QEMU on Cortex-M4 and Cortex-M55, bit-exact,
// a plain int8 build, and a cycle estimate over the same instructions QEMU counted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAYER_MODELS, writeLayerModel } from '../../../scripts/layers/layer-models.js';
import { runLayer } from '../../../scripts/layers/run-layer.js';
import { loadTarget } from '../../../src/target/target.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-run-layer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runLayer', () => {
  const layer = LAYER_MODELS.find((l) => l.file === 'fc256')!;
  const files = writeLayerModel(layer, dir, 7);

  it.each(['cortex-m4', 'cortex-m55'])(
    'measures a fully connected 256 -> 64 on %s',
    async (name) => {
      const run = await runLayer(files, loadTarget(name), join(dir, name));
      expect(run.mismatches).toBe(0);
      expect(run.plainInt8).toBe(true);
      expect(run.kernels).toEqual(['eenn_fc_s8']);
      expect(run.instructions).toBeGreaterThan(layer.macs / 16);
      expect(run.instructions).toBeLessThan(layer.macs * 4);
      // The trace covers eenn_run() as -icount does (the counter's own reads aside).
      expect(Math.abs(run.cycles!.instructions - run.instructions)).toBeLessThan(100);
      expect(run.cycles!.cycles).toBeGreaterThan(run.cycles!.instructions);
    },
    120_000,
  );
});
