// Each operator of the int8 dialect in the reference interpreter, on small graphs built by hand: exact results on
// hand-worked cases, the same bits as the plain formulas of int8-straightforward.ts on seeded random cases, and
// within 1 LSB of the real-valued result (the float32 operator on dequantized values).

import { describe, expect, it } from 'vitest';
import { sizeOf, type Graph, type Node, type Tensor } from '../../src/ir/graph.js';
import { INT8_DOMAIN } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { INT32_MAX, INT32_MIN, requantizeS8 } from '../../src/quantize/fixedpoint.js';
import { requantizeChannel } from '../../src/quantize/int8/kernel.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { addParams, mulParams } from '../../src/quantize/multiplier.js';
import { qAddAttrs } from '../../src/quantize/rewrite/elementwise.js';
import {
  activation,
  channelWeights,
  dequantized,
  floatActivation,
  floatValue,
  graphOf,
  int32Constant,
  int64Constant,
  int8Constant,
  int8Node,
  int8Value,
  maxDifference,
  multiplierAttrs,
  onnxNode,
  quantizedExpectation,
  Random,
  randomInt8,
  rangeQuant,
  runFloat,
  type ScaleZero,
} from './int8-graphs.js';
import { expectedInt8 } from './int8-straightforward.js';

/** multiplier 2^30 with shift 1: requantize is the identity. */
const IDENTITY = { multiplier: 2 ** 30, shift: 1 };
const UNIT: ScaleZero = { scale: 1, zeroPoint: 0 };

/** Runs a graph with one int8 input `x` (or the named inputs) and returns the named output's values. */
function run(graph: Graph, inputs: Record<string, Value>, output = graph.outputs[0]!): number[] {
  const result = runInt8Reference(graph, inputs)[output]!;
  return Array.from(result.data as ArrayLike<number>);
}

/** The graph's result must equal the plain interpreter's bit for bit; returns it. */
function runAndCompare(graph: Graph, inputs: Record<string, Value>): Int8Array {
  const result = runInt8Reference(graph, inputs)[graph.outputs[0]!]!;
  const plain = expectedInt8(graph, inputs).get(graph.outputs[0]!)!;
  expect(result.dtype).toBe('int8');
  expect(result.shape).toEqual(graph.tensors.get(graph.outputs[0]!)!.shape);
  expect(Array.from(result.data as Int8Array)).toEqual(Array.from(plain.data as Int8Array));
  return result.data as Int8Array;
}

