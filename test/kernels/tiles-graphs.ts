// Small graphs whose steps are one call of each kernel family with a tiler (src/kernels/*: CallTiler), for the
// tile tests: every path of the int8 convolution (im2col columns, first layers of few values, groups, stride,
// dilation, two images, blocks of channels of a deep layer), 1x1 convolutions of odd pixel counts, depthwise with a multiplier, fully connected of an
// odd feature count, pools, element-wise with and without broadcasting, and their float counterparts. Each layer
// reads a model input and is a model output, so that no step fuses two of them. Also the calls of such graphs
// with uneven tile bounds, which tiles-harness.ts runs.

import type { Graph } from '../../src/ir/graph.js';
import { lowerGraph } from '../../src/codegen/lower-float.js';
import { lowerInt8Graph } from '../../src/codegen/lower-int8.js';
import { CallArgs } from '../../src/kernels/call-args.js';
import type { KernelArg, KernelCall } from '../../src/kernels/call.js';
import type { CallTiler } from '../../src/kernels/contract.js';
import { contractOf } from '../../src/kernels/registry.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

/** A call to cut: the graph it reads, the call, its tiler and the tile bounds [b0 = 0, b1, ..., units]. */
export interface TiledCall {
  label: string;
  graph: Graph;
  precision: 'int8' | 'float32';
  call: KernelCall;
  tiler: CallTiler;
  bounds: number[];
  /** Bytes of the step's scratch. */
  scratchBytes: number;
}

/**
 * Tile bounds of `units` in whole granules, of uneven lengths (1, 2, 3, 1, 2, 3... granules): the first tile is one
 * granule, and the last one ends at `units` (short when the granule does not divide it).
 */
export function unevenBounds(units: number, granule: number): number[] {
  const bounds = [0];
  for (let k = 0; bounds[bounds.length - 1]! < units; k++) {
    bounds.push(Math.min(units, bounds[bounds.length - 1]! + granule * ((k % 3) + 1)));
  }
  return bounds;
}

/** Kernels that take a NULL scratch (EENN_CONV_S8_DIRECT: the input read in place). */
const SCRATCH_OPTIONAL = new Set(['eenn_conv2d_s8', 'eenn_conv2d_1x1_s8']);

/**
 * The steps of `graph` that are one call with a tiler that cuts it, each with uneven bounds; `noScratch` also
 * gives each call that may go without its scratch without one (the kernels' direct paths).
 */
export function tiledCalls(label: string, graph: Graph, precision: 'int8' | 'float32', options: { noScratch?: boolean } = {}): TiledCall[] {
  const plan = planMemory(graph);
  const lowered = precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);
  const result: TiledCall[] = [];
  for (const { step, lowered: low } of lowered) {
    if (low.calls.length !== 1) continue;
    const call = low.calls[0]!;
    const tiler = contractOf(call.fn)?.tiler;
    const units = tiler?.units(new CallArgs(graph, call));
    if (!tiler || units === undefined) continue;
    const bounds = unevenBounds(units, tiler.granule(new CallArgs(graph, call)));
    const base = { graph, precision, tiler, bounds, scratchBytes: step.scratchBytes ?? 0 };
    result.push({ ...base, label: `${label}: ${call.fn} [${step.nodes[0]!.name}]`, call });
    if (options.noScratch && SCRATCH_OPTIONAL.has(call.fn) && call.args.some((a) => a.kind === 'scratch')) {
      const direct = { ...call, args: call.args.map((a): KernelArg => (a.kind === 'scratch' ? { kind: 'null', name: a.name } : a)) };
      const directBounds = unevenBounds(units, tiler.granule(new CallArgs(graph, direct)));
      result.push({ ...base, bounds: directBounds, label: `${label}: ${call.fn} without scratch [${step.nodes[0]!.name}]`, call: direct });
    }
  }
  return result;
}

/** The tiles of a call, in order. */
export function partsOf(t: TiledCall): KernelCall[] {
  const args = new CallArgs(t.graph, t.call);
  return t.bounds.slice(1).map((end, i) => t.tiler.part(t.call, args, t.bounds[i]!, end));
}

/** Output size of a window: (size + pads - dilation * (kernel - 1) - 1) / stride + 1. */
const outSize = (size: number, k: number, s: number, pads: number, d = 1) => Math.floor((size + pads - d * (k - 1) - 1) / s) + 1;

