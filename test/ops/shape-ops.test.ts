import { describe, expect, it } from 'vitest';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/shape-ops.js';
import type { InputInfo, OutputInfo, Value } from '../../src/ops/types.js';

function def(op: string) {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function value(dtype: DType, shape: number[], values?: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values ?? Array.from({ length: data.length }, (_, i) => i));
  return { dtype, shape, data };
}
const ints = (values: number[]) => value('int64', [values.length], values);
const scalar = (dtype: DType, v: number) => value(dtype, [], [v]);
function nodeOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>): Node {
  return { name: 'n', op, domain: '', attrs, inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'] };
}
/** Shape inference with every input but the first known as a constant (as after loading). */
function infer(op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}, constantFirst = false): OutputInfo {
  const infos = inputs.map(
    (v, i): InputInfo | undefined => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype, data: i > 0 || constantFirst ? v.data : undefined },
  );
  return def(op).inferShapes(nodeOf(op, inputs, attrs), infos, opset)[0]!;
}
function run(op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}, constantFirst = false): Value {
  const shape = infer(op, inputs, opset, attrs, constantFirst);
  const [out] = def(op).evaluate(nodeOf(op, inputs, attrs), inputs, opset);
  expect(out!.shape).toEqual(shape.shape);
  expect(out!.dtype).toBe(shape.dtype);
  return out!;
}
const list = (v: Value) => Array.from(v.data);

describe('Shape and Size', () => {
  const x = value('float32', [2, 3, 4, 5]);

  it('Shape gives int64 dimensions, with start/end from opset 15', () => {
    const y = run('Shape', [x]);
    expect(y.dtype).toBe('int64');
    expect(list(y)).toEqual([2, 3, 4, 5]);
    expect(list(run('Shape', [x], 15, { start: 1, end: -1 }))).toEqual([3, 4]);
    expect(list(run('Shape', [x], 15, { start: -10, end: 10 }))).toEqual([2, 3, 4, 5]);
    expect(list(run('Shape', [x], 15, { start: 3, end: 1 }))).toEqual([]);
  });

  it('Size counts elements; both only exist folded', () => {
    expect(list(run('Size', [x]))).toEqual([120]);
    expect(def('Shape').foldOnly).toBe(true);
    expect(def('Size').foldOnly).toBe(true);
    expect(def('Gather').foldOnly).toBeFalsy();
  });
});

describe('ConstantOfShape and Range', () => {
  it('ConstantOfShape fills with the value attribute or float 0', () => {
    const y = run('ConstantOfShape', [ints([2, 2])], 17, { value: { name: 'v', shape: [1], dtype: 'int64', data: Float64Array.of(7) } }, true);
    expect(y.dtype).toBe('int64');
    expect(list(y)).toEqual([7, 7, 7, 7]);
    const zeros = run('ConstantOfShape', [ints([3])], 17, {}, true);
    expect(zeros.dtype).toBe('float32');
    expect(list(zeros)).toEqual([0, 0, 0]);
  });

  it('Range counts ceil((limit - start) / delta) values', () => {
    const y = run('Range', [scalar('int64', 10), scalar('int64', 1), scalar('int64', -3)], 17, {}, true);
    expect(list(y)).toEqual([10, 7, 4]);
    expect(list(run('Range', [scalar('float32', 0), scalar('float32', 1), scalar('float32', 0.25)], 17, {}, true))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(run('Range', [scalar('int32', 5), scalar('int32', 1), scalar('int32', 1)], 17, {}, true).shape).toEqual([0]);
  });

  it('needs constant inputs to know the output shape', () => {
    expect(() => infer('ConstantOfShape', [ints([2])])).toThrow(/must be a constant/);
  });
});

describe('Gather', () => {
  const x = value('float32', [3, 2], [1, 2, 3, 4, 5, 6]);

  it('picks rows with negative indices counted from the end', () => {
    const y = run('Gather', [x, ints([2, -3])]);
    expect(y.shape).toEqual([2, 2]);
    expect(list(y)).toEqual([5, 6, 1, 2]);
  });

  it('gathers along an inner axis with multi-dimensional indices', () => {
    const y = run('Gather', [x, value('int32', [1, 2], [1, 1])], 13, { axis: 1 });
    expect(y.shape).toEqual([3, 1, 2]);
    expect(list(y)).toEqual([2, 2, 4, 4, 6, 6]);
  });

  it('a scalar index drops the axis (Shape -> Gather in exported graphs)', () => {
    const y = run('Gather', [ints([1, 3, 224, 224]), scalar('int64', 1)]);
    expect(y.shape).toEqual([]);
    expect(list(y)).toEqual([3]);
  });

  it('rejects indices out of range', () => {
    expect(() => run('Gather', [x, ints([3])])).toThrow(/index 3 is out of range for an axis of size 3/);
  });

  it('GatherElements reads along an axis per element', () => {
    const y = run('GatherElements', [value('float32', [2, 2], [1, 2, 3, 4]), value('int64', [2, 2], [0, 0, 1, 0])], 13, { axis: 1 });
    expect(list(y)).toEqual([1, 1, 4, 3]);
  });
});

describe('Slice', () => {
  const x = value('float32', [3, 4]);

  it('reads attributes before opset 10', () => {
    const y = run('Slice', [x], 9, { starts: [1], ends: [3], axes: [1] });
    expect(y.shape).toEqual([3, 2]);
    expect(list(y)).toEqual([1, 2, 5, 6, 9, 10]);
  });

  it('reads inputs from opset 10, clamping huge ends', () => {
    const y = run('Slice', [x, ints([1, 0]), ints([9.223372036854776e18, -1])]);
    expect(y.shape).toEqual([2, 3]);
    expect(list(y)).toEqual([4, 5, 6, 8, 9, 10]);
  });

  it('walks backwards with a negative step', () => {
    const y = run('Slice', [x, ints([-1]), ints([-9.223372036854776e18]), ints([1]), ints([-2])]);
    expect(y.shape).toEqual([3, 2]);
    expect(list(y)).toEqual([3, 1, 7, 5, 11, 9]);
  });

  it('gives an empty axis when start is past end', () => {
    expect(run('Slice', [x, ints([3]), ints([1]), ints([0])]).shape).toEqual([0, 4]);
  });
});

describe('Cast, Expand, Where', () => {
  it('Cast truncates floats toward zero and maps non-zero to true', () => {
    const x = value('float32', [4], [-1.7, 2.9, 0, 300]);
    expect(list(run('Cast', [x], 13, { to: 7 }))).toEqual([-1, 2, 0, 300]);
    expect(list(run('Cast', [x], 13, { to: 9 }))).toEqual([1, 1, 0, 1]);
    expect(list(run('Cast', [ints([3, -2])], 13, { to: 1 }))).toEqual([3, -2]);
    expect(() => infer('Cast', [x], 13, { to: 10 })).toThrow(/float16 is not supported/);
  });

  it('Expand broadcasts in both directions', () => {
    const y = run('Expand', [value('float32', [3, 1], [1, 2, 3]), ints([2, 1, 2])]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(list(y)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expect(() => infer('Expand', [value('float32', [3]), ints([2])])).toThrow(/cannot broadcast/);
  });

  it('Where picks X where the condition holds', () => {
    const y = run('Where', [value('bool', [2, 1], [1, 0]), value('float32', [2], [1, 2]), value('float32', [], [-1])]);
    expect(y.shape).toEqual([2, 2]);
    expect(list(y)).toEqual([1, 2, -1, -1]);
  });
});
