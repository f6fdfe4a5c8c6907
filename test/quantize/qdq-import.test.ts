// QDQ import (src/quantize/import-qdq.ts) on small graphs, one pattern each: which nodes go, which float
// operators and constants replace them, and the scales, zero points and int8 weights handed to the quantize stage.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importWithOwnQuantization } from '../../src/compile.js';
import { runReference } from '../../src/frontend/reference.js';
import { encodeGraph } from '../../src/frontend/save.js';
import type { Graph } from '../../src/ir/graph.js';
import { hasOwnQuantization, importQdq } from '../../src/quantize/import-qdq.js';
import { calibrateCnn, cnnInputs, cnnWeights, CNN_INPUT, dequantize, floatCnn, ModelBuilder, ortQdqCnn, qOperatorCnn } from './qdq-models.js';

const weights = cnnWeights(7);
const ranges = calibrateCnn(weights, cnnInputs(8, 11));

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const floats = (g: Graph, name: string) => Array.from(g.tensors.get(name)!.data as Float32Array);

function expectShaped(g: Graph): void {
  for (const t of g.tensors.values()) {
    expect(
      t.shape.every((d) => Number.isInteger(d) && d > 0),
      `tensor "${t.name}" [${t.shape.join(', ')}]`,
    ).toBe(true);
  }
}

describe('hasOwnQuantization', () => {
  it('is true for QDQ and QOperator graphs and false for a float graph', () => {
    expect(hasOwnQuantization(ortQdqCnn(weights, ranges, 'uint8').graph)).toBe(true);
    expect(hasOwnQuantization(qOperatorCnn(weights, ranges, 'int8').graph)).toBe(true);
    expect(hasOwnQuantization(floatCnn(weights))).toBe(false);
  });
});

describe('onnxruntime QDQ format', () => {
  for (const dtype of ['uint8', 'int8'] as const) {
    it(`removes the Q/DQ nodes and keeps the model's ${dtype} scales (as int8)`, () => {
      const model = ortQdqCnn(weights, ranges, dtype);
      const { graph, overrides } = importQdq(model.graph);
      // quantize_static folded the Relu into the Conv output's quantization: it comes back as a Relu.
      expect(ops(graph)).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
      expect(graph.outputs).toEqual(['y']);
      expect(graph.inputs).toEqual(['x']);
      expectShaped(graph);
      expect(graph.tensors.get('y')!.shape).toEqual([1, 5]);

      const shift = dtype === 'uint8' ? 128 : 0;
      const asInt8 = (p: { scale: number; zeroPoint: number }) => ({ scale: p.scale, zeroPoint: p.zeroPoint - shift });
      expect(overrides.activations.get('x')).toEqual(asInt8(model.params.x));
      const relu = graph.nodes[1]!.outputs[0]!;
      expect(overrides.activations.get(relu)).toEqual(asInt8(model.params.relu));
      expect(overrides.activations.get(relu)!.zeroPoint).toBe(-128);
      expect(overrides.activations.get('pool')).toEqual(asInt8(model.params.pool));
      expect(overrides.activations.get('flat')).toEqual(asInt8(model.params.pool));
      expect(overrides.activations.get('y')).toEqual(asInt8(model.params.y));

      // Weights: the float constant is what DequantizeLinear computes; the override is the model's own int8.
      const conv = graph.nodes[0]!;
      const w = overrides.weights.get(conv.inputs[1]!)!;
      expect(Array.from(w.q)).toEqual(Array.from(model.conv.q));
      expect(Array.from(w.scales)).toEqual(Array.from(model.conv.scales));
      expect(w.axis).toBe(0);
      const perChannel = model.conv.q.length / model.conv.scales.length;
      expect(floats(graph, conv.inputs[1]!)).toEqual(
        Array.from(model.conv.q, (q, i) => dequantize(q, model.conv.scales[Math.floor(i / perChannel)]!)),
      );
      expect(floats(graph, conv.inputs[2]!)).toEqual(
        Array.from(model.conv.bias, (q, c) => dequantize(q, Math.fround(model.conv.scales[c]! * model.params.x.scale))),
      );
      const gemm = graph.nodes[4]!;
      expect(Array.from(overrides.weights.get(gemm.inputs[1]!)!.q)).toEqual(Array.from(model.fc.q));
      expect(overrides.weights.has(gemm.inputs[2]!)).toBe(false); // int32 biases are re-derived from sX * sW

      const y = runReference(graph, { x: { shape: CNN_INPUT, dtype: 'float32', data: cnnInputs(1, 3)[0]! } }).y!;
      expect(y.shape).toEqual([1, 5]);
    });
  }

  it('keeps only the int8 values a stated weight zero point allows (uint8 weights, zero point 128)', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 3]);
    const x = b.qdq('x', { scale: 0.02, zeroPoint: 128, dtype: 'uint8' });
    b.constant('w_q', 'uint8', [3, 2], [128, 0, 255, 130, 127, 128]);
    b.scale('w_s', 0.5);
    b.zeroPoint('w_zp', 'uint8', 128);
    b.node('DequantizeLinear', ['w_q', 'w_s', 'w_zp'], ['w']);
    b.node('MatMul', [x, 'w'], ['y']);
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    expect(ops(graph)).toEqual(['MatMul']);
    expect(floats(graph, 'w')).toEqual([0, -64, 63.5, 1, -0.5, 0]);
    expect(Array.from(overrides.weights.get('w')!.q)).toEqual([0, -128, 127, 2, -1, 0]);
    expect(overrides.activations.get('x')).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 });
  });
});

