// The kernels of int16 activations (eenn_conv_s16.c, eenn_fc_s16.c, eenn_requantize_s16.c, eenn_pool_s16.c,
// eenn_layout_s16.c) in one graph that reaches each of them, the convolutions with and without their scratch: convolutions int8 -> int16, int16 -> int16 (depthwise,
// grouped, strided, dilated, padded, 1-D) and int16 -> int8; fully connected layers of each pair of types;
// requantization int8 -> int16 -> int16 -> int8; max pooling and moves of int16 tensors. Built for the host,
// Armv6-M, Armv7E-M and Armv8.1-M, every output must equal the plain model of the specified arithmetic
// (int16-straightforward.ts) bit for bit, with saturated outputs, an int64 bias beyond 2^32 and a multiplier in
// eenn_requantize_s64's top branch among them.

import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph, Tensor } from '../../src/ir/graph.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { runTilesOnCortexM4, runTilesOnHost } from '../kernels/tiles-harness.js';
import { tiledCalls } from '../kernels/tiles-graphs.js';
import { Random } from '../quantize/random.js';
import { Int16GraphBuilder } from './int16-graphs.js';
import { expectBitExact } from './bit-exact.js';
import { runInt8Model, type Int8Run } from './int8-run.js';

/** Reshape's shape input. */
const shapeConstant = (name: string, shape: number[]): Tensor => ({ name, shape: [shape.length], dtype: 'int64', data: Float64Array.from(shape) });

/** Model output -> what it covers. */
const covers = new Map<string, string>();

function buildGraph(): Int16GraphBuilder {
  const q = new Int16GraphBuilder('int16_kernels', new Random(1614));
  const out = (name: string, what: string) => {
    q.output(name);
    covers.set(name, what);
  };
  const a = q.input('a', [1, 4, 9, 8]);
  const s = q.input('s', [2, 6, 7]);
  const f = q.input('f', [3, 20]);

  const wide = q.conv(a, 6, [3, 3], { pads: [1, 1, 1, 1] }, 'int16');
  const depthwise = q.conv(wide, 6, [3, 3], { strides: [2, 2], pads: [1, 0, 1, 1], group: 6 }, 'int16', { act: [0, 32767], bigBias: true });
  const grouped = q.conv(depthwise, 4, [2, 2], { dilations: [2, 2], pads: [1, 1, 1, 1], group: 2 }, 'int16', {
    act: [-32767, 32767],
    topMultiplier: true,
  });
  const pooled = q.pass('MaxPool', grouped, [1, 4, 5, 4], { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] });
  out(q.conv(pooled, 5, [1, 1], {}, 'int8'), 'int8 -> int16 -> depthwise int16 -> grouped dilated int16 -> MaxPool -> 1x1 int16 -> int8');
  out(q.conv(wide, 3, [3, 3], { pads: [0, 1, 2, 1] }, 'int8', { noBias: true }), 'int16 -> int8 without a bias, asymmetric pads');

  const halved = q.pass('MaxPool', wide, [1, 6, 4, 4], { kernel_shape: [2, 2], strides: [2, 2] });
  out(q.requantize(halved, 'int8'), 'MaxPool 2x2 of stride 2 (its own loop) over an odd height, int16 -> int8');
  const global = q.pass('GlobalMaxPool', depthwise, [1, 6, 1, 1]);
  const flat = q.pass('Flatten', global, [1, 6], { axis: 1 });
  out(q.requantize(flat, 'int8'), 'GlobalMaxPool -> Flatten -> int16 -> int8');
  out(q.gemm(q.gemm(flat, 7, 'int16'), 9, 'int8'), 'one row: fully connected int16 -> int16 -> int8');
  out(q.requantize(q.conv(wide, 4, [3, 3], { pads: [1, 1, 1, 1] }, 'int16'), 'int8'), 'one group, int16 -> int16 -> int8');
  const rows = q.pass('Reshape', depthwise, [5, 24], {}, [shapeConstant('rows_shape', [5, 24])]);
  const fc = q.gemm(rows, 7, 'int16', { bigBias: true, topMultiplier: true });
  out(q.gemm(fc, 9, 'int8'), 'Reshape to 5 rows -> fully connected int16 -> int16 -> int8');

  const line = q.conv(s, 4, [3], { pads: [1, 1] }, 'int16');
  out(q.conv(line, 3, [2], { strides: [2], dilations: [2], pads: [0, 1] }, 'int8'), '1-D, two images: int8 -> int16 -> strided dilated int8');

  const hidden = q.gemm(f, 8, 'int16', { act: [-1000, 30000] });
  out(q.requantize(q.requantize(hidden, 'int16'), 'int8'), 'fully connected int8 -> int16 (narrow clamp), requantized int16 -> int16 -> int8');

  const up = q.requantize(a, 'int16');
  const reshaped = q.pass('Reshape', up, [1, 36, 8], {}, [shapeConstant('reshape_shape', [1, 36, 8])]);
  out(q.requantize(reshaped, 'int8'), 'requantized int8 -> int16, Reshape, int16 -> int8');
  return q;
}

