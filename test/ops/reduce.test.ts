import { describe, expect, it } from 'vitest';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/reduce.js';
import type { InputInfo, Value } from '../../src/ops/types.js';

function def(op: string) {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function value(dtype: DType, shape: number[], values: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}
const ints = (values: number[]) => value('int64', [values.length], values);
function run(op: string, inputs: Value[], opset: number, attrs: Record<string, AttrValue> = {}): Value {
  const node: Node = { name: 'n', op, domain: '', inputs: inputs.map((_, i) => `in${i}`), outputs: ['y'], attrs };
  const infos = inputs.map((v, i): InputInfo => ({ name: `in${i}`, shape: v.shape, dtype: v.dtype, data: i > 0 ? v.data : undefined }));
  const [shape] = def(op).inferShapes(node, infos, opset);
  const [y] = def(op).evaluate(node, inputs, opset);
  expect(y!.shape).toEqual(shape!.shape);
  expect(y!.dtype).toBe(shape!.dtype);
  return y!;
}
const list = (v: Value) => Array.from(v.data);

// [2, 3]: rows [1, 2, 3] and [4, 5, 6]
const x = value('float32', [2, 3], [1, 2, 3, 4, 5, 6]);

describe('reductions', () => {
  it('ReduceMean reads axes from the attribute (opset 13) and keeps dims by default', () => {
    const y = run('ReduceMean', [x], 13, { axes: [1] });
    expect(y.shape).toEqual([2, 1]);
    expect(list(y)).toEqual([2, 5]);
    expect(run('ReduceMean', [x], 13, { axes: [-2], keepdims: 0 }).shape).toEqual([3]);
  });

  it('ReduceMean reads axes from the input in opset 18', () => {
    expect(list(run('ReduceMean', [x, ints([0])], 18))).toEqual([2.5, 3.5, 4.5]);
  });

  it('ReduceSum reads axes from the input in opset 13; no axes reduces everything', () => {
    expect(list(run('ReduceSum', [x, ints([0])], 13, { keepdims: 0 }))).toEqual([5, 7, 9]);
    const all = run('ReduceSum', [x], 13);
    expect(all.shape).toEqual([1, 1]);
    expect(list(all)).toEqual([21]);
  });

  it('noop_with_empty_axes leaves the input as it is', () => {
    const y = run('ReduceSum', [x, ints([])], 13, { noop_with_empty_axes: 1 });
    expect(y.shape).toEqual([2, 3]);
    expect(list(y)).toEqual(list(x));
  });

  it('ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare and ReduceL2 fold their way', () => {
    expect(list(run('ReduceMax', [x], 13, { axes: [1] }))).toEqual([3, 6]);
    expect(list(run('ReduceMin', [x], 13, { axes: [0] }))).toEqual([1, 2, 3]);
    expect(list(run('ReduceProd', [x], 13, { axes: [1] }))).toEqual([6, 120]);
    expect(list(run('ReduceSumSquare', [x], 13, { axes: [1] }))).toEqual([14, 77]);
    expect(run('ReduceL2', [x], 13, { axes: [1] }).data[0]).toBeCloseTo(Math.sqrt(14), 6);
  });

  it('ReduceLogSumExp stays finite for large inputs', () => {
    const y = run('ReduceLogSumExp', [value('float32', [2], [1000, 1000])], 13, { keepdims: 0 });
    expect(y.shape).toEqual([]);
    expect(y.data[0]).toBeCloseTo(1000 + Math.LN2, 3);
  });

  it('integer means truncate', () => {
    expect(list(run('ReduceMean', [value('int32', [2], [1, 2])], 13))).toEqual([1]);
  });

  it('rejects repeated axes', () => {
    expect(() => run('ReduceSum', [x, ints([1, -1])], 13)).toThrow(/repeat an axis/);
  });

  it('counts one operation per input element', () => {
    const node: Node = { name: 'n', op: 'ReduceMean', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} };
    expect(def('ReduceMean').macs!(node, [{ name: 'x', shape: [2, 3], dtype: 'float32' }], [])).toBe(6);
  });
});

describe('ArgMax and ArgMin', () => {
  const ties = value('float32', [2, 3], [1, 3, 3, 0, -1, 0]);

  it('give int64 indices of the first extreme', () => {
    const y = run('ArgMax', [ties], 13, { axis: 1 });
    expect(y.dtype).toBe('int64');
    expect(y.shape).toEqual([2, 1]);
    expect(list(y)).toEqual([1, 0]);
    expect(list(run('ArgMin', [ties], 13, { axis: 1, keepdims: 0 }))).toEqual([0, 1]);
  });

  it('select_last_index picks the last of equal extremes', () => {
    expect(list(run('ArgMax', [ties], 13, { axis: 1, select_last_index: 1 }))).toEqual([2, 2]);
  });
});
