// int8 linear and cubic Resize (QResize): the quantize stage builds Q10 sampling tables from the operator, the C
// (host build) equals the int8 reference bit for bit, and both stay within 2 steps of the float reference.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOutput, encodeInput } from '../../src/io-codec.js';
import { compileModel } from '../../src/compile.js';
import { writeNpy } from '../../src/data/index.js';
import { runReference } from '../../src/frontend/index.js';
import { sizeOf } from '../../src/ir/graph.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { fixedPointWeights } from '../../src/quantize/rewrite/resize.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { buildGraph, randomFloats, scratchDir, writeScratch } from '../frontend/build-graph.js';

describe('int8 Resize', () => {
  it('rounds the weights of each output to sum exactly to 1024', () => {
    const w = fixedPointWeights([0.3333, 0.6667, 0.5, 0.5, -0.07, 0.57, 0.57, -0.07], 2);
    expect(w.slice(0, 2)).toEqual([341, 683]);
    for (let o = 0; o < w.length; o += 2) expect(w[o]! + w[o + 1]!).toBe(1024);
  });

  for (const [mode, extra] of [
    ['linear', { coordinate_transformation_mode: 'half_pixel' }],
    ['linear', { coordinate_transformation_mode: 'align_corners' }],
    ['cubic', { coordinate_transformation_mode: 'half_pixel' }],
  ] as const) {
    it(`${mode} (${extra.coordinate_transformation_mode}) upsampling: C equals the int8 reference, float within 2 steps`, async () => {
      const graph = buildGraph({
        inputs: { x: ['float32', [1, 2, 5, 6]] },
        constants: { scales: ['float32', [4], [1, 1, 2, 1.5]] },
        nodes: [['Resize', ['x', '', 'scales'], ['y'], { mode, ...extra }, 'resize']],
        outputs: ['y'],
      });
      const name = `resize_${mode}_${extra.coordinate_transformation_mode}`;
      const model = writeScratch(`${name}.onnx`, graph);
      const calib = join(scratchDir(), `${name}_calib.npy`);
      const samples = [1, 2, 3, 4].map((seed) => randomFloats(60, seed));
      writeNpy(calib, [4, 1, 2, 5, 6], Float32Array.from(samples.flatMap((s) => Array.from(s))));
      const compiled = await compileModel({
        model,
        target: 'host',
        precision: 'int8',
        outDir: join(scratchDir(), `${name}-out`),
        calibration: { path: calib, method: 'minmax' },
      });
      expect(compiled.graph.nodes.map((n) => n.op)).toEqual(['QResize']);
      const input = compiled.graph.tensors.get('x')!;
      const output = compiled.graph.tensors.get('y')!;
      expect(output.shape).toEqual([1, 2, 10, 9]);
      const encoded = samples.map((s) => encodeInput(input, s));
      const bytes = new Uint8Array(4 * 60);
      encoded.forEach((e, i) => bytes.set(e.bytes, i * 60));
      const run = await runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: 4, timeoutMs: 60_000 });
      const step = output.quant!.scale[0]!;
      let worst = 0;
      for (let i = 0; i < 4; i++) {
        const got = decodeOutput(output, run.outputs[i]!);
        const want = runInt8Reference(compiled.graph, { x: encoded[i]!.value })['y']!;
        expect(Array.from(got.raw)).toEqual(Array.from(want.data as Int8Array));
        const float = runReference(compiled.floatGraph, { x: { shape: [1, 2, 5, 6], dtype: 'float32', data: samples[i]! } })['y']!;
        expect(float.data.length).toBe(sizeOf(output.shape));
        for (let k = 0; k < float.data.length; k++) worst = Math.max(worst, Math.abs(got.float[k]! - Number(float.data[k])) / step);
      }
      expect(worst).toBeLessThanOrEqual(2);
    });
  }
});
