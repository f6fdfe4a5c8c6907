// The BranchyNet-style example (examples/fmnist_branchy): the shipped model states its exits in metadata_props,
// onnxruntime reproduces PyTorch's outputs of every exit, and the int8 reference with those exits lets some of the
// 16 test images leave early.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../../src/compile.js';
import { readNpy } from '../../src/data/index.js';
import { int8ReferenceRun } from '../../src/exit-reference.js';
import { attachExits, resolveExits } from '../../src/exits/index.js';
import { importModel } from '../../src/frontend/index.js';
import { sizeOf } from '../../src/ir/graph.js';
import { encodeInput } from '../../src/io-codec.js';

const DIR = 'examples/fmnist_branchy';
const MODEL = `${DIR}/fmnist_branchy.onnx`;
const EXITS = ['exit0', 'exit1', 'logits'];

describe('examples/fmnist_branchy', () => {
  it('states its exits, policy and thresholds in metadata_props', () => {
    const { graph } = importModel(MODEL);
    expect(graph.outputs).toEqual(EXITS);
    expect(graph.metadata?.['eennc.exits']).toBe(EXITS.join(','));
    expect(graph.metadata?.['eennc.exit_policy']).toBe('max-softmax');
    const notes: string[] = [];
    const resolved = resolveExits(graph, {}, notes);
    expect(resolved?.source).toBe('metadata');
    expect(resolved?.outputs).toEqual(EXITS);
    expect(resolved?.thresholds).toHaveLength(EXITS.length - 1);
    for (const t of resolved!.thresholds) expect(t > 0 && t <= 1, `threshold ${t}`).toBe(true);
  });

  it("onnxruntime gives PyTorch's outputs of every exit on the test images", async () => {
    const inputs = readNpy(`${DIR}/test_inputs.npy`);
    const expected = readNpy(`${DIR}/expected_exits.npy`); // [exits, samples, classes]
    const final = readNpy(`${DIR}/expected_float.npy`);
    const [exits, samples, classes] = expected.shape as [number, number, number];
    expect(exits).toBe(EXITS.length);
    expect(Array.from(final.data)).toEqual(Array.from(expected.data.subarray((exits - 1) * samples * classes)));
    const session = await ort.InferenceSession.create(MODEL);
    const size = sizeOf(inputs.shape.slice(1));
    for (let s = 0; s < samples; s++) {
      const data = (inputs.data as Float32Array).slice(s * size, (s + 1) * size);
      const got = await session.run({ input: new ort.Tensor('float32', data, [1, ...inputs.shape.slice(1)]) });
      EXITS.forEach((name, k) => {
        const want = expected.data.subarray((k * samples + s) * classes, (k * samples + s + 1) * classes);
        const out = got[name]!.data as Float32Array;
        for (let c = 0; c < classes; c++) expect(Math.abs(out[c]! - want[c]!), `${name}, sample ${s}, class ${c}`).toBeLessThanOrEqual(1e-4);
      });
    }
  });

  it('takes an early exit on some of the 16 test images in the int8 reference', async () => {
    const { graph: floatGraph } = importModel(MODEL);
    const resolved = resolveExits(floatGraph, {}, []);
    const calibration = { path: `${DIR}/calib_u8.npy`, scale: 1 / 255, count: 200, method: 'percentile' as const };
    const graph = attachExits(await quantizeModel(floatGraph, { model: MODEL, calibration }), resolved!);
    const input = graph.tensors.get(graph.inputs[0]!)!;
    const images = readNpy(`${DIR}/test_inputs.npy`).data as Float32Array;
    const size = sizeOf(input.shape);
    const taken = Array.from({ length: images.length / size }, (_, s) => {
      const encoded = encodeInput(input, images.subarray(s * size, (s + 1) * size), s);
      return int8ReferenceRun(graph, { [input.name]: encoded.value }).exit;
    });
    expect(taken).toHaveLength(16);
    expect(taken.filter((exit) => exit < EXITS.length - 1).length, `exits taken: ${taken.join(',')}`).toBeGreaterThan(0);
  });
});
