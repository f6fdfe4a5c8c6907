import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/normalization.js';
import type { InputInfo, OpDef, Value } from '../../src/ops/types.js';

const batchNorm: OpDef = ops.find((d) => d.op === 'BatchNormalization')!;

function value(shape: number[], values: number[]): Value {
  const data = arrayFor('float32', sizeOf(shape));
  data.set(values);
  return { dtype: 'float32', shape, data };
}
function nodeOf(attrs: Record<string, AttrValue>, outputs = ['y']): Node {
  return { name: 'bn', op: 'BatchNormalization', domain: '', inputs: ['x', 's', 'b', 'm', 'v'], outputs, attrs };
}
function infosOf(inputs: Value[]): InputInfo[] {
  return inputs.map((v, i) => ({ name: `in${i}`, shape: v.shape, dtype: v.dtype }));
}
function run(inputs: Value[], attrs: Record<string, AttrValue> = {}, opset = 15): Value {
  const node = nodeOf(attrs);
  const [shape] = batchNorm.inferShapes(node, infosOf(inputs), opset);
  const [out] = batchNorm.evaluate(node, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  return out!;
}
function error(inputs: Value[], attrs: Record<string, AttrValue>, outputs = ['y'], opset = 15): EennError {
  try {
    batchNorm.inferShapes(nodeOf(attrs, outputs), infosOf(inputs), opset);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);

describe('BatchNormalization', () => {
  // Channel 0: (x - 1) / sqrt(3.96 + 0.04) * 1 + 0 = (x - 1) / 2; channel 1: (x - 0) / sqrt(0.96 + 0.04) * 2 + 1 = 2x + 1.
  const params = [value([2], [1, 2]), value([2], [0, 1]), value([2], [1, 0]), value([2], [3.96, 0.96])];

  it('normalizes each channel with its own statistics', () => {
    const y = run([value([1, 2, 2], [3, 5, -1, 0.5]), ...params], { epsilon: 0.04 });
    expect(y.shape).toEqual([1, 2, 2]);
    expect(list(y)).toEqual([1, 2, -1, 2]);
  });

  it('accepts [N, C] input and older opsets', () => {
    expect(list(run([value([2, 2], [3, 1, 5, -1]), ...params], { epsilon: 0.04 }, 9))).toEqual([1, 3, 2, -1]);
  });

  it('uses epsilon 1e-5 by default', () => {
    const y = run([value([1, 1, 1], [1]), value([1], [1]), value([1], [0]), value([1], [0]), value([1], [0])]);
    expect(y.data[0]).toBeCloseTo(1 / Math.sqrt(1e-5), 2);
  });

  it('accepts per-position statistics of opset 7 with spatial=0', () => {
    const one = value([2], [1, 1]);
    const zero = value([2], [0, 0]);
    const y = run([value([1, 1, 2], [4, 4]), one, zero, value([1, 2], [0, 2]), value([1, 2], [4, 1])], { spatial: 0, epsilon: 0 }, 7);
    expect(list(y)).toEqual([2, 2]);
  });

  it('rejects training mode: running-statistics outputs or training_mode=1', () => {
    const inputs = [value([1, 2, 1], [0, 0]), ...params];
    const extra = error(inputs, {}, ['y', 'running_mean', 'running_var']);
    expect(extra.code).toBe('E_UNSUPPORTED');
    expect(extra.message).toContain('training-mode');
    expect(error(inputs, { training_mode: 1 }).code).toBe('E_UNSUPPORTED');
  });

  it('rejects statistics whose length is not the channel count', () => {
    const err = error([value([1, 3, 1], [0, 0, 0]), ...params], {});
    expect(err.code).toBe('E_SHAPE');
    expect(err.message).toContain('expected [3]');
  });
});

describe('LayerNormalization', () => {
  const layerNorm: OpDef = ops.find((d) => d.op === 'LayerNormalization')!;
  const node = (attrs: Record<string, AttrValue>, inputs = ['x', 's', 'b'], outputs = ['y', 'mean', 'inv']): Node => ({
    name: 'ln',
    op: 'LayerNormalization',
    domain: '',
    inputs,
    outputs,
    attrs,
  });

  it('normalizes each row of the trailing axes, then applies Scale and B element by element', () => {
    // Row [1, 3]: mean 2, variance 1 -> [-1, 1] (epsilon 0); row [2, 2]: variance 0 -> 0 / sqrt(eps) = 0.
    const x = value([2, 2], [1, 3, 2, 2]);
    const inputs = [x, value([2], [2, -1]), value([2], [0.5, 0])];
    const n = node({ epsilon: 0.25 });
    const [y, mean, inv] = layerNorm.evaluate(n, inputs, 17);
    const s = 1 / Math.sqrt(1.25);
    expect(Array.from(y!.data)).toEqual(Array.from(Float32Array.of(-2 * s + 0.5, -s, 0.5, 0)));
    expect(mean!.shape).toEqual([2, 1]);
    expect(list(mean!)).toEqual([2, 2]);
    expect(Array.from(inv!.data)).toEqual(Array.from(Float32Array.of(s, 2)));
    expect(layerNorm.inferShapes(n, infosOf(inputs), 17).map((o) => o.shape)).toEqual([[2, 2], [2, 1], [2, 1]]);
  });

  it('normalizes from any axis (negative too), with a Scale that covers only the last axis and no B', () => {
    // axis 0 of [2, 2]: one row of 4 values, mean 2.5, variance 1.25.
    const x = value([2, 2], [1, 2, 3, 4]);
    const [y] = layerNorm.evaluate(node({ axis: -2, epsilon: 0 }, ['x', 's'], ['y']), [x, value([2], [1, 10])], 17);
    const s = 1 / Math.sqrt(1.25);
    expect(Array.from(y!.data)).toEqual(Array.from(Float32Array.of(-1.5 * s, -0.5 * 10 * s, 0.5 * s, 1.5 * 10 * s)));
  });

  it('refuses a Scale that does not broadcast onto the row, and stash_type other than float32', () => {
    const x = value([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => layerNorm.inferShapes(node({}), infosOf([x, value([2], [1, 1])]), 17)).toThrow(/Scale has shape \[2\]/);
    const stash = (() => {
      try {
        layerNorm.inferShapes(node({ stash_type: 16 }), infosOf([x, value([3], [1, 1, 1])]), 17);
      } catch (err) {
        return err as EennError;
      }
      throw new Error('expected an error');
    })();
    expect(stash.code).toBe('E_UNSUPPORTED');
  });
});

describe('InstanceNormalization', () => {
  it('normalizes each (n, c) plane and applies scale[c] and B[c]', () => {
    const instanceNorm: OpDef = ops.find((d) => d.op === 'InstanceNormalization')!;
    const n: Node = { name: 'in', op: 'InstanceNormalization', domain: '', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { epsilon: 0 } };
    // Channel 0 plane [1, 3] -> [-1, 1]; channel 1 plane [0, 4] -> [-1, 1], times 3 plus 1.
    const [y] = instanceNorm.evaluate(n, [value([1, 2, 2], [1, 3, 0, 4]), value([2], [1, 3]), value([2], [0, 1])], 6);
    expect(list(y!)).toEqual([-1, 1, -2, 4]);
  });
});

describe('MeanVarianceNormalization and LRN', () => {
  const def = (op: string): OpDef => ops.find((d) => d.op === op)!;
  const nodeFor = (op: string, attrs: Record<string, AttrValue>): Node => ({ name: op, op, domain: '', inputs: ['x'], outputs: ['y'], attrs });

  it('MeanVarianceNormalization divides by the standard deviation plus 1e-9, over the given axes', () => {
    // axes [1] of [1, 2, 2]: columns [1, 3] and [2, 6] -> mean 2 and 4, deviations 1 and 2.
    const [y] = def('MeanVarianceNormalization').evaluate(nodeFor('MeanVarianceNormalization', { axes: [1] }), [value([1, 2, 2], [1, 2, 3, 6])], 13);
    const one = 1 / (1 + 1e-9);
    expect(Array.from(y!.data)).toEqual(Array.from(Float32Array.of(-one, -2 / (2 + 1e-9), one, 2 / (2 + 1e-9))));
  });

  it('LRN sums squares over a window of channels clipped at the edges', () => {
    // size 2: channel c sums channels c - 0 .. c + 1. x = [1, 2, 3] over C = 3, bias 1, alpha 2 (alpha / size = 1), beta 1.
    const [y] = def('LRN').evaluate(nodeFor('LRN', { size: 2, alpha: 2, beta: 1, bias: 1 }), [value([1, 3], [1, 2, 3])], 13);
    expect(Array.from(y!.data)).toEqual(Array.from(Float32Array.of(1 / (1 + 1 + 4), 2 / (1 + 4 + 9), 3 / (1 + 9))));
  });
});