describe('PyTorch export', () => {
  it('quantizes fake-quantized weights (QuantizeLinear of a float initializer) once, ties to even', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 1, 4, 4]);
    const x = b.qdq('x', { scale: 1 / 64, zeroPoint: 0, dtype: 'int8' });
    const s = [0.25, 0.5];
    // 0.625 / 0.25 = 2.5 -> 2, 0.875 / 0.25 = 3.5 -> 4, -1.25 / 0.5 = -2.5 -> -2, 100 saturates to 127
    b.constant('conv.weight', 'float32', [2, 1, 1, 2], [0.625, 0.875, -1.25, 100]);
    b.scale('w_scale', s);
    b.zeroPoint('w_zp', 'int8', [0, 0]);
    b.node('QuantizeLinear', ['conv.weight', 'w_scale', 'w_zp'], ['w_q'], { axis: 0 });
    b.node('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], ['w_dq'], { axis: 0 });
    b.constant('conv.bias', 'float32', [2], [0.1, -0.1]);
    b.node('Conv', [x, 'w_dq', 'conv.bias'], ['conv'], { kernel_shape: [1, 2] });
    b.node('Relu', ['conv'], ['relu']);
    const y = b.qdq('relu', { scale: 0.05, zeroPoint: -128, dtype: 'int8' });
    b.node('Identity', [y], ['y']);
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    // PyTorch keeps its Relu: none is added. The float bias stays as it was.
    expect(ops(graph)).toEqual(['Conv', 'Relu', 'Identity']);
    expect(Array.from(overrides.weights.get('w_dq')!.q)).toEqual([2, 4, -2, 127]);
    expect(floats(graph, 'w_dq')).toEqual([0.5, 1, -1, 63.5]);
    expect(floats(graph, 'conv.bias')).toEqual([Math.fround(0.1), Math.fround(-0.1)]);
    expect(overrides.activations.get('relu')).toEqual({ scale: Math.fround(0.05), zeroPoint: -128 });
    expect(overrides.activations.get('x')).toEqual({ scale: 1 / 64, zeroPoint: 0 });
    expect(graph.tensors.get('conv')!.shape).toEqual([1, 2, 4, 3]);
  });

  it('reads a converted model: QuantizeLinear -> Cast -> DequantizeLinear, zero points from ConstantOfShape -> Cast', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 3]);
    b.scale('xs', 0.01);
    b.zeroPoint('xzp', 'uint8', 127);
    b.node('QuantizeLinear', ['x', 'xs', 'xzp'], ['xq'], {}, '', 'quant');
    b.node('Cast', ['xq'], ['xq_cast'], { to: 2 }, '', 'cast');
    b.node('DequantizeLinear', ['xq_cast', 'xs', 'xzp'], ['xd']);
    b.dequantized('fc.weight', 'int8', [2, 3], [10, -20, 30, -40, 50, -60], [0.1, 0.2], 0);
    b.constant('bias_q', 'int32', [2], [1000, -500]);
    b.scale('bias_s', [0.001, 0.002]);
    b.constant('bias_n', 'int64', [1], [2]);
    b.node('ConstantOfShape', ['bias_n'], ['bias_zeros']);
    b.node('Cast', ['bias_zeros'], ['bias_zp'], { to: 6 });
    b.node('DequantizeLinear', ['bias_q', 'bias_s', 'bias_zp'], ['fc.bias'], { axis: 0 }, '', 'dequantize_bias');
    b.node('Gemm', ['xd', 'fc.weight', 'fc.bias'], ['y'], { transB: 1 });
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    expect(ops(graph)).toEqual(['Gemm']);
    expect(graph.nodes[0]!.inputs).toEqual(['x', 'fc.weight', 'fc.bias']);
    expect(floats(graph, 'fc.bias')).toEqual([dequantize(1000, Math.fround(0.001)), dequantize(-500, Math.fround(0.002))]);
    expect(Array.from(overrides.weights.get('fc.weight')!.q)).toEqual([10, -20, 30, -40, 50, -60]);
    expect(overrides.activations.get('x')).toEqual({ scale: Math.fround(0.01), zeroPoint: -1 });
  });

  it('carries the int8 weights through a Transpose (Linear as DequantizeLinear -> Transpose -> MatMul)', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 3]);
    const x = b.qdq('x', { scale: 0.1, zeroPoint: 3, dtype: 'uint8' });
    const q = [1, -2, 3, -4, 5, -6]; // [N = 2, K = 3]
    b.dequantized('fc.weight', 'int8', [2, 3], q, [0.5, 0.25], 0);
    b.node('Transpose', ['fc.weight'], ['fc.weight_t'], { perm: [1, 0] });
    b.node('MatMul', [x, 'fc.weight_t'], ['y']);
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    expect(ops(graph)).toEqual(['MatMul']);
    const w = overrides.weights.get('fc.weight_t')!;
    expect(Array.from(w.q)).toEqual([1, -4, -2, 5, 3, -6]);
    expect(w.axis).toBe(1);
    expect(floats(graph, 'fc.weight_t')).toEqual([0.5, -1, -1, 1.25, 1.5, -1.5]);
    expect(overrides.activations.get('x')).toEqual({ scale: Math.fround(0.1), zeroPoint: 3 - 128 });
  });
});

