import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, stridesOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { broadcastShapes, mapBinary, stridedOffsets } from '../../src/ops/broadcast.js';
import { ops } from '../../src/ops/elementwise.js';
import type { InputInfo, Value } from '../../src/ops/types.js';

function def(op: string) {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function node(op: string, inputs: number, attrs: Record<string, AttrValue> = {}): Node {
  return { name: `${op}_0`, op, domain: '', inputs: Array.from({ length: inputs }, (_, i) => `in${i}`), outputs: ['y'], attrs };
}
function value(dtype: DType, shape: number[], values: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}
function info(v: Value, name = 'x'): InputInfo {
  return { name, shape: v.shape, dtype: v.dtype };
}
function run(op: string, inputs: Value[], opset = 17, attrs: Record<string, AttrValue> = {}): Value {
  const n = node(op, inputs.length, attrs);
  const [shape] = def(op).inferShapes(
    n,
    inputs.map((v) => info(v)),
    opset,
  );
  const [out] = def(op).evaluate(n, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  expect(out!.dtype).toBe(shape!.dtype);
  return out!;
}

describe('broadcasting', () => {
  it('aligns shapes from the right', () => {
    const n = node('Add', 2);
    expect(
      broadcastShapes(n, [
        [2, 1, 4],
        [3, 1],
      ]),
    ).toEqual([2, 3, 4]);
    expect(broadcastShapes(n, [[], [5]])).toEqual([5]);
  });

  it('says which shapes do not broadcast', () => {
    const err = (() => {
      try {
        broadcastShapes(node('Add', 2), [[2, 3], [4]]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_SHAPE');
    expect((err as EennError).message).toContain('cannot broadcast [2,3] with [4]');
  });

  it('mapBinary matches an index-by-index loop on mixed broadcast shapes', () => {
    const cases: [number[], number[]][] = [
      [
        [2, 3, 4],
        [3, 1],
      ],
      [
        [1, 3, 1, 5],
        [2, 1, 4, 1],
      ],
      [[4], [2, 3, 1]],
      [
        [2, 1],
        [1, 3],
      ],
    ];
    for (const [aShape, bShape] of cases) {
      const out = broadcastShapes(node('Add', 2), [aShape, bShape]);
      const a = Float64Array.from({ length: sizeOf(aShape) }, (_, i) => i + 1);
      const b = Float64Array.from({ length: sizeOf(bShape) }, (_, i) => 100 * (i + 1));
      const got = new Float64Array(sizeOf(out));
      mapBinary(got, out, a, aShape, b, bShape, (x, y) => x + y);
      const pick = (data: Float64Array, shape: number[], index: number[]) => {
        const strides = stridesOf(shape);
        const shift = index.length - shape.length;
        return data[shape.reduce((off, d, i) => off + (d === 1 ? 0 : index[i + shift]! * strides[i]!), 0)]!;
      };
      const outStrides = stridesOf(out);
      for (let flat = 0; flat < got.length; flat++) {
        const index = outStrides.map((s, i) => Math.floor(flat / s) % out[i]!);
        expect(got[flat]).toBe(pick(a, aShape, index) + pick(b, bShape, index));
      }
    }
  });

  it('stridedOffsets walks a transposed view', () => {
    // [2,3] read as its transpose [3,2]: strides (1, 3).
    expect(Array.from(stridedOffsets([3, 2], [1, 3]))).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('binary arithmetic', () => {
  it('adds a row to every row', () => {
    const y = run('Add', [value('float32', [2, 3], [1, 2, 3, 4, 5, 6]), value('float32', [3], [10, 20, 30])]);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it('broadcasts both ways into an outer sum', () => {
    const y = run('Sub', [value('float32', [2, 1], [10, 20]), value('float32', [1, 3], [1, 2, 3])]);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([9, 8, 7, 19, 18, 17]);
  });

  it('rounds float32 results once', () => {
    const y = run('Div', [value('float32', [1], [1]), value('float32', [1], [3])]);
    expect(y.data[0]).toBe(Math.fround(1 / 3));
  });

  it('divides int64 toward zero', () => {
    const y = run('Div', [value('int64', [4], [7, -7, 7, -7]), value('int64', [4], [2, 2, -2, -2])]);
    expect(y.dtype).toBe('int64');
    expect(y.data).toBeInstanceOf(Float64Array);
    expect(Array.from(y.data)).toEqual([3, -3, -3, 3]);
  });

  it('computes int64 shape arithmetic exactly', () => {
    const y = run('Mul', [value('int64', [2], [3, 1 << 20]), value('int64', [], [1 << 20])]);
    expect(Array.from(y.data)).toEqual([3 * 2 ** 20, 2 ** 40]);
  });

  it('wraps narrow integer types like C', () => {
    expect(Array.from(run('Sub', [value('uint8', [1], [1]), value('uint8', [1], [2])]).data)).toEqual([255]);
    expect(Array.from(run('Mul', [value('int32', [1], [65536]), value('int32', [1], [65537])]).data)).toEqual([65536]);
  });

  it('rejects mixed element types', () => {
    expect(() => run('Add', [value('float32', [1], [1]), value('int64', [1], [1])])).toThrow(/must match/);
  });

  it('reads B at `axis` with the pre-opset-7 broadcast attribute', () => {
    const a = value('float32', [2, 3, 2], new Array(12).fill(0));
    const b = value('float32', [3], [1, 2, 3]);
    const y = run('Add', [a, b], 6, { broadcast: 1, axis: 1 });
    expect(Array.from(y.data)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expect(() => run('Add', [a, b], 6)).toThrow(/broadcast=0/);
  });

  it('raises to a power of another type, keeping the base type', () => {
    const y = run('Pow', [value('float32', [3], [2, 4, 9]), value('int64', [3], [3, 0, -1])]);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([8, 1, Math.fround(1 / 9)]);
  });
});

describe('variadic and comparisons', () => {
  it('takes the elementwise max of three broadcast inputs', () => {
    const y = run('Max', [value('float32', [2, 1], [1, 5]), value('float32', [3], [0, 3, 6]), value('float32', [], [2])]);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([2, 3, 6, 5, 5, 6]);
  });

  it('Min, Sum and Mean fold every input', () => {
    const a = value('float32', [2], [1, 8]);
    const b = value('float32', [2], [4, 2]);
    const c = value('float32', [2], [7, 5]);
    expect(Array.from(run('Min', [a, b, c]).data)).toEqual([1, 2]);
    expect(Array.from(run('Sum', [a, b, c]).data)).toEqual([12, 15]);
    expect(Array.from(run('Mean', [a, b, c]).data)).toEqual([4, 5]);
  });

  it('Equal and Greater produce bool', () => {
    const y = run('Equal', [value('int64', [3], [1, 2, 3]), value('int64', [1], [2])]);
    expect(y.dtype).toBe('bool');
    expect(Array.from(y.data)).toEqual([0, 1, 0]);
    expect(Array.from(run('Greater', [value('float32', [3], [1, 2, 3]), value('float32', [], [2])]).data)).toEqual([0, 0, 1]);
  });

  it('And, Or, Xor and Not work on bool', () => {
    const a = value('bool', [4], [0, 0, 1, 1]);
    const b = value('bool', [4], [0, 1, 0, 1]);
    expect(Array.from(run('And', [a, b]).data)).toEqual([0, 0, 0, 1]);
    expect(Array.from(run('Or', [a, b]).data)).toEqual([0, 1, 1, 1]);
    expect(Array.from(run('Xor', [a, b]).data)).toEqual([0, 1, 1, 0]);
    expect(Array.from(run('Not', [a]).data)).toEqual([1, 1, 0, 0]);
  });
});

describe('unary math', () => {
  it('applies the function per element', () => {
    expect(Array.from(run('Sqrt', [value('float32', [3], [0, 4, 2])]).data)).toEqual([0, 2, Math.fround(Math.SQRT2)]);
    expect(Array.from(run('Reciprocal', [value('float32', [2], [4, -0.5])]).data)).toEqual([0.25, -2]);
    expect(Array.from(run('Exp', [value('float32', [1], [1])]).data)).toEqual([Math.fround(Math.E)]);
  });

  it('Neg and Abs keep integer types', () => {
    const y = run('Abs', [value('int64', [3], [-3, 0, 5])]);
    expect(y.dtype).toBe('int64');
    expect(Array.from(y.data)).toEqual([3, 0, 5]);
    expect(Array.from(run('Neg', [value('int8', [2], [-128, 5])]).data)).toEqual([-128, -5]);
  });

  it('rejects integer input to float-only functions', () => {
    expect(() => run('Sqrt', [value('int64', [1], [4])])).toThrow(/int64 is not supported/);
  });

  it('Erf matches known values', () => {
    const y = run('Erf', [value('float64', [4], [0, 0.5, 1, -2])]);
    const expected = [0, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527];
    expected.forEach((e, i) => expect(y.data[i]).toBeCloseTo(e, 7));
  });

  it('counts one operation per output element', () => {
    const n = node('Add', 2);
    expect(def('Add').macs!(n, [], [{ shape: [2, 3, 4], dtype: 'float32' }])).toBe(24);
  });
});
