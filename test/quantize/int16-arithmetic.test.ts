// int16 activations, the arithmetic: requantizeS64 (arm_nn_requantize_s64) against a BigInt transliteration,
// QRequantize round trips between int8 and int16, the symmetric int16 scale and the int64 bias.

import { describe, expect, it } from 'vitest';
import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant } from '../../src/ir/int8.js';
import { INT32_MAX, reduceMultiplier, requantizeS64 } from '../../src/quantize/fixedpoint.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeMultiplier } from '../../src/quantize/multiplier.js';
import { chooseQuantParamsS16, quantizeBiasS64 } from '../../src/quantize/quant-params.js';

/** CMSIS-NN REDUCE_MULTIPLIER and arm_nn_requantize_s64, in BigInt with the spec's 64-bit shifts. */
function requantizeS64BigInt(acc: bigint, multiplier: number, shift: number): bigint {
  const reduced = BigInt(multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff);
  return (((acc * reduced) >> BigInt(14 - shift)) + 1n) >> 1n;
}

/** A deterministic generator of 32-bit values. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

describe('requantizeS64', () => {
  it('equals the BigInt formula on edge values of the accumulator, the multiplier and the shift', () => {
    const accs = [0, 1, -1, 2, -2, 3, -3, 2 ** 31, -(2 ** 31), 2 ** 40 + 12345, -(2 ** 40) - 12345, 2 ** 52 - 1, -(2 ** 53) + 1, 2 ** 53 - 1];
    const multipliers = [0, 1, 32767, 32768, 2 ** 30, 0x7ffeffff, 0x7fff0000, 0x7fff8000, INT32_MAX];
    const shifts = [-31, -20, -1, 0, 1, 7, 13, 14];
    for (const acc of accs) {
      for (const multiplier of multipliers) {
        for (const shift of shifts) {
          const want = Number(requantizeS64BigInt(BigInt(acc), multiplier, shift));
          expect(requantizeS64(acc, multiplier, shift), `acc ${acc} multiplier ${multiplier} shift ${shift}`).toBe(want);
        }
      }
    }
  });

  it('equals the BigInt formula on random accumulators of every size, ties included', () => {
    const next = lcg(7);
    for (let i = 0; i < 20000; i++) {
      const bits = next() % 54;
      const magnitude = Math.floor((next() / 2 ** 32) * 2 ** bits);
      const acc = next() & 1 ? -magnitude : magnitude;
      const multiplier = (next() >>> 1) | 0x40000000; // quantizeMultiplier's range [2^30, 2^31)
      const shift = (next() % 46) - 31;
      expect(requantizeS64(acc, multiplier, shift)).toBe(Number(requantizeS64BigInt(BigInt(acc), multiplier, shift)));
    }
    // Exact ties (x.5) round toward +infinity: 3 * 2^14 * 2^15 / 2^30 ... with a Q15 multiplier of exactly 1/2.
    expect(requantizeS64(3, 2 ** 30, 0)).toBe(2); // 1.5 -> 2
    expect(requantizeS64(-3, 2 ** 30, 0)).toBe(-1); // -1.5 -> -1
  });

  it('reduces the multiplier to Q15 as REDUCE_MULTIPLIER does', () => {
    expect(reduceMultiplier(2 ** 30)).toBe(2 ** 14);
    expect(reduceMultiplier(0x7ffeffff)).toBe(0x7fff);
    expect(reduceMultiplier(0x7fff0000)).toBe(0x7fff);
    expect(reduceMultiplier(INT32_MAX)).toBe(0x7fff);
    expect(reduceMultiplier(32767)).toBe(0);
    expect(reduceMultiplier(32768)).toBe(1);
  });
});

describe('int16 quantization parameters', () => {
  it('are symmetric over the larger side of the range, zero point 0, scale a float32', () => {
    const q = chooseQuantParamsS16({ min: -3, max: 1.5 });
    expect(q.zeroPoint).toBe(0);
    expect(q.scale).toBe(Math.fround(3 / 32767));
    expect(chooseQuantParamsS16({ min: 0, max: 0 })).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('quantize an int64 bias exactly beyond the int32 range', () => {
    const bias = quantizeBiasS64(Float32Array.of(1000, -2.5e-5, 1e9), 1e-5, Float32Array.of(1e-5, 1e-5, 1e-5));
    expect(bias).toBeInstanceOf(Float64Array);
    expect(bias[0]).toBe(Math.round(1000 / (1e-5 * Math.fround(1e-5))));
    expect(bias[0]).toBeGreaterThan(2 ** 31);
    expect(bias[1]).toBe(-Math.round(2.5e-5 / (1e-5 * Math.fround(1e-5))));
    expect(bias[2]).toBe(Number.MAX_SAFE_INTEGER); // saturated where a double stops being exact
  });
});

/** A graph x (int8) -> QRequantize -> wide (int16) -> QRequantize -> y (int8). */
function roundTrip(scale8: number, zero8: number, scale16: number): Graph {
  const tensor = (name: string, dtype: 'int8' | 'int16', scale: number, zeroPoint: number): Tensor => ({
    name,
    shape: [1, 256],
    dtype,
    quant: perTensorQuant(scale, zeroPoint),
  });
  const step = (name: string, from: string, to: string, fromScale: number, toScale: number, low: number, high: number) => {
    const { multiplier, shift } = quantizeMultiplier(fromScale / toScale);
    return { name, op: 'QRequantize', domain: INT8_DOMAIN, inputs: [from], outputs: [to], attrs: { multiplier, shift, act_min: low, act_max: high } };
  };
  return {
    name: 'round-trip',
    opset: 13,
    tensors: new Map([
      ['x', tensor('x', 'int8', scale8, zero8)],
      ['wide', tensor('wide', 'int16', scale16, 0)],
      ['y', tensor('y', 'int8', scale8, zero8)],
    ]),
    nodes: [step('widen', 'x', 'wide', scale8, scale16, -32768, 32767), step('narrow', 'wide', 'y', scale16, scale8, -128, 127)],
    inputs: ['x'],
    outputs: ['y'],
  };
}