describe('QOperator format', () => {
  it('turns QLinearConv and QGemm back into Conv and Gemm on dequantized constants', () => {
    const model = qOperatorCnn(weights, ranges, 'uint8');
    const { graph, overrides } = importQdq(model.graph);
    expect(ops(graph)).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
    expectShaped(graph);
    const [conv, relu, pool, flatten, gemm] = graph.nodes as [(typeof graph.nodes)[0], ...typeof graph.nodes];
    expect(conv.inputs[0]).toBe('x');
    expect(conv.attrs).toEqual({ kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    expect(relu!.outputs).toEqual(['relu_quantized']);
    expect(gemm!.attrs).toEqual({ transB: 1 });
    expect(gemm!.outputs).toEqual(['y']);
    expect(Array.from(overrides.weights.get(conv.inputs[1]!)!.q)).toEqual(Array.from(model.conv.q));
    expect(Array.from(overrides.weights.get(gemm!.inputs[1]!)!.scales)).toEqual(Array.from(model.fc.scales));
    expect(floats(graph, gemm!.inputs[2]!)).toEqual(
      Array.from(model.fc.bias, (q, c) => dequantize(q, Math.fround(model.fc.scales[c]! * model.params.pool.scale))),
    );
    for (const name of [pool!.outputs[0]!, flatten!.outputs[0]!, 'relu_quantized']) {
      expect(overrides.activations.get(name)).toEqual({ scale: model.params.relu.scale, zeroPoint: model.params.relu.zeroPoint - 128 });
    }
    expect(overrides.activations.get('y')).toEqual({ scale: model.params.y.scale, zeroPoint: model.params.y.zeroPoint - 128 });
    expect(graph.tensors.get('pool_quantized')!.dtype).toBe('float32');
  });

  it('takes an int8 model input and a uint8 model output as float32 with their stated scales', () => {
    const b = new ModelBuilder();
    b.input('x', [2, 3], 'int8');
    b.scale('xs', 0.5);
    b.zeroPoint('xzp', 'int8', -1);
    b.constant('w', 'int8', [3, 2], [1, 2, 3, 4, 5, 6]);
    b.scale('ws', [0.25, 0.125]);
    b.zeroPoint('wzp', 'int8', [0, 0]);
    b.scale('ys', 0.75);
    b.zeroPoint('yzp', 'uint8', 10);
    b.node('QLinearMatMul', ['x', 'xs', 'xzp', 'w', 'ws', 'wzp', 'ys', 'yzp'], ['y'], {}, '', 'mm');
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    expect(ops(graph)).toEqual(['MatMul']);
    expect(graph.tensors.get('x')!.dtype).toBe('float32');
    expect(graph.tensors.get('y')).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect(overrides.activations.get('x')).toEqual({ scale: 0.5, zeroPoint: -1 });
    expect(overrides.activations.get('y')).toEqual({ scale: 0.75, zeroPoint: 10 - 128 });
    expect(floats(graph, 'w')).toEqual([0.25, 0.25, 0.75, 0.5, 1.25, 0.75]);
    expect(overrides.weights.get('w')!.axis).toBe(1);
    const out = runReference(graph, { x: { shape: [2, 3], dtype: 'float32', data: Float32Array.of(1, 0, -1, 2, 2, 2) } }).y!;
    expect(Array.from(out.data)).toEqual([0.25 - 1.25, 0.25 - 0.75, 2 * (0.25 + 0.75 + 1.25), 2 * (0.25 + 0.5 + 0.75)]);
  });

  it('maps onnxruntime contrib operators (QLinearAdd, QLinearConcat, QLinearGlobalAveragePool)', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 2, 3, 3]);
    b.scale('s', 0.1);
    b.zeroPoint('zp', 'uint8', 128);
    b.scale('s2', 0.2);
    b.zeroPoint('zp2', 'uint8', 0);
    b.node('QuantizeLinear', ['x', 's', 'zp'], ['xq']);
    b.node('QLinearAdd', ['xq', 's', 'zp', 'xq', 's', 'zp', 's2', 'zp2'], ['sum'], {}, 'com.microsoft', 'add');
    b.node('QLinearConcat', ['s2', 'zp2', 'sum', 's2', 'zp2', 'xq', 's', 'zp'], ['cat'], { axis: 1 }, 'com.microsoft', 'cat');
    b.node('QLinearGlobalAveragePool', ['cat', 's2', 'zp2', 's', 'zp'], ['gap'], { channels_last: 0 }, 'com.microsoft', 'gap');
    b.node('DequantizeLinear', ['gap', 's', 'zp'], ['y']);
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    // QLinearAdd's output quantization starts at 0 (uint8 zero point 0): the clamp becomes a Relu.
    expect(ops(graph)).toEqual(['Add', 'Relu', 'Concat', 'GlobalAveragePool']);
    expect(graph.nodes[0]!.inputs).toEqual(['x', 'x']);
    expect(graph.nodes[2]!.inputs).toEqual(['sum', 'x']);
    expect(graph.nodes[2]!.attrs).toEqual({ axis: 1 });
    expect(graph.tensors.get('y')!.shape).toEqual([1, 4, 1, 1]);
    expect(overrides.activations.get('sum')).toEqual({ scale: Math.fround(0.2), zeroPoint: -128 });
    expect(overrides.activations.get('cat')).toEqual({ scale: Math.fround(0.2), zeroPoint: -128 });
    expect(overrides.activations.get('y')).toEqual({ scale: Math.fround(0.1), zeroPoint: 0 });
  });
});

