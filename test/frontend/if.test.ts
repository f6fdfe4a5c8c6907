// If: models with branches (subgraphs reading the enclosing graph's tensors) read from .onnx files, resolved by the
// frontend: a condition known at compile time keeps only the branch it takes, one known at run time keeps both and
// selects with Where. The reference is compared with onnxruntime on the same files.

import { rmSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel, runReference } from '../../src/frontend/index.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { DType, Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { buildGraph, randomFloats, scratchDir, writeScratch, type GraphSpec } from './build-graph.js';

afterAll(() => rmSync(scratchDir(), { recursive: true, force: true }));

/** A branch: its nodes and outputs, each output declared with its dtype and shape. */
function branch(spec: Omit<GraphSpec, 'outputs'>, outputs: Record<string, [DType, number[]]>): Graph {
  const graph = buildGraph({ ...spec, outputs: Object.keys(outputs) });
  for (const [name, [dtype, shape]] of Object.entries(outputs)) graph.tensors.set(name, { ...graph.tensors.get(name)!, dtype, shape });
  return { ...graph, name: 'branch' };
}

/** A model: `spec` with its output `y` declared float32 of `shape`. */
function model(spec: Omit<GraphSpec, 'outputs'>, shape: number[]): Graph {
  const graph = buildGraph({ opset: 13, ...spec, outputs: ['y'] });
  graph.tensors.set('y', { name: 'y', dtype: 'float32', shape });
  return graph;
}

const X = [2, 3];
const relu = branch({ nodes: [['Relu', ['x'], ['out']]] }, { out: ['float32', X] });
const negate = branch({ nodes: [['Neg', ['x'], ['out']]] }, { out: ['float32', X] });

async function onnxruntime(graph: Graph, inputs: Record<string, Value>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeGraph(graph));
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, v] of Object.entries(inputs))
    feeds[name] = new ort.Tensor(v.dtype === 'bool' ? 'bool' : 'float32', v.data as Float32Array, v.shape);
  return (await session.run(feeds))['y']!.data as Float32Array;
}

/** The model imported from its file, its reference output on `x`, and onnxruntime's. */
async function run(name: string, graph: Graph, x: Float32Array): Promise<{ imported: Graph; got: number[]; want: number[] }> {
  const imported = importModel(writeScratch(`${name}.onnx`, graph)).graph;
  const inputs = { x: { shape: X, dtype: 'float32' as const, data: x } };
  const got = Array.from(runReference(imported, inputs)['y']!.data as Float32Array);
  const want = Array.from(await onnxruntime(graph, inputs));
  return { imported, got, want };
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('If with a condition known at compile time keeps only the branch it takes', () => {
  it('a constant condition', async () => {
    for (const value of [1, 0]) {
      const graph = model(
        {
          inputs: { x: ['float32', X] },
          constants: { c: ['bool', [], [value]] },
          nodes: [['If', ['c'], ['y'], { then_branch: relu, else_branch: negate }]],
        },
        X,
      );
      const { imported, got, want } = await run(`constant_${value}`, graph, randomFloats(6, 3));
      expect(ops(imported)).toEqual([value ? 'Relu' : 'Neg']);
      expect(got).toEqual(want);
    }
  });

  it('a condition computed from the input shape, and an If nested in the branch taken', async () => {
    // then: If (x has 3 columns) then Relu(x) else Neg(x), doubled; else: Neg(x).
    const inner = branch(
      {
        constants: { two: ['float32', [], [2]] },
        nodes: [
          ['If', ['wide'], ['picked'], { then_branch: relu, else_branch: negate }],
          ['Mul', ['picked', 'two'], ['out']],
        ],
      },
      { out: ['float32', X] },
    );
    const graph = model(
      {
        inputs: { x: ['float32', X] },
        constants: { one: ['int64', [1], [1]], three: ['int64', [1], [3]], zero: ['int64', [], [0]] },
        nodes: [
          ['Shape', ['x'], ['shape']],
          ['Gather', ['shape', 'one'], ['columns']],
          ['Equal', ['columns', 'three'], ['wide1']],
          ['Squeeze', ['wide1', 'zero_axes'], ['wide']],
          ['If', ['wide'], ['y'], { then_branch: inner, else_branch: negate }],
        ],
      },
      X,
    );
    graph.tensors.set('zero_axes', { name: 'zero_axes', dtype: 'int64', shape: [1], data: Float64Array.of(0) });
    const { imported, got, want } = await run('shape_condition', graph, randomFloats(6, 5));
    expect(ops(imported)).toEqual(['Relu', 'Mul']);
    expect(got).toEqual(want);
  });
});

describe('If with a condition known at run time computes both branches and selects', () => {
  // then: Relu(x) + 1, else: Neg(x) + 1, both naming their tensors alike; the condition: sum(x) > 0.
  const plusOne = (op: string) =>
    branch(
      {
        constants: { k: ['float32', [], [1]] },
        nodes: [
          [op, ['x'], ['t']],
          ['Add', ['t', 'k'], ['out']],
        ],
      },
      { out: ['float32', X] },
    );
  const graph = model(
    {
      inputs: { x: ['float32', X] },
      constants: { zero: ['float32', [], [0]] },
      nodes: [
        ['ReduceSum', ['x'], ['sum'], { keepdims: 0 }],
        ['Greater', ['sum', 'zero'], ['positive']],
        ['If', ['positive'], ['y'], { then_branch: plusOne('Relu'), else_branch: plusOne('Neg') }],
      ],
    },
    X,
  );

  it('the selection matches onnxruntime whichever branch the input takes', async () => {
    for (const [name, x] of [
      ['positive', Float32Array.from([1, 2, 3, -1, 0.5, 0.25])],
      ['negative', Float32Array.from([-1, -2, 3, -1, 0.5, 0.25])],
    ] as const) {
      const { imported, got, want } = await run(`runtime_${name}`, graph, x);
      expect(ops(imported)).toContain('Where');
      expect(ops(imported).filter((op) => op === 'Add')).toHaveLength(2);
      expect(got).toEqual(want);
    }
  });

  it('branches whose outputs differ in shape are refused with the reason', () => {
    const wide = branch({ nodes: [['Concat', ['x', 'x'], ['out'], { axis: 1 }]] }, { out: ['float32', [2, 6]] });
    const refused = model(
      {
        inputs: { x: ['float32', X], c: ['bool', []] },
        nodes: [['If', ['c'], ['y'], { then_branch: wide, else_branch: relu }]],
      },
      X,
    );
    let error: unknown;
    try {
      importModel(writeScratch('different_shapes.onnx', refused));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EennError);
    expect((error as EennError).code).toBe('E_UNSUPPORTED');
    expect((error as EennError).message).toMatch(/float32 \[2,6\] in then_branch but float32 \[2,3\] in else_branch/);
  });

  it('a condition that is not one bool value is a shape error', () => {
    const graph = model(
      {
        inputs: { x: ['float32', X] },
        constants: { c: ['bool', [2], [1, 0]] },
        nodes: [['If', ['c'], ['y'], { then_branch: relu, else_branch: negate }]],
      },
      X,
    );
    expect(() => importModel(writeScratch('two_conditions.onnx', graph))).toThrow(/condition must be one bool value/);
  });
});
