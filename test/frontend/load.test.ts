// loadModel: ONNX files into the IR (constants, attributes, names, opsets, order), and saveModel back.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/ir/graph.js';
import { loadModel } from '../../src/frontend/load.js';
import { encodeModel, OnnxAttributeType, OnnxDataType, tensorToProto, type ModelProto } from '../../src/frontend/onnx-proto.js';
import { saveModel } from '../../src/frontend/save.js';
import { buildGraph, scratchDir, writeScratch } from './build-graph.js';

const floatInput = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
  },
});

describe('loadModel', () => {
  it('turns Constant nodes into constant tensors, whatever form their value takes', () => {
    const path = writeScratch(
      'constants.onnx',
      buildGraph({
        inputs: { x: ['float32', [2]] },
        nodes: [
          ['Constant', [], ['c_tensor'], { value: { name: '', shape: [2], dtype: 'float32', data: Float32Array.of(1, 2) } }],
          ['Constant', [], ['c_float'], { value_float: 2 }],
          ['Constant', [], ['c_floats'], { value_floats: [0.5, 1.5] }],
          ['Constant', [], ['c_int'], { value_int: 7 }],
          ['Constant', [], ['c_ints'], { value_ints: [-1, 4] }],
          ['Add', ['x', 'c_tensor'], ['y']],
        ],
        outputs: ['y'],
      }),
    );
    const g = loadModel(path);
    expect(g.nodes.map((n) => n.op)).toEqual(['Add']);
    const value = (name: string) => {
      const t = g.tensors.get(name)!;
      return [t.dtype, t.shape, Array.from(t.data!)];
    };
    expect(value('c_tensor')).toEqual(['float32', [2], [1, 2]]);
    expect(value('c_float')).toEqual(['float32', [], [2]]);
    expect(value('c_floats')).toEqual(['float32', [2], [0.5, 1.5]]);
    expect(value('c_int')).toEqual(['int64', [], [7]]);
    expect(value('c_ints')).toEqual(['int64', [2], [-1, 4]]);
  });

  it('reads attributes as plain values, names anonymous nodes and makes names unique', () => {
    const model: ModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        input: [floatInput('x', [1, 3])],
        output: [floatInput('z', [1, 3])],
        node: [
          {
            opType: 'LeakyRelu',
            input: ['x'],
            output: ['y'],
            attribute: [{ name: 'alpha', type: OnnxAttributeType.FLOAT, f: 0.25 }],
          },
          { name: 'act', opType: 'Relu', input: ['y'], output: ['w'] },
          {
            name: 'act',
            opType: 'Transpose',
            input: ['w'],
            output: ['z'],
            attribute: [{ name: 'perm', type: OnnxAttributeType.INTS, ints: [1, 0] }],
          },
        ],
      },
    };
    const g = loadModel(writeScratch('attrs.onnx', encodeModel(model)));
    expect(g.opset).toBe(13);
    expect(g.nodes.map((n) => n.name)).toEqual(['LeakyRelu_0', 'act', 'act_1']);
    expect(g.nodes[0]!.attrs.alpha).toBe(0.25);
    expect(g.nodes[2]!.attrs.perm).toEqual([1, 0]);
    expect(g.inputs).toEqual(['x']);
    expect(g.outputs).toEqual(['z']);
    expect(g.tensors.get('x')!.shape).toEqual([1, 3]);
  });

  it('treats inputs that have an initializer as constants and marks dynamic dimensions', () => {
    const model: ModelProto = {
      irVersion: 3,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        input: [floatInput('x', ['batch', 4]), floatInput('w', [4])],
        output: [floatInput('y', ['batch', 4])],
        initializer: [tensorToProto('w', [4], 'float32', Float32Array.of(1, 2, 3, 4))],
        node: [{ opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
      },
    };
    const g = loadModel(writeScratch('init-input.onnx', encodeModel(model)));
    expect(g.inputs).toEqual(['x']);
    expect(Array.from(g.tensors.get('w')!.data!)).toEqual([1, 2, 3, 4]);
    expect(g.tensors.get('x')!.shape).toEqual([-1, 4]);
  });

  it('orders nodes topologically when the file does not', () => {
    const path = writeScratch(
      'unordered.onnx',
      buildGraph({
        inputs: { x: ['float32', [3]] },
        nodes: [
          ['Neg', ['b'], ['c'], {}, 'last'],
          ['Relu', ['a'], ['b'], {}, 'middle'],
          ['Abs', ['x'], ['a'], {}, 'first'],
        ],
        outputs: ['c'],
      }),
    );
    expect(loadModel(path).nodes.map((n) => n.name)).toEqual(['first', 'middle', 'last']);
  });

  it('round-trips a graph through saveModel', () => {
    const graph = buildGraph({
      opset: 17,
      inputs: { x: ['float32', [1, 2]] },
      constants: { s: ['int64', [2], [2, 1]] },
      nodes: [
        ['Reshape', ['x', 's'], ['y'], {}, 'reshape'],
        ['Clip', ['y'], ['z'], { min: 0, max: 6 }, 'clip'],
      ],
      outputs: ['z'],
    });
    const path = join(scratchDir(), 'saved.onnx');
    saveModel(graph, path);
    const back = loadModel(path);
    expect(back.opset).toBe(17);
    expect(back.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs, n.attrs])).toEqual(
      graph.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs, n.attrs]),
    );
    const s = back.tensors.get('s') as Tensor;
    expect([s.dtype, Array.from(s.data!)]).toEqual(['int64', [2, 1]]);
  });

  it('loads a PyTorch export from the ONNX test data (opset 6, raw weights)', () => {
    const g = loadModel('/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx');
    expect(g.nodes.map((n) => n.op)).toEqual(['Conv']);
    expect(g.opset).toBe(6);
    const w = g.tensors.get(g.nodes[0]!.inputs[1]!)!;
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(w.data!.length).toBe(w.shape.reduce((a, b) => a * b, 1));
  });
});