describe('QRequantize', () => {
  const every = Int8Array.from({ length: 256 }, (_, i) => i - 128);

  it('takes every int8 value to int16 and back unchanged (a power-of-two ratio of scales)', () => {
    const graph = roundTrip(0.02, 3, 0.02 / 128);
    const out = runInt8Reference(graph, { x: { shape: [1, 256], dtype: 'int8', data: every } }, { onTensor: () => {} });
    expect(Array.from(out['y']!.data as Int8Array)).toEqual(Array.from(every));
  });

  it('keeps every int8 value through an int16 scale that is no power of two, and writes int16 in between', () => {
    const graph = roundTrip(Math.fround(0.0371), -20, Math.fround((0.0371 * 148) / 32767));
    const seen: Record<string, Int16Array> = {};
    const out = runInt8Reference(
      graph,
      { x: { shape: [1, 256], dtype: 'int8', data: every } },
      { onTensor: (name, value) => name === 'wide' && (seen[name] = value.data as Int16Array) },
    );
    expect(seen['wide']).toBeInstanceOf(Int16Array);
    // (x - zp) * 32767 / 148 fits int16 for x - zp in [-108, 147].
    expect(Math.max(...seen['wide']!)).toBeLessThanOrEqual(32767);
    expect(Array.from(out['y']!.data as Int8Array)).toEqual(Array.from(every));
  });

  it('saturates to the int16 limits', () => {
    const graph = roundTrip(1, 0, 1 / 1024); // 127 * 1024 > 32767
    const seen: Int16Array[] = [];
    runInt8Reference(
      graph,
      { x: { shape: [1, 256], dtype: 'int8', data: every } },
      { onTensor: (name, value) => name === 'wide' && seen.push(value.data as Int16Array) },
    );
    expect(seen[0]![0]).toBe(-32768);
    expect(seen[0]![255]).toBe(32767);
    expect(seen[0]![128 + 10]).toBe(10240);
  });
});

/** A deterministic integer in [low, high]. */
function intIn(next: () => number, low: number, high: number): number {
  return low + (next() % (high - low + 1));
}