describe('graph boundaries', () => {
  it('names the float output after the model output when a Q/DQ pair sits on a model input', () => {
    const b = new ModelBuilder();
    b.input('x', [2, 2]);
    b.qdq('x', { scale: 0.5, zeroPoint: 0, dtype: 'int8' });
    const last = b.nodes[b.nodes.length - 1]!;
    last.outputs = ['y'];
    b.tensors.set('y', { name: 'y', shape: [], dtype: 'float32' });
    b.outputs.push('y');
    const { graph, overrides } = importQdq(b.graph());
    expect(ops(graph)).toEqual(['Identity']);
    expect(graph.nodes[0]!.inputs).toEqual(['x']);
    expect(overrides.activations.get('y')).toEqual({ scale: 0.5, zeroPoint: 0 });
  });

  it('takes the input shapes the user gives before inferring its own (dynamic height and width)', () => {
    const g = ortQdqCnn(weights, ranges, 'int8').graph;
    g.tensors.set('x', { name: 'x', shape: [-1, CNN_INPUT[1]!, -1, -1], dtype: 'float32' });
    const path = join(mkdtempSync(join(tmpdir(), 'eennc-qdq-shape-')), 'dynamic.onnx');
    writeFileSync(path, encodeGraph(g));
    expect(() => importWithOwnQuantization(path)).toThrow(/dynamic dimensions/);
    const { graph, overrides } = importWithOwnQuantization(path, { x: CNN_INPUT });
    expect(graph.tensors.get('x')!.shape).toEqual(CNN_INPUT);
    expect(graph.tensors.get('y')!.shape).toEqual([1, 5]);
    expect(overrides.weights.size).toBeGreaterThan(0);
  });

  it('sets a dynamic batch dimension to 1', () => {
    const g = ortQdqCnn(weights, ranges, 'int8').graph;
    g.tensors.set('x', { name: 'x', shape: [-1, ...CNN_INPUT.slice(1)], dtype: 'float32' });
    const { graph } = importQdq(g);
    expect(graph.tensors.get('x')!.shape).toEqual(CNN_INPUT);
    expect(graph.tensors.get('y')!.shape).toEqual([1, 5]);
  });
});
