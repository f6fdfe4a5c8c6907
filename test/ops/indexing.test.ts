// GatherND, ScatterElements / Scatter, ScatterND, OneHot and TopK (src/ops/indexing.ts) against hand-computed values.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/indexing.js';
import type { InputInfo, Value } from '../../src/ops/types.js';

function value(dtype: DType, shape: number[], values: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}
const f32 = (shape: number[], values: number[]) => value('float32', shape, values);
const i64 = (shape: number[], values: number[]) => value('int64', shape, values);

/** Runs `op`; `constant` lists the inputs shape inference sees with their values (OneHot depth, TopK k). */
function run(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}, opset = 18, constant: number[] = []): Value[] {
  const def = ops.find((d) => d.op === op)!;
  const node: Node = { name: 'n', op, domain: '', inputs: inputs.map((_, i) => `in${i}`), outputs: ['y', 'i'], attrs };
  const infos: InputInfo[] = inputs.map((v, i) => ({
    name: `in${i}`,
    shape: v.shape,
    dtype: v.dtype,
    ...(constant.includes(i) ? { data: v.data } : {}),
  }));
  const shapes = def.inferShapes(node, infos, opset);
  const values = def.evaluate(node, inputs, opset);
  expect(values.map((v) => [v.shape, v.dtype])).toEqual(shapes.map((s) => [s.shape, s.dtype]));
  return values;
}
const data = (v: Value) => Array.from(v.data);

