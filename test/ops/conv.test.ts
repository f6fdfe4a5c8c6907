import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/conv.js';
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
function nodeOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>): Node {
  return { name: 'n', op, domain: '', inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'], attrs };
}
function infosOf(inputs: (Value | undefined)[]): (InputInfo | undefined)[] {
  return inputs.map((v, i) => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype });
}
/** Runs shape inference and the reference, checks they agree, returns the output. */
function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}): Value {
  const node = nodeOf(op, inputs, attrs);
  const [shape] = def(op).inferShapes(node, infosOf(inputs), 17);
  const [out] = def(op).evaluate(node, inputs, 17);
  expect(out!.shape).toEqual(shape!.shape);
  return out!;
}
function shapeError(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}): EennError {
  try {
    def(op).inferShapes(nodeOf(op, inputs, attrs), infosOf(inputs), 17);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);
const iota = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('Conv', () => {
  it('sums 2x2 windows and adds the bias', () => {
    const y = run('Conv', [value([1, 1, 3, 3], iota(9)), value([1, 1, 2, 2], [1, 1, 1, 1]), value([1], [1])]);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(list(y)).toEqual([13, 17, 25, 29]);
  });

  it('puts the odd padding element at the end for SAME_UPPER and at the start for SAME_LOWER', () => {
    const x = value([1, 1, 4], [1, 2, 3, 4]);
    const w = value([1, 1, 2], [1, 1]);
    expect(list(run('Conv', [x, w], { auto_pad: 'SAME_UPPER' }))).toEqual([3, 5, 7, 4]);
    expect(list(run('Conv', [x, w], { auto_pad: 'SAME_LOWER' }))).toEqual([1, 3, 5, 7]);
    expect(run('Conv', [x, w], { auto_pad: 'SAME_UPPER', strides: [3] }).shape).toEqual([1, 1, 2]);
  });

  it('applies explicit asymmetric pads, strides and dilations', () => {
    const x = value([1, 1, 7], iota(7));
    const w = value([1, 1, 2], [1, 1]);
    // Taps i and i + 3, every second position: x0 + x3, x2 + x5.
    expect(list(run('Conv', [x, w], { dilations: [3], strides: [2] }))).toEqual([5, 9]);
    // One zero in front: 0 + x2, x1 + x4, x3 + x6.
    expect(list(run('Conv', [x, w], { dilations: [3], strides: [2], pads: [1, 0] }))).toEqual([3, 7, 11]);
  });

  it('keeps groups apart, including depthwise with a channel multiplier', () => {
    const x = value([1, 2, 1, 1], [1, 10]);
    expect(list(run('Conv', [x, value([2, 1, 1, 1], [2, 3])], { group: 2 }))).toEqual([2, 30]);
    expect(list(run('Conv', [x, value([4, 1, 1, 1], [1, 2, 3, 4])], { group: 2 }))).toEqual([1, 2, 30, 40]);
    // Without groups every output channel sees both inputs.
    expect(list(run('Conv', [x, value([1, 2, 1, 1], [1, 1])]))).toEqual([11]);
  });

  it('handles 3-D volumes', () => {
    const y = run('Conv', [value([1, 1, 2, 2, 2], iota(8)), value([1, 1, 2, 2, 2], new Array(8).fill(1))]);
    expect(y.shape).toEqual([1, 1, 1, 1, 1]);
    expect(list(y)).toEqual([36]);
  });

  it('rejects mismatched channels, kernel_shape and bias with what was expected', () => {
    const x = value([1, 3, 4, 4], new Array(48).fill(0));
    const err = shapeError('Conv', [x, value([2, 2, 3, 3], new Array(36).fill(0))]);
    expect(err.code).toBe('E_SHAPE');
    expect(err.message).toContain('3 channels');
    expect(shapeError('Conv', [x, value([2, 3, 3, 3], new Array(54).fill(0))], { kernel_shape: [2, 2] }).message).toContain('kernel_shape');
    expect(shapeError('Conv', [x, value([2, 3, 3, 3], new Array(54).fill(0)), value([3], [0, 0, 0])]).message).toContain('expected [2]');
    expect(shapeError('Conv', [x, value([2, 3, 5, 5], new Array(150).fill(0))]).message).toContain('kernel extent 5');
  });

  it('counts output elements times C_in/group times kernel area as MACs', () => {
    const x: InputInfo = { name: 'x', shape: [1, 4, 5, 5], dtype: 'float32' };
    const w: InputInfo = { name: 'w', shape: [6, 2, 3, 3], dtype: 'float32' };
    const node: Node = { name: 'n', op: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: 2, pads: [1, 1, 1, 1] } };
    const outputs = def('Conv').inferShapes(node, [x, w], 17);
    expect(outputs[0]!.shape).toEqual([1, 6, 5, 5]);
    expect(def('Conv').macs!(node, [x, w], outputs)).toBe(150 * 2 * 9);
  });
});

describe('ConvTranspose', () => {
  const x = value([1, 1, 2], [1, 2]);
  const w = value([1, 1, 3], [1, 1, 1]);

  it('scatters each input over stride-spaced windows', () => {
    expect(list(run('ConvTranspose', [x, w], { strides: [2] }))).toEqual([1, 1, 3, 2, 2]);
    expect(list(run('ConvTranspose', [x, w, value([1], [0.5])], { strides: [2], pads: [1, 1] }))).toEqual([1.5, 3.5, 2.5]);
  });

  it('grows the output with output_padding or output_shape', () => {
    expect(list(run('ConvTranspose', [x, w], { strides: [2], output_padding: [1] }))).toEqual([1, 1, 3, 2, 2, 0]);
    expect(list(run('ConvTranspose', [x, w], { strides: [2], output_shape: [6] }))).toEqual([1, 1, 3, 2, 2, 0]);
  });

  it('makes out = in * stride for SAME_*, trimming the odd element per the spec', () => {
    expect(list(run('ConvTranspose', [x, w], { strides: [2], auto_pad: 'SAME_UPPER' }))).toEqual([1, 1, 3, 2]);
    expect(list(run('ConvTranspose', [x, w], { strides: [2], auto_pad: 'SAME_LOWER' }))).toEqual([1, 3, 2, 2]);
  });

  it('reads W as [C_in, C_out/group, k] and keeps groups apart', () => {
    const y = run('ConvTranspose', [value([1, 2, 1], [1, 10]), value([2, 2, 1], [1, 2, 3, 4])], { group: 2 });
    expect(y.shape).toEqual([1, 4, 1]);
    expect(list(y)).toEqual([1, 2, 30, 40]);
  });

  it('rejects a weight whose first axis is not C_in', () => {
    expect(shapeError('ConvTranspose', [value([1, 2, 2], [0, 0, 0, 0]), w]).message).toContain('W[0]');
  });
});
