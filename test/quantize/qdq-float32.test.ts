// float32 builds of models that state their own quantization compute what the model computes: each quantized
// activation rounded (half to even) and saturated to its grid, compared with the model's own float reference
// (QuantizeLinear / DequantizeLinear as ONNX defines them) and with onnxruntime. A model whose inputs or outputs are
// int8/uint8 (a QuantizeLinear writing a model output, a DequantizeLinear reading a model input) keeps them: the
// float32 build computes those nodes as ONNX defines them, with integer inputs and outputs. An int8 build takes it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { importModel } from '../../src/frontend/index.js';
import { runReference } from '../../src/frontend/reference.js';
import { encodeGraph } from '../../src/frontend/save.js';
import type { Graph } from '../../src/ir/graph.js';
import { decodeOutput, encodeSamples } from '../../src/io-codec.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { calibrateCnn, cnnInputs, cnnWeights, CNN_INPUT, ModelBuilder, ortQdqCnn, qOperatorCnn } from './qdq-models.js';
import { Random } from './random.js';

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir('eennc-qdq-float32-io-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** x (float32) -> QuantizeLinear(scale 2, zero point 128) -> y (uint8), the ONNX backend case with constant parameters. */
function quantizeOutput(): string {
  const b = new ModelBuilder();
  b.input('x', [1, 6]);
  b.scale('s', 2);
  b.zeroPoint('zp', 'uint8', 128);
  b.node('QuantizeLinear', ['x', 's', 'zp'], ['y'], {}, '', 'quantize_y');
  b.tensors.set('y', { name: 'y', shape: [1, 6], dtype: 'uint8' });
  b.outputs.push('y');
  const path = join(dir, 'quantize-output.onnx');
  writeFileSync(path, encodeGraph(b.graph()));
  return path;
}

/** x (uint8) -> DequantizeLinear(scale 2, zero point 128) -> y (float32). */
function dequantizeInput(): string {
  const b = new ModelBuilder();
  b.input('x', [1, 4], 'uint8');
  b.scale('s', 2);
  b.zeroPoint('zp', 'uint8', 128);
  b.node('DequantizeLinear', ['x', 's', 'zp'], ['y'], {}, '', 'dequantize_x');
  b.tensors.set('y', { name: 'y', shape: [1, 4], dtype: 'float32' });
  b.outputs.push('y');
  const path = join(dir, 'dequantize-input.onnx');
  writeFileSync(path, encodeGraph(b.graph()));
  return path;
}

describe('float32 builds of models with int8/uint8 inputs or outputs', () => {
  /** Build `model` for the host in float32, run one sample of raw input bytes and return the raw output bytes. */
  async function runRaw(model: string, name: string, input: Uint8Array): Promise<{ graph: Graph; output: Uint8Array }> {
    const compiled = await compileModel({ model, target: 'host', precision: 'float32', outDir: join(dir, name) });
    const run = await runFirmware(compiled.image!.elfPath, compiled.target, input, { samples: 1, timeoutMs: 60_000 });
    return { graph: compiled.graph, output: run.outputs[0]! };
  }

  it('a QuantizeLinear writing a model output: a uint8 output computed as ONNX defines it', async () => {
    const x = Float32Array.of(0, 2, 3, -5, 1000, -1000); // 3 / 2 = 1.5 rounds to even 2, -5 / 2 = -2.5 to -2
    const { graph, output } = await runRaw(quantizeOutput(), 'quantize-output', new Uint8Array(x.buffer));
    expect(graph.tensors.get('y')!.dtype).toBe('uint8');
    expect([...output]).toEqual([128, 129, 130, 126, 255, 0]);
  });

  it('a QuantizeLinear to int8 whose output the model declares float32 writes int8 all the same', async () => {
    const b = new ModelBuilder();
    b.input('x', [1, 6]);
    b.scale('s', 2);
    b.zeroPoint('zp', 'int8', 0);
    b.node('QuantizeLinear', ['x', 's', 'zp'], ['y'], {}, '', 'quantize_y');
    b.outputs.push('y'); // declared float32, as a model without a type for it reads
    const path = join(dir, 'quantize-output-untyped.onnx');
    writeFileSync(path, encodeGraph(b.graph()));
    const x = Float32Array.of(0, 2, -2, 255, -300, 7);
    const { graph, output } = await runRaw(path, 'quantize-output-untyped', new Uint8Array(x.buffer));
    expect(graph.tensors.get('y')!.dtype).toBe('int8');
    expect([...new Int8Array(output.buffer, output.byteOffset, output.length)]).toEqual([0, 1, -1, 127, -128, 4]);
  });

  it('a DequantizeLinear reading a model input: a uint8 input, (x - 128) * 2 out', async () => {
    const { graph, output } = await runRaw(dequantizeInput(), 'dequantize-input', Uint8Array.of(0, 128, 129, 255));
    expect(graph.tensors.get('x')!.dtype).toBe('uint8');
    expect([...new Float32Array(output.slice().buffer)]).toEqual([-256, 0, 2, 254]);
  });

  it('an int8 build of the same model takes it: the output is int8 with the stated scale', async () => {
    const compiled = await compileModel({ model: quantizeOutput(), target: 'host', precision: 'int8', link: false, outDir: join(dir, 'int8') });
    const y = compiled.graph.tensors.get('y')!;
    expect(y.dtype).toBe('int8');
    expect(scaleZeroOf(y)).toEqual({ scale: 2, zeroPoint: 0 });
  });
});

/** Build `graph` for the host in float32, run `samples` and return each sample's outputs (the first output). */
async function runFloat32(graph: Graph, name: string, samples: Float32Array[]): Promise<{ path: string; outputs: Float32Array[]; notes: string[] }> {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, encodeGraph(graph));
  const compiled = await compileModel({ model: path, target: 'host', precision: 'float32', outDir: join(dir, `${name}-out`) });
  const input = compiled.graph.tensors.get(compiled.graph.inputs[0]!)!;
  const output = compiled.graph.tensors.get(compiled.graph.outputs[0]!)!;
  const { bytes } = encodeSamples(input, samples);
  const run = await runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: samples.length, timeoutMs: 60_000 });
  return { path, outputs: run.outputs.map((o) => decodeOutput(output, o!).float as Float32Array), notes: compiled.report.notes };
}