const builder = buildGraph();
const graph: Graph = builder.build();
const inputs = builder.inputValues();
let work = '';
beforeAll(async () => {
  work = await makeTempDir('eenn-int16-kernels-');
});
afterAll(() => removeTempDir(work));

function checkOutputs(run: Int8Run): void {
  expectBitExact(
    graph.outputs,
    run.outputs,
    (name) => builder.env.get(name)!.data,
    (name) => covers.get(name),
  );
}

describe('int16 kernels against the plain model of the int16 arithmetic', () => {
  it('covers varied and saturated values in the int16 layers and the outputs', () => {
    for (const name of graph.outputs) {
      const values = builder.env.get(name)!.data as ArrayLike<number>;
      expect(new Set(Array.from(values)).size, covers.get(name)).toBeGreaterThanOrEqual(Math.min(5, values.length / 2));
    }
    const int16 = [...graph.tensors.values()].filter((t) => t.dtype === 'int16');
    expect(int16.length).toBeGreaterThan(6);
    const saturated = int16.filter((t) => Array.from(builder.env.get(t.name)!.data as ArrayLike<number>).some((v) => v === 32767 || v === -32768));
    expect(saturated.length).toBeGreaterThan(3);
  });

  for (const targetName of ['host', 'cortex-m0plus', 'cortex-m4', 'cortex-m55']) {
    it(`${targetName}: every layer bit-exact`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), `${work}/${targetName}`);
      const model = run.emitted.files.get('model.c')!;
      for (const fn of ['eenn_conv2d_s16(', 'eenn_conv2d_s16_s8(', 'eenn_conv2d_s8_s16(', 'eenn_fc_s16(', 'eenn_fc_s16_s8(', 'eenn_fc_s8_s16('])
        expect(model).toContain(fn);
      for (const fn of [
        'eenn_requantize_s8_s16(',
        'eenn_requantize_s16_s8(',
        'eenn_requantize_s16(',
        'eenn_max_pool2d_s16(',
        'eenn_global_max_pool_s16(',
      ])
        expect(model).toContain(fn);
      expect(model).toMatch(/static const int64_t \w+\[\d+\]/);
      expect(model).not.toMatch(/\/\* scratch\s+\*\/ NULL/);
      checkOutputs(run);
    }, 180_000);
  }

  it('splits into tiles (intermittent tasks) that give the whole call bit for bit, on the host and on Cortex-M4', async () => {
    const calls = tiledCalls('int16', graph, 'int8');
    expect(new Set(calls.map((c) => c.call.fn))).toEqual(
      new Set(['eenn_conv2d_s8_s16', 'eenn_conv2d_s16', 'eenn_conv2d_s16_s8', 'eenn_max_pool2d_s16', 'eenn_fc_s16', 'eenn_fc_s16_s8']),
    );
    for (const dir of ['tiles-host', 'tiles-m4']) mkdirSync(`${work}/${dir}`);
    for (const run of [await runTilesOnHost(`${work}/tiles-host`, calls), await runTilesOnCortexM4(`${work}/tiles-m4`, calls)]) {
      expect(run.lines).toEqual(calls.map((c) => `ok ${c.label}`));
      expect(run.exitCode).toBe(0);
    }
  }, 180_000);

  for (const targetName of ['host', 'cortex-m0plus']) {
    it(`${targetName}: without the column scratch (NULL), every layer bit-exact`, async () => {
      const plan = planMemory(graph);
      for (const step of plan.steps) delete step.scratchBytes;
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), `${work}/${targetName}-direct`, plan);
      expect(run.emitted.files.get('model.c')).toMatch(/\/\* scratch\s+\*\/ NULL/);
      checkOutputs(run);
    }, 180_000);
  }
});
