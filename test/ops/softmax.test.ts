import { describe, expect, it } from 'vitest';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/softmax.js';
import type { Value } from '../../src/ops/types.js';

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
function run(op: string, x: Value, opset: number, attrs: Record<string, AttrValue> = {}): Value {
  const node: Node = { name: 'n', op, domain: '', inputs: ['x'], outputs: ['y'], attrs };
  const [shape] = def(op).inferShapes(node, [{ name: 'x', shape: x.shape, dtype: x.dtype }], opset);
  const [y] = def(op).evaluate(node, [x], opset);
  expect(y!.shape).toEqual(shape!.shape);
  return y!;
}
const close = (got: Value, expected: number[]) => {
  expect(got.data.length).toBe(expected.length);
  expected.forEach((e, i) => expect(got.data[i]).toBeCloseTo(e, 6));
};
/** softmax of a list, computed directly. */
const softmax = (xs: number[]) => {
  const e = xs.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('Softmax', () => {
  // [2, 2, 2]: x[i][j][k] = 4i + 2j + k
  const x = value('float32', [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);

  it('opset 13 runs along the last axis by default', () => {
    close(run('Softmax', x, 13), [...softmax([0, 1]), ...softmax([2, 3]), ...softmax([4, 5]), ...softmax([6, 7])]);
  });

  it('opset 13 runs along a middle axis', () => {
    const [a, b] = softmax([0, 2]);
    close(run('Softmax', x, 13, { axis: 1 }), [a!, a!, b!, b!, a!, a!, b!, b!]);
  });

  it('opset < 13 normalizes each row of the 2-D view at axis 1', () => {
    close(run('Softmax', x, 11), [...softmax([0, 1, 2, 3]), ...softmax([4, 5, 6, 7])]);
    close(run('Softmax', x, 11, { axis: 0 }), softmax([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it('stays finite for large inputs', () => {
    close(run('Softmax', value('float32', [3], [1000, 1000, 1000]), 13), [1 / 3, 1 / 3, 1 / 3]);
  });

  it('rejects an axis out of range', () => {
    expect(() => run('Softmax', x, 13, { axis: 3 })).toThrow(/axis 3 is out of range/);
  });
});

describe('LogSoftmax and Hardmax', () => {
  it('LogSoftmax is the log of Softmax', () => {
    const xs = [0.5, -1, 2];
    close(run('LogSoftmax', value('float32', [1, 3], xs), 13), softmax(xs).map(Math.log));
    close(run('LogSoftmax', value('float32', [2], [1000, 0]), 13), [0, -1000]);
  });

  it('Hardmax marks the first maximum', () => {
    expect(Array.from(run('Hardmax', value('float32', [2, 3], [1, 3, 3, 0, -1, -2]), 13).data)).toEqual([0, 1, 0, 1, 0, 0]);
  });
});
