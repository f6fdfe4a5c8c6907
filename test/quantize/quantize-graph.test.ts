// The quantize stage: which int8 operators a float graph becomes, the parameters they carry, and the errors.

import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { INT8_DOMAIN, scaleZeroOf } from '../../src/ir/int8.js';
import { SOFTMAX_OUTPUT } from '../../src/quantize/fixed-ranges.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import type { PerChannelWeights } from '../../src/quantize/quant-params.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

function shaped(spec: GraphSpec): Graph {
  return inferGraphShapes(buildGraph(spec)).graph;
}

async function quantized(graph: Graph, io: 'int8' | 'float32' = 'int8'): Promise<Graph> {
  const size = graph.tensors.get(graph.inputs[0]!)!.shape.reduce((a, b) => a * b, 1);
  const samples = [1, 2, 3, 4].map((seed) => randomFloats(size, seed));
  const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
  return quantizeGraph(graph, { ranges, io });
}

const nodeNamed = (g: Graph, name: string): Node => g.nodes.find((n) => n.name === name)!;

/**
 * Output `name` of the int8 graph on a random input `x` (quantized with x's scale) equals the float graph's, to
 * within one step of x's scale (operators that keep their input's scale: pooling, means).
 */
function expectWithinAStep(float: Graph, int8: Graph, name: string, seed: number): void {
  const shape = float.tensors.get('x')!.shape;
  const input = randomFloats(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
  const want = runReference(float, { x: { shape, dtype: 'float32', data: input } })[name]!.data as Float32Array;
  const q = scaleZeroOf(int8.tensors.get('x')!);
  const xq = Int8Array.from(input, (v) => Math.max(-128, Math.min(127, Math.round(v / q.scale) + q.zeroPoint)));
  const got = runInt8Reference(int8, { x: { shape, dtype: 'int8', data: xq } })[name]!.data as Int8Array;
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs((v - q.zeroPoint) * q.scale - want[i]!)).toBeLessThanOrEqual(q.scale));
}

