// The QDQ import end to end against onnxruntime: quantized models built in code (onnxruntime's QDQ and
// QOperator formats, uint8 and int8 activations) are saved, loaded back and imported. The float graph, with the
// imported scales applied back as fake quantization (divide, round, clamp, multiply), must give onnxruntime's
// outputs on the quantized model to within 1 step of the output scale: the scales, zero points, weights, biases
// and folded Relus are the model's. The plain float graph (no intermediate rounding, no saturation) must stay
// within 2 steps on the calibration inputs (where no activation leaves its quantized range).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/load.js';
import { runReference } from '../../src/frontend/reference.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { importQdq } from '../../src/quantize/import-qdq.js';
import { calibrateCnn, cnnInputs, cnnWeights, CNN_INPUT, ortQdqCnn, qOperatorCnn, withFakeQuantization, type QuantizedCnn } from './qdq-models.js';

const weights = cnnWeights(21);
const calibration = cnnInputs(16, 5);
const ranges = calibrateCnn(weights, calibration);
const fresh = cnnInputs(6, 99);
const dir = mkdtempSync(join(tmpdir(), 'eennc-qdq-'));

const MODELS: [string, () => QuantizedCnn][] = [
  ['QDQ, uint8 activations', () => ortQdqCnn(weights, ranges, 'uint8')],
  ['QDQ, int8 activations', () => ortQdqCnn(weights, ranges, 'int8')],
  ['QOperator, uint8 activations', () => qOperatorCnn(weights, ranges, 'uint8')],
  ['QOperator, int8 activations', () => qOperatorCnn(weights, ranges, 'int8')],
];

describe('QDQ import vs onnxruntime', () => {
  MODELS.forEach(([title, build], index) => {
    it(title, async () => {
      const model = build();
      const path = join(dir, `model-${index}.onnx`);
      writeFileSync(path, encodeGraph(model.graph));
      const { graph, overrides } = importQdq(loadModel(path));
      const fake = withFakeQuantization(graph, overrides.activations);
      const session = await ort.InferenceSession.create(path);
      const step = model.params.y.scale;
      let worstFake = 0;
      let worstFloat = 0;
      let spread = 0;
      for (const data of [...calibration, ...fresh]) {
        const calibrated = calibration.includes(data);
        const feeds = { x: { shape: CNN_INPUT, dtype: 'float32' as const, data } };
        const want = (await session.run({ x: new ort.Tensor('float32', data, CNN_INPUT) })).y!.data as Float32Array;
        const float = runReference(graph, feeds).y!;
        const emulated = runReference(fake.graph, feeds)[fake.outputs.get('y')!]!;
        expect(float.shape).toEqual([1, 5]);
        for (let i = 0; i < want.length; i++) {
          worstFake = Math.max(worstFake, Math.abs(emulated.data[i]! - want[i]!) / step);
          if (calibrated) worstFloat = Math.max(worstFloat, Math.abs(float.data[i]! - want[i]!) / step);
          spread = Math.max(spread, Math.abs(want[i]!) / step);
        }
      }
      // The outputs span many steps (a test that could not fail otherwise).
      expect(spread).toBeGreaterThan(30);
      expect(worstFake, `worst difference in steps of the output scale ${step}`).toBeLessThanOrEqual(1);
      expect(worstFloat, 'worst difference of the plain float graph, in steps of the output scale').toBeLessThanOrEqual(2);
    });
  });
});
