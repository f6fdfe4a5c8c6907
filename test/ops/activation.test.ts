import { describe, expect, it } from 'vitest';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/activation.js';
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
/** Runs an operator; `undefined` entries are omitted optional inputs. */
function run(op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}): Value {
  const node: Node = { name: 'n', op, domain: '', inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'], attrs };
  const infos = inputs.map((v, i): InputInfo | undefined => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype });
  const [shape] = def(op).inferShapes(node, infos, opset);
  const [out] = def(op).evaluate(node, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  expect(out!.dtype).toBe(shape!.dtype);
  return out!;
}
const f32 = (values: number[]) => value('float32', [values.length], values);
const list = (v: Value) => Array.from(v.data);

describe('piecewise-linear activations', () => {
  it('Relu zeroes negatives, also for int8', () => {
    expect(list(run('Relu', [f32([-1, 0, 2.5])]))).toEqual([0, 0, 2.5]);
    expect(list(run('Relu', [value('int8', [2], [-5, 7])]))).toEqual([0, 7]);
  });

  it('LeakyRelu scales negatives by alpha (default 0.01)', () => {
    expect(list(run('LeakyRelu', [f32([-2, 3])], 17, { alpha: 0.5 }))).toEqual([-1, 3]);
    expect(list(run('LeakyRelu', [f32([-100])]))).toEqual([Math.fround(-1)]);
  });

  it('HardSigmoid and HardSwish saturate at 0 and 1', () => {
    expect(list(run('HardSigmoid', [f32([-5, 0, 1, 5])]))).toEqual([0, 0.5, Math.fround(0.7), 1]);
    expect(list(run('HardSwish', [f32([-4, 0, 3, 6])]))).toEqual([-0, 0, 3, 6]);
  });
});

describe('Clip', () => {
  it('reads bounds from attributes before opset 11', () => {
    expect(list(run('Clip', [f32([-2, 0.25, 2])], 6, { min: -0.5, max: 0.5 }))).toEqual([-0.5, 0.25, 0.5]);
  });

  it('reads optional bound inputs from opset 11, either may be absent', () => {
    const x = f32([-2, 0.25, 2]);
    expect(list(run('Clip', [x, value('float32', [], [0]), undefined], 13))).toEqual([0, 0.25, 2]);
    expect(list(run('Clip', [x, undefined, value('float32', [], [1])], 13))).toEqual([-2, 0.25, 1]);
    expect(list(run('Clip', [x], 13))).toEqual([-2, 0.25, 2]);
  });

  it('gives max everywhere when min > max', () => {
    expect(list(run('Clip', [f32([-1, 5]), value('float32', [], [3]), value('float32', [], [1])], 13))).toEqual([1, 1]);
  });

  it('rejects bounds that are not scalars', () => {
    expect(() => run('Clip', [f32([1, 2]), f32([0, 0])], 13)).toThrow(/scalars/);
  });
});

describe('PRelu', () => {
  it('broadcasts the slope one way (opset 9+)', () => {
    const x = value('float32', [2, 2], [-1, -1, 2, -4]);
    expect(list(run('PRelu', [x, f32([0.5, 0.25])], 9))).toEqual([-0.5, -0.25, 2, -1]);
    expect(() => run('PRelu', [x, f32([1, 2, 3])], 9)).toThrow(/does not broadcast/);
  });

  it('reads a 1-D slope per channel in opset 6', () => {
    const x = value('float32', [1, 2, 2], [-1, -2, -1, -2]);
    expect(list(run('PRelu', [x, f32([0.5, 2])], 6))).toEqual([-0.5, -1, -2, -4]);
  });
});

describe('smooth activations', () => {
  const close = (got: Value, expected: number[]) => expected.forEach((e, i) => expect(got.data[i]).toBeCloseTo(e, 6));

  it('Sigmoid, Tanh and Softplus match their formulas', () => {
    close(run('Sigmoid', [f32([0, 2, -2])]), [0.5, 0.8807970779778823, 0.11920292202211755]);
    close(run('Tanh', [f32([0.5])]), [0.46211715726000974]);
    close(run('Softplus', [f32([0, 100, -100])]), [Math.LN2, 100, 0]);
  });

  it('Elu and Selu use alpha for negatives', () => {
    close(run('Elu', [f32([-1, 2])], 17, { alpha: 2 }), [2 * (Math.exp(-1) - 1), 2]);
    close(run('Selu', [f32([-1, 1])]), [1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1), 1.0507009873554805]);
  });

  it('Sigmoid rejects integer input', () => {
    expect(() => run('Sigmoid', [value('int32', [1], [1])])).toThrow(/not supported/);
  });

  it('counts one operation per element', () => {
    const node: Node = { name: 'n', op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} };
    expect(def('Relu').macs!(node, [], [{ shape: [4, 5], dtype: 'float32' }])).toBe(20);
  });
});
