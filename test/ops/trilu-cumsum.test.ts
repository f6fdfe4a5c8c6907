// Trilu, CumSum and EyeLike: the float reference against hand-computed values and onnxruntime, the float32 C
// (host gcc -Wall -Wextra -Werror) against the reference, and the typed kernels: other element types, k and the
// axis computed at run time.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldConstants } from '../../src/frontend/fold.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { runReference } from '../../src/frontend/reference.js';
import type { AttrValue, Graph, Node } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';
import type { Value } from '../../src/ops/types.js';
import { runGraph } from '../../src/run-graph.js';
import { loadTarget } from '../../src/target/target.js';
import { compareOutputs, randomValue, runOnHost, type HostResult } from '../codegen/host-run.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

const rand = seededRandom(31);

const node = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): Node => ({
  name: op,
  op,
  domain: '',
  inputs,
  outputs: ['y'],
  attrs,
});
const f32 = (shape: number[], values: number[]): Value => ({ shape, dtype: 'float32', data: Float32Array.from(values) });
const i64 = (value: number): Value => ({ shape: [], dtype: 'int64', data: Float64Array.of(value) });
const evaluate = (n: Node, inputs: (Value | undefined)[], opset = 14): number[] =>
  Array.from(lookupOp(n.op)!.evaluate(n, inputs, opset)[0]!.data as ArrayLike<number>);

