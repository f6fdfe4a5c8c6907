// The Fashion-MNIST example end to end on the host: importModel -> planMemory -> emitModel -> gcc, all 16 test
// images, compared with the float reference, with PyTorch's logits and with the labels.

import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/data/index.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { compareOutputs, runOnHost, type HostCase, type HostResult } from './host-run.js';

const DIR = 'examples/fmnist';

describe('Fashion-MNIST CNN compiled to float32 C (host gcc)', () => {
  let graph: Graph;
  let cases: HostCase[];
  let results: HostResult[];
  const images = readNpy(`${DIR}/test_inputs.npy`);
  const expected = readNpy(`${DIR}/expected_float.npy`);
  const labels = readNpy(`${DIR}/test_labels.npy`);

  beforeAll(async () => {
    graph = importModel(`${DIR}/fmnist_cnn.onnx`).graph;
    const count = images.shape[0]!;
    const size = 28 * 28;
    cases = Array.from({ length: count }, (_, i) => ({
      name: `fmnist_${i}`,
      graph,
      inputs: {
        [graph.inputs[0]!]: { shape: [1, 1, 28, 28], dtype: 'float32' as const, data: (images.data as Float32Array).slice(i * size, (i + 1) * size) },
      },
    }));
    results = await runOnHost(cases);
  }, 240_000);

  it('matches the float reference on every image (rtol 1e-4, atol 1e-5)', () => {
    cases.forEach((c, i) => {
      const reference = runReference(graph, c.inputs)[graph.outputs[0]!]!;
      const check = compareOutputs(results[i]!.outputs[0]!, reference.data as Float32Array, 1e-4, 1e-5);
      expect(check.ok, `image ${i}: max error ${check.maxError}`).toBe(true);
    });
  });

  it("matches PyTorch's logits and classifies all 16 images correctly", () => {
    cases.forEach((_, i) => {
      const logits = results[i]!.outputs[0]!;
      const torch = (expected.data as Float32Array).subarray(i * 10, (i + 1) * 10);
      expect(compareOutputs(logits, torch, 1e-4, 1e-4).ok, `image ${i}`).toBe(true);
      const predicted = logits.indexOf(Math.max(...logits));
      expect(predicted).toBe(Number(labels.data[i]));
    });
  });

  it('needs far less arena than one buffer per tensor', () => {
    const plan = results[0]!.plan;
    // conv1's output and the pooled map are alive together: the least any plan can do, and this one does it.
    expect(plan.arenaBytes).toBe(plan.lowerBoundBytes);
    expect(plan.arenaBytes).toBeLessThan(plan.naiveBytes / 2);
  });
});
