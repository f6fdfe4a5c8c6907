// QuantizeLinear and DequantizeLinear in the float reference: ONNX's arithmetic (x / scale rounded half to even,
// the zero point added, saturated; (x - zero point) * scale), per tensor and per axis, and what is refused.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import type { AttrValue, DType, Node } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';
import type { Value } from '../../src/ops/types.js';

const OPSET = 21;

function value(dtype: DType, shape: number[], values: number[]): Value {
  const data =
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'int8'
        ? Int8Array.from(values)
        : dtype === 'uint8'
          ? Uint8Array.from(values)
          : Int32Array.from(values);
  return { shape, dtype, data };
}

function nodeOf(op: string, inputs: number, attrs: Record<string, AttrValue> = {}): Node {
  return { name: `${op}_0`, op, domain: '', inputs: ['x', 'scale', 'zero_point'].slice(0, inputs), outputs: ['y'], attrs };
}

/** Shape inference, then the reference, of one node on `inputs`. */
function run(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}): Value {
  const def = lookupOp(op)!;
  const node = nodeOf(op, inputs.length, attrs);
  const infos = inputs.map((v, i) => ({ name: node.inputs[i]!, shape: v.shape, dtype: v.dtype }));
  const [info] = def.inferShapes(node, infos, OPSET);
  const [out] = def.evaluate(node, inputs, OPSET);
  expect(out!.dtype).toBe(info!.dtype);
  expect(out!.shape).toEqual(info!.shape);
  return out!;
}

function errorOf(f: () => unknown): EennError {
  try {
    f();
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('expected an EennError');
}

describe('QuantizeLinear', () => {
  it('rounds x / scale half to even, adds the zero point and saturates to uint8 (the ONNX backend case)', () => {
    const y = run('QuantizeLinear', [value('float32', [6], [0, 2, 3, 1000, -254, -1000]), value('float32', [], [2]), value('uint8', [], [128])]);
    expect(y.dtype).toBe('uint8');
    expect(Array.from(y.data)).toEqual([128, 129, 130, 255, 1, 0]);
  });

  it('ties go to the even integer, before the zero point is added (int8)', () => {
    const x = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000, -1000];
    const y = run('QuantizeLinear', [value('float32', [8], x), value('float32', [], [1]), value('int8', [], [1])]);
    expect(Array.from(y.data)).toEqual([1, 3, 3, 1, -1, -1, 127, -128]);
  });

  it('per axis: one scale and zero point per channel along axis (default 1, negative counts from the end)', () => {
    const x = value('float32', [1, 3, 2], [2, -2, 4, 8, 10, -10]);
    const scale = value('float32', [3], [1, 2, 4]);
    const zeroPoint = value('int8', [3], [0, 1, -1]);
    const expected = [2, -2, 3, 5, 1, -3]; // 10 / 4 = 2.5 -> 2, -10 / 4 = -2.5 -> -2, then the zero point -1
    expect(Array.from(run('QuantizeLinear', [x, scale, zeroPoint]).data)).toEqual(expected);
    const last = value('float32', [2, 3], [2, 4, 10, -2, 8, -10]);
    expect(Array.from(run('QuantizeLinear', [last, scale, zeroPoint], { axis: -1 }).data)).toEqual([2, 3, 1, -2, 5, -3]);
  });

  it('without a zero point: uint8 with zero point 0, or the type output_dtype names (opset 21)', () => {
    const x = value('float32', [3], [-3, 3, 300]);
    const s = value('float32', [], [1]);
    expect(run('QuantizeLinear', [x, s])).toMatchObject({ dtype: 'uint8', data: Uint8Array.of(0, 3, 255) });
    expect(run('QuantizeLinear', [x, s], { output_dtype: 3 })).toMatchObject({ dtype: 'int8', data: Int8Array.of(-3, 3, 127) });
  });

  it('infinities saturate; NaN becomes the zero point', () => {
    const y = run('QuantizeLinear', [value('float32', [3], [Infinity, -Infinity, NaN]), value('float32', [], [1]), value('uint8', [], [7])]);
    expect(Array.from(y.data)).toEqual([255, 0, 7]);
  });

  it('refuses 16-bit outputs, float64 scales and a vector of scales that does not match the channels', () => {
    const x = value('float32', [1, 2], [1, 2]);
    const s = value('float32', [], [1]);
    expect(errorOf(() => run('QuantizeLinear', [x, s], { output_dtype: 5 })).code).toBe('E_UNSUPPORTED');
    expect(errorOf(() => run('QuantizeLinear', [x, value('float64' as DType, [], [1])])).code).toBe('E_UNSUPPORTED');
    const mismatch = errorOf(() => run('QuantizeLinear', [x, value('float32', [3], [1, 1, 1]), value('uint8', [3], [0, 0, 0])]));
    expect(mismatch.format()).toMatch(/QuantizeLinear_0/);
  });
});

describe('DequantizeLinear', () => {
  it('(x - zero point) * scale from uint8 (the ONNX backend case)', () => {
    const y = run('DequantizeLinear', [value('uint8', [4], [0, 3, 128, 255]), value('float32', [], [2]), value('uint8', [], [128])]);
    expect(y).toMatchObject({ dtype: 'float32', data: Float32Array.of(-256, -250, 0, 254) });
  });

  it('per axis from int8, and int32 without a zero point', () => {
    const y = run('DequantizeLinear', [value('int8', [1, 2, 2], [-128, 127, 3, -3]), value('float32', [2], [0.5, 0.25]), value('int8', [2], [0, 1])]);
    expect(Array.from(y.data)).toEqual([-64, 63.5, 0.5, -1]);
    const bias = run('DequantizeLinear', [value('int32', [2], [1000000, -7]), value('float32', [], [0.125])]);
    expect(Array.from(bias.data)).toEqual([125000, -0.875]);
  });

  it('refuses a zero point of another type than the input (E_MODEL naming the node)', () => {
    const err = errorOf(() => run('DequantizeLinear', [value('int8', [2], [1, 2]), value('float32', [], [1]), value('uint8', [], [0])]));
    expect(err.code).toBe('E_MODEL');
    expect(err.node).toEqual({ name: 'DequantizeLinear_0', op: 'DequantizeLinear' });
  });
});
