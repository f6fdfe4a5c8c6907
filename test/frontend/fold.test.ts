// The folding passes, each alone on a small graph: constants, Identity/Dropout, dead nodes, fold-only ops,
// and BatchNormalization merged into Conv / ConvTranspose / Gemm (same outputs before and after).

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { assertFoldOnlyGone, fold, foldConstants, removeDeadNodes, removeIdentities } from '../../src/frontend/fold.js';
import { foldBatchNorm } from '../../src/frontend/fold-batchnorm.js';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { buildGraph, randomFloats, type GraphSpec } from './build-graph.js';

const shaped = (spec: GraphSpec): Graph => inferGraphShapes(buildGraph(spec)).graph;

describe('foldConstants', () => {
  it('evaluates nodes whose inputs are all constant and keeps the rest', () => {
    const graph = shaped({
      inputs: { x: ['float32', [3]] },
      constants: { a: ['float32', [3], [1, 2, 3]], b: ['float32', [3], [10, 20, 30]] },
      nodes: [
        ['Add', ['a', 'b'], ['ab']],
        ['Neg', ['ab'], ['nab']],
        ['Mul', ['x', 'nab'], ['y']],
      ],
      outputs: ['y'],
    });
    const folded = foldConstants(graph);
    expect(folded.nodes.map((n) => n.op)).toEqual(['Mul']);
    expect(Array.from(folded.tensors.get('nab')!.data!)).toEqual([-11, -22, -33]);
    expect(graph.nodes).toHaveLength(3); // the input graph is not modified
  });

  it('folds PyTorch flatten: Shape → Gather → Unsqueeze → Concat → Reshape becomes Reshape with a constant shape', () => {
    const graph = shaped({
      inputs: { x: ['float32', [2, 3, 4]] },
      constants: { zero: ['int64', [], [0]], minus_one: ['int64', [1], [-1]], axes: ['int64', [1], [0]] },
      nodes: [
        ['Shape', ['x'], ['shape']],
        ['Gather', ['shape', 'zero'], ['batch'], { axis: 0 }],
        ['Unsqueeze', ['batch', 'axes'], ['batch1']],
        ['Concat', ['batch1', 'minus_one'], ['target'], { axis: 0 }],
        ['Reshape', ['x', 'target'], ['y']],
      ],
      outputs: ['y'],
    });
    const folded = removeDeadNodes(foldConstants(graph));
    expect(folded.nodes.map((n) => n.op)).toEqual(['Reshape']);
    expect(Array.from(folded.tensors.get('target')!.data!)).toEqual([2, -1]);
    expect([...folded.tensors.keys()].sort()).toEqual(['target', 'x', 'y']);
    expect(() => assertFoldOnlyGone(folded)).not.toThrow();
  });
});

describe('removeIdentities', () => {
  it('lets readers of Identity and inference Dropout read the input directly', () => {
    const graph = shaped({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['Relu', ['x'], ['a']],
        ['Identity', ['a'], ['b']],
        ['Dropout', ['b'], ['c'], { ratio: 0.5 }],
        ['Neg', ['c'], ['y']],
      ],
      outputs: ['y'],
    });
    const g = removeIdentities(graph);
    expect(g.nodes.map((n) => [n.op, n.inputs])).toEqual([
      ['Relu', ['x']],
      ['Neg', ['a']],
    ]);
    expect(g.tensors.has('b')).toBe(false);
  });

  it('renames the producer when the Identity writes a graph output, and keeps input → output copies', () => {
    const graph = shaped({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['Relu', ['x'], ['a']],
        ['Identity', ['a'], ['y']],
        ['Identity', ['x'], ['x_copy']],
      ],
      outputs: ['y', 'x_copy'],
    });
    const g = removeIdentities(graph);
    expect(g.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([
      ['Relu', ['x'], ['y']],
      ['Identity', ['x'], ['x_copy']],
    ]);
    expect(g.tensors.get('y')!.shape).toEqual([4]);
  });

  it('keeps Dropout when its mask is read', () => {
    const graph = buildGraph({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['Dropout', ['x'], ['a', 'mask']],
        ['Cast', ['mask'], ['y'], { to: 1 }],
      ],
      outputs: ['a', 'y'],
    });
    expect(removeIdentities(graph).nodes.map((n) => n.op)).toEqual(['Dropout', 'Cast']);
  });
});

describe('removeDeadNodes', () => {
  it('drops nodes and tensors no output depends on', () => {
    const graph = shaped({
      inputs: { x: ['float32', [4]] },
      constants: { unused: ['float32', [1], [1]] },
      nodes: [
        ['Relu', ['x'], ['a']],
        ['Exp', ['a'], ['dead']],
        ['Neg', ['dead'], ['dead2']],
        ['Neg', ['a'], ['y']],
      ],
      outputs: ['y'],
    });
    const g = removeDeadNodes(graph);
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu', 'Neg']);
    expect([...g.tensors.keys()].sort()).toEqual(['a', 'x', 'y']);
  });
});

