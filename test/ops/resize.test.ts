import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/resize.js';
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
const floats = (values: number[]) => value([values.length], values);
const ints = (values: number[]) => value([values.length], values, 'int64');

function nodeOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>): Node {
  return { name: 'r', op, domain: '', inputs: inputs.map((v, i) => (v ? `in${i}` : '')), outputs: ['y'], attrs };
}
/** Every input but X is a constant, as shape inference needs. */
function infosOf(inputs: (Value | undefined)[]): (InputInfo | undefined)[] {
  return inputs.map((v, i) => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype, data: i > 0 ? v.data : undefined });
}
function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 13): Value {
  const node = nodeOf(op, inputs, attrs);
  const [shape] = def(op).inferShapes(node, infosOf(inputs), opset);
  const [out] = def(op).evaluate(node, inputs, opset);
  expect(out!.shape).toEqual(shape!.shape);
  return out!;
}
/** Resize-13 of X with `scales`. */
const byScales = (x: Value, scales: number[], attrs: Record<string, AttrValue> = {}) => run('Resize', [x, undefined, floats(scales)], attrs);
function error(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>, opset = 13, infos = infosOf(inputs)): EennError {
  try {
    def(op).inferShapes(nodeOf(op, inputs, attrs), infos, opset);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
const list = (v: Value) => Array.from(v.data);

describe('Resize, nearest', () => {
  const pair = floats([10, 20]);

  it('rounds half_pixel coordinates per nearest_mode', () => {
    // Output 4 of input 2: coordinates -0.25, 0.25, 0.75, 1.25 (clamped into the input).
    expect(list(byScales(pair, [2], { mode: 'nearest' }))).toEqual([10, 10, 20, 20]);
    expect(list(byScales(pair, [2], { nearest_mode: 'floor' }))).toEqual([10, 10, 10, 20]);
    expect(list(byScales(pair, [2], { nearest_mode: 'ceil' }))).toEqual([10, 20, 20, 20]);
  });

  it('breaks exact ties down for round_prefer_floor and up for round_prefer_ceil', () => {
    const x = floats([10, 20, 30]);
    const asymmetric = { coordinate_transformation_mode: 'asymmetric' };
    expect(list(byScales(x, [2], asymmetric))).toEqual([10, 10, 20, 20, 30, 30]);
    expect(list(byScales(x, [2], { ...asymmetric, nearest_mode: 'round_prefer_ceil' }))).toEqual([10, 20, 20, 30, 30, 30]);
  });

  it('computes coordinates in float32 like onnxruntime (3.5 / 0.7f is exactly 5 there)', () => {
    // Output index 3: (3 + 0.5) / 0.7 - 0.5 = 4.5 in float32, a tie that rounds down to 4 (float64 would give 5).
    const y = byScales(floats([0, 1, 2, 3, 4, 5, 6]), [0.7]);
    expect(y.shape).toEqual([4]);
    expect(y.data[3]).toBe(4);
  });

  it('keeps the input dtype', () => {
    const y = byScales(value([2], [-7, 9], 'int8'), [1.5], { coordinate_transformation_mode: 'asymmetric' });
    expect(y.dtype).toBe('int8');
    // Coordinates 0, 0.67, 1.33 round to 0, 1, 1.
    expect(list(y)).toEqual([-7, 9, 9]);
  });
});

describe('Resize, linear and cubic', () => {
  it('interpolates half_pixel and clamps at the edges', () => {
    expect(list(byScales(floats([1, 2]), [2], { mode: 'linear' }))).toEqual([1, 1.25, 1.75, 2]);
  });

  it('maps corner to corner with align_corners, given sizes', () => {
    const y = run('Resize', [floats([1, 2]), undefined, undefined, ints([3])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(list(y)).toEqual([1, 1.5, 2]);
  });

  it('is separable over 2-D', () => {
    const y = byScales(value([2, 2], [0, 1, 2, 3]), [1.5, 1.5], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(y.shape).toEqual([3, 3]);
    expect(list(y)).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  });

  it('gives pytorch_half_pixel a single output the first input element', () => {
    const y = run('Resize', [floats([4, 8, 12]), undefined, undefined, ints([1])], {
      mode: 'linear',
      coordinate_transformation_mode: 'pytorch_half_pixel',
    });
    expect(list(y)).toEqual([4]);
  });

  it('fills tf_crop_and_resize samples outside the input with extrapolation_value', () => {
    const roi = floats([-0.5, 1]);
    const y = run('Resize', [floats([0, 10, 20]), roi, undefined, ints([4])], {
      mode: 'linear',
      coordinate_transformation_mode: 'tf_crop_and_resize',
      extrapolation_value: -1,
    });
    // Coordinates -1, 0, 1, 2 of the input.
    expect(list(y)).toEqual([-1, 0, 10, 20]);
  });

  it('reproduces a ramp away from the edges with cubic (Keys, a = -0.75)', () => {
    const ramp = floats([0, 1, 2, 3, 4, 5, 6, 7]);
    const y = byScales(ramp, [2], { mode: 'cubic', coordinate_transformation_mode: 'asymmetric' });
    // Coordinate o / 2 reads taps floor(o / 2) - 1 .. floor(o / 2) + 2; all lie inside for o in 2..12.
    for (let o = 2; o <= 12; o++) expect(y.data[o]).toBeCloseTo(o / 2, 5);
    // At 0.5 the tap at -1 is clamped to the edge, so the ramp bends.
    expect(y.data[1]).not.toBeCloseTo(0.5, 3);
  });
});

describe('Resize across opsets', () => {
  it('reads only the listed axes (opset 18) and keeps the aspect ratio with not_larger', () => {
    const x = value([1, 2, 4], new Array(8).fill(1));
    const y = run('Resize', [x, undefined, undefined, ints([3, 3])], { axes: [1, 2], keep_aspect_ratio_policy: 'not_larger' }, 18);
    // min(3 / 2, 3 / 4) = 0.75: [2, 4] becomes [round(1.5), 3] = [2, 3].
    expect(y.shape).toEqual([1, 2, 3]);
  });

  it('Resize-10 is asymmetric and rounds down when enlarging, up when shrinking', () => {
    expect(list(run('Resize', [floats([1, 2]), floats([2])], {}, 10))).toEqual([1, 1, 2, 2]);
    expect(list(run('Resize', [floats([1, 2, 3, 4]), floats([0.6])], {}, 10))).toEqual([1, 3]);
  });

  it('Upsample reads scales from the attribute (opset 7) or the input (opset 9)', () => {
    expect(list(run('Upsample', [floats([1, 2])], { scales: [2] }, 7))).toEqual([1, 1, 2, 2]);
    expect(list(run('Upsample', [floats([1, 2]), floats([2])], { mode: 'linear' }, 9))).toEqual([1, 1.5, 2, 2]);
  });

  it('rejects non-constant scales, antialias and giving both scales and sizes', () => {
    const x = floats([1, 2]);
    const dynamic = error('Resize', [x, undefined, floats([2])], {}, 13, [
      { name: 'x', shape: [2], dtype: 'float32' },
      undefined,
      { name: 's', shape: [1], dtype: 'float32' },
    ]);
    expect(dynamic.code).toBe('E_SHAPE');
    expect(dynamic.message).toContain('constant');
    expect(error('Resize', [x, undefined, floats([2])], { antialias: 1 }, 18).code).toBe('E_UNSUPPORTED');
    expect(error('Resize', [x, undefined, floats([2]), ints([4])], {}).message).toContain('exactly one of scales and sizes');
  });
});