describe('QConv', () => {
  function convGraph(x: Tensor, w: Tensor, bias: number[] | undefined, y: Tensor, attrs: Node['attrs']): Graph {
    const tensors = [x, w, y, ...(bias ? [int32Constant('b', bias)] : [])];
    return graphOf([int8Node('QConv', ['x', 'w', bias ? 'b' : ''], ['y'], attrs)], tensors, ['x'], ['y']);
  }

  it('hand-worked: stride 2 with padding, ties of the requantization rounded up, act_max', () => {
    // x = 0..15 in 4x4, a 3x3 all-ones filter, pads 1, stride 2: each output sums the in-bounds part of its window.
    const x = activation('x', [1, 1, 4, 4], UNIT);
    const w = channelWeights('w', [1, 1, 3, 3], new Array(9).fill(1), [1]);
    const y = activation('y', [1, 1, 2, 2], UNIT);
    const attrs = { kernel_shape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, multiplier: [2 ** 30], shift: [0] };
    const input = {
      x: int8Value(
        [1, 1, 4, 4],
        Array.from({ length: 16 }, (_, i) => i),
      ),
    };
    // sums 0+1+4+5 = 10, 1+2+3+5+6+7 = 24, 4+5+8+9+12+13 = 51, 5+6+7+9+10+11+13+14+15 = 90; halved, 25.5 -> 26
    expect(run(convGraph(x, w, undefined, y, { ...attrs, act_min: -128, act_max: 127 }), input)).toEqual([5, 12, 26, 45]);
    expect(run(convGraph(x, w, undefined, y, { ...attrs, act_min: -128, act_max: 40 }), input)).toEqual([5, 12, 26, 40]);
  });

  it('hand-worked: depthwise (group = C) with dilation 2, input zero point, bias and output zero point', () => {
    const x = activation('x', [1, 2, 5, 5], { scale: 1, zeroPoint: 3 });
    // Channel 0: all ones; channel 1: 2 at the centre tap only.
    const w = channelWeights('w', [2, 1, 3, 3], [...new Array(9).fill(1), 0, 0, 0, 0, 2, 0, 0, 0, 0], [1, 1]);
    const y = activation('y', [1, 2, 1, 1], { scale: 1, zeroPoint: -10 });
    const graph = convGraph(x, w, [5, -5], y, {
      kernel_shape: [3, 3],
      strides: [1, 1],
      dilations: [2, 2],
      pads: [0, 0, 0, 0],
      group: 2,
      multiplier: [IDENTITY.multiplier, IDENTITY.multiplier],
      shift: [IDENTITY.shift, IDENTITY.shift],
      act_min: -128,
      act_max: 127,
    });
    const data = [...Array.from({ length: 25 }, (_, i) => i), ...Array.from({ length: 25 }, (_, i) => 50 + i)];
    // channel 0 taps at rows/cols 0, 2, 4: 0+2+4+10+12+14+20+22+24 = 108, less 9 * 3 = 81, + 5 - 10 = 76
    // channel 1: 2 * (62 - 3) = 118, - 5 - 10 = 103
    expect(run(graph, { x: int8Value([1, 2, 5, 5], data) })).toEqual([76, 103]);
  });

  it('hand-worked: 1-D with stride 2 and padding', () => {
    const x = activation('x', [1, 1, 6], UNIT);
    const w = channelWeights('w', [1, 1, 3], [1, 2, 3], [1]);
    const y = activation('y', [1, 1, 3], UNIT);
    const graph = convGraph(x, w, undefined, y, {
      kernel_shape: [3],
      strides: [2],
      dilations: [1],
      pads: [1, 1],
      group: 1,
      multiplier: [IDENTITY.multiplier],
      shift: [IDENTITY.shift],
      act_min: -128,
      act_max: 127,
    });
    // windows at -1..1, 1..3, 3..5: 2*1 + 3*2, 1*2 + 2*3 + 3*4, 1*4 + 2*5 + 3*6
    expect(run(graph, { x: int8Value([1, 1, 6], [1, 2, 3, 4, 5, 6]) })).toEqual([8, 20, 32]);
  });

  interface ConvCase {
    name: string;
    batch: number;
    inC: number;
    outC: number;
    group: number;
    spatial: number[];
    kernel: number[];
    strides: number[];
    pads: number[];
    dilations: number[];
    relu?: boolean;
  }
  const cases: ConvCase[] = [
    {
      name: '3x3 pad 1, 8 channels',
      batch: 1,
      inC: 3,
      outC: 8,
      group: 1,
      spatial: [7, 6],
      kernel: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      dilations: [1, 1],
    },
    {
      name: 'depthwise stride 2, asymmetric pads, fused ReLU',
      batch: 1,
      inC: 4,
      outC: 4,
      group: 4,
      spatial: [7, 8],
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 0, 1, 1],
      dilations: [1, 1],
      relu: true,
    },
    {
      name: 'depthwise, channel multiplier 2, dilation 2',
      batch: 1,
      inC: 3,
      outC: 6,
      group: 3,
      spatial: [6, 6],
      kernel: [3, 3],
      strides: [1, 1],
      pads: [2, 2, 2, 2],
      dilations: [2, 2],
    },
    {
      name: '2 groups of 4, 2x3 kernel, dilation (2, 1)',
      batch: 2,
      inC: 4,
      outC: 8,
      group: 2,
      spatial: [6, 5],
      kernel: [2, 3],
      strides: [1, 2],
      pads: [0, 1, 2, 1],
      dilations: [2, 1],
    },
    {
      name: '1x1 stride 2, 6 channels (4 + 2)',
      batch: 1,
      inC: 5,
      outC: 6,
      group: 1,
      spatial: [5, 7],
      kernel: [1, 1],
      strides: [2, 2],
      pads: [0, 0, 0, 0],
      dilations: [1, 1],
    },
    {
      name: '1-D, dilation 2, 5 channels',
      batch: 1,
      inC: 3,
      outC: 5,
      group: 1,
      spatial: [11],
      kernel: [4],
      strides: [1],
      pads: [2, 1],
      dilations: [2],
    },
  ];
  for (const [index, c] of cases.entries()) {
    it(`random: ${c.name}`, () => {
      const random = new Random(100 + index);
      const qX = { scale: 0.05, zeroPoint: random.int(-20, 20) };
      const x = activation('x', [c.batch, c.inC, ...c.spatial], qX);
      const xData = randomInt8(random, sizeOf(x.shape));
      const scales = Array.from({ length: c.outC }, () => Math.fround(0.004 * (1 + random.float())));
      const w = channelWeights(
        'w',
        [c.outC, c.inC / c.group, ...c.kernel],
        randomInt8(random, c.outC * (c.inC / c.group) * sizeOf(c.kernel), -127, 127),
        scales,
      );
      const bias = Array.from({ length: c.outC }, () => random.int(-2000, 2000));
      const attrs = { kernel_shape: c.kernel, strides: c.strides, dilations: c.dilations, pads: c.pads, group: c.group };
      const real = runFloat('Conv', attrs, [
        floatValue(x.shape, dequantized(x, xData)),
        floatValue(w.shape, dequantized(w, w.data!)),
        floatValue(
          [c.outC],
          bias.map((b, m) => b * qX.scale * scales[m]!),
        ),
      ]);
      const qY = rangeQuant(real.data as Float32Array);
      const actMin = c.relu ? qY.zeroPoint : -128;
      const graph = convGraph(x, w, bias, activation('y', real.shape, qY), {
        ...attrs,
        ...multiplierAttrs(scales.map((s) => (qX.scale * s) / qY.scale)),
        act_min: actMin,
        act_max: 127,
      });
      const y = runAndCompare(graph, { x: int8Value(x.shape, xData) });
      expect(maxDifference(y, quantizedExpectation(real.data as Float32Array, qY, actMin))).toBeLessThanOrEqual(1);
      if (c.relu) expect(Math.min(...y)).toBe(qY.zeroPoint);
    });
  }
});

