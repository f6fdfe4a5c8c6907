// What the QDQ import refuses, and how: bad numbers in the model (E_MODEL), quantization eennc has no int8 form
// for (E_UNSUPPORTED), each naming the node; and the one bad-looking number it accepts, a dead weight channel.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import type { AttrValue, DType } from '../../src/ir/graph.js';
import { importQdq } from '../../src/quantize/import-qdq.js';
import { ModelBuilder } from './qdq-models.js';

function errorOf(f: () => unknown): EennError {
  try {
    f();
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('expected an EennError');
}

/** x -> QuantizeLinear(scale, zero point) -> DequantizeLinear -> Relu, with the Q node's numbers given. */
function activationModel(scale: number | number[], zeroPoint: { dtype: DType; value: number | number[] }, attrs: Record<string, AttrValue> = {}) {
  const b = new ModelBuilder();
  b.input('x', [1, 2]);
  b.scale('s', scale);
  b.zeroPoint('zp', zeroPoint.dtype, zeroPoint.value);
  b.node('QuantizeLinear', ['x', 's', 'zp'], ['xq'], attrs, '', 'quantize_x');
  b.node('DequantizeLinear', ['xq', 's', 'zp'], ['xd'], {}, '', 'dequantize_x');
  b.node('Relu', ['xd'], ['y']);
  b.outputs.push('y');
  return b.graph();
}

/** x -> MatMul(x, DequantizeLinear(w, scales, axis 1)) with w of `dtype` [2, 2]. */
function weightModel(dtype: DType, q: number[], scales: number[]) {
  const b = new ModelBuilder();
  b.input('x', [1, 2]);
  b.constant('w_q', dtype, [2, 2], q);
  b.scale('w_s', scales);
  b.zeroPoint(
    'w_zp',
    dtype,
    scales.map(() => 0),
  );
  b.node('DequantizeLinear', ['w_q', 'w_s', 'w_zp'], ['w'], { axis: 1 }, '', 'dequantize_w');
  b.node('MatMul', ['x', 'w'], ['y']);
  b.outputs.push('y');
  return b.graph();
}

describe('bad numbers: E_MODEL naming the node', () => {
  for (const scale of [0, -0.5, NaN]) {
    it(`an activation scale of ${scale}`, () => {
      const err = errorOf(() => importQdq(activationModel(scale, { dtype: 'uint8', value: 128 })));
      expect(err.code).toBe('E_MODEL');
      expect(err.node).toEqual({ name: 'quantize_x', op: 'QuantizeLinear' });
      expect(err.format()).toMatch(/scale/);
    });
  }

  it('a negative or NaN weight scale', () => {
    for (const bad of [-0.25, NaN]) {
      const err = errorOf(() => importQdq(weightModel('int8', [1, 2, 3, 4], [0.5, bad])));
      expect(err.code).toBe('E_MODEL');
      expect(err.node?.name).toBe('dequantize_w');
      expect(err.message).toMatch(/channel 1/);
    }
  });

  it('a weight scale of 0 on a channel that holds values', () => {
    const err = errorOf(() => importQdq(weightModel('int8', [1, 0, 3, 4], [0.5, 0])));
    expect(err.code).toBe('E_MODEL');
    expect(err.node?.name).toBe('dequantize_w');
  });

  it('a zero point whose type differs from the quantized constant', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 2]);
    b.constant('w_q', 'int8', [2, 2], [1, 2, 3, 4]);
    b.scale('w_s', 0.5);
    b.zeroPoint('w_zp', 'uint8', 0);
    b.node('DequantizeLinear', ['w_q', 'w_s', 'w_zp'], ['w'], {}, '', 'dequantize_w');
    b.node('MatMul', ['x', 'w'], ['y']);
    b.outputs.push('y');
    const err = errorOf(() => importQdq(b.graph()));
    expect(err.code).toBe('E_MODEL');
    expect(err.node?.name).toBe('dequantize_w');
  });
});