/** The model as ONNX defines it (no QDQ import: QuantizeLinear and DequantizeLinear run as operators). */
function modelReference(path: string, sample: Float32Array, shape: number[]): Float32Array {
  const graph = importModel(path).graph;
  const out = runReference(graph, { [graph.inputs[0]!]: { shape, dtype: 'float32', data: sample } });
  return out[graph.outputs[0]!]!.data as Float32Array;
}

describe('float32 builds of quantized models compute what the model computes', () => {
  it('x -> QuantizeLinear -> DequantizeLinear -> y: ties to even, saturation at both ends, bit for bit', async () => {
    const b = new ModelBuilder();
    b.input('x', [1, 8]);
    b.qdq('x', { scale: 0.5, zeroPoint: 10, dtype: 'uint8' });
    const last = b.nodes[b.nodes.length - 1]!;
    last.outputs = ['y'];
    b.tensors.delete('x_dequantized');
    b.tensors.set('y', { name: 'y', shape: [1, 8], dtype: 'float32' });
    b.outputs.push('y');
    // x / 0.5: 0.5 and 1.5 tie (to 0 and 2), 2.5 -> 2, -2.5 -> -2; 1000 and -1000 saturate at 255 and 0.
    const sample = Float32Array.of(0.25, 0.75, 1.25, -1.25, 0.3, 1000, -1000, 3.1);
    const { path, outputs, notes } = await runFloat32(b.graph(), 'pair', [sample]);
    expect(Array.from(outputs[0]!)).toEqual([0, 1, 1, -1, 0.5, 122.5, -5, 3]);
    expect(Array.from(outputs[0]!)).toEqual(Array.from(modelReference(path, sample, [1, 8])));
    expect(notes.join('\n')).toMatch(/rounded to their scales in float32/);
  });

  it('an int8 pair with a scale that is no power of two: values at and beside every tie, bit for bit with the model reference', async () => {
    const scale = 0.00392156862745098; // 1/255 as onnxruntime states it
    const zeroPoint = -3;
    // (k + 0.5) * scale for every step k in range and beyond, and the float32 neighbours 1 and 2 ulps either side:
    // there x / scale and x * (1 / scale) round to different integers for some k, and ties go to even.
    const values: number[] = [];
    const bits = new Float32Array(1);
    const word = new Uint32Array(bits.buffer);
    for (let k = -140; k < 140; k++) {
      for (let ulps = -2; ulps <= 2; ulps++) {
        bits[0] = (k + 0.5) * scale;
        word[0] = word[0]! + ulps;
        values.push(bits[0]);
      }
    }
    const random = new Random(5);
    while (values.length < 2048) values.push(random.uniform(-0.6, 0.6));
    const size = values.length;
    const b = new ModelBuilder();
    b.input('x', [1, size]);
    b.qdq('x', { scale, zeroPoint, dtype: 'int8' });
    const last = b.nodes[b.nodes.length - 1]!;
    last.outputs = ['y'];
    b.tensors.delete('x_dequantized');
    b.tensors.set('y', { name: 'y', shape: [1, size], dtype: 'float32' });
    b.outputs.push('y');
    const sample = Float32Array.from(values);
    const { path, outputs } = await runFloat32(b.graph(), 'pair-int8', [sample]);
    const want = modelReference(path, sample, [1, size]);
    expect(Array.from(outputs[0]!)).toEqual(Array.from(want));
    // Both ends saturate: -128 and 127 less the zero point, in steps.
    expect(Math.min(...want)).toBe(Math.fround(Math.fround(-128 - zeroPoint) * Math.fround(scale)));
    expect(Math.max(...want)).toBe(Math.fround(Math.fround(127 - zeroPoint) * Math.fround(scale)));
  });

  it('a QDQ network (uint8, per-channel int8 weights): the model reference and onnxruntime within one output step', async () => {
    const weights = cnnWeights(21);
    const model = ortQdqCnn(weights, calibrateCnn(weights, cnnInputs(16, 5)), 'uint8');
    const samples = cnnInputs(5, 77);
    const { path, outputs } = await runFloat32(model.graph, 'qdq-cnn', samples);
    const step = model.params.y.scale;
    const session = await ort.InferenceSession.create(path);
    let worstReference = 0;
    let worstOrt = 0;
    for (let i = 0; i < samples.length; i++) {
      const want = modelReference(path, samples[i]!, CNN_INPUT);
      const ortWant = (await session.run({ x: new ort.Tensor('float32', samples[i]!, CNN_INPUT) })).y!.data as Float32Array;
      for (let k = 0; k < want.length; k++) {
        // Every output is on the output's grid: a whole number of steps from the zero point.
        const steps = outputs[i]![k]! / step;
        expect(Math.abs(steps - Math.round(steps)), `sample ${i} output ${k}`).toBeLessThan(1e-3);
        worstReference = Math.max(worstReference, Math.abs(outputs[i]![k]! - want[k]!) / step);
        worstOrt = Math.max(worstOrt, Math.abs(outputs[i]![k]! - ortWant[k]!) / step);
      }
    }
    expect(worstReference).toBeLessThanOrEqual(1);
    expect(worstOrt).toBeLessThanOrEqual(1);
  });

  it('a QOperator network (QLinearConv, QGemm): onnxruntime within one output step', async () => {
    const weights = cnnWeights(22);
    const model = qOperatorCnn(weights, calibrateCnn(weights, cnnInputs(16, 6)), 'int8');
    const samples = cnnInputs(5, 78);
    const { path, outputs } = await runFloat32(model.graph, 'qoperator-cnn', samples);
    const step = model.params.y.scale;
    const session = await ort.InferenceSession.create(path);
    let worst = 0;
    for (let i = 0; i < samples.length; i++) {
      const want = (await session.run({ x: new ort.Tensor('float32', samples[i]!, CNN_INPUT) })).y!.data as Float32Array;
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(outputs[i]![k]! - want[k]!) / step);
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});
