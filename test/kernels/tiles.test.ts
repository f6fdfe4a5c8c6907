// The arithmetic of the kernel tiles (src/kernels/*: CallTiler) on calls lowered from small graphs: the units and
// granule of each family, the pointers each tile moves on and the counts it shrinks, the `_rows` entry points,
// the calls that cannot be cut, and the ranges a tiler refuses. tiles-run.test.ts runs the tiles in C.

import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { lowerGraph } from '../../src/codegen/lower-float.js';
import { lowerInt8Graph } from '../../src/codegen/lower-int8.js';
import { CallArgs } from '../../src/kernels/call-args.js';
import { floatArg, intArg, tensorArg, type KernelArg, type KernelCall } from '../../src/kernels/call.js';
import { convS8BlockChannels } from '../../src/kernels/conv-s8.js';
import { contractOf } from '../../src/kernels/registry.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { floatTileGraph, int8TileGraph, partsOf, tiledCalls, unevenBounds, type TiledCall } from './tiles-graphs.js';

const int8Calls = tiledCalls('int8', int8TileGraph(), 'int8');
const floatCalls = tiledCalls('float32', floatTileGraph(), 'float32');

/** The tiled call of node `node`. */
function callOf(calls: TiledCall[], node: string): TiledCall {
  const found = calls.find((c) => c.label.endsWith(`[${node}]`));
  if (!found) throw new Error(`no tiled call of ${node}`);
  return found;
}

/** Units and granule of a tiled call. */
function shapeOf(t: TiledCall): [number | undefined, number] {
  const args = new CallArgs(t.graph, t.call);
  return [t.tiler.units(args), t.tiler.granule(args)];
}

function part(t: TiledCall, begin: number, end: number): KernelCall {
  return t.tiler.part(t.call, new CallArgs(t.graph, t.call), begin, end);
}

/** Each argument of `call` as a comparable value: pointers by their offset, numbers by value. */
function argValues(call: KernelCall): Record<string, number | string> {
  const value = (a: KernelArg): number | string => {
    switch (a.kind) {
      case 'tensor':
      case 'const':
        return a.offset ?? 0;
      case 'int':
      case 'float':
        return a.value;
      case 'scratch':
        return `scratch+${a.offset ?? 0}`;
      default:
        return a.kind;
    }
  };
  return Object.fromEntries(call.args.map((a) => [a.name, value(a)]));
}

/** The arguments of a tile that differ from the whole call's. */
function changed(whole: KernelCall, tile: KernelCall): Record<string, number | string> {
  const before = argValues(whole);
  return Object.fromEntries(Object.entries(argValues(tile)).filter(([name, v]) => before[name] !== v));
}

describe('unevenBounds', () => {
  it('cuts in 1, 2, 3 granules, the last tile short', () => {
    expect(unevenBounds(9, 1)).toEqual([0, 1, 3, 6, 7, 9]);
    expect(unevenBounds(11, 2)).toEqual([0, 2, 6, 11]);
    expect(unevenBounds(1, 4)).toEqual([0, 1]);
  });
});