export function int8TileGraph(): Graph {
  const q = new Int8GraphBuilder('tiles_s8', seededRandom(11));
  const outputs: string[] = [];
  const x = q.input('x', [1, 8, 9, 7]);
  // im2col columns (72 values per output), a fused Relu
  outputs.push(q.conv(x, 12, [3, 3], { pads: [1, 1, 1, 1] }, [1, 12, 9, 7], { act: 'relu' }));
  // stride 2, dilation 2, two groups, no bias
  outputs.push(
    q.conv(
      x,
      6,
      [3, 3],
      { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 2, 1], group: 2 },
      [1, 6, outSize(9, 3, 2, 4, 2), outSize(7, 3, 2, 2, 2)],
      {
        bias: false,
      },
    ),
  );
  // a first layer: one channel, 9 values per output (tiles of 8 pixels, each a run of the first-layer path)
  const image = q.input('image', [1, 1, 11, 10]);
  outputs.push(q.conv(image, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 11, 10]));
  // two images
  const two = q.input('two', [2, 3, 6, 5]);
  outputs.push(q.conv(two, 5, [3, 3], { strides: [1, 2] }, [2, 5, 4, 2]));
  // a deep layer: 64 x 576 values a pixel, in blocks of 32 channels (odd pixel count: blocks start on odd units)
  const deep = q.input('deep', [1, 64, 3, 3]);
  outputs.push(q.conv(deep, 64, [3, 3], { pads: [1, 1, 1, 1] }, [1, 64, 3, 3]));
  // 1x1: 63 pixels (odd), 8 channels in; and 16 channels in (the DSP pair gather)
  outputs.push(q.conv(x, 5, [1, 1], {}, [1, 5, 9, 7]));
  const wide = q.input('wide', [1, 16, 5, 7]);
  outputs.push(q.conv(wide, 10, [1, 1], {}, [1, 10, 5, 7]));
  // depthwise: multiplier 2, 3x3; multiplier 1, 5x3 stride 2
  outputs.push(q.conv(x, 16, [3, 3], { pads: [1, 1, 1, 1], group: 8 }, [1, 16, 9, 7]));
  outputs.push(q.conv(x, 8, [5, 3], { strides: [2, 2], pads: [2, 1, 2, 1], group: 8 }, [1, 8, 5, 4]));
  // fully connected: 40 -> 11 features
  const flat = q.input('flat', [1, 40]);
  outputs.push(q.gemm(flat, 11));
  // pools
  outputs.push(q.averagePool(x, [3, 3], [2, 2], [1, 1, 1, 1], 0, [1, 8, 5, 4]));
  outputs.push(q.pass('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] })[0]!);
  // element-wise: same shapes (210 elements), a broadcast (no tiler), a table, a softmax of 3 rows
  const y = q.input('y', [1, 6, 5, 7]);
  const z = q.input('z', [1, 6, 5, 7]);
  const c = q.input('c', [1, 6, 1, 1]);
  outputs.push(q.add(y, z, [1, 6, 5, 7]));
  outputs.push(q.add(y, z, [1, 6, 5, 7], true));
  outputs.push(q.mul(y, z, [1, 6, 5, 7]));
  outputs.push(q.add(y, c, [1, 6, 5, 7]));
  outputs.push(q.lut(z, Math.tanh));
  const logits = q.input('logits', [3, 10]);
  outputs.push(q.softmax(logits));
  // a wide 1x1 layer: 256 x 90 values a pair of pixels, in blocks of 46 and 44 channels
  outputs.push(q.conv(q.input('wide1x1', [1, 256, 3, 1]), 90, [1, 1], {}, [1, 90, 3, 1]));
  // ResNet-8's deepest 3x3 layer: 8x8 pixels of 64 x 576 values, half of them gathered over the border
  const deep8 = q.input('deep8', [1, 64, 8, 8]);
  outputs.push(q.conv(deep8, 64, [3, 3], { pads: [1, 1, 1, 1] }, [1, 64, 8, 8]));
  for (const o of outputs) q.output(o);
  return q.build();
}

export function floatTileGraph(): Graph {
  const rand = seededRandom(5);
  const b = new GraphBuilder('tiles_f32');
  const floats = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  let count = 0;
  const conv = (x: string, shape: number[], attrs: Record<string, number[] | number>, out: number[], bias = true) => {
    const w = b.constant(`w${count}`, shape, floats(shape.reduce((a, v) => a * v, 1)));
    const inputs = bias ? [x, w, b.constant(`b${count}`, [shape[0]!], floats(shape[0]!))] : [x, w];
    count++;
    return b.op('Conv', inputs, { kernel_shape: shape.slice(2), ...attrs }, out);
  };
  const x = b.input('x', [1, 6, 9, 7]);
  const outputs = [
    // general: 3x3 pad 1 (the quad path), 10 channels (a block of 4 and the rest); stride 2 dilation 2 no bias
    conv(x, [10, 6, 3, 3], { pads: [1, 1, 1, 1] }, [1, 10, 9, 7]),
    conv(x, [5, 6, 3, 3], { strides: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }, [1, 5, 4, 3], false),
    // two groups: no tiler
    conv(x, [4, 3, 3, 3], { pads: [1, 1, 1, 1], group: 2 }, [1, 4, 9, 7]),
    // 1x1 of 63 pixels
    conv(x, [7, 6, 1, 1], {}, [1, 7, 9, 7]),
    // depthwise 3x3 (its own kernel) with multiplier 2, and 5x5 stride 2
    conv(x, [12, 1, 3, 3], { pads: [1, 1, 1, 1], group: 6 }, [1, 12, 9, 7]),
    conv(x, [6, 1, 5, 5], { strides: [2, 2], pads: [2, 2, 2, 2], group: 6 }, [1, 6, 5, 4]),
    // fully connected: 30 -> 10 features (two blocks of 4 and 2 more)
    b.op('Gemm', [b.input('flat', [1, 30]), b.constant('fc_w', [10, 30], floats(300)), b.constant('fc_b', [10], floats(10))], { transB: 1 }, [1, 10]),
    // pools
    b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }),
    b.op('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
    b.op('GlobalAveragePool', [x]),
    b.op('GlobalMaxPool', [x]),
  ];
  // element-wise: same shapes (210 elements), and a broadcast (no tiler)
  const y = b.input('y', [1, 6, 5, 7]);
  const z = b.input('z', [1, 6, 5, 7]);
  outputs.push(b.op('Add', [y, z]), b.op('Sub', [y, z]), b.op('Div', [y, z]), b.op('Mul', [y, b.input('c', [1, 6, 1, 1])]));
  // unary: a run of elements
  outputs.push(b.op('Sigmoid', [b.input('u', [1, 6, 5, 7])]));
  for (const o of outputs) b.output(o);
  return b.build();
}
