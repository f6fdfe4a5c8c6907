// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (src/ops/loss.ts) against hand-computed values.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/loss.js';
import type { Value } from '../../src/ops/types.js';

function value(dtype: DType, shape: number[], values: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values);
  return { dtype, shape, data };
}

function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, outputs = 1): Value[] {
  const def = ops.find((d) => d.op === op)!;
  const node: Node = { name: 'loss', op, domain: '', inputs: inputs.map((_, i) => `in${i}`), outputs: ['y', 'log_prob'].slice(0, outputs), attrs };
  const infos = inputs.map((v, i) => (v ? { name: `in${i}`, shape: v.shape, dtype: v.dtype } : undefined));
  const shapes = def.inferShapes(node, infos, 13);
  const values = def.evaluate(node, inputs, 13);
  expect(values.map((v) => [v.shape, v.dtype])).toEqual(shapes.map((s) => [s.shape, s.dtype]));
  return values;
}

function errorOf(f: () => unknown): EennError {
  try {
    f();
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('no error');
}

// Log-probabilities of 2 samples over 3 classes; targets 2 and 0.
const logProb = value('float32', [2, 3], [-1, -2, -3, -0.5, -1.5, -2.5]);
const target = value('int64', [2], [2, 0]);
const weight = value('float32', [3], [1, 2, 4]);

describe('NegativeLogLikelihoodLoss', () => {
  it('takes -input[n][target[n]] per sample, then sums or averages', () => {
    expect(Array.from(run('NegativeLogLikelihoodLoss', [logProb, target], { reduction: 'none' })[0]!.data)).toEqual([3, 0.5]);
    expect(run('NegativeLogLikelihoodLoss', [logProb, target], { reduction: 'sum' })[0]!.data[0]).toBe(3.5);
    const mean = run('NegativeLogLikelihoodLoss', [logProb, target])[0]!;
    expect(mean.shape).toEqual([]);
    expect(mean.data[0]).toBe(1.75);
  });

  it('weights each loss by its class and divides the mean by the sum of the weights', () => {
    expect(Array.from(run('NegativeLogLikelihoodLoss', [logProb, target, weight], { reduction: 'none' })[0]!.data)).toEqual([12, 0.5]);
    // (4 * 3 + 1 * 0.5) / (4 + 1)
    expect(run('NegativeLogLikelihoodLoss', [logProb, target, weight])[0]!.data[0]).toBe(2.5);
  });

  it('gives ignored targets no loss and no weight in the mean', () => {
    expect(Array.from(run('NegativeLogLikelihoodLoss', [logProb, target], { reduction: 'none', ignore_index: 2 })[0]!.data)).toEqual([0, 0.5]);
    expect(run('NegativeLogLikelihoodLoss', [logProb, target], { ignore_index: 2 })[0]!.data[0]).toBe(0.5);
    // Only the target 2 counts, with weight 4: 12 / 4.
    expect(run('NegativeLogLikelihoodLoss', [logProb, target, weight], { ignore_index: 0 })[0]!.data[0]).toBe(3);
    // A negative ignore_index, and a mean over ignored targets only: 0 / 0.
    const ignored = value('int64', [2], [-1, -1]);
    expect(run('NegativeLogLikelihoodLoss', [logProb, ignored], { ignore_index: -1 })[0]!.data[0]).toBeNaN();
  });

  it('reads [N, C, d1, d2] with targets [N, d1, d2], the classes on axis 1', () => {
    // N = 1, C = 2, d = [1, 2]: input[0][c][0][j] = 10 * c + j.
    const input = value('float32', [1, 2, 1, 2], [0, 1, 10, 11]);
    const t = value('int32', [1, 1, 2], [1, 0]);
    const y = run('NegativeLogLikelihoodLoss', [input, t], { reduction: 'none' })[0]!;
    expect(y.shape).toEqual([1, 1, 2]);
    expect(Array.from(y.data)).toEqual([-10, -1]);
  });

  it('gives NaN for a target outside the classes that is not ignored', () => {
    const y = run('NegativeLogLikelihoodLoss', [logProb, value('int64', [2], [3, 0])], { reduction: 'none' })[0]!;
    expect(y.data[0]).toBeNaN();
    expect(y.data[1]).toBe(0.5);
    expect(run('NegativeLogLikelihoodLoss', [logProb, value('int64', [2], [-2, 0])], { reduction: 'sum' })[0]!.data[0]).toBeNaN();
  });

  it('refuses operands that do not fit', () => {
    expect(errorOf(() => run('NegativeLogLikelihoodLoss', [logProb, value('int64', [3], [0, 0, 0])])).code).toBe('E_SHAPE');
    expect(errorOf(() => run('NegativeLogLikelihoodLoss', [logProb, target, value('float32', [2], [1, 1])])).message).toContain('one per class');
    expect(errorOf(() => run('NegativeLogLikelihoodLoss', [logProb, target], { reduction: 'max' })).code).toBe('E_GRAPH');
    expect(errorOf(() => run('NegativeLogLikelihoodLoss', [logProb, value('float32', [2], [0, 0])])).code).toBe('E_UNSUPPORTED');
  });
});

describe('SoftmaxCrossEntropyLoss', () => {
  it('is the NLL loss of the LogSoftmax of the scores, which it returns as log_prob', () => {
    const scores = value('float32', [2, 3], [1, 2, 3, 0, 0, 0]);
    const [loss, lp] = run('SoftmaxCrossEntropyLoss', [scores, value('int64', [2], [2, 1])], { reduction: 'none' }, 2);
    // log(sum(exp([1, 2, 3]))) = 3.40760596; log(3) = 1.09861229.
    expect(loss!.data[0]).toBeCloseTo(0.40760596, 6);
    expect(loss!.data[1]).toBeCloseTo(1.09861229, 6);
    expect(lp!.shape).toEqual([2, 3]);
    expect(lp!.data[0]).toBeCloseTo(1 - 3.40760596, 6);
    expect(lp!.data[4]).toBeCloseTo(-1.09861229, 6);
  });

  it('applies weights and ignore_index as NegativeLogLikelihoodLoss does', () => {
    const scores = value('float32', [2, 2], [0, 0, 0, 0]);
    const labels = value('int64', [2], [0, 1]);
    const w = value('float32', [2], [1, 3]);
    // Each loss is log 2; weighted mean (1 + 3) * log 2 / 4.
    expect(run('SoftmaxCrossEntropyLoss', [scores, labels, w])[0]!.data[0]).toBeCloseTo(Math.LN2, 6);
    expect(run('SoftmaxCrossEntropyLoss', [scores, labels, w], { reduction: 'sum' })[0]!.data[0]).toBeCloseTo(4 * Math.LN2, 6);
    expect(run('SoftmaxCrossEntropyLoss', [scores, labels, w], { reduction: 'sum', ignore_index: 1 })[0]!.data[0]).toBeCloseTo(Math.LN2, 6);
  });
});