describe('QConvTranspose', () => {
  it('hand-worked: a 2x2 all-ones filter with stride 2 copies each input into a 2x2 block', () => {
    const graph = graphOf(
      [
        int8Node('QConvTranspose', ['x', 'w'], ['y'], {
          kernel_shape: [2, 2],
          strides: [2, 2],
          dilations: [1, 1],
          pads: [0, 0, 0, 0],
          group: 1,
          output_padding: [0, 0],
          multiplier: [IDENTITY.multiplier],
          shift: [IDENTITY.shift],
          act_min: -128,
          act_max: 127,
        }),
      ],
      [activation('x', [1, 1, 2, 2], UNIT), channelWeights('w', [1, 1, 2, 2], [1, 1, 1, 1], [1], 1), activation('y', [1, 1, 4, 4], UNIT)],
      ['x'],
      ['y'],
    );
    expect(run(graph, { x: int8Value([1, 1, 2, 2], [1, 2, 3, 4]) })).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('random: 2 groups, stride 2, pads, dilation and output padding', () => {
    const random = new Random(7);
    const [inC, outC, group] = [4, 6, 2];
    const qX = { scale: 0.04, zeroPoint: random.int(-10, 10) };
    const x = activation('x', [1, inC, 4, 5], qX);
    const xData = randomInt8(random, sizeOf(x.shape));
    const scales = Array.from({ length: outC }, () => Math.fround(0.005 * (1 + random.float())));
    const wShape = [inC, outC / group, 3, 2];
    const wData = randomInt8(random, sizeOf(wShape), -127, 127);
    // Dequantize by output channel: W[c][j] belongs to output channel (c / (inC / group)) * (outC / group) + j.
    const perTap = 3 * 2;
    const wReal = Float32Array.from(wData, (v, i) => {
      const c = Math.floor(i / ((outC / group) * perTap));
      const j = Math.floor(i / perTap) % (outC / group);
      return v * scales[Math.floor(c / (inC / group)) * (outC / group) + j]!;
    });
    const bias = Array.from({ length: outC }, () => random.int(-500, 500));
    const attrs = { kernel_shape: [3, 2], strides: [2, 2], dilations: [1, 2], pads: [1, 0, 0, 1], group, output_padding: [1, 0] };
    const real = runFloat('ConvTranspose', attrs, [
      floatValue(x.shape, dequantized(x, xData)),
      floatValue(wShape, wReal),
      floatValue(
        [outC],
        bias.map((b, m) => b * qX.scale * scales[m]!),
      ),
    ]);
    const qY = rangeQuant(real.data as Float32Array);
    const graph = graphOf(
      [
        int8Node('QConvTranspose', ['x', 'w', 'b'], ['y'], {
          ...attrs,
          ...multiplierAttrs(scales.map((s) => (qX.scale * s) / qY.scale)),
          act_min: -128,
          act_max: 127,
        }),
      ],
      [x, channelWeights('w', wShape, wData, scales, 1), int32Constant('b', bias), activation('y', real.shape, qY)],
      ['x'],
      ['y'],
    );
    const y = runAndCompare(graph, { x: int8Value(x.shape, xData) });
    expect(maxDifference(y, quantizedExpectation(real.data as Float32Array, qY))).toBeLessThanOrEqual(1);
  });
});

describe('QGemm', () => {
  it('hand-worked: 5 output features (a block of 4 and one more), input zero point, bias', () => {
    const w = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 2, -1, 3];
    const graph = graphOf(
      [
        int8Node('QGemm', ['x', 'w', 'b'], ['y'], {
          multiplier: new Array(5).fill(IDENTITY.multiplier),
          shift: new Array(5).fill(IDENTITY.shift),
          act_min: -128,
          act_max: 127,
        }),
      ],
      [
        activation('x', [1, 3], { scale: 1, zeroPoint: 1 }),
        channelWeights('w', [5, 3], w, new Array(5).fill(1)),
        int32Constant('b', [10, 0, 0, 0, -3]),
        activation('y', [1, 5], UNIT),
      ],
      ['x'],
      ['y'],
    );
    // x - zp = [0, 1, 2]: 10, 1, 2, 3, 0 - 1 + 6 - 3 = 2
    expect(run(graph, { x: int8Value([1, 3], [1, 2, 3]) })).toEqual([10, 1, 2, 3, 2]);
  });

  it('random: rank-3 input (leading dimensions are rows), 7 output features', () => {
    const random = new Random(11);
    const [k, n] = [9, 7];
    const qX = { scale: 0.03, zeroPoint: -128 };
    const x = activation('x', [2, 3, k], qX);
    const xData = randomInt8(random, 6 * k);
    const scales = Array.from({ length: n }, () => Math.fround(0.01 * (1 + random.float())));
    const w = channelWeights('w', [n, k], randomInt8(random, n * k, -127, 127), scales);
    const bias = Array.from({ length: n }, () => random.int(-3000, 3000));
    const real = runFloat('Gemm', { transB: 1 }, [
      floatValue([6, k], dequantized(x, xData)),
      floatValue([n, k], dequantized(w, w.data!)),
      floatValue(
        [n],
        bias.map((b, j) => b * qX.scale * scales[j]!),
      ),
    ]);
    const qY = rangeQuant(real.data as Float32Array);
    const graph = graphOf(
      [
        int8Node('QGemm', ['x', 'w', 'b'], ['y'], {
          ...multiplierAttrs(scales.map((s) => (qX.scale * s) / qY.scale)),
          act_min: -128,
          act_max: 127,
        }),
      ],
      [x, w, int32Constant('b', bias), activation('y', [2, 3, n], qY)],
      ['x'],
      ['y'],
    );
    const y = runAndCompare(graph, { x: int8Value(x.shape, xData) });
    expect(maxDifference(y, quantizedExpectation(real.data as Float32Array, qY))).toBeLessThanOrEqual(1);
  });
});

describe('QAdd and QMul', () => {
  function binaryGraph(op: 'QAdd' | 'QMul', a: Tensor, b: Tensor, y: Tensor, attrs: Node['attrs']): Graph {
    const inputs = [a, b].filter((t) => !t.data).map((t) => t.name);
    return graphOf([int8Node(op, [a.name, b.name], [y.name], attrs)], [a, b, y], inputs, [y.name]);
  }

  it('hand-worked: add, subtract and a fused ReLU at unit scales', () => {
    const [a, b, y] = [activation('a', [3], UNIT), activation('b', [3], UNIT), activation('y', [3], UNIT)];
    const inputs = { a: int8Value([3], [10, -20, 100]), b: int8Value([3], [3, 5, -100]) };
    expect(run(binaryGraph('QAdd', a, b, y, qAddAttrs(addParams(UNIT, UNIT, UNIT), false)), inputs)).toEqual([13, -15, 0]);
    expect(run(binaryGraph('QAdd', a, b, y, qAddAttrs(addParams(UNIT, UNIT, UNIT), true)), inputs)).toEqual([7, -25, 127]);
    expect(run(binaryGraph('QAdd', a, b, y, qAddAttrs(addParams(UNIT, UNIT, UNIT, 0, 127), false)), inputs)).toEqual([13, 0, 0]);
  });

  it('hand-worked: an int8 constant operand broadcast over rows', () => {
    const a = activation('a', [2, 3], UNIT);
    const b = int8Constant('b', [3], [1, 2, 3], UNIT);
    const graph = binaryGraph('QAdd', a, b, activation('y', [2, 3], UNIT), qAddAttrs(addParams(UNIT, UNIT, UNIT), false));
    expect(run(graph, { a: int8Value([2, 3], [0, 0, 0, 10, 20, 30]) })).toEqual([1, 2, 3, 11, 22, 33]);
  });

  it('hand-worked: mul with zero points, broadcasting [2, 1] by [1, 3]', () => {
    // 0.5 * 0.25 / 0.125 = 1: y = (a - 1) * (b + 2) + 3
    const [qA, qB, qY] = [
      { scale: 0.5, zeroPoint: 1 },
      { scale: 0.25, zeroPoint: -2 },
      { scale: 0.125, zeroPoint: 3 },
    ];
    const p = mulParams(qA, qB, qY);
    const graph = binaryGraph('QMul', activation('a', [2, 1], qA), activation('b', [1, 3], qB), activation('y', [2, 3], qY), {
      output_multiplier: p.outputMultiplier,
      output_shift: p.outputShift,
      act_min: -128,
      act_max: 127,
    });
    expect(run(graph, { a: int8Value([2, 1], [3, -1]), b: int8Value([1, 3], [2, 0, -2]) })).toEqual([11, 7, 3, -5, -1, 3]);
  });

  for (const [op, subtract] of [
    ['Add', false],
    ['Sub', true],
    ['Mul', false],
  ] as const) {
    it(`random: ${op} broadcasting [2, 3, 4] with [3, 1]`, () => {
      const random = new Random(op.length * 31 + (subtract ? 1 : 0));
      const qA = { scale: 0.05, zeroPoint: random.int(-30, 30) };
      const qB = { scale: 0.02, zeroPoint: random.int(-30, 30) };
      const [a, b] = [activation('a', [2, 3, 4], qA), activation('b', [3, 1], qB)];
      const [aData, bData] = [randomInt8(random, 24), randomInt8(random, 3)];
      const real = runFloat(op, {}, [floatValue(a.shape, dequantized(a, aData)), floatValue(b.shape, dequantized(b, bData))]);
      const qY = rangeQuant(real.data as Float32Array);
      const y = activation('y', [2, 3, 4], qY);
      let attrs: Node['attrs'];
      if (op === 'Mul') {
        const p = mulParams(qA, qB, qY);
        attrs = { output_multiplier: p.outputMultiplier, output_shift: p.outputShift, act_min: -128, act_max: 127 };
      } else {
        attrs = qAddAttrs(addParams(qA, qB, qY), subtract);
      }
      const out = runAndCompare(binaryGraph(op === 'Mul' ? 'QMul' : 'QAdd', a, b, y, attrs), {
        a: int8Value(a.shape, aData),
        b: int8Value(b.shape, bData),
      });
      expect(maxDifference(out, quantizedExpectation(real.data as Float32Array, qY))).toBeLessThanOrEqual(1);
    });
  }
});

describe('QAveragePool', () => {
  function poolGraph(shape: number[], outShape: number[], q: ScaleZero, attrs: Node['attrs']): Graph {
    return graphOf(
      [int8Node('QAveragePool', ['x'], ['y'], { act_min: -128, act_max: 127, ...attrs })],
      [activation('x', shape, q), activation('y', outShape, q)],
      ['x'],
      ['y'],
    );
  }
  const padded = { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] };
  const x = { x: int8Value([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  const q = { scale: 0.1, zeroPoint: 2 };

  it('hand-worked: padding left out of the count, ties away from zero, act_max', () => {
    // windows: {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}: 1, 2.5 -> 3, 5.5 -> 6, 7
    expect(run(poolGraph([1, 1, 3, 3], [1, 1, 2, 2], q, { ...padded, count_include_pad: 0 }), x)).toEqual([1, 3, 6, 7]);
    expect(run(poolGraph([1, 1, 3, 3], [1, 1, 2, 2], q, { ...padded, count_include_pad: 0, act_max: 5 }), x)).toEqual([1, 3, 5, 5]);
    // -5 / 2 = -2.5 -> -3
    const negative = poolGraph([1, 1, 1, 2], [1, 1, 1, 1], q, { kernel_shape: [1, 2], strides: [1, 1], pads: [0, 0, 0, 0], count_include_pad: 0 });
    expect(run(negative, { x: int8Value([1, 1, 1, 2], [-3, -2]) })).toEqual([-3]);
  });

  it('hand-worked: count_include_pad counts padded taps as the zero point', () => {
    // (1 + 3 zp) / 4 = 1.75 -> 2, (5 + 2 zp) / 4 = 2.25 -> 2, (11 + 2 zp) / 4 = 3.75 -> 4, 28 / 4 = 7
    expect(run(poolGraph([1, 1, 3, 3], [1, 1, 2, 2], q, { ...padded, count_include_pad: 1 }), x)).toEqual([2, 2, 4, 7]);
  });

  it('hand-worked: the whole plane (GlobalAveragePool) and 1-D', () => {
    const global = poolGraph([1, 2, 2, 2], [1, 2, 1, 1], q, { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0], count_include_pad: 0 });
    expect(run(global, { x: int8Value([1, 2, 2, 2], [1, 2, 3, 4, -10, -10, -10, -11]) })).toEqual([3, -10]);
    const line = poolGraph([1, 1, 5], [1, 1, 2], q, { kernel_shape: [3], strides: [2], pads: [0, 0], count_include_pad: 0 });
    expect(run(line, { x: int8Value([1, 1, 5], [1, 2, 4, 8, 16]) })).toEqual([2, 9]);
  });

  for (const includePad of [0, 1]) {
    it(`random: 3x2 windows, stride (2, 1), asymmetric pads, count_include_pad ${includePad}`, () => {
      const random = new Random(40 + includePad);
      const qX = { scale: 0.1, zeroPoint: random.int(-50, 50) };
      const xT = activation('x', [1, 2, 5, 6], qX);
      const data = randomInt8(random, sizeOf(xT.shape));
      const attrs = { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], count_include_pad: includePad };
      const real = runFloat('AveragePool', attrs, [floatValue(xT.shape, dequantized(xT, data))]);
      const y = runAndCompare(poolGraph(xT.shape, real.shape, qX, attrs), { x: int8Value(xT.shape, data) });
      expect(maxDifference(y, quantizedExpectation(real.data as Float32Array, qX))).toBeLessThanOrEqual(1);
    });
  }
});

describe('QSoftmax', () => {
  const OUT = { scale: 1 / 256, zeroPoint: -128 };
  function softmaxGraph(shape: number[], scale: number, axis: number): Graph {
    const table = Array.from({ length: 256 }, (_, d) => Math.round(Math.exp(-scale * d) * 2 ** 16));
    return graphOf(
      [int8Node('QSoftmax', ['x'], ['y'], { axis, table })],
      [activation('x', shape, { scale, zeroPoint: 0 }), activation('y', shape, OUT)],
      ['x'],
      ['y'],
    );
  }

  it('hand-worked: equal values split 256 counts, a dominant value saturates at 127', () => {
    // (65536 * 256 + 65536) / 131072 = 128.5 -> 128, - 128 = 0
    expect(run(softmaxGraph([1, 2], 0.5, 1), { x: int8Value([1, 2], [5, 5]) })).toEqual([0, 0]);
    // table[255] rounds to 0: 256 counts for the maximum (clamped to 127), none for the other
    expect(run(softmaxGraph([1, 2], 1, 1), { x: int8Value([1, 2], [127, -128]) })).toEqual([127, -128]);
  });

  for (const [shape, axis] of [
    [[3, 10], 1],
    [[2, 6, 1, 1], 1],
  ] as const) {
    it(`random: rows of [${shape.join(', ')}] along axis ${axis} sum to about 256 counts`, () => {
      const random = new Random(shape.length);
      const scale = 0.08;
      const graph = softmaxGraph([...shape], scale, axis);
      const data = randomInt8(random, sizeOf([...shape]));
      const y = runAndCompare(graph, { x: int8Value([...shape], data) });
      const row = shape[axis];
      for (let r = 0; r < y.length; r += row) {
        const counts = Array.from(y.subarray(r, r + row), (v) => v + 128).reduce((s, v) => s + v, 0);
        expect(Math.abs(counts - 256)).toBeLessThanOrEqual(row / 2 + 1);
      }
      const real = runFloat('Softmax', { axis }, [
        floatValue(
          [...shape],
          Float32Array.from(data, (v) => v * scale),
        ),
      ]);
      expect(maxDifference(y, quantizedExpectation(real.data as Float32Array, OUT))).toBeLessThanOrEqual(1);
    });
  }
});

describe('QLut, Quantize, Dequantize', () => {
  it('QLut indexes the table with x + 128 (-128 is entry 0, 127 entry 255)', () => {
    const table = Array.from({ length: 256 }, (_, i) => ((i * 37) % 256) - 128);
    const graph = graphOf([int8Node('QLut', ['x'], ['y'], { table })], [activation('x', [4], UNIT), activation('y', [4], UNIT)], ['x'], ['y']);
    expect(run(graph, { x: int8Value([4], [-128, 127, 0, -1]) })).toEqual([table[0], table[255], table[128], table[127]]);
  });

  it('Quantize rounds half away from zero, saturates, sends NaN to the zero point; Dequantize inverts it', () => {
    const q = { scale: 0.5, zeroPoint: 1 };
    const graph = graphOf(
      [int8Node('Quantize', ['x'], ['q'], {}), int8Node('Dequantize', ['q'], ['y'], {})],
      [floatActivation('x', [7]), activation('q', [7], q), floatActivation('y', [7])],
      ['x'],
      ['q', 'y'],
    );
    const result = runInt8Reference(graph, { x: floatValue([7], [0.25, -0.25, 0.75, 1000, -1000, NaN, 0]) });
    expect(Array.from(result['q']!.data)).toEqual([2, 0, 3, 127, -128, 1, 1]);
    expect(result['y']!.dtype).toBe('float32');
    expect(Array.from(result['y']!.data)).toEqual([0.5, -0.5, 1, 63, -64.5, 0, 0]);
  });
});

describe('default-domain operators on int8 tensors', () => {
  const q = { scale: 0.1, zeroPoint: -5 };

  function passthrough(node: Node, tensors: Tensor[], inputs: Record<string, Value>): Value {
    const graph = graphOf([node], tensors, Object.keys(inputs), [node.outputs[0]!]);
    const y = runInt8Reference(graph, inputs)[node.outputs[0]!]!;
    expect(y.dtype).toBe('int8');
    expect(y.data).toBeInstanceOf(Int8Array);
    return y;
  }

  it('Reshape and Transpose move values', () => {
    const data = [1, -2, 3, -4, 5, -128];
    const reshaped = passthrough(
      onnxNode('Reshape', ['x', 's'], ['y']),
      [activation('x', [1, 2, 3], q), int64Constant('s', [3, 2]), activation('y', [3, 2], q)],
      { x: int8Value([1, 2, 3], data) },
    );
    expect(reshaped.shape).toEqual([3, 2]);
    expect(Array.from(reshaped.data)).toEqual(data);
    const transposed = passthrough(
      onnxNode('Transpose', ['x'], ['y'], { perm: [0, 2, 1] }),
      [activation('x', [1, 2, 3], q), activation('y', [1, 3, 2], q)],
      { x: int8Value([1, 2, 3], data) },
    );
    expect(Array.from(transposed.data)).toEqual([1, -4, -2, 5, 3, -128]);
  });

  it('MaxPool ignores its padding (no padded zero or zero point wins)', () => {
    const y = passthrough(
      onnxNode('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }),
      [activation('x', [1, 1, 3, 3], q), activation('y', [1, 1, 2, 2], q)],
      { x: int8Value([1, 1, 3, 3], [-100, -99, -98, -97, -96, -95, -94, -93, -92]) },
    );
    expect(Array.from(y.data)).toEqual([-100, -98, -94, -92]);
  });

  it('Concat joins int8 tensors', () => {
    const graph = graphOf(
      [onnxNode('Concat', ['a', 'b'], ['y'], { axis: 1 })],
      [activation('a', [1, 2], q), activation('b', [1, 3], q), activation('y', [1, 5], q)],
      ['a', 'b'],
      ['y'],
    );
    expect(run(graph, { a: int8Value([1, 2], [1, 2]), b: int8Value([1, 3], [-128, 0, 127]) })).toEqual([1, 2, -128, 0, 127]);
  });

  it('Pad fills with its int8 constant value (the zero point)', () => {
    const y = passthrough(
      onnxNode('Pad', ['x', 'p', 'c'], ['y'], { mode: 'constant' }),
      [
        activation('x', [1, 1, 2, 2], q),
        int64Constant('p', [0, 0, 1, 0, 0, 0, 0, 1]),
        int8Constant('c', [], [q.zeroPoint], q),
        activation('y', [1, 1, 3, 3], q),
      ],
      { x: int8Value([1, 1, 2, 2], [1, 2, 3, 4]) },
    );
    expect(Array.from(y.data)).toEqual([-5, -5, -5, 1, 2, -5, 3, 4, -5]);
  });
});

describe('runInt8Reference', () => {
  const q = { scale: 0.1, zeroPoint: 0 };
  const negate = Array.from({ length: 256 }, (_, i) => Math.max(-128, Math.min(127, 128 - i)));

  it('returns the outputs, or every tensor with keep "all", and reports each tensor in order', () => {
    const graph = graphOf(
      [
        { ...int8Node('QLut', ['x'], ['mid'], { table: negate }), name: 'first' },
        { ...int8Node('QLut', ['mid'], ['y'], { table: negate }), name: 'second' },
      ],
      [activation('x', [3], q), activation('mid', [3], q), activation('y', [3], q)],
      ['x'],
      ['y'],
    );
    const seen: string[] = [];
    const outputs = runInt8Reference(graph, { x: int8Value([3], [-128, 0, 5]) }, { onTensor: (name) => seen.push(name) });
    expect(Object.keys(outputs)).toEqual(['y']);
    expect(Array.from(outputs['y']!.data)).toEqual([-127, 0, 5]);
    expect(seen).toEqual(['x', 'mid', 'y']);
    const all = runInt8Reference(graph, { x: int8Value([3], [-128, 0, 5]) }, { keep: 'all' });
    expect(Object.keys(all).sort()).toEqual(['mid', 'x', 'y']);
    expect(Array.from(all['mid']!.data)).toEqual([127, 0, -5]);
  });

  it('throws naming a node that has no int8 form', () => {
    const tensors = [activation('x', [2], q), activation('y', [2], q)];
    const relu = graphOf([{ ...onnxNode('Relu', ['x'], ['y']), name: 'act1' }], tensors, ['x'], ['y']);
    expect(() => runInt8Reference(relu, { x: int8Value([2], [1, -1]) })).toThrow(/Relu \("act1"\)/);
    const unknown = graphOf(
      [{ name: 'odd', op: 'QFrobnicate', domain: INT8_DOMAIN, inputs: ['x'], outputs: ['y'], attrs: {} }],
      tensors,
      ['x'],
      ['y'],
    );
    expect(() => runInt8Reference(unknown, { x: int8Value([2], [1, -1]) })).toThrow(/QFrobnicate \("odd"\)/);
  });
});

describe('the conv / fully connected output stage', () => {
  it('equals requantizeS8 for every accumulator, bias, multiplier and shift, wrapping included', () => {
    const random = new Random(5);
    const edges = [0, 1, -1, INT32_MAX, INT32_MIN, 2 ** 30, -(2 ** 30), 12345678, -87654321];
    const count = 4096;
    const acc = Int32Array.from({ length: count }, (_, i) => (i < edges.length ? edges[i]! : random.int32() >> random.int(0, 31)));
    const out = new Int8Array(count);
    let mismatch: object | undefined;
    for (let trial = 0; trial < 40; trial++) {
      const multiplier = trial === 0 ? 0 : trial === 1 ? INT32_MAX : random.int(2 ** 30, INT32_MAX);
      const shift = trial < 4 ? [-31, 30, 0, -1][trial]! : random.int(-31, 30);
      const bias = trial % 5 === 0 ? INT32_MAX : random.int(-100000, 100000);
      const stage = {
        multipliers: Int32Array.of(multiplier),
        shifts: Int32Array.of(shift),
        zeroPoint: random.int(-128, 127),
        actMin: trial % 3 === 0 ? 0 : -128,
        actMax: 127,
      };
      requantizeChannel(stage, 0, bias, acc, 0, count, out, 0, 1);
      for (let i = 0; i < count; i++) {
        const expected = requantizeS8((acc[i]! + bias) | 0, multiplier, shift, stage.zeroPoint, stage.actMin, stage.actMax);
        if (out[i] !== expected && !mismatch) mismatch = { acc: acc[i], bias, multiplier, shift, got: out[i], expected };
      }
    }
    expect(mismatch).toBeUndefined();
  });
});