const convNet: GraphSpec = {
  inputs: { x: ['float32', [1, 2, 6, 6]] },
  constants: {
    w: ['float32', [4, 2, 3, 3], randomFloats(72, 9)],
    b: ['float32', [4], [0.1, -0.2, 0.3, 0]],
    fc: ['float32', [4 * 3 * 3, 5], randomFloats(180, 11)],
  },
  nodes: [
    ['Conv', ['x', 'w', 'b'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'],
    ['Relu', ['c'], ['r'], {}, 'relu'],
    ['MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'],
    ['Flatten', ['p'], ['f'], {}, 'flatten'],
    ['MatMul', ['f', 'fc'], ['y'], {}, 'fc'],
    ['Softmax', ['y'], ['prob'], {}, 'softmax'],
  ],
  outputs: ['prob'],
};

describe('quantizeGraph', () => {
  it('turns a CNN into int8 operators with per-channel weights, int32 bias and the Relu folded', async () => {
    const g = await quantized(shaped(convNet));
    expect(g.nodes.map((n) => `${n.domain === INT8_DOMAIN ? 'eenn:' : ''}${n.op}`)).toEqual([
      'eenn:QConv',
      'MaxPool',
      'Flatten',
      'eenn:QGemm',
      'eenn:QSoftmax',
    ]);
    const conv = nodeNamed(g, 'conv');
    expect(conv.outputs).toEqual(['r']); // the Relu's output
    expect(conv.attrs['pads']).toEqual([1, 1, 1, 1]);
    expect(conv.attrs['group']).toBe(1);
    const w = g.tensors.get(conv.inputs[1]!)!;
    expect(w.dtype).toBe('int8');
    expect(w.quant!.scale.length).toBe(4);
    expect(Math.max(...Array.from(w.data as Int8Array, Math.abs))).toBe(127);
    const bias = g.tensors.get(conv.inputs[2]!)!;
    expect(bias.dtype).toBe('int32');
    const x = scaleZeroOf(g.tensors.get('x')!);
    expect(bias.data![1]).toBe(Math.round(-0.2 / (x.scale * w.quant!.scale[1]!)));
    expect((conv.attrs['multiplier'] as number[]).length).toBe(4);
    const r = scaleZeroOf(g.tensors.get('r')!);
    expect(conv.attrs['act_min']).toBe(r.zeroPoint); // Relu clamps at real zero
    expect(conv.attrs['act_max']).toBe(127);
    // MaxPool and Flatten keep the scale of their input.
    expect(scaleZeroOf(g.tensors.get('p')!)).toEqual(r);
    expect(scaleZeroOf(g.tensors.get('f')!)).toEqual(r);
    // MatMul weights [K, N] become fully connected rows [N, K].
    expect(g.tensors.get(nodeNamed(g, 'fc').inputs[1]!)!.shape).toEqual([5, 36]);
    expect(scaleZeroOf(g.tensors.get('prob')!)).toEqual({ scale: Math.fround(SOFTMAX_OUTPUT.scale), zeroPoint: -128 });
    const table = nodeNamed(g, 'softmax').attrs['table'] as number[];
    expect(table[0]).toBe(65536);
    expect(table.every((v, i) => i === 0 || v <= table[i - 1]!)).toBe(true);
  });

  it('with --io float32, quantizes the input and dequantizes the output inside the model', async () => {
    const g = await quantized(shaped(convNet), 'float32');
    expect(g.nodes[0]!.op).toBe('Quantize');
    expect(g.nodes.at(-1)!.op).toBe('Dequantize');
    expect(g.tensors.get('x')!.dtype).toBe('float32');
    expect(g.tensors.get('prob')!.dtype).toBe('float32');
    expect(g.outputs).toEqual(['prob']);
    expect(g.tensors.get(g.nodes.at(-1)!.inputs[0]!)!.dtype).toBe('int8');
  });

  it('rescales Concat inputs to the output scale and pads with the zero point', async () => {
    const g = await quantized(
      shaped({
        inputs: { x: ['float32', [1, 2, 4]] },
        constants: { k: ['float32', [], [3]], pads: ['int64', [6], [0, 0, 1, 0, 0, 1]] },
        nodes: [
          ['Mul', ['x', 'k'], ['big'], {}, 'scale'],
          ['Concat', ['x', 'big'], ['cat'], { axis: 1 }, 'concat'],
          ['Pad', ['cat', 'pads'], ['padded'], {}, 'pad'],
          ['Sigmoid', ['padded'], ['s'], {}, 'sigmoid'],
        ],
        outputs: ['s'],
      }),
    );
    // Mul by a scalar is a table; x is rescaled to the Concat's scale (that of the wider 3x input).
    expect(g.nodes.map((n) => n.op)).toEqual(['QLut', 'QLut', 'Concat', 'Pad', 'QLut']);
    const cat = scaleZeroOf(g.tensors.get('cat')!);
    const concat = nodeNamed(g, 'concat');
    for (const input of concat.inputs) expect(scaleZeroOf(g.tensors.get(input)!)).toEqual(cat);
    const pad = nodeNamed(g, 'pad');
    expect(Array.from(g.tensors.get(pad.inputs[2]!)!.data!)).toEqual([cat.zeroPoint]);
    const sigmoid = nodeNamed(g, 'sigmoid');
    const table = sigmoid.attrs['table'] as number[];
    expect(table).toHaveLength(256);
    expect(table.every((v, i) => i === 0 || v >= table[i - 1]!)).toBe(true); // monotonic
  });

  it('lists every node without an int8 form at once and suggests float32', async () => {
    const graph = shaped({
      inputs: { x: ['float32', [1, 4]] },
      nodes: [
        ['LogSoftmax', ['x'], ['a'], {}, 'first'],
        ['Relu', ['a'], ['b'], {}, 'ok'],
        ['ReduceProd', ['x'], ['c'], { keepdims: 1 }, 'second'],
      ],
      outputs: ['b', 'c'],
    });
    const error = await quantized(graph).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EennError);
    const e = error as EennError;
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.details!.join('\n')).toMatch(/"first" \(LogSoftmax\)/);
    expect(e.details!.join('\n')).toMatch(/"second" \(ReduceProd\)/);
    // The Relu between them fails only because its input is not int8: not listed.
    expect(e.details).toHaveLength(2);
    expect(e.hint).toMatch(/--precision float32/);
  });

  it('computes a ReduceMean over the spatial axes as a global average pool, and other axes as QReduce', async () => {
    const spec = (axes: number[], keepdims: number): GraphSpec => ({
      inputs: { x: ['float32', [1, 3, 5, 4]] },
      nodes: [['ReduceMean', ['x'], ['m'], { axes, keepdims }, 'mean']],
      outputs: ['m'],
    });
    const flat = await quantized(shaped(spec([2, 3], 0)));
    expect(flat.nodes.map((n) => n.op)).toEqual(['QAveragePool', 'Flatten']);
    expect(nodeNamed(flat, 'mean').attrs['kernel_shape']).toEqual([5, 4]);
    expect(flat.tensors.get('m')!.shape).toEqual([1, 3]);
    const kept = await quantized(shaped(spec([-1, -2], 1)));
    expect(kept.nodes.map((n) => n.op)).toEqual(['QAveragePool']);
    expect(kept.tensors.get('m')!.shape).toEqual([1, 3, 1, 1]);
    // The int8 mean is the float mean, to within a step of the input's scale.
    expectWithinAStep(shaped(spec([2, 3], 0)), flat, 'm', 5);
    expect((await quantized(shaped(spec([1], 1)))).nodes.map((n) => n.op)).toEqual(['QReduce']);
  });

  it('takes an AveragePool with ceil_mode as end padding that is not counted', async () => {
    const spec = (countIncludePad: number): GraphSpec => ({
      inputs: { x: ['float32', [1, 2, 7, 7]] },
      nodes: [['AveragePool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, count_include_pad: countIncludePad }, 'pool']],
      outputs: ['p'],
    });
    const g = await quantized(shaped(spec(0)));
    expect(nodeNamed(g, 'pool').attrs['pads']).toEqual([0, 0, 1, 1]);
    expect(g.tensors.get('p')!.shape).toEqual([1, 2, 4, 4]);
    expectWithinAStep(shaped(spec(0)), g, 'p', 8);
    await expect(quantized(shaped(spec(1)))).rejects.toThrow(/cannot be quantized/);
  });

  it('handles a dead (all-zero) output channel without dividing by zero, and rejects NaN weights', async () => {
    const w = randomFloats(8, 3);
    w.fill(0, 4, 8);
    const graph = shaped({
      inputs: { x: ['float32', [1, 4]] },
      constants: { w: ['float32', [4, 2], w] },
      nodes: [['MatMul', ['x', 'w'], ['y'], {}, 'fc']],
      outputs: ['y'],
    });
    const g = await quantized(graph);
    const fc = nodeNamed(g, 'fc');
    expect(Array.from(g.tensors.get(fc.inputs[1]!)!.quant!.scale).every((s) => s > 0)).toBe(true);
    expect((fc.attrs['multiplier'] as number[]).every(Number.isFinite)).toBe(true);

    w[1] = NaN;
    const bad = shaped({
      inputs: { x: ['float32', [1, 4]] },
      constants: { w: ['float32', [4, 2], w] },
      nodes: [['MatMul', ['x', 'w'], ['y'], {}, 'fc']],
      outputs: ['y'],
    });
    const ranges = new Map([
      ['x', { min: -1, max: 1 }],
      ['y', { min: -1, max: 1 }],
    ]);
    expect(() => quantizeGraph(bad, { ranges })).toThrow(/NaN/);
  });

  it('calibrates to the same ranges on one thread and on several', async () => {
    const graph = shaped(convNet);
    const samples = Array.from({ length: 100 }, (_, i) => randomFloats(72, i + 1));
    for (const method of ['percentile', 'entropy'] as const) {
      const one = await calibrate(graph, samples, { method, workers: 1 });
      const two = await calibrate(graph, samples, { method, workers: 2 });
      expect([...two]).toEqual([...one]);
    }
  });
});

describe("quantizeGraph with the model's own int8 weights", () => {
  /** Symmetric per-row int8 weights of a row-major [rows, cols] matrix, as a QDQ model states them (axis 0). */
  function ownWeights(values: Float32Array, rows: number, cols: number): PerChannelWeights {
    const scales = Float32Array.from({ length: rows }, (_, r) => Math.max(...Array.from(values.subarray(r * cols, (r + 1) * cols), Math.abs)) / 127);
    const q = Int8Array.from(values, (v, i) => Math.round(v / scales[Math.floor(i / cols)]!));
    return { q, scales, axis: 0 };
  }

  /** The QGemm's int8 weights, dequantized: [N, K] rows. */
  function gemmWeights(g: Graph): number[] {
    const w = g.tensors.get(g.nodes.find((n) => n.op === 'QGemm')!.inputs[1]!)!;
    const k = w.shape[1]!;
    return Array.from(w.data as Int8Array, (q, i) => q * w.quant!.scale[Math.floor(i / k)]!);
  }

  const ranges = new Map([
    ['x', { min: -1, max: 1 }],
    ['y', { min: -2, max: 2 }],
  ]);

  it("uses them where they are the layer's weights, and not where Gemm scales them by alpha or they lie along K", () => {
    const b = randomFloats(9, 31);
    const gemm = (alpha: number): Graph =>
      shaped({
        inputs: { x: ['float32', [1, 3]] },
        constants: { b: ['float32', [3, 3], b] },
        nodes: [['Gemm', ['x', 'b'], ['y'], { transB: 1, alpha }, 'fc']],
        outputs: ['y'],
      });
    const own = ownWeights(b, 3, 3);
    const overrides = { activations: new Map(), weights: new Map([['b', own]]) };
    const stated = quantizeGraph(gemm(1), { ranges, overrides });
    expect(Array.from(stated.tensors.get(stated.nodes[0]!.inputs[1]!)!.data as Int8Array)).toEqual(Array.from(own.q));
    // alpha = 0.5: the weights are 0.5 * B, which the stated int8 B is not.
    const halved = gemmWeights(quantizeGraph(gemm(0.5), { ranges, overrides }));
    halved.forEach((v, i) => expect(Math.abs(v - 0.5 * b[i]!)).toBeLessThan(0.01));

    // MatMul's [K, N] weights stated per row of K (axis 0): rows of K are not the layer's output channels.
    const matMul = shaped({
      inputs: { x: ['float32', [1, 3]] },
      constants: { b: ['float32', [3, 3], b] },
      nodes: [['MatMul', ['x', 'b'], ['y'], {}, 'fc']],
      outputs: ['y'],
    });
    const rows = gemmWeights(quantizeGraph(matMul, { ranges, overrides }));
    rows.forEach((v, i) => expect(Math.abs(v - b[(i % 3) * 3 + Math.floor(i / 3)]!)).toBeLessThan(0.01));
  });
});
