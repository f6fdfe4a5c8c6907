import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/pad.js';
import type { InputInfo, OpDef, Value } from '../../src/ops/types.js';

const pad: OpDef = ops.find((d) => d.op === 'Pad')!;

function value(shape: number[], values: number[], dtype: DType = 'float32'): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}
const floats = (values: number[]) => value([values.length], values);
const ints = (values: number[]) => value([values.length], values, 'int64');

function nodeOf(inputs: (Value | undefined)[], attrs: Record<string, AttrValue>): Node {
  return { name: 'p', op: 'Pad', domain: '', inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'], attrs };
}
/** Every input but data is a constant, as shape inference needs. */
function infosOf(inputs: (Value | undefined)[]): (InputInfo | undefined)[] {
  return inputs.map((v, i) => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype, data: i > 0 ? v.data : undefined });
}
function run(inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 13): Value {
  const node = nodeOf(inputs, attrs);
  const [shape] = pad.inferShapes(node, infosOf(inputs), opset);
  const [out] = pad.evaluate(node, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  expect(out!.dtype).toBe(shape!.dtype);
  return out!;
}
function error(inputs: (Value | undefined)[], attrs: Record<string, AttrValue>, opset = 13, infos = infosOf(inputs)): EennError {
  try {
    pad.inferShapes(nodeOf(inputs, attrs), infos, opset);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);
const row = floats([1, 2, 3]);

describe('Pad', () => {
  it('fills with constant_value (input 2), 0 when absent', () => {
    expect(list(run([floats([1, 2]), ints([1, 2]), value([], [9])]))).toEqual([9, 1, 2, 9, 9]);
    expect(list(run([floats([1, 2]), ints([1, 0])]))).toEqual([0, 1, 2]);
  });

  it('reads pads and value from attributes before opset 11', () => {
    expect(list(run([floats([1, 2])], { pads: [0, 1], value: -3 }, 2))).toEqual([1, 2, -3]);
  });

  it('mirrors without repeating the edge (reflect), repeats the edge (edge), or wraps (wrap)', () => {
    expect(list(run([row, ints([2, 2])], { mode: 'reflect' }))).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(list(run([row, ints([2, 1])], { mode: 'edge' }))).toEqual([1, 1, 1, 2, 3, 3]);
    expect(list(run([row, ints([2, 1])], { mode: 'wrap' }, 19))).toEqual([2, 3, 1, 2, 3, 1]);
  });

  it('crops with negative pads', () => {
    expect(list(run([floats([1, 2, 3, 4]), ints([-1, 1])]))).toEqual([2, 3, 4, 0]);
    // Edge padding after a crop repeats the new edge.
    expect(list(run([floats([1, 2, 3, 4]), ints([1, -2])], { mode: 'edge' }))).toEqual([1, 1, 2]);
  });

  it('pads rows and columns of a matrix', () => {
    const y = run([value([2, 2], [1, 2, 3, 4]), ints([1, 0, 0, 1])]);
    expect(y.shape).toEqual([3, 3]);
    expect(list(y)).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
  });

  it('pads only the listed axes (opset 18)', () => {
    const y = run([value([2, 2], [1, 2, 3, 4]), ints([1, 0]), undefined, ints([-1])], {}, 18);
    expect(y.shape).toEqual([2, 3]);
    expect(list(y)).toEqual([0, 1, 2, 0, 3, 4]);
  });

  it('keeps integer dtypes', () => {
    const y = run([value([2], [5, -6], 'int64'), ints([1, 0]), value([], [7], 'int64')]);
    expect(y.dtype).toBe('int64');
    expect(list(y)).toEqual([7, 5, -6]);
  });

  it('rejects a wrong pads length, dynamic pads and wrap before opset 19', () => {
    expect(error([row, ints([1, 1, 1, 1])], {}).message).toContain('expected 2');
    const dynamic = error([row, ints([1, 1])], {}, 13, [
      { name: 'x', shape: [3], dtype: 'float32' },
      { name: 'p', shape: [2], dtype: 'int64' },
    ]);
    expect(dynamic.code).toBe('E_SHAPE');
    expect(dynamic.message).toContain('constant');
    expect(error([row, ints([1, 1])], { mode: 'wrap' }, 18).code).toBe('E_UNSUPPORTED');
    expect(error([row, ints([-2, -2])], {}).message).toContain('cannot be cropped');
  });
});
