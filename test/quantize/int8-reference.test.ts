// The int8 reference interpreter: the same bits as a plain second implementation on quantized example models,
// exact hand-worked cases, and the float32 boundary. (The C kernels are checked against it in test/codegen.)

import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../../src/compile.js';
import { importModel } from '../../src/frontend/index.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { expectedInt8 } from './int8-straightforward.js';

function randomInt8(count: number, seed: number): Int8Array {
  let s = seed >>> 0;
  return Int8Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 24) - 128;
  });
}

describe('runInt8Reference', () => {
  for (const [model, io] of [
    ['examples/fmnist/fmnist_cnn.onnx', 'int8'],
    ['examples/bench/resnet8.onnx', 'int8'],
    ['examples/bench/ds_cnn.onnx', 'float32'],
  ] as const) {
    it(`equals the plain interpreter on every tensor of ${model} (--io ${io})`, async () => {
      const { graph: floatGraph } = importModel(model);
      const inputsFile = model.includes('fmnist') ? 'examples/fmnist/test_inputs.npy' : model.replace('.onnx', '_inputs.npy');
      const graph = await quantizeModel(floatGraph, { model, io, calibration: { path: inputsFile, method: 'minmax', count: 4 } });
      const input = graph.tensors.get(graph.inputs[0]!)!;
      const size = sizeOf(input.shape);
      for (const seed of [1, 2]) {
        const data = input.dtype === 'int8' ? randomInt8(size, seed) : Float32Array.from(randomInt8(size, seed), (v) => v / 40);
        const inputs: Record<string, Value> = { [input.name]: { shape: input.shape, dtype: input.dtype, data } };
        const fast = runInt8Reference(graph, inputs, { keep: 'all' });
        const plain = expectedInt8(graph, inputs);
        let compared = 0;
        for (const node of graph.nodes) {
          for (const name of node.outputs) {
            expect(Array.from(fast[name]!.data as ArrayLike<number>), `${node.op} "${node.name}" -> ${name}`).toEqual(
              Array.from(plain.get(name)!.data as ArrayLike<number>),
            );
            compared++;
          }
        }
        expect(compared).toBe(graph.nodes.length);
      }
    });
  }

  it('computes a hand-worked convolution with padding, bias and requantization', () => {
    // x = [[1, 2], [3, 4]] - zp 1, one 3x3 all-ones filter with pad 1: each output sums its neighbourhood.
    const graph: Graph = {
      name: 'conv',
      opset: 13,
      inputs: ['x'],
      outputs: ['y'],
      tensors: new Map([
        ['x', { name: 'x', shape: [1, 1, 2, 2], dtype: 'int8', quant: perTensorQuant(0.5, 1) }],
        [
          'w',
          {
            name: 'w',
            shape: [1, 1, 3, 3],
            dtype: 'int8',
            data: new Int8Array(9).fill(1),
            quant: { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0), axis: 0 },
          },
        ],
        ['b', { name: 'b', shape: [1], dtype: 'int32', data: Int32Array.of(10) }],
        ['y', { name: 'y', shape: [1, 1, 2, 2], dtype: 'int8', quant: perTensorQuant(0.5, -3) }],
      ]),
      nodes: [
        {
          name: 'conv',
          op: 'QConv',
          domain: INT8_DOMAIN,
          inputs: ['x', 'w', 'b'],
          outputs: ['y'],
          // multiplier 2^30 with shift 0 halves: y = round(acc / 2) - 3
          attrs: {
            kernel_shape: [3, 3],
            strides: [1, 1],
            dilations: [1, 1],
            pads: [1, 1, 1, 1],
            group: 1,
            multiplier: [2 ** 30],
            shift: [0],
            act_min: -128,
            act_max: 5,
          },
        },
      ],
    };
    const y = runInt8Reference(graph, { x: { shape: [1, 1, 2, 2], dtype: 'int8', data: Int8Array.of(1, 2, 3, 4) } })['y']!;
    // acc = 10 + (0 + 1 + 2 + 3) = 16 everywhere (every tap sees the whole 2x2 input); 16 / 2 - 3 = 5, clamped at 5.
    expect(Array.from(y.data as Int8Array)).toEqual([5, 5, 5, 5]);
  });

  it('rejects an input of the wrong type', () => {
    const graph: Graph = {
      name: 'lut',
      opset: 13,
      inputs: ['x'],
      outputs: ['y'],
      tensors: new Map([
        ['x', { name: 'x', shape: [2], dtype: 'int8', quant: perTensorQuant(1, 0) }],
        ['y', { name: 'y', shape: [2], dtype: 'int8', quant: perTensorQuant(1, 0) }],
      ]),
      nodes: [
        {
          name: 'lut',
          op: 'QLut',
          domain: INT8_DOMAIN,
          inputs: ['x'],
          outputs: ['y'],
          attrs: { table: Array.from({ length: 256 }, (_, i) => 127 - i) },
        },
      ],
    };
    expect(Array.from(runInt8Reference(graph, { x: { shape: [2], dtype: 'int8', data: Int8Array.of(-128, 127) } })['y']!.data)).toEqual([127, -128]);
    expect(() => runInt8Reference(graph, { x: { shape: [2], dtype: 'float32', data: Float32Array.of(0, 1) } })).toThrow(/must be int8/);
  });
});
