// Operands that are usually constants but arrive at run time: Clip bounds, Conv weights, Gemm B and C (beta != 1),
// BatchNormalization parameters. Each graph takes them as model inputs (or computes them), its generated C runs on
// the host (gcc -Wall -Wextra -Werror) and once on the Cortex-M4 in QEMU, and the outputs match the float reference.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../src/frontend/reference.js';
import type { Graph } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runGraph } from '../../src/run-graph.js';
import { loadTarget } from '../../src/target/target.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { compareOutputs, randomValue, runOnHost, type HostResult } from './host-run.js';

const RTOL = 1e-4;
const ATOL = 1e-5;
const rand = seededRandom(715);

interface Case {
  name: string;
  graph: Graph;
  inputs: Record<string, Value>;
  /** Kernel functions model.c must call. */
  expectCalls: string[];
}

const cases: Case[] = [];

/** A case whose model inputs are the `shapes` given (random values in [lo, hi)), built by `body`. */
function add(
  name: string,
  shapes: Record<string, number[]>,
  body: (b: GraphBuilder, inputs: string[]) => string | string[],
  expectCalls: string[],
  ranges: Record<string, [number, number]> = {},
): void {
  const b = new GraphBuilder(name, 17);
  const names = Object.entries(shapes).map(([n, shape]) => b.input(n, shape));
  const outs = body(b, names);
  for (const o of Array.isArray(outs) ? outs : [outs]) b.output(o);
  const inputs = Object.fromEntries(Object.entries(shapes).map(([n, shape]) => [n, randomValue(shape, rand, ...(ranges[n] ?? [-1, 1]))] as const));
  cases.push({ name, graph: b.build(), inputs, expectCalls });
}

// ---------------------------------------------------------------- Clip
add('clip_both_bounds_inputs', { x: [3, 7], lo: [], hi: [] }, (b, [x, lo, hi]) => b.op('Clip', [x!, lo!, hi!]), ['eenn_clip_bounds_f32'], {
  lo: [-0.6, -0.2],
  hi: [0.2, 0.6],
});
add('clip_min_input_max_absent', { x: [2, 5], lo: [] }, (b, [x, lo]) => b.op('Clip', [x!, lo!]), ['eenn_clip_bounds_f32']);
add(
  'clip_max_input_min_constant',
  { x: [11], hi: [] },
  (b, [x, hi]) => b.op('Clip', [x!, b.constant('lo', [], [-0.25]), hi!]),
  ['eenn_clip_bounds_f32'],
  { hi: [0, 0.5] },
);
// A bound computed by the graph: the largest value of x halved, after a Conv that keeps its own fused Relu.
add(
  'clip_bound_from_reduce',
  { x: [1, 2, 5, 5] },
  (b, [x]) => {
    const half = b.op('Mul', [b.op('ReduceMax', [x!], { keepdims: 0 }), b.constant('half', [], [0.5])]);
    return b.op('Clip', [x!, b.constant('lo', [], [-0.1]), half]);
  },
  ['eenn_clip_bounds_f32'],
);
add('clip_min_above_max', { x: [6], lo: [], hi: [] }, (b, [x, lo, hi]) => b.op('Clip', [x!, lo!, hi!]), ['eenn_clip_bounds_f32'], {
  lo: [0.5, 0.6],
  hi: [-0.2, 0.1],
});

// ---------------------------------------------------------------- Conv
add(
  'conv_weights_input_strides_pads',
  { x: [1, 3, 9, 8], w: [4, 3, 3, 2], bias: [4] },
  (b, [x, w, bias]) => b.op('Relu', [b.op('Conv', [x!, w!, bias!], { strides: [2, 1], pads: [1, 0, 2, 1] })]),
  ['eenn_conv3d_f32'],
);
add(
  'conv_weights_input_groups_dilation',
  { x: [2, 4, 7, 7], w: [6, 2, 3, 3] },
  (b, [x, w]) => b.op('Conv', [x!, w!], { group: 2, dilations: [2, 1], auto_pad: 'SAME_UPPER' }),
  ['eenn_conv3d_f32'],
);
add('conv_1d_weights_input', { x: [1, 2, 12], w: [3, 2, 4] }, (b, [x, w]) => b.op('Conv', [x!, w!], { strides: [3], pads: [1, 2] }), [
  'eenn_conv3d_f32',
]);
add('conv_1x1_weights_computed', { x: [1, 3, 4, 4], w: [5, 3, 1, 1] }, (b, [x, w]) => b.op('Conv', [x!, b.op('Tanh', [w!])]), ['eenn_conv3d_f32']);
add('conv_depthwise_weights_input', { x: [1, 3, 6, 6], w: [3, 1, 3, 3] }, (b, [x, w]) => b.op('Conv', [x!, w!], { group: 3, pads: [1, 1, 1, 1] }), [
  'eenn_depthwise_conv2d_3x3_f32',
]);

