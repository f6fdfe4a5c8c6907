// Pre-quantized models through the whole int8 pipeline: a QDQ or QOperator model is compiled without calibration
// data (its own scales and int8 weights are used), run as C on the host, and must equal the int8 reference bit for
// bit and onnxruntime's int8 results to within 2 steps of the output scale (onnxruntime requantizes in float, the
// C with a Q31 multiplier).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOutput, encodeSamples } from '../../src/io-codec.js';
import { compileModel } from '../../src/compile.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { calibrateCnn, cnnInputs, cnnWeights, CNN_INPUT, ortQdqCnn, qOperatorCnn } from './qdq-models.js';

const weights = cnnWeights(21);
const calibration = cnnInputs(16, 5);
const ranges = calibrateCnn(weights, calibration);
const dir = mkdtempSync(join(tmpdir(), 'eennc-qdq-int8-'));

describe('pre-quantized models compiled to int8', () => {
  for (const [title, model] of [
    ['QDQ, uint8 activations', ortQdqCnn(weights, ranges, 'uint8')],
    ['QOperator, int8 activations', qOperatorCnn(weights, ranges, 'int8')],
  ] as const) {
    it(`${title}: own scales and weights, bit-exact C, onnxruntime within 2 steps`, async () => {
      const path = join(dir, `${title.replace(/\W+/g, '_')}.onnx`);
      writeFileSync(path, encodeGraph(model.graph));
      const compiled = await compileModel({ model: path, target: 'host', precision: 'int8', outDir: join(dir, `${title.replace(/\W+/g, '_')}-out`) });
      const { graph } = compiled;
      expect(compiled.report.notes.join('\n')).toMatch(/states its own quantization/);
      // The model's own int8 weights, not re-quantized ones.
      const conv = graph.nodes.find((n) => n.op === 'QConv')!;
      expect(Array.from(graph.tensors.get(conv.inputs[1]!)!.data as Int8Array)).toEqual(Array.from(model.conv.q));
      expect(Array.from(graph.tensors.get(conv.inputs[2]!)!.data as Int32Array)).toEqual(Array.from(model.conv.bias));

      const samples = cnnInputs(5, 77);
      const input = graph.tensors.get(graph.inputs[0]!)!;
      const { encoded, bytes } = encodeSamples(input, samples);
      const run = await runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: samples.length, timeoutMs: 60_000 });
      const session = await ort.InferenceSession.create(path);
      const output = graph.tensors.get(graph.outputs[0]!)!;
      const step = output.quant!.scale[0]!;
      let worst = 0;
      for (let i = 0; i < samples.length; i++) {
        const got = decodeOutput(output, run.outputs[i]!);
        const reference = runInt8Reference(graph, { [input.name]: encoded[i]!.value })[output.name]!;
        expect(Array.from(got.raw)).toEqual(Array.from(reference.data as Int8Array));
        const want = (await session.run({ x: new ort.Tensor('float32', samples[i]!, CNN_INPUT) })).y!.data as Float32Array;
        for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got.float[k]! - want[k]!) / step);
      }
      expect(worst, `worst difference from onnxruntime in steps of ${step}`).toBeLessThanOrEqual(2);
    });
  }
});
