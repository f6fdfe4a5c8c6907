import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/pool.js';
import type { InputInfo, OpDef, Value } from '../../src/ops/types.js';

function def(op: string): OpDef {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function value(shape: number[], values: number[], dtype: DType = 'float32'): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}
function nodeOf(op: string, attrs: Record<string, AttrValue>, outputs = ['y']): Node {
  return { name: 'n', op, domain: '', inputs: ['x'], outputs, attrs };
}
/** Runs shape inference and the reference on X, checks they agree, returns every output. */
function runAll(op: string, x: Value, attrs: Record<string, AttrValue> = {}, outputs = ['y']): Value[] {
  const node = nodeOf(op, attrs, outputs);
  const shapes = def(op).inferShapes(node, [{ name: 'x', shape: x.shape, dtype: x.dtype }], 17);
  const values = def(op).evaluate(node, [x], 17);
  expect(values.map((v) => [v.shape, v.dtype])).toEqual(shapes.map((s) => [s.shape, s.dtype]));
  return values;
}
const run = (op: string, x: Value, attrs: Record<string, AttrValue> = {}) => runAll(op, x, attrs)[0]!;
function shapeError(op: string, x: Value, attrs: Record<string, AttrValue>): EennError {
  try {
    def(op).inferShapes(nodeOf(op, attrs), [{ name: 'x', shape: x.shape, dtype: x.dtype } as InputInfo], 17);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);
const iota = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('MaxPool', () => {
  it('takes the maximum of each 2x2 window', () => {
    const y = run('MaxPool', value([1, 1, 4, 4], iota(16)), { kernel_shape: [2, 2], strides: [2, 2] });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(list(y)).toEqual([6, 8, 14, 16]);
  });

  it('ignores padding, even when every real value is negative', () => {
    expect(list(run('MaxPool', value([1, 1, 2], [-3, -5]), { kernel_shape: [2], pads: [1, 1] }))).toEqual([-3, -3, -5]);
  });

  it('spreads the window with dilations', () => {
    expect(list(run('MaxPool', value([1, 1, 5], [1, 5, 2, 4, 3]), { kernel_shape: [2], dilations: [2] }))).toEqual([2, 5, 3]);
  });

  it('adds a last partial window with ceil_mode, but never one that starts in the padding', () => {
    const x = value([1, 1, 5], [1, 2, 3, 4, 5]);
    expect(list(run('MaxPool', x, { kernel_shape: [2], strides: [2] }))).toEqual([2, 4]);
    expect(list(run('MaxPool', x, { kernel_shape: [2], strides: [2], ceil_mode: 1 }))).toEqual([2, 4, 5]);
    const four = value([1, 1, 4], [1, 2, 3, 4]);
    expect(list(run('MaxPool', four, { kernel_shape: [2], strides: [2], pads: [1, 1], ceil_mode: 1 }))).toEqual([1, 3, 4]);
    // Padded length 5: ceil((5 - 2) / 2) + 1 = 3 windows, but the third would start at 4, in the end padding.
    expect(list(run('MaxPool', four, { kernel_shape: [2], strides: [2], pads: [0, 1], ceil_mode: 1 }))).toEqual([2, 4]);
  });

  it('with ceil_mode, takes an input shorter than the window (one window, as onnxruntime and PyTorch do)', () => {
    const one = value([1, 1, 1], [7]);
    expect(list(run('MaxPool', one, { kernel_shape: [2], strides: [2], ceil_mode: 1 }))).toEqual([7]);
    expect(list(run('AveragePool', one, { kernel_shape: [2], strides: [2], ceil_mode: 1 }))).toEqual([7]);
    expect(() => run('MaxPool', one, { kernel_shape: [2], strides: [2] })).toThrow(EennError);
    expect(() => run('MaxPool', one, { kernel_shape: [3], strides: [2], ceil_mode: 1 })).toThrow(EennError);
  });

  it('pads SAME_UPPER at the end and SAME_LOWER at the start', () => {
    const x = value([1, 1, 4], [4, 1, 3, 2]);
    expect(list(run('MaxPool', x, { kernel_shape: [2], auto_pad: 'SAME_UPPER' }))).toEqual([4, 3, 3, 2]);
    expect(list(run('MaxPool', x, { kernel_shape: [2], auto_pad: 'SAME_LOWER' }))).toEqual([4, 4, 3, 3]);
  });

  it('returns flat indices of the maxima (row-major, or column-major with storage_order=1)', () => {
    const x = value([1, 2, 2, 2], [1, 9, 3, 4, 8, 5, 6, 7]);
    const [y, indices] = runAll('MaxPool', x, { kernel_shape: [2, 2] }, ['y', 'i']);
    expect(list(y!)).toEqual([9, 8]);
    expect(indices!.dtype).toBe('int64');
    expect(list(indices!)).toEqual([1, 4]);
    const [, columnMajor] = runAll('MaxPool', x, { kernel_shape: [2, 2], storage_order: 1 }, ['y', 'i']);
    expect(list(columnMajor!)).toEqual([2, 4]);
  });

  it('keeps integer dtypes and handles 3-D windows', () => {
    const y = run('MaxPool', value([1, 1, 3], [-100, 7, -2], 'int8'), { kernel_shape: [2] });
    expect(y.dtype).toBe('int8');
    expect(list(y)).toEqual([7, 7]);
    expect(list(run('MaxPool', value([1, 1, 2, 2, 2], iota(8)), { kernel_shape: [2, 1, 2] }))).toEqual([6, 8]);
  });

  it('rejects a missing kernel_shape and a kernel larger than the input', () => {
    const x = value([1, 1, 3, 3], iota(9));
    expect(shapeError('MaxPool', x, {}).message).toContain('kernel_shape');
    const big = shapeError('MaxPool', x, { kernel_shape: [4, 4] });
    expect(big.code).toBe('E_SHAPE');
    expect(big.message).toContain('kernel extent 4');
  });
});

describe('AveragePool', () => {
  const x = value([1, 1, 3], [1, 2, 3]);

  it('divides by the real taps, or by every padded tap with count_include_pad', () => {
    expect(list(run('AveragePool', x, { kernel_shape: [2], pads: [1, 1] }))).toEqual([1, 1.5, 2.5, 3]);
    expect(list(run('AveragePool', x, { kernel_shape: [2], pads: [1, 1], count_include_pad: 1 }))).toEqual([0.5, 1.5, 2.5, 1.5]);
  });

  it('does not count ceil_mode overhang beyond the end padding', () => {
    // Windows [1, 2] and [3, overhang]: the overhang is neither input nor padding.
    expect(list(run('AveragePool', x, { kernel_shape: [2], strides: [2], ceil_mode: 1, count_include_pad: 1 }))).toEqual([1.5, 3]);
  });

  it('averages 2-D windows', () => {
    expect(list(run('AveragePool', value([1, 1, 2, 4], iota(8)), { kernel_shape: [2, 2], strides: [2, 2] }))).toEqual([3.5, 5.5]);
  });
});

describe('global pools', () => {
  const x = value([1, 2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -6]);

  it('reduce every spatial axis to 1', () => {
    const avg = run('GlobalAveragePool', x);
    expect(avg.shape).toEqual([1, 2, 1, 1]);
    expect(list(avg)).toEqual([2.5, -3]);
    expect(list(run('GlobalMaxPool', x))).toEqual([4, -1]);
    expect(run('GlobalMaxPool', value([2, 1, 3], [1, 2, 3, 4, 5, 6])).shape).toEqual([2, 1, 1]);
  });

  it('need [N, C, spatial...]', () => {
    expect(shapeError('GlobalAveragePool', value([2, 3], iota(6)), {}).message).toContain('rank >= 3');
  });

  it('count no MACs', () => {
    const node = nodeOf('GlobalAveragePool', {});
    const info: InputInfo = { name: 'x', shape: x.shape, dtype: x.dtype };
    expect(def('GlobalAveragePool').macs!(node, [info], def('GlobalAveragePool').inferShapes(node, [info], 17))).toBe(0);
  });
});
