// inferGraphShapes: dynamic input dimensions, shape rules over the graph, values PyTorch computes for shapes,
// and the unsupported-operator report.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { parseInputShapes } from '../../src/frontend/input-shapes.js';
import { buildGraph } from './build-graph.js';

const cnn = (inputShape: number[]) =>
  buildGraph({
    inputs: { image: ['float32', inputShape] },
    constants: { w: ['float32', [4, 1, 3, 3], new Float32Array(36)], axes: ['int64', [1], [1]] },
    nodes: [
      ['Conv', ['image', 'w'], ['c'], { pads: [1, 1, 1, 1] }],
      ['MaxPool', ['c'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }],
      ['ReduceMean', ['p'], ['m'], { axes: [2, 3], keepdims: 0 }],
    ],
    outputs: ['m'],
  });

function shapeError(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    return err as EennError;
  }
  throw new Error('no error');
}

describe('inferGraphShapes', () => {
  it('infers every tensor of a small CNN', () => {
    const { graph, notes } = inferGraphShapes(cnn([2, 1, 8, 8]));
    expect(graph.tensors.get('c')!.shape).toEqual([2, 4, 8, 8]);
    expect(graph.tensors.get('p')!.shape).toEqual([2, 4, 4, 4]);
    expect(graph.tensors.get('m')!.shape).toEqual([2, 4]);
    expect(notes).toEqual([]);
  });

  it('sets a dynamic batch dimension to 1 and says so', () => {
    const { graph, notes } = inferGraphShapes(cnn([-1, 1, 8, 8]));
    expect(graph.tensors.get('image')!.shape).toEqual([1, 1, 8, 8]);
    expect(graph.tensors.get('m')!.shape).toEqual([1, 4]);
    expect(notes).toEqual([expect.stringMatching(/"image".*batch.*--input-shape image=1x1x8x8/)]);
  });

  it('takes dynamic dimensions from inputShapes, and refuses ones that contradict the model', () => {
    const { graph, notes } = inferGraphShapes(cnn([-1, 1, -1, -1]), { inputShapes: { image: [3, 1, 6, 6] } });
    expect(graph.tensors.get('p')!.shape).toEqual([3, 4, 3, 3]);
    expect(notes).toEqual([]);
    expect(shapeError(() => inferGraphShapes(cnn([-1, 1, 8, 8]), { inputShapes: { image: [1, 3, 8, 8] } })).code).toBe('E_SHAPE');
    expect(shapeError(() => inferGraphShapes(cnn([1, 1, 8, 8]), { inputShapes: { other: [1] } })).code).toBe('E_USAGE');
  });

  it('asks for --input-shape when a dimension other than the batch is dynamic', () => {
    const e = shapeError(() => inferGraphShapes(cnn([1, 1, -1, -1])));
    expect(e.code).toBe('E_SHAPE');
    expect(e.hint).toContain('--input-shape image=1x1xNxN');
  });

  it('follows the Shape → Gather → Unsqueeze → Concat → Reshape chain PyTorch exports for flatten', () => {
    const graph = buildGraph({
      opset: 13,
      inputs: { x: ['float32', [-1, 2, 3, 4]] },
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
    const { graph: shaped } = inferGraphShapes(graph, { inputShapes: { x: [5, 2, 3, 4] } });
    expect(shaped.tensors.get('y')!.shape).toEqual([5, 24]);
    expect(shaped.tensors.get('target')!.dtype).toBe('int64');
    // Shape inference does not fold: the chain is still there, and its tensors carry no data.
    expect(shaped.nodes).toHaveLength(5);
    expect(shaped.tensors.get('target')!.data).toBeUndefined();
  });

  it('lists every unsupported node in one error, or returns them with collectUnsupported', () => {
    const graph = buildGraph({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['NonZero', ['x'], ['a'], {}, 'nz'],
        ['Relu', ['x'], ['b'], {}, 'ok'],
        ['Unique', ['b'], ['c'], {}, 'top'],
        ['Neg', ['c'], ['d']],
      ],
      outputs: ['a', 'd'],
    });
    const e = shapeError(() => inferGraphShapes(graph));
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.details).toEqual([expect.stringContaining('"nz" (NonZero)'), expect.stringContaining('"top" (Unique)')]);

    const tolerant = inferGraphShapes(graph, { collectUnsupported: true });
    expect(tolerant.unsupported.map((u) => u.name)).toEqual(['nz', 'top']);
    expect([...tolerant.unknown].sort()).toEqual(['a', 'c', 'd']);
    expect(tolerant.graph.tensors.get('b')!.shape).toEqual([4]);
  });

  it('parses --input-shape options, and refuses malformed ones with E_USAGE', () => {
    expect(parseInputShapes(['image=1x1x28x28', 'mask=4,2'])).toEqual({ image: [1, 1, 28, 28], mask: [4, 2] });
    expect(shapeError(() => parseInputShapes(['image:1x28'])).code).toBe('E_USAGE');
    expect(shapeError(() => parseInputShapes(['image=1xx28'])).code).toBe('E_USAGE');
  });

  it('notes an opset outside the range eennc is checked against', () => {
    const graph = buildGraph({ opset: 9, inputs: { x: ['float32', [2]] }, nodes: [['Relu', ['x'], ['y']]], outputs: ['y'] });
    expect(inferGraphShapes(graph).notes).toEqual([expect.stringMatching(/opset 9.*11\.\.21/)]);
  });
});