const M = f32([3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

describe('the reference against hand-computed values', () => {
  it('Trilu keeps the upper triangle by default, the lower one with upper = 0, from diagonal k', () => {
    expect(evaluate(node('Trilu', ['x']), [M])).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expect(evaluate(node('Trilu', ['x', 'k'], { upper: 0 }), [M, i64(-1)])).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expect(evaluate(node('Trilu', ['x', 'k']), [M, i64(2)])).toEqual([0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0]);
    expect(evaluate(node('Trilu', ['x', 'k'], { upper: 0 }), [M, i64(9)])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('CumSum sums along the axis, exclusive and reverse', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const axis = (a: number): Value => ({ shape: [], dtype: 'int32', data: Int32Array.of(a) });
    expect(evaluate(node('CumSum', ['x', 'axis']), [x, axis(1)])).toEqual([1, 3, 6, 4, 9, 15]);
    expect(evaluate(node('CumSum', ['x', 'axis']), [x, axis(0)])).toEqual([1, 2, 3, 5, 7, 9]);
    expect(evaluate(node('CumSum', ['x', 'axis'], { exclusive: 1 }), [x, axis(-1)])).toEqual([0, 1, 3, 0, 4, 9]);
    expect(evaluate(node('CumSum', ['x', 'axis'], { reverse: 1 }), [x, axis(1)])).toEqual([6, 5, 3, 15, 11, 6]);
    expect(evaluate(node('CumSum', ['x', 'axis'], { reverse: 1, exclusive: 1 }), [x, axis(1)])).toEqual([5, 3, 0, 11, 6, 0]);
  });

  it('EyeLike puts ones on diagonal k, of the type dtype names', () => {
    const [y] = lookupOp('EyeLike')!.evaluate(node('EyeLike', ['x'], { k: 1, dtype: 11 }), [f32([2, 3], [9, 9, 9, 9, 9, 9])], 9);
    expect(y!.dtype).toBe('float64');
    expect(Array.from(y!.data as Float64Array)).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it('a Trilu on a rank-1 tensor and a CumSum on a vector axis are shape errors', () => {
    const trilu = lookupOp('Trilu')!;
    expect(() => trilu.inferShapes(node('Trilu', ['x']), [{ name: 'x', shape: [4], dtype: 'float32' }], 14)).toThrow(/rank 2 or more/);
    const cumsum = lookupOp('CumSum')!;
    const x = { name: 'x', shape: [4], dtype: 'float32' as const };
    expect(() => cumsum.inferShapes(node('CumSum', ['x', 'a']), [x, { name: 'a', shape: [2], dtype: 'int64' }], 14)).toThrow(/axis must be a scalar/);
  });
});

interface Case {
  name: string;
  graph: Graph;
  inputs: Record<string, Value>;
  kernel: string;
}

function single(
  name: string,
  op: string,
  shape: number[],
  extra: (b: GraphBuilder) => string[],
  attrs: Record<string, AttrValue>,
  kernel: string,
): Case {
  const b = new GraphBuilder(name, 14);
  const x = b.input('x', shape);
  b.output(b.op(op, [x, ...extra(b)], attrs));
  return { name, graph: b.build(), inputs: { x: randomValue(shape, rand) }, kernel };
}

const k = (value: number) => (b: GraphBuilder) => [b.constant('k', [], [value], 'int64')];
const axis = (value: number) => (b: GraphBuilder) => [b.constant('axis', [], [value], 'int64')];
const cases: Case[] = [
  single('triu_default', 'Trilu', [4, 5], () => [], {}, 'eenn_trilu_x32'),
  single('tril_batched_negative_k', 'Trilu', [2, 3, 4, 4], k(-1), { upper: 0 }, 'eenn_trilu_x32'),
  single('triu_k_beyond_columns', 'Trilu', [3, 5], k(7), {}, 'eenn_trilu_x32'),
  single('tril_k_below_rows', 'Trilu', [5, 2], k(-9), { upper: 0 }, 'eenn_trilu_x32'),
  single('triu_wide_positive_k', 'Trilu', [3, 8], k(2), {}, 'eenn_trilu_x32'),
  single('cumsum_last_axis', 'CumSum', [3, 7], axis(1), {}, 'eenn_cumsum_f32'),
  single('cumsum_middle_axis_exclusive', 'CumSum', [2, 5, 3], axis(-2), { exclusive: 1 }, 'eenn_cumsum_f32'),
  single('cumsum_first_axis_reverse', 'CumSum', [6, 2, 2], axis(0), { reverse: 1 }, 'eenn_cumsum_f32'),
  single('cumsum_reverse_exclusive', 'CumSum', [9], axis(0), { reverse: 1, exclusive: 1 }, 'eenn_cumsum_f32'),
];

describe('the reference matches onnxruntime', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const session = await ort.InferenceSession.create(encodeGraph(c.graph));
      const x = c.inputs['x']!;
      const result = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
      const want = result[c.graph.outputs[0]!]!.data as Float32Array;
      const got = runReference(c.graph, c.inputs)[c.graph.outputs[0]!]!.data as Float32Array;
      // Trilu copies and CumSum adds in float32 in axis order, as onnxruntime does: the same bits.
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  }
});

describe('float32 C on the host', () => {
  let results: Map<string, HostResult>;
  beforeAll(async () => {
    results = new Map((await runOnHost(cases.map((c) => ({ name: c.name, graph: c.graph, inputs: c.inputs })))).map((r) => [r.name, r]));
  }, 120_000);

  for (const c of cases) {
    it(`${c.name} calls ${c.kernel} and matches the reference`, () => {
      const result = results.get(c.name)!;
      expect(result.status).toBe(0);
      expect(result.emitted.files.get('model.c')).toContain(`${c.kernel}(`);
      const want = runReference(c.graph, c.inputs)[c.graph.outputs[0]!]!.data as ArrayLike<number>;
      const check = compareOutputs(result.outputs[0]!, want, 0, 0);
      expect(check.ok, `max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
    });
  }

  it('EyeLike folds to a constant: the model copies it to its output', () => {
    const b = new GraphBuilder('eyelike', 9);
    const x = b.input('x', [3, 4]);
    b.output(b.op('Add', [x, b.op('EyeLike', [x], { k: -1 })]));
    const graph = foldConstants(b.build());
    expect(graph.nodes.map((n) => n.op)).toEqual(['Add']);
    const eye = graph.tensors.get(graph.nodes[0]!.inputs[1]!)!;
    expect(Array.from(eye.data as Float32Array)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
  });
});

describe('Trilu of other element types, and with k computed at run time (host)', () => {
  const work = mkdtempSync(join(tmpdir(), 'eenn-trilu-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const [dtype, upper, kValue] of [
    ['int64', 1, -1],
    ['int64', 0, 2],
    ['float32', 1, 1],
    ['float32', 0, -7],
  ] as const) {
    it(`${dtype} ${upper ? 'upper' : 'lower'}, k = ${kValue} given as a model input`, async () => {
      const b = new GraphBuilder(`trilu_${dtype}_${upper}`, 14);
      const x = b.input('x', [2, 3, 4], dtype);
      const k = b.input('k', [], 'int64');
      b.output(b.op('Trilu', [x, k], { upper }));
      const graph = b.build();
      const values = Array.from({ length: 24 }, (_, i) => (dtype === 'int64' ? i * 1000003 - 7 : (rand() * 2 - 1) * 4));
      const inputs: Record<string, Value> = {
        x: { shape: [2, 3, 4], dtype, data: dtype === 'int64' ? Float64Array.from(values) : Float32Array.from(values) },
        k: i64(kValue),
      };
      // The firmware reads int64 inputs as int64_t (the IR holds their values in a Float64Array).
      const asInt64 = (v: Value): Value => ({ ...v, data: new Float64Array(BigInt64Array.from(Array.from(v.data as Float64Array), BigInt).buffer) });
      const fed = { x: dtype === 'int64' ? asInt64(inputs.x!) : inputs.x!, k: asInt64(inputs.k!) };
      const run = await runGraph(graph, fed, loadTarget('host'), join(work, graph.name), { precision: 'float32', jobs: 1 });
      expect(run.emitted.files.get('model.c')).toContain(`eenn_trilu_${dtype === 'int64' ? 'x64' : 'x32'}(`);
      const bytes = run.outputs[0]!;
      const got = dtype === 'int64' ? Array.from(new BigInt64Array(bytes.buffer, bytes.byteOffset, 24), Number) : Array.from(bytes as Float32Array);
      expect(got).toEqual(Array.from(runReference(graph, inputs)[graph.outputs[0]!]!.data as ArrayLike<number>));
    }, 60_000);
  }
});

describe('CumSum of other element types, and with the axis computed at run time (host)', () => {
  const work = mkdtempSync(join(tmpdir(), 'eenn-cumsum-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const [dtype, axisValue, attrs] of [
    ['float32', -2, { reverse: 1 }],
    ['float64', 0, { exclusive: 1 }],
    ['int32', 2, { exclusive: 1, reverse: 1 }],
  ] as const) {
    it(`${dtype} along axis ${axisValue} given as an int32 model input, ${JSON.stringify(attrs)}`, async () => {
      const b = new GraphBuilder(`cumsum_${dtype}`, 14);
      const x = b.input('x', [3, 4, 2], dtype);
      const axis = b.input('axis', [], 'int32');
      b.output(b.op('CumSum', [x, axis], attrs));
      const graph = b.build();
      const values = Array.from({ length: 24 }, (_, i) => (dtype === 'int32' ? i * 7 - 50 : (rand() * 2 - 1) * 4));
      const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : Int32Array.from(values);
      const inputs: Record<string, Value> = {
        x: { shape: [3, 4, 2], dtype, data },
        axis: { shape: [], dtype: 'int32', data: Int32Array.of(axisValue) },
      };
      const run = await runGraph(graph, inputs, loadTarget('host'), join(work, graph.name), { precision: 'float32', jobs: 1 });
      expect(run.emitted.files.get('model.c')).toContain(`eenn_cumsum_${dtype === 'float32' ? 'f32' : dtype === 'float64' ? 'f64' : 's32'}_s32(`);
      const bytes = run.outputs[0]!;
      const view =
        dtype === 'float32'
          ? bytes
          : dtype === 'float64'
            ? new Float64Array(bytes.buffer, bytes.byteOffset, 24)
            : new Int32Array(bytes.buffer, bytes.byteOffset, 24);
      expect(Array.from(view as ArrayLike<number>)).toEqual(Array.from(runReference(graph, inputs)[graph.outputs[0]!]!.data as ArrayLike<number>));
    }, 60_000);
  }
});