describe('int8 tiles', () => {
  it('cuts eenn_conv2d_s8 in pairs of output pixels through eenn_conv2d_s8_units', () => {
    const t = callOf(int8Calls, 'qconv_0'); // 9x7 output (32 pairs), 12 channels of 72 values: one block
    expect(t.tiler.axis).toBe('rows');
    expect(shapeOf(t)).toEqual([32, 1]);
    const tile = part(t, 2, 21); // pixels [4, 42): from the middle of row 0 to the end of row 5
    expect(tile.fn).toBe('eenn_conv2d_s8_units');
    expect(tile.source).toBe(t.call.source);
    expect(tile.args.slice(0, -4)).toEqual(t.call.args);
    // The layer's output stage test, decided at compile time: no tile runs it over every channel again.
    expect(argValues(tile)).toMatchObject({ bounded: 1, block_channels: 12, unit_begin: 2, unit_end: 21 });
    expect(contractOf('eenn_conv2d_s8_units')).toBe(contractOf('eenn_conv2d_s8'));
    // Two images, two groups: pixels of every image and group.
    expect(shapeOf(callOf(int8Calls, 'qconv_3'))).toEqual([4, 1]);
    expect(shapeOf(callOf(int8Calls, 'qconv_1'))).toEqual([8, 1]); // 5x3 pixels
    // A first layer (9 values per output): tiles of 8 pixels, with a scratch or without.
    expect(shapeOf(callOf(int8Calls, 'qconv_2'))).toEqual([55, 4]);
    const direct = tiledCalls('direct', int8TileGraph(), 'int8', { noScratch: true }).find((c) => c.label.includes('without scratch [qconv_2]'))!;
    expect(shapeOf(direct)).toEqual([55, 4]);
  });

  it('cuts a pair of pixels of a deep eenn_conv2d_s8 in blocks of channels of at most 40k multiply-accumulates', () => {
    const deep = callOf(int8Calls, 'qconv_4'); // 64 channels of 576 values, 3x3 output (5 pairs)
    expect(shapeOf(deep)).toEqual([5 * 2, 1]); // each pair in two blocks of 32 channels
    expect(argValues(part(deep, 3, 8))).toMatchObject({ block_channels: 32, unit_begin: 3, unit_end: 8 });
    expect(convS8BlockChannels(64, 576)).toBe(32);
    expect(convS8BlockChannels(64, 288)).toBe(64);
    // The fewest blocks, as equal as even counts come: 96 x 576 in 32, 32, 32 (not 34, 34, 28).
    expect(convS8BlockChannels(96, 576)).toBe(32);
    expect(convS8BlockChannels(8, 100_000)).toBe(2);
  });

  it('cuts eenn_conv2d_1x1_s8 in pairs of pixels through eenn_conv2d_1x1_s8_units, a wide layer in blocks of channels', () => {
    const t = callOf(int8Calls, 'qconv_5'); // 63 pixels (32 pairs), 8 -> 5 channels
    expect(shapeOf(t)).toEqual([32, 1]);
    const tile = part(t, 30, 32);
    expect(tile.fn).toBe('eenn_conv2d_1x1_s8_units');
    expect(argValues(tile)).toMatchObject({ block_channels: 5, unit_begin: 30, unit_end: 32 });
    const wide = callOf(int8Calls, 'qconv_18'); // 256 -> 90 channels, 3 pixels (2 pairs)
    expect(shapeOf(wide)).toEqual([2 * 2, 1]); // blocks of 46 and 44 channels
    expect(argValues(part(wide, 1, 3))).toMatchObject({ block_channels: 46 });
  });

  it('cuts the depthwise kernel in whole input channels: pointers to input, weights, bias, requantization, output', () => {
    const t = callOf(int8Calls, 'qconv_7'); // 8 channels x2, 3x3, 9x7
    expect(t.tiler.axis).toBe('channels');
    expect(shapeOf(t)).toEqual([16, 2]);
    expect(changed(t.call, part(t, 4, 10))).toEqual({
      input: 2 * 63,
      weights: 4 * 9,
      bias: 4,
      output: 4 * 63,
      output_multiplier: 4,
      output_shift: 4,
      in_c: 3,
    });
  });

  it('cuts eenn_fc_s8 in blocks of 4 output features (whole groups of its weight layout)', () => {
    const t = callOf(int8Calls, 'qgemm_9'); // 40 -> 11
    expect(shapeOf(t)).toEqual([11, 4]);
    expect(changed(t.call, part(t, 4, 11))).toEqual({ weights: 4 * 40, bias: 4, output: 4, output_multiplier: 4, output_shift: 4, out_features: 7 });
  });

  it('pads weight rows to a multiple of 4 values as the grouped layout does', () => {
    const q = new Int8GraphBuilder('short', seededRandom(3));
    q.output(q.gemm(q.input('x', [1, 10]), 6));
    const [t] = tiledCalls('short', q.build(), 'int8');
    expect(changed(t!.call, part(t!, 4, 6)).weights).toBe(4 * 12); // rows of 10 values padded to 12
  });

  it('cuts the pools in channel planes', () => {
    const avg = callOf(int8Calls, 'qaveragepool_10'); // 8 x 9x7 -> 5x4
    expect(shapeOf(avg)).toEqual([8, 1]);
    expect(changed(avg.call, part(avg, 3, 8))).toEqual({ input: 3 * 63, output: 3 * 20, channels: 5 });
    const max = callOf(int8Calls, 'maxpool_11'); // 8 x 9x7 -> 4x3
    expect(changed(max.call, part(max, 1, 2))).toEqual({ input: 63, output: 12, channels: 1 });
  });

  it('cuts element-wise calls in runs of elements (softmax: rows), never a broadcast', () => {
    const add = callOf(int8Calls, 'qadd_12');
    expect(add.tiler.axis).toBe('rows');
    expect(shapeOf(add)).toEqual([210, 4]);
    const tile = part(add, 8, 20);
    expect(changed(add.call, tile)).toMatchObject({ a: 8, b: 8, output: 8, d3: 12 });
    expect(argValues(tile)).toMatchObject({ d0: 1, d1: 1, d2: 1, d3: 12, a_s3: 1, b_s3: 1 });
    expect(int8Calls.some((c) => c.label.endsWith('[qadd_15]'))).toBe(false); // [1,6,5,7] + [1,6,1,1]
    const lut = callOf(int8Calls, 'qlut_16');
    expect(changed(lut.call, part(lut, 4, 8))).toEqual({ input: 4, output: 4, size: 4 });
    const softmax = callOf(int8Calls, 'qsoftmax_17'); // 3 rows of 10
    expect(shapeOf(softmax)).toEqual([3, 1]);
    expect(changed(softmax.call, part(softmax, 1, 3))).toEqual({ input: 10, output: 10, rows: 2 });
  });

  it('leaves uncut what it cannot cut: several images by channels, several input rows of a fully connected layer', () => {
    const q = new Int8GraphBuilder('batched', seededRandom(4));
    const x = q.input('x', [2, 4, 6, 6]);
    q.output(q.conv(x, 4, [3, 3], { pads: [1, 1, 1, 1], group: 4 }, [2, 4, 6, 6]));
    q.output(q.gemm(q.input('rows', [3, 20]), 8));
    const graph = q.build();
    const units = unitsOfEveryCall(graph, 'int8');
    expect(units).toEqual({ eenn_depthwise_conv2d_s8: undefined, eenn_fc_s8: undefined });
  });

  it('refuses a range of parts of granules or past the last unit, and gives the whole range as the call itself', () => {
    const fc = callOf(int8Calls, 'qgemm_9');
    expect(() => part(fc, 2, 8)).toThrow(/granules of 4/);
    expect(() => part(fc, 4, 6)).toThrow(/granules of 4/);
    expect(() => part(fc, 4, 12)).toThrow(/within 11/);
    expect(() => part(fc, 4, 4)).toThrow();
    expect(part(fc, 0, 11)).toBe(fc.call);
  });

  it('has no tiler for a kernel that writes over its input', () => {
    for (const fn of [
      'eenn_conv2d_1x1_in_place_s8',
      'eenn_depthwise_conv2d_in_place_f32',
      'eenn_conv2d_1x1_in_place_f32',
      'eenn_conv2d_pool_f32',
      'eenn_conv2d_pair_f32',
    ]) {
      expect(contractOf(fn)?.tiler, fn).toBeUndefined();
    }
  });

  it('tiles of a call together cover every unit, each tile a call of the same family', () => {
    for (const t of [...int8Calls, ...floatCalls]) {
      const parts = partsOf(t);
      expect(parts.length, t.label).toBe(t.bounds.length - 1);
      for (const p of parts) expect(contractOf(p.fn), t.label).toBe(contractOf(t.call.fn));
    }
  });
});