function errorOf(f: () => unknown): EennError {
  try {
    f();
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('GatherND', () => {
  const x = f32([2, 2], [0, 1, 2, 3]);
  it('gathers elements and slices by index tuples', () => {
    expect(data(run('GatherND', [x, i64([2, 2], [0, 0, 1, 1])])[0]!)).toEqual([0, 3]);
    const rows = run('GatherND', [x, i64([2, 1], [1, 0])])[0]!;
    expect(rows.shape).toEqual([2, 2]);
    expect(data(rows)).toEqual([2, 3, 0, 1]);
  });

  it('counts negative indices from the end', () => {
    expect(data(run('GatherND', [x, i64([1, 2], [-1, -2])])[0]!)).toEqual([2]);
  });

  it('indexes within each batch with batch_dims', () => {
    const cube = f32([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    const y = run('GatherND', [cube, i64([2, 1], [1, 0])], { batch_dims: 1 })[0]!;
    expect(y.shape).toEqual([2, 2]);
    expect(data(y)).toEqual([2, 3, 4, 5]);
  });

  it('refuses an index outside its axis and tuples longer than data', () => {
    expect(errorOf(() => run('GatherND', [x, i64([1, 2], [2, 0])])).message).toContain('index 2 is out of range');
    expect(errorOf(() => run('GatherND', [x, i64([1, 3], [0, 0, 0])])).code).toBe('E_SHAPE');
  });
});

describe('ScatterElements and Scatter', () => {
  const x = f32([1, 5], [1, 2, 3, 4, 5]);
  const updates = f32([1, 2], [1.5, 2.5]);
  it('writes updates along the axis', () => {
    expect(data(run('ScatterElements', [x, i64([1, 2], [1, 3]), updates], { axis: 1 })[0]!)).toEqual([1, 1.5, 3, 2.5, 5]);
    expect(data(run('Scatter', [x, i64([1, 2], [1, 3]), updates], { axis: 1 }, 10)[0]!)).toEqual([1, 1.5, 3, 2.5, 5]);
    const square = f32([3, 3], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const y = run('ScatterElements', [square, i64([2, 3], [1, 0, 2, 0, 2, 1]), f32([2, 3], [1, 2, 3, 4, 5, 6])])[0]!;
    expect(data(y)).toEqual([4, 2, 0, 1, 0, 6, 0, 5, 3]);
  });

  it('counts negative indices from the end, and combines repeated ones by the reduction', () => {
    expect(data(run('ScatterElements', [x, i64([1, 2], [1, -3]), updates], { axis: 1 })[0]!)).toEqual([1, 1.5, 2.5, 4, 5]);
    const twice = i64([1, 2], [1, 1]);
    expect(data(run('ScatterElements', [x, twice, updates], { axis: 1 })[0]!)).toEqual([1, 2.5, 3, 4, 5]);
    expect(data(run('ScatterElements', [x, twice, updates], { axis: 1, reduction: 'add' })[0]!)).toEqual([1, 6, 3, 4, 5]);
    expect(data(run('ScatterElements', [x, twice, updates], { axis: 1, reduction: 'mul' })[0]!)).toEqual([1, 7.5, 3, 4, 5]);
    expect(data(run('ScatterElements', [x, twice, updates], { axis: 1, reduction: 'max' })[0]!)).toEqual([1, 2.5, 3, 4, 5]);
    expect(data(run('ScatterElements', [x, twice, updates], { axis: 1, reduction: 'min' })[0]!)).toEqual([1, 1.5, 3, 4, 5]);
  });

  it('refuses an index outside the axis and an unknown reduction', () => {
    expect(errorOf(() => run('ScatterElements', [x, i64([1, 2], [1, 5]), updates], { axis: 1 })).message).toContain('index 5 is out of range');
    expect(errorOf(() => run('ScatterElements', [x, i64([1, 2], [1, 2]), updates], { axis: 1, reduction: 'avg' })).code).toBe('E_GRAPH');
    expect(errorOf(() => run('ScatterElements', [x, i64([1, 3], [1, 2, 3]), updates], { axis: 1 })).code).toBe('E_SHAPE');
  });
});

describe('ScatterND', () => {
  it('writes elements and slices at index tuples, combined by the reduction', () => {
    const x = f32([8], [1, 2, 3, 4, 5, 6, 7, 8]);
    const y = run('ScatterND', [x, i64([4, 1], [4, 3, 1, 7]), f32([4], [9, 10, 11, 12])])[0]!;
    expect(data(y)).toEqual([1, 11, 3, 10, 9, 6, 7, 12]);
    const m = f32([2, 2], [1, 2, 3, 4]);
    expect(data(run('ScatterND', [m, i64([2, 1], [1, -1]), f32([2, 2], [1, 1, 2, 2])], { reduction: 'add' })[0]!)).toEqual([1, 2, 6, 7]);
    expect(data(run('ScatterND', [m, i64([1, 1], [0]), f32([1, 2], [5, 0.5])], { reduction: 'mul' })[0]!)).toEqual([5, 1, 3, 4]);
  });

  it('refuses updates of the wrong shape', () => {
    expect(errorOf(() => run('ScatterND', [f32([2, 2], [1, 2, 3, 4]), i64([1, 1], [0]), f32([2], [1, 1])])).message).toContain(
      'must have shape [1,2]',
    );
  });
});

describe('OneHot', () => {
  const depth = f32([], [3]);
  const values = f32([2], [-1, 5]);
  it('puts the on value at each index along the new axis, counting negative indices from depth', () => {
    const y = run('OneHot', [i64([3], [0, -1, 1]), depth, values], {}, 11, [1])[0]!;
    expect(y.shape).toEqual([3, 3]);
    expect(data(y)).toEqual([5, -1, -1, -1, -1, 5, -1, 5, -1]);
    const t = run('OneHot', [i64([3], [0, -1, 1]), depth, values], { axis: 0 }, 11, [1])[0]!;
    expect(data(t)).toEqual([5, -1, -1, -1, -1, 5, -1, 5, -1]);
    const columns = run('OneHot', [i64([2], [0, 2]), depth, values], { axis: 0 }, 11, [1])[0]!;
    expect(data(columns)).toEqual([5, -1, -1, -1, -1, 5]);
  });

  it('gives off values for indices outside [-depth, depth) and truncates float indices', () => {
    expect(data(run('OneHot', [i64([2], [3, -4]), depth, values], {}, 11, [1])[0]!)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(data(run('OneHot', [f32([1], [1.7]), depth, values], {}, 11, [1])[0]!)).toEqual([-1, 5, -1]);
  });

  it('needs a constant depth', () => {
    expect(errorOf(() => run('OneHot', [i64([1], [0]), depth, values], {}, 11)).message).toContain('must be a constant');
  });
});

describe('TopK', () => {
  const x = f32([2, 4], [1, 3, 3, 2, 0, -1, 5, 5]);
  it('returns the k largest or smallest values, sorted, equal ones by lower index first', () => {
    const [values, indices] = run('TopK', [x, i64([1], [3])], {}, 11, [1]);
    expect(values!.shape).toEqual([2, 3]);
    expect(data(values!)).toEqual([3, 3, 2, 5, 5, 0]);
    expect(indices!.dtype).toBe('int64');
    expect(data(indices!)).toEqual([1, 2, 3, 2, 3, 0]);
    const [small, at] = run('TopK', [x, i64([1], [2])], { largest: 0 }, 11, [1]);
    expect(data(small!)).toEqual([1, 2, -1, 0]);
    expect(data(at!)).toEqual([0, 3, 1, 0]);
  });

  it('runs along any axis, with k an attribute before opset 10', () => {
    const [values, indices] = run('TopK', [x], { axis: 0, k: 1 }, 1);
    expect(data(values!)).toEqual([1, 3, 5, 5]);
    expect(data(indices!)).toEqual([0, 0, 1, 1]);
  });

  it('refuses k larger than the axis', () => {
    expect(errorOf(() => run('TopK', [x, i64([1], [5])], {}, 11, [1])).message).toContain('k = 5');
  });
});