describe('QConv and QGemm with an int16 input', () => {
  // x int16 [1, 4, 7, 6] -> QConv (group 2, stride 2x1, dilation 1x2, asymmetric pads) -> int16 or int8.
  const next = lcg(99);
  const [inC, inH, inW, outC, kH, kW] = [4, 7, 6, 6, 3, 2];
  const [sH, sW, dH, dW, top, left, bottom, right] = [2, 1, 1, 2, 1, 0, 2, 1];
  const outH = Math.floor((inH + top + bottom - dH * (kH - 1) - 1) / sH) + 1;
  const outW = Math.floor((inW + left + right - dW * (kW - 1) - 1) / sW) + 1;
  const group = 2;
  const x = Int16Array.from({ length: inC * inH * inW }, () => intIn(next, -32768, 32767));
  const w = Int8Array.from({ length: (outC * inC * kH * kW) / group }, () => intIn(next, -127, 127));
  // Biases beyond the int32 range, and multipliers on both sides of REDUCE_MULTIPLIER's limit.
  const bias = Float64Array.from({ length: outC }, (_, m) => (m % 2 ? -1 : 1) * (2 ** 33 + intIn(next, 0, 1 << 30)));
  const multiplier = Array.from({ length: outC }, (_, m) => (m === 0 ? 0x7fffc000 : (next() >>> 1) | 0x40000000));
  const shift = Array.from({ length: outC }, (_, m) => -(m % 5) - 10);

  /** The graph, and the expected output from BigInt sums over the taps. */
  function convCase(width: 'int8' | 'int16'): { graph: Graph; want: number[] } {
    const zpY = width === 'int8' ? 5 : 0;
    const [lo, hi] = width === 'int8' ? [-128, 127] : [-32768, 32767];
    const want: number[] = [];
    const gIn = inC / group;
    for (let m = 0; m < outC; m++) {
      const first = Math.floor(m / (outC / group)) * gIn;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let acc = BigInt(bias[m]!);
          for (let c = 0; c < gIn; c++)
            for (let ky = 0; ky < kH; ky++)
              for (let kx = 0; kx < kW; kx++) {
                const iy = oy * sH - top + ky * dH;
                const ix = ox * sW - left + kx * dW;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                acc += BigInt(x[((first + c) * inH + iy) * inW + ix]! * w[((m * gIn + c) * kH + ky) * kW + kx]!);
              }
          const y = Number(requantizeS64BigInt(acc, multiplier[m]!, shift[m]!)) + zpY;
          want.push(Math.min(hi, Math.max(lo, y)));
        }
      }
    }
    const node: Node = {
      name: 'conv',
      op: 'QConv',
      domain: INT8_DOMAIN,
      inputs: ['x', 'w', 'b'],
      outputs: ['y'],
      attrs: {
        kernel_shape: [kH, kW],
        strides: [sH, sW],
        dilations: [dH, dW],
        pads: [top, left, bottom, right],
        group,
        multiplier,
        shift,
        act_min: lo,
        act_max: hi,
      },
    };
    const tensors = new Map<string, Tensor>([
      ['x', { name: 'x', shape: [1, inC, inH, inW], dtype: 'int16', quant: perTensorQuant(0.001, 0) }],
      ['w', { name: 'w', shape: [outC, gIn, kH, kW], dtype: 'int8', data: w }],
      ['b', { name: 'b', shape: [outC], dtype: 'int64', data: bias }],
      ['y', { name: 'y', shape: [1, outC, outH, outW], dtype: width, quant: perTensorQuant(0.01, zpY) }],
    ]);
    return { graph: { name: 'conv', opset: 13, tensors, nodes: [node], inputs: ['x'], outputs: ['y'] }, want };
  }

  for (const width of ['int16', 'int8'] as const) {
    it(`QConv computes 64-bit sums and arm_nn_requantize_s64 to ${width}, bit for bit`, () => {
      const { graph, want } = convCase(width);
      const got = runInt8Reference(graph, { x: { shape: [1, inC, inH, inW], dtype: 'int16', data: x } })['y']!;
      expect(got.dtype).toBe(width);
      expect(Array.from(got.data as ArrayLike<number>)).toEqual(want);
      expect(want.some((v) => v === (width === 'int8' ? 127 : 32767))).toBe(true); // saturation is exercised
    });
  }

  it('QGemm with an int16 input equals the BigInt sums', () => {
    const [rows, k, n] = [3, 50, 4];
    const xs = Int16Array.from({ length: rows * k }, () => intIn(next, -32768, 32767));
    const ws = Int8Array.from({ length: n * k }, () => intIn(next, -127, 127));
    const bs = Float64Array.of(2 ** 40, -(2 ** 35), 7, 0);
    const mult = [0x40000000, 0x7fff0000, 0x5a5a5a5a, 0x7ffeffff];
    const sh = [-12, -20, -8, -16];
    const want: number[] = [];
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < n; j++) {
        let acc = BigInt(bs[j]!);
        for (let i = 0; i < k; i++) acc += BigInt(xs[r * k + i]! * ws[j * k + i]!);
        want.push(Math.min(32767, Math.max(-32768, Number(requantizeS64BigInt(acc, mult[j]!, sh[j]!)))));
      }
    const graph: Graph = {
      name: 'fc',
      opset: 13,
      tensors: new Map<string, Tensor>([
        ['x', { name: 'x', shape: [rows, k], dtype: 'int16', quant: perTensorQuant(0.001, 0) }],
        ['w', { name: 'w', shape: [n, k], dtype: 'int8', data: ws }],
        ['b', { name: 'b', shape: [n], dtype: 'int64', data: bs }],
        ['y', { name: 'y', shape: [rows, n], dtype: 'int16', quant: perTensorQuant(0.01, 0) }],
      ]),
      nodes: [
        {
          name: 'fc',
          op: 'QGemm',
          domain: INT8_DOMAIN,
          inputs: ['x', 'w', 'b'],
          outputs: ['y'],
          attrs: { multiplier: mult, shift: sh, act_min: -32768, act_max: 32767 },
        },
      ],
      inputs: ['x'],
      outputs: ['y'],
    };
    const got = runInt8Reference(graph, { x: { shape: [rows, k], dtype: 'int16', data: xs } })['y']!;
    expect(Array.from(got.data as Int16Array)).toEqual(want);
  });
});
