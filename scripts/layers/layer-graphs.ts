// The layers of the int8 layer benchmark (scripts/bench-layers.ts): one-node quantized graphs of the int8 dialect
// (src/ir/int8.ts) built by hand with random int8 data and per-channel weights, the sizes CMSIS-NN reports its
// kernels on, and CMSIS-NN's instructions per multiply-accumulate beside the bar eennc's kernels must reach.

import type { AttrValue, Graph, Tensor } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { channelMultipliers } from '../../src/quantize/multiplier.js';

/** One benchmarked layer. */
export interface LayerCase {
  /** Row label of the table. */
  name: string;
  /** CMSIS-NN's instructions per MAC for this layer on Cortex-M4 and Cortex-M0+ (QEMU -icount). */
  cmsisM4: number;
  cmsisM0plus: number;
  /** The most instructions per MAC eennc may spend on Cortex-M4. */
  barM4: number;
  /** Multiply-accumulates of one inference. */
  macs: number;
  /** The graph (input `x`, one int8 output) for a random generator. */
  build(rand: () => number): Graph;
}

/** Random int8 values in [lo, hi]. */
function int8s(rand: () => number, n: number, lo: number, hi: number): Int8Array {
  return Int8Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
}

/** A zero point in [-20, 20] and a float32 scale in [lo, hi). */
function zeroPoint(rand: () => number): number {
  return Math.floor(rand() * 41) - 20;
}
function scale(rand: () => number, lo: number, hi: number): number {
  return Math.fround(lo + (hi - lo) * rand());
}

/**
 * A one-node graph x -> op(x, W, B) -> y of the int8 dialect: random symmetric per-channel weights of `wShape`
 * (channels on axis 0), a random int32 bias, and an output scale that puts a typical accumulator of `taps`
 * products about 40 output steps wide, so the outputs spread over the int8 range without saturating.
 */
function weightedLayer(
  rand: () => number,
  name: string,
  op: 'QConv' | 'QGemm',
  xShape: number[],
  wShape: number[],
  yShape: number[],
  taps: number,
  attrs: Record<string, AttrValue>,
): Graph {
  const tensors = new Map<string, Tensor>();
  const xq = { scale: scale(rand, 0.01, 0.1), zeroPoint: zeroPoint(rand) };
  tensors.set('x', { name: 'x', shape: xShape, dtype: 'int8', quant: perTensorQuant(xq.scale, xq.zeroPoint) });
  const channels = wShape[0]!;
  const wScales = Float32Array.from({ length: channels }, () => scale(rand, 0.002, 0.02));
  tensors.set('w', {
    name: 'w',
    shape: wShape,
    dtype: 'int8',
    data: int8s(rand, sizeOf(wShape), -127, 127),
    quant: { scale: wScales, zeroPoint: new Int32Array(channels), axis: 0 },
  });
  tensors.set('b', {
    name: 'b',
    shape: [channels],
    dtype: 'int32',
    data: Int32Array.from({ length: channels }, () => Math.floor((rand() - 0.5) * 20000)),
  });
  const meanScale = wScales.reduce((a, v) => a + v, 0) / channels;
  // (x - zp) * w spreads over about 74 * 73 per product: aim for a spread of ~40 output steps.
  const yq = { scale: Math.fround((xq.scale * meanScale * Math.sqrt(taps) * 5400) / 40), zeroPoint: zeroPoint(rand) };
  tensors.set('y', { name: 'y', shape: yShape, dtype: 'int8', quant: perTensorQuant(yq.scale, yq.zeroPoint) });
  const { multipliers, shifts } = channelMultipliers(xq.scale, wScales, yq.scale);
  return {
    name,
    opset: 17,
    tensors,
    nodes: [
      {
        name: `${name}_node`,
        op,
        domain: INT8_DOMAIN,
        inputs: ['x', 'w', 'b'],
        outputs: ['y'],
        attrs: { ...attrs, multiplier: Array.from(multipliers), shift: Array.from(shifts), act_min: -128, act_max: 127 },
      },
    ],
    inputs: ['x'],
    outputs: ['y'],
  };
}

/** A 2-D QConv with square kernel k, stride 1, padding `pad` on every side, `group` groups, batch 1. */
function conv2d(name: string, inC: number, size: number, outC: number, k: number, pad: number, group = 1) {
  const outSize = size + 2 * pad - k + 1;
  return (rand: () => number): Graph =>
    weightedLayer(rand, name, 'QConv', [1, inC, size, size], [outC, inC / group, k, k], [1, outC, outSize, outSize], (inC / group) * k * k, {
      kernel_shape: [k, k],
      strides: [1, 1],
      dilations: [1, 1],
      pads: [pad, pad, pad, pad],
      group,
    });
}

/** The layers of the table: CMSIS-NN's figures and the bars are those of the int8 speed issue. */
export const LAYER_CASES: LayerCase[] = [
  {
    name: 'conv 3x3, 16x16x16 -> 32, pad 1',
    cmsisM4: 2.14,
    cmsisM0plus: 7.13,
    barM4: 1.7,
    macs: 16 * 16 * 32 * 16 * 9,
    build: conv2d('conv3x3', 16, 16, 32, 3, 1),
  },
  {
    name: 'conv 1x1, 16x16x32 -> 32',
    cmsisM4: 2.7,
    cmsisM0plus: 9.09,
    barM4: 2.1,
    macs: 16 * 16 * 32 * 32,
    build: conv2d('conv1x1', 32, 16, 32, 1, 0),
  },
  {
    name: 'depthwise 3x3, 16x16x32, pad 1',
    cmsisM4: 8.07,
    cmsisM0plus: 37.8,
    barM4: 4.0,
    macs: 16 * 16 * 32 * 9,
    build: conv2d('depthwise3x3', 32, 16, 32, 3, 1, 32),
  },
  {
    name: 'fully connected 256 -> 64',
    cmsisM4: 2.08,
    cmsisM0plus: 6.43,
    barM4: 1.8,
    macs: 256 * 64,
    build: (rand) => weightedLayer(rand, 'fc', 'QGemm', [1, 256], [64, 256], [1, 64], 256, {}),
  },
  {
    name: 'conv 3x3, 28x28x1 -> 8, pad 1 (first layer)',
    cmsisM4: 14.0,
    cmsisM0plus: 25.4,
    barM4: 7.0,
    macs: 28 * 28 * 8 * 9,
    build: conv2d('first3x3', 1, 28, 8, 3, 1),
  },
];

/** Random int8 values over the whole range for the graph's input `x`. */
export function randomInput(graph: Graph, rand: () => number): Record<string, Value> {
  const x = graph.tensors.get('x')!;
  return { x: { shape: x.shape, dtype: 'int8', data: int8s(rand, sizeOf(x.shape), -128, 127) } };
}
