// The float reference against onnxruntime on whole models: the example and benchmark models (BatchNorm folded,
// PyTorch shape chains folded) and PyTorch-exported models from the ONNX test data, on seeded random inputs.

import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { sizeOf } from '../../src/ir/graph.js';
import { importModel } from '../../src/frontend/index.js';
import { runReference } from '../../src/frontend/reference.js';
import { randomFloats } from './build-graph.js';

const PYTORCH = '/usr/share/libonnx-testdata/data/pytorch-converted';
const MODELS = [
  'examples/fmnist/fmnist_cnn.onnx',
  'examples/bench/resnet8.onnx',
  'examples/bench/ds_cnn.onnx',
  'examples/bench/fc_autoencoder.onnx',
  `${PYTORCH}/test_Conv2d_groups/model.onnx`,
  `${PYTORCH}/test_ConvTranspose2d/model.onnx`,
  `${PYTORCH}/test_PixelShuffle/model.onnx`,
  `${PYTORCH}/test_MaxPool2d_stride_padding_dilation/model.onnx`,
  `${PYTORCH}/test_log_softmax_dim3/model.onnx`,
].filter((path) => existsSync(path));

describe('float reference vs onnxruntime', () => {
  it('has models to compare', () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(5);
  });

  for (const path of MODELS) {
    it(path.replace(`${PYTORCH}/`, '').replace('/model.onnx', ''), async () => {
      const { graph } = importModel(path);
      const session = await ort.InferenceSession.create(path);
      const feeds: Record<string, ort.Tensor> = {};
      const inputs: Record<string, { shape: number[]; dtype: 'float32'; data: Float32Array }> = {};
      graph.inputs.forEach((name, i) => {
        const shape = graph.tensors.get(name)!.shape;
        const data = randomFloats(sizeOf(shape), 100 + i);
        inputs[name] = { shape, dtype: 'float32', data };
        feeds[name] = new ort.Tensor('float32', data, shape);
      });
      const expected = await session.run(feeds);
      const actual = runReference(graph, inputs);
      for (const name of graph.outputs) {
        const e = expected[name]!;
        const a = actual[name]!;
        expect(a.shape).toEqual([...e.dims]);
        const want = e.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < want.length; i++) {
          worst = Math.max(worst, Math.abs(a.data[i]! - want[i]!) / (1e-5 + 1e-4 * Math.abs(want[i]!)));
        }
        expect(worst, `output "${name}": worst error in units of (atol 1e-5 + rtol 1e-4)`).toBeLessThanOrEqual(1);
      }
    });
  }
});