describe('a dead weight channel', () => {
  it('takes scale 0 on an all-zero channel as scale 1', () => {
    const { graph, overrides } = importQdq(weightModel('int8', [5, 0, -7, 0], [0.5, 0]));
    const w = overrides.weights.get('w')!;
    expect(Array.from(w.scales)).toEqual([0.5, 1]);
    expect(Array.from(w.q)).toEqual([5, 0, -7, 0]);
    expect(Array.from(graph.tensors.get('w')!.data!)).toEqual([2.5, 0, -3.5, 0]);
  });
});

describe('quantization without an int8 form: E_UNSUPPORTED naming the node', () => {
  it('int16 activations', () => {
    const err = errorOf(() => importQdq(activationModel(0.01, { dtype: 'int16', value: 0 })));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('quantize_x');
    expect(err.message).toMatch(/int16/);
  });

  it('int16 weights', () => {
    const err = errorOf(() => importQdq(weightModel('int16', [1, 2, 3, 4], [0.5, 0.5])));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('dequantize_w');
  });

  it('float8 and int4 output types (QuantizeLinear output_dtype)', () => {
    for (const [outputDtype, name] of [
      [17, 'float8e4m3fn'],
      [22, 'int4'],
      [5, 'int16'],
    ] as const) {
      const b = new ModelBuilder();
      b.input('x', [1, 2]);
      b.scale('s', 0.1);
      b.node('QuantizeLinear', ['x', 's'], ['xq'], { output_dtype: outputDtype }, '', 'quantize_x');
      b.node('DequantizeLinear', ['xq', 's'], ['y']);
      b.outputs.push('y');
      const err = errorOf(() => importQdq(b.graph(21)));
      expect(err.code).toBe('E_UNSUPPORTED');
      expect(err.node?.name).toBe('quantize_x');
      expect(err.message).toContain(name);
    }
  });

  it('per-channel activations', () => {
    const err = errorOf(() => importQdq(activationModel([0.1, 0.2], { dtype: 'int8', value: [0, 0] }, { axis: 1 })));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('quantize_x');
  });

  it('blocked quantization', () => {
    const err = errorOf(() => importQdq(activationModel(0.1, { dtype: 'int8', value: 0 }, { block_size: 32 })));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('quantize_x');
  });

  it('scales computed at run time (dynamic quantization)', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 2]);
    b.node('ReduceMax', ['x'], ['s'], { keepdims: 0 });
    b.zeroPoint('zp', 'int8', 0);
    b.node('QuantizeLinear', ['x', 's', 'zp'], ['xq'], {}, '', 'quantize_x');
    b.node('DequantizeLinear', ['xq', 's', 'zp'], ['y']);
    b.outputs.push('y');
    const err = errorOf(() => importQdq(b.graph()));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('quantize_x');
  });

  it('a DequantizeLinear reading a tensor with other numbers than its QuantizeLinear wrote', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 2]);
    b.scale('s', 0.1);
    b.scale('s2', 0.2);
    b.zeroPoint('zp', 'int8', 0);
    b.node('QuantizeLinear', ['x', 's', 'zp'], ['xq']);
    b.node('DequantizeLinear', ['xq', 's2', 'zp'], ['y'], {}, '', 'rescale');
    b.outputs.push('y');
    const err = errorOf(() => importQdq(b.graph()));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node?.name).toBe('rescale');
  });

  it('an arithmetic operator reading a quantized tensor directly', () => {
    const b = new ModelBuilder();
    b.input('x', [1, 2]);
    b.scale('s', 0.1);
    b.zeroPoint('zp', 'uint8', 128);
    b.node('QuantizeLinear', ['x', 's', 'zp'], ['xq']);
    b.node('Sigmoid', ['xq'], ['y'], {}, '', 'sigmoid');
    b.outputs.push('y');
    const err = errorOf(() => importQdq(b.graph()));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node).toEqual({ name: 'sigmoid', op: 'Sigmoid' });
  });
});