// ---------------------------------------------------------------- Gemm
add('gemm_runtime_b_c_beta', { a: [3, 5], bm: [5, 4], c: [3, 4] }, (b, [a, bm, c]) => b.op('Gemm', [a!, bm!, c!], { beta: 0.5 }), [
  'eenn_matmul_f32',
  'eenn_gemm_add_c_f32',
]);
add(
  'gemm_all_attributes_runtime',
  { a: [4, 3], bm: [5, 4], c: [1, 5] },
  (b, [a, bm, c]) => b.op('Gemm', [a!, bm!, c!], { alpha: 0.25, beta: 0.35, transA: 1, transB: 1 }),
  ['eenn_gemm_add_c_f32'],
);
add(
  'gemm_constant_b_runtime_c_column_clip',
  { a: [3, 4], c: [3, 1] },
  (b, [a, c]) =>
    b.op('Clip', [
      b.op('Gemm', [a!, b.constant('w', [4, 2], [0.5, -1, 0.25, 2, -0.75, 1.5, 1, -0.5]), c!], { beta: -2 }),
      b.constant('lo', [], [-1]),
      b.constant('hi', [], [1]),
    ]),
  ['eenn_fc_f32', 'eenn_gemm_add_c_f32'],
);

// ---------------------------------------------------------------- BatchNormalization
add(
  'batchnorm_parameters_input',
  { x: [2, 3, 4, 2], scale: [3], bias: [3], mean: [3], variance: [3] },
  (b, [x, scale, bias, mean, variance]) => b.op('BatchNormalization', [x!, scale!, bias!, mean!, variance!], { epsilon: 1e-2 }),
  ['eenn_batch_norm_f32'],
  { variance: [0.1, 2] },
);
add(
  'batchnorm_mean_computed',
  { x: [1, 4, 3] },
  (b, [x]) =>
    b.op('BatchNormalization', [
      x!,
      b.constant('s', [4], [1, 0.5, 2, -1]),
      b.constant('be', [4], [0, 0.1, 0.2, 0.3]),
      b.op('ReduceMean', [x!], { axes: [0, 2], keepdims: 0 }),
      b.constant('v', [4], [0.5, 1, 1.5, 2]),
    ]),
  ['eenn_batch_norm_f32'],
);

let results: Map<string, HostResult>;

beforeAll(async () => {
  results = new Map((await runOnHost(cases.map((c) => ({ name: c.name, graph: c.graph, inputs: c.inputs })))).map((r) => [r.name, r]));
}, 240_000);

function expectMatches(c: Case, outputs: Float32Array[]): void {
  const expected = runReference(c.graph, c.inputs);
  c.graph.outputs.forEach((name, i) => {
    const check = compareOutputs(outputs[i]!, expected[name]!.data as ArrayLike<number>, RTOL, ATOL);
    expect(check.ok, `output "${name}": max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
  });
}

describe('operands computed at run time (host gcc)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = results.get(c.name)!;
      expect(result.status).toBe(0);
      expectMatches(c, result.outputs);
      const modelC = result.emitted.files.get('model.c')!;
      for (const fn of c.expectCalls) expect(modelC).toContain(`${fn}(`);
    });
  }
});

describe('operands computed at run time (cortex-m4, QEMU)', () => {
  const work = mkdtempSync(join(tmpdir(), 'eenn-runtime-operands-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('Conv weights, Clip bounds and Gemm C as model inputs', async () => {
    const b = new GraphBuilder('runtime_operands_m4', 17);
    const [x, w, hi, c] = [b.input('x', [1, 2, 6, 6]), b.input('w', [3, 2, 3, 3]), b.input('hi', []), b.input('c', [1, 3])];
    const conv = b.op('Clip', [b.op('Conv', [x, w], { pads: [1, 1, 1, 1], strides: [2, 2] }), b.constant('lo', [], [0]), hi]);
    const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [conv])]);
    b.output(b.op('Gemm', [pooled, b.constant('fc', [3, 3], [1, 0.5, -0.5, 0, 1, 0.25, -1, 0, 2]), c], { beta: 0.5 }));
    const graph = b.build();
    const inputs: Record<string, Value> = {
      x: randomValue([1, 2, 6, 6], rand),
      w: randomValue([3, 2, 3, 3], rand),
      hi: { shape: [], dtype: 'float32', data: Float32Array.of(0.8) },
      c: randomValue([1, 3], rand),
    };
    const run = await runGraph(graph, inputs, loadTarget('cortex-m4'), join(work, 'm4'), { precision: 'float32', jobs: 1, timeoutMs: 60_000 });
    const outputs = (run.outputs as Float32Array[]).map((o) => o.slice(0, sizeOf(graph.tensors.get(graph.outputs[0]!)!.shape)));
    expectMatches({ name: graph.name, graph, inputs, expectCalls: [] }, outputs);
  }, 120_000);
});