/** Units of the one call of each step of `graph` that has a tiler, by function (undefined: it cannot be cut). */
function unitsOfEveryCall(graph: Graph, precision: 'int8' | 'float32'): Record<string, number | undefined> {
  const plan = planMemory(graph);
  const lowered = precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);
  const calls = lowered.filter((s) => s.lowered.calls.length === 1).map((s) => s.lowered.calls[0]!);
  return Object.fromEntries(
    calls.flatMap((call) => {
      const tiler = contractOf(call.fn)?.tiler;
      return tiler ? [[call.fn, tiler.units(new CallArgs(graph, call))]] : [];
    }),
  );
}

describe('float32 tiles', () => {
  it('cuts eenn_conv2d_f32 of one group and one image in rows of blocks of 4 channels through eenn_conv2d_units_f32', () => {
    const t = callOf(floatCalls, 'conv_0'); // 6 -> 10 channels (3 blocks), 3x3 pad 1, 9x7
    expect(shapeOf(t)).toEqual([3 * 9, 1]);
    const tile = part(t, 7, 20); // rows 7, 8 of block 0, block 1, row 0 and 1 of block 2
    expect(tile.fn).toBe('eenn_conv2d_units_f32');
    expect(argValues(tile)).toEqual({
      input: 0,
      weights: 0,
      bias: 0,
      output: 0,
      in_c: 6,
      in_h: 9,
      in_w: 7,
      out_c: 10,
      out_h: 9,
      out_w: 7,
      kernel_h: 3,
      kernel_w: 3,
      stride_h: 1,
      stride_w: 1,
      pad_top: 1,
      pad_left: 1,
      dilation_h: 1,
      dilation_w: 1,
      act_min: -Infinity,
      act_max: Infinity,
      unit_begin: 7,
      unit_end: 20,
    });
    expect(contractOf('eenn_conv2d_units_f32')).toBe(contractOf('eenn_conv2d_f32'));
  });

  it('cuts eenn_conv2d_1x1_f32 in blocks of 4 pixels through eenn_conv2d_1x1_strided_f32', () => {
    const t = callOf(floatCalls, 'conv_3'); // 6 -> 7, 63 pixels
    expect(shapeOf(t)).toEqual([63, 4]);
    const tile = part(t, 60, 63);
    expect(tile.fn).toBe('eenn_conv2d_1x1_strided_f32');
    expect(argValues(tile)).toEqual({
      input: 60,
      weights: 0,
      bias: 0,
      output: 60,
      in_c: 6,
      size: 3,
      in_stride: 63,
      out_stride: 63,
      out_c: 7,
      act_min: -Infinity,
      act_max: Infinity,
    });
  });

  it('cuts the depthwise kernels in whole input channels', () => {
    const three = callOf(floatCalls, 'conv_4'); // 6 x2, 3x3 (its own kernel)
    expect(shapeOf(three)).toEqual([12, 2]);
    expect(changed(three.call, part(three, 2, 6))).toEqual({ input: 63, weights: 2 * 9, bias: 2, output: 2 * 63, in_c: 2 });
    const five = callOf(floatCalls, 'conv_5'); // 5x5 stride 2 -> 5x4
    expect(changed(five.call, part(five, 1, 3))).toEqual({ input: 63, weights: 25, bias: 1, output: 20, in_c: 2 });
  });

  it('cuts eenn_fc_f32 in blocks of 4 output features, the pools in planes, element-wise calls in runs', () => {
    const fc = callOf(floatCalls, 'gemm_6'); // 30 -> 10
    expect(shapeOf(fc)).toEqual([10, 4]);
    expect(changed(fc.call, part(fc, 4, 10))).toEqual({ weights: 4 * 30, bias: 4, output: 4, out_features: 6 });
    expect(() => part(fc, 2, 4)).toThrow(/granules of 4/);
    const avg = callOf(floatCalls, 'averagepool_8'); // 6 x 9x7 -> 5x4
    expect(changed(avg.call, part(avg, 1, 3))).toEqual({ input: 63, output: 20, channels: 2 });
    const global = callOf(floatCalls, 'globalmaxpool_10');
    expect(changed(global.call, part(global, 3, 6))).toEqual({ input: 3 * 63, output: 3, channels: 3 });
    const add = callOf(floatCalls, 'add_11');
    expect(shapeOf(add)).toEqual([210, 4]);
    expect(changed(add.call, part(add, 4, 12))).toMatchObject({ a: 4, b: 4, output: 4, d3: 8 });
    expect(floatCalls.some((c) => c.label.endsWith('[mul_14]'))).toBe(false); // [1,6,5,7] * [1,6,1,1]
    const sigmoid = callOf(floatCalls, 'sigmoid_15');
    expect(shapeOf(sigmoid)).toEqual([210, 4]);
    expect(changed(sigmoid.call, part(sigmoid, 8, 210))).toEqual({ input: 8, output: 8, size: 202 });
    // A clamp written over its own tensor, a chain over its output: not cut.
    const graph = floatTileGraph();
    const units = (call: KernelCall) => contractOf(call.fn)!.tiler!.units(new CallArgs(graph, call));
    const clamp: KernelCall = {
      fn: 'eenn_clip_f32',
      source: 'eenn_activation_f32.c',
      args: [tensorArg('input', 'y'), tensorArg('output', 'y'), intArg('size', 210), floatArg('min', 0), floatArg('max', 6)],
    };
    expect(units(clamp)).toBeUndefined();
    const chain = { ...add.call, args: add.call.args.map((a) => (a.name === 'a' ? tensorArg('a', 'add_11_out') : a)) };
    expect(units(chain)).toBeUndefined();
  });

  it('leaves uncut a grouped convolution and several images', () => {
    expect(floatCalls.some((c) => c.label.endsWith('[conv_2]'))).toBe(false); // two groups
    const b = new GraphBuilder('batched');
    const x = b.input('x', [2, 3, 5, 5]);
    const w = b.constant('w', [4, 3, 3, 3], new Float32Array(108));
    const p = b.constant('p', [4, 3, 1, 1], new Float32Array(12));
    b.output(b.op('Conv', [x, w], { kernel_shape: [3, 3] }, [2, 4, 3, 3]));
    b.output(b.op('Conv', [x, p], { kernel_shape: [1, 1] }, [2, 4, 5, 5]));
    b.output(b.op('Gemm', [b.input('rows', [3, 8]), b.constant('f', [5, 8], new Float32Array(40))], { transB: 1 }, [3, 5]));
    expect(unitsOfEveryCall(b.build(), 'float32')).toEqual({ eenn_conv2d_f32: undefined, eenn_conv2d_1x1_f32: undefined, eenn_fc_f32: undefined });
  });
});
