import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/gemm.js';
import type { InputInfo, OpDef, Value } from '../../src/ops/types.js';

function def(op: string): OpDef {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function value(shape: number[], values: number[]): Value {
  const data = arrayFor('float32', sizeOf(shape));
  data.set(values);
  return { dtype: 'float32', shape, data };
}
function nodeOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>): Node {
  return { name: 'n', op, domain: '', inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'], attrs };
}
function infosOf(inputs: (Value | undefined)[]): (InputInfo | undefined)[] {
  return inputs.map((v, i) => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype });
}
function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 17): Value {
  const node = nodeOf(op, inputs, attrs);
  const [shape] = def(op).inferShapes(node, infosOf(inputs), opset);
  const [out] = def(op).evaluate(node, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  return out!;
}
function shapeError(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}, opset = 17): EennError {
  try {
    def(op).inferShapes(nodeOf(op, inputs, attrs), infosOf(inputs), opset);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);

describe('Gemm', () => {
  const a = value([2, 2], [1, 2, 3, 4]);
  const b = value([2, 2], [5, 6, 7, 8]);

  it('computes alpha * A * B + beta * C with C broadcast along rows', () => {
    // A * B = [[19, 22], [43, 50]].
    expect(list(run('Gemm', [a, b]))).toEqual([19, 22, 43, 50]);
    expect(list(run('Gemm', [a, b, value([2], [10, 20])], { alpha: 2, beta: 0.5 }))).toEqual([43, 54, 91, 110]);
  });

  it('broadcasts a column or a scalar C', () => {
    expect(list(run('Gemm', [a, b, value([2, 1], [1, -1])]))).toEqual([20, 23, 42, 49]);
    expect(list(run('Gemm', [a, b, value([], [100])], { beta: 0.01 }))).toEqual([20, 23, 44, 51]);
  });

  it('reads transposed operands', () => {
    const aT = value([2, 2], [1, 3, 2, 4]);
    const bT = value([2, 2], [5, 7, 6, 8]);
    expect(list(run('Gemm', [aT, bT], { transA: 1, transB: 1 }))).toEqual([19, 22, 43, 50]);
    // [3, 2]^T * [3, 1]: transA turns [K=3, M=2] into [2, 3].
    const y = run('Gemm', [value([3, 2], [1, 0, 0, 1, 1, 1]), value([3, 1], [1, 2, 3])], { transA: 1 });
    expect(y.shape).toEqual([2, 1]);
    expect(list(y)).toEqual([4, 5]);
  });

  it('rejects mismatched inner sizes, non-matrices and a C that does not broadcast', () => {
    expect(shapeError('Gemm', [a, value([3, 2], new Array(6).fill(0))]).message).toContain('inner dimensions differ');
    expect(shapeError('Gemm', [value([2], [1, 2]), b]).code).toBe('E_SHAPE');
    expect(shapeError('Gemm', [a, b, value([3], [0, 0, 0])]).message).toContain('does not broadcast');
    // Opset 6 without broadcast=1 needs C of the full output shape.
    expect(shapeError('Gemm', [a, b, value([2], [0, 0])], {}, 6).message).toContain('broadcast=0');
  });

  it('counts M * N * K MACs', () => {
    const inputs = [value([3, 4], new Array(12).fill(0)), value([4, 5], new Array(20).fill(0))];
    const node = nodeOf('Gemm', inputs, {});
    expect(def('Gemm').macs!(node, infosOf(inputs), def('Gemm').inferShapes(node, infosOf(inputs), 17))).toBe(60);
  });
});

describe('MatMul', () => {
  it('promotes a 1-D left operand to a row and drops it again', () => {
    const y = run('MatMul', [value([2], [1, 2]), value([2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(y.shape).toEqual([3]);
    expect(list(y)).toEqual([9, 12, 15]);
  });

  it('promotes a 1-D right operand to a column and drops it again', () => {
    const y = run('MatMul', [value([2, 3], [1, 2, 3, 4, 5, 6]), value([3], [1, 0, -1])]);
    expect(y.shape).toEqual([2]);
    expect(list(y)).toEqual([-2, -2]);
    expect(run('MatMul', [value([3], [1, 2, 3]), value([3], [4, 5, 6])]).shape).toEqual([]);
  });

  it('broadcasts batch axes numpy-style', () => {
    // A [2, 1, 2] times B [2, 2]: each batch row times diag(1, 2).
    const y = run('MatMul', [value([2, 1, 2], [1, 2, 3, 4]), value([2, 2], [1, 0, 0, 2])]);
    expect(y.shape).toEqual([2, 1, 2]);
    expect(list(y)).toEqual([1, 4, 3, 8]);
    // A [1, 1, 2] against B [3, 2, 1]: the single A row meets three B columns.
    const z = run('MatMul', [value([1, 1, 2], [1, 1]), value([3, 2, 1], [1, 2, 3, 4, 5, 6])]);
    expect(z.shape).toEqual([3, 1, 1]);
    expect(list(z)).toEqual([3, 7, 11]);
  });

  it('rejects batch axes that do not broadcast and mismatched inner sizes', () => {
    expect(shapeError('MatMul', [value([2, 1, 2], [0, 0, 0, 0]), value([3, 2, 1], new Array(6).fill(0))]).message).toContain('do not broadcast');
    expect(shapeError('MatMul', [value([2, 3], new Array(6).fill(0)), value([2, 3], new Array(6).fill(0))]).message).toContain(
      'inner dimensions differ',
    );
  });

  it('counts batch * M * N * K MACs', () => {
    const inputs = [value([4, 2, 3], new Array(24).fill(0)), value([3, 5], new Array(15).fill(0))];
    const node = nodeOf('MatMul', inputs, {});
    expect(def('MatMul').macs!(node, infosOf(inputs), def('MatMul').inferShapes(node, infosOf(inputs), 17))).toBe(4 * 2 * 5 * 3);
  });
});