describe('fold-only operators', () => {
  it('are an error when their inputs stay dynamic', () => {
    // (Shape inference itself already refuses this graph; fold checks on its own too.)
    const graph = buildGraph({
      inputs: { x: ['float32', [2]], n: ['int64', [1]] },
      nodes: [
        ['ConstantOfShape', ['n'], ['z'], {}, 'zeros'],
        ['Add', ['x', 'z'], ['y']],
      ],
      outputs: ['y'],
    });
    expect(() => fold(graph)).toThrow(EennError);
    try {
      fold(graph);
    } catch (err) {
      expect((err as EennError).code).toBe('E_UNSUPPORTED');
      expect((err as EennError).details).toEqual([expect.stringContaining('"zeros" (ConstantOfShape)')]);
    }
  });
});

/** BN parameters for `channels` channels: gamma, beta, mean, var (positive). */
function batchNormConstants(channels: number): GraphSpec['constants'] {
  return {
    gamma: ['float32', [channels], randomFloats(channels, 11)],
    beta: ['float32', [channels], randomFloats(channels, 12)],
    mean: ['float32', [channels], randomFloats(channels, 13)],
    var: ['float32', [channels], randomFloats(channels, 14).map((v) => v + 1.5)],
  };
}

/** Same outputs (within float rounding) before and after foldBatchNorm, and the BN node is gone. */
function expectFoldedEquivalent(spec: GraphSpec): void {
  const graph = shaped(spec);
  const folded = removeDeadNodes(foldBatchNorm(graph));
  expect(folded.nodes.map((n) => n.op)).not.toContain('BatchNormalization');
  expect(folded.nodes).toHaveLength(graph.nodes.length - 1);
  const x = graph.tensors.get('x')!;
  const input = { x: { shape: x.shape, dtype: x.dtype, data: randomFloats(sizeOf(x.shape), 5) } };
  const before = runReference(graph, input).y!.data;
  const after = runReference(folded, input).y!.data;
  expect(after.length).toBe(before.length);
  for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 4);
}

describe('foldBatchNorm', () => {
  const bn = ['BatchNormalization', ['h', 'gamma', 'beta', 'mean', 'var'], ['y'], { epsilon: 1e-3 }] as GraphSpec['nodes'][number];

  it('merges into a Conv with bias', () => {
    expectFoldedEquivalent({
      inputs: { x: ['float32', [1, 2, 5, 5]] },
      constants: { ...batchNormConstants(3), w: ['float32', [3, 2, 3, 3], randomFloats(54, 2)], b: ['float32', [3], randomFloats(3, 3)] },
      nodes: [['Conv', ['x', 'w', 'b'], ['h'], { pads: [1, 1, 1, 1] }], bn],
      outputs: ['y'],
    });
  });

  it('merges into a grouped ConvTranspose without bias', () => {
    expectFoldedEquivalent({
      inputs: { x: ['float32', [1, 4, 3, 3]] },
      constants: { ...batchNormConstants(6), w: ['float32', [4, 3, 2, 2], randomFloats(48, 4)] },
      nodes: [['ConvTranspose', ['x', 'w'], ['h'], { group: 2, strides: [2, 2] }], bn],
      outputs: ['y'],
    });
  });

  it('merges into a Gemm, with transB and a scaled C, and without', () => {
    for (const transB of [0, 1]) {
      expectFoldedEquivalent({
        inputs: { x: ['float32', [2, 5]] },
        constants: {
          ...batchNormConstants(4),
          w: ['float32', transB ? [4, 5] : [5, 4], randomFloats(20, 6)],
          c: ['float32', [4], randomFloats(4, 7)],
        },
        nodes: [['Gemm', ['x', 'w', 'c'], ['h'], { transB, alpha: 0.5, beta: 2 }], bn],
        outputs: ['y'],
      });
    }
  });

  it('leaves a BatchNormalization whose producer has another reader', () => {
    const graph = shaped({
      inputs: { x: ['float32', [1, 3, 4, 4]] },
      constants: { ...batchNormConstants(3), w: ['float32', [3, 3, 1, 1], randomFloats(9, 2)] },
      nodes: [
        ['Conv', ['x', 'w'], ['h']],
        ['BatchNormalization', ['h', 'gamma', 'beta', 'mean', 'var'], ['y']],
        ['Relu', ['h'], ['z']],
      ],
      outputs: ['y', 'z'],
    });
    expect(foldBatchNorm(graph)).toBe(graph);
  });
});
