// LSTM, GRU and RNN in the float reference: hand-computed steps, onnxruntime on every attribute it implements
// (layout 1, which onnxruntime refuses, through the layout-0 twin of the same case), and the errors of bad nodes.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { runReference } from '../../src/frontend/reference.js';
import { lookupOp } from '../../src/ops/registry.js';
import type { Value } from '../../src/ops/types.js';
import { RECURRENT_CASES, type RecurrentCase } from './recurrent-models.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function node(op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node {
  return { name: `${op.toLowerCase()}_node`, op, domain: '', inputs, outputs, attrs };
}

const f32 = (shape: number[], values: number[]): Value => ({ shape, dtype: 'float32', data: Float32Array.from(values) });

function evaluate(n: Node, inputs: (Value | undefined)[]): Value[] {
  return lookupOp(n.op)!.evaluate(n, inputs, 14);
}

describe('recurrent reference, by hand', () => {
  it('RNN: h_t = tanh(W x_t + R h_t-1 + Wb + Rb)', () => {
    const [y, yH] = evaluate(node('RNN', ['X', 'W', 'R', 'B'], ['Y', 'Y_h'], { hidden_size: 1 }), [
      f32([2, 1, 1], [1, -1]),
      f32([1, 1, 1], [0.5]),
      f32([1, 1, 1], [2]),
      f32([1, 2], [0.1, 0.2]),
    ]);
    const h1 = Math.tanh(0.5 + 0.3);
    const h2 = Math.tanh(-0.5 + 2 * h1 + 0.3);
    expect(y!.shape).toEqual([2, 1, 1, 1]);
    expect(y!.data[0]).toBeCloseTo(h1, 6);
    expect(y!.data[1]).toBeCloseTo(h2, 6);
    expect(yH!.data[0]).toBeCloseTo(h2, 6);
  });

  it('LSTM: one step with peepholes and an initial state', () => {
    // Gate rows i, o, f, c with W = [1, 2, 3, 4], R = 0, B = 0, P = [0.5 (i), 0.25 (o), 2 (f)], c0 = 1, x = 0.1.
    const [, yH, yC] = evaluate(node('LSTM', ['X', 'W', 'R', '', '', 'initial_h', 'initial_c', 'P'], ['', 'Y_h', 'Y_c'], { hidden_size: 1 }), [
      f32([1, 1, 1], [0.1]),
      f32([1, 4, 1], [1, 2, 3, 4]),
      f32([1, 4, 1], [0, 0, 0, 0]),
      undefined,
      undefined,
      f32([1, 1, 1], [0]),
      f32([1, 1, 1], [1]),
      f32([1, 3], [0.5, 0.25, 2]),
    ]);
    const i = sigmoid(0.1 + 0.5);
    const f = sigmoid(0.3 + 2);
    const c = f * 1 + i * Math.tanh(0.4);
    const o = sigmoid(0.2 + 0.25 * c);
    expect(yC!.data[0]).toBeCloseTo(c, 6);
    expect(yH!.data[0]).toBeCloseTo(o * Math.tanh(c), 6);
  });

  it('GRU: the reset gate scales h before R_h, or R_h h with linear_before_reset', () => {
    // Rows z, r, h; W = [0, 0, 1], R = [0, 0, 2], Rb_h = 0.5, h0 = 1, x = 1: z = r = 0.5.
    const inputs = [
      f32([1, 1, 1], [1]),
      f32([1, 3, 1], [0, 0, 1]),
      f32([1, 3, 1], [0, 0, 2]),
      f32([1, 6], [0, 0, 0, 0, 0, 0.5]),
      undefined,
      f32([1, 1, 1], [1]),
    ];
    const [, plain] = evaluate(node('GRU', ['X', 'W', 'R', 'B', '', 'initial_h'], ['', 'Y_h'], { hidden_size: 1 }), inputs);
    const [, linear] = evaluate(node('GRU', ['X', 'W', 'R', 'B', '', 'initial_h'], ['', 'Y_h'], { hidden_size: 1, linear_before_reset: 1 }), inputs);
    expect(plain!.data[0]).toBeCloseTo(0.5 * Math.tanh(1 + 2 * 0.5 + 0.5) + 0.5, 6);
    expect(linear!.data[0]).toBeCloseTo(0.5 * Math.tanh(1 + 0.5 * (2 + 0.5)) + 0.5, 6);
  });

  it('sequence_lens: Y is zero past a sequence, Y_h is its last step', () => {
    const [y, yH] = evaluate(node('RNN', ['X', 'W', 'R', '', 'lens'], ['Y', 'Y_h'], { hidden_size: 1 }), [
      f32([3, 2, 1], [1, 1, 1, 1, 1, 1]),
      f32([1, 1, 1], [1]),
      f32([1, 1, 1], [0]),
      undefined,
      { shape: [2], dtype: 'int32', data: Int32Array.from([3, 1]) },
    ]);
    const t = Math.tanh(1);
    expect(Array.from(y!.data)).toEqual([t, t, t, 0, t, 0].map(Math.fround));
    expect(Array.from(yH!.data)).toEqual([t, t].map(Math.fround));
  });
});

/** `data` of `shape` with axes permuted: output axis k is input axis perm[k]. */
function permute(value: Value, perm: number[]): Value {
  const shape = perm.map((p) => value.shape[p]!);
  const inStrides = value.shape.map((_, i) => value.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(value.data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    out[o] = Number(value.data[perm.reduce((acc, p, k) => acc + index[k]! * inStrides[p]!, 0)]);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return { shape, dtype: value.dtype, data: out };
}

/** The layout-0 twin of a layout-1 case: X [batch, seq, input] -> [seq, batch, input], states [batch, dirs, h] -> [dirs, batch, h]. */
function layout0Twin(c: RecurrentCase): RecurrentCase {
  const n = c.graph.nodes[0]!;
  const swap = (name: string, v: Value): Value => (name === 'X' || name.startsWith('initial_') ? permute(v, [1, 0, 2]) : v);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of c.graph.tensors) {
    const reshape = name === 'X' || name.startsWith('initial_') || name === 'Y_h' || name === 'Y_c';
    const shape = reshape ? [t.shape[1]!, t.shape[0]!, t.shape[2]!] : name === 'Y' ? [t.shape[1]!, t.shape[2]!, t.shape[0]!, t.shape[3]!] : t.shape;
    tensors.set(name, { ...t, shape });
  }
  const graph: Graph = { ...c.graph, tensors, nodes: [{ ...n, attrs: { ...n.attrs, layout: 0 } }] };
  return { name: c.name, graph, inputs: Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, swap(k, v)])) };
}

/** A layout-0 output back in layout 1: Y [seq, dirs, batch, h] -> [batch, seq, dirs, h], states [dirs, batch, h] -> [batch, dirs, h]. */
function toLayout1(name: string, v: Value): Value {
  return name === 'Y' ? permute(v, [2, 0, 1, 3]) : permute(v, [1, 0, 2]);
}

describe('recurrent reference against onnxruntime', () => {
  for (const c of RECURRENT_CASES) {
    it(c.name, async () => {
      const layout1 = c.graph.nodes[0]!.attrs['layout'] === 1;
      const ortCase = layout1 ? layout0Twin(c) : c;
      const session = await ort.InferenceSession.create(encodeGraph(ortCase.graph));
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, v] of Object.entries(ortCase.inputs)) feeds[name] = new ort.Tensor('float32', v.data as Float32Array, v.shape);
      const expected = await session.run(feeds);
      const actual = runReference(c.graph, c.inputs);
      for (const name of c.graph.outputs) {
        const raw: Value = { shape: [...expected[name]!.dims], dtype: 'float32', data: expected[name]!.data as Float32Array };
        const want = layout1 ? toLayout1(name, raw) : raw;
        const got = actual[name]!;
        expect(got.shape).toEqual(want.shape);
        let worst = 0;
        for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(Number(got.data[i]) - Number(want.data[i])));
        expect(worst, `output "${name}"`).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});

describe('recurrent nodes that are wrong', () => {
  const x = { name: 'X', shape: [2, 1, 3], dtype: 'float32' as const };
  const w = { name: 'W', shape: [1, 8, 3], dtype: 'float32' as const };
  const r = { name: 'R', shape: [1, 8, 2], dtype: 'float32' as const };
  const shapes = (n: Node, inputs: (typeof x | undefined)[]) => lookupOp(n.op)!.inferShapes(n, inputs, 14);
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof EennError ? `${err.code}: ${err.message}` : `not an EennError: ${String(err)}`;
    }
    return undefined;
  };

  it('infers Y, Y_h and Y_c', () => {
    const out = shapes(node('LSTM', ['X', 'W', 'R'], ['Y', 'Y_h', 'Y_c'], { hidden_size: 2 }), [x, w, r]);
    expect(out.map((o) => o.shape)).toEqual([
      [2, 1, 1, 2],
      [1, 1, 2],
      [1, 1, 2],
    ]);
  });

  it('W of the wrong shape is E_SHAPE', () => {
    expect(codeOf(() => shapes(node('GRU', ['X', 'W', 'R'], ['Y'], { hidden_size: 2 }), [x, w, r]))).toMatch(
      /^E_SHAPE: W has shape \[1, 8, 3\], expected \[1, 6, 3\]/,
    );
  });

  it('an unknown activation is E_UNSUPPORTED naming it', () => {
    expect(
      codeOf(() => shapes(node('LSTM', ['X', 'W', 'R'], ['Y'], { hidden_size: 2, activations: ['Sigmoid', 'Gelu', 'Tanh'] }), [x, w, r])),
    ).toMatch(/^E_UNSUPPORTED: activation "Gelu"/);
  });

  it('a wrong number of activations, or a bad direction, is E_GRAPH', () => {
    expect(codeOf(() => shapes(node('LSTM', ['X', 'W', 'R'], ['Y'], { hidden_size: 2, activations: ['Sigmoid'] }), [x, w, r]))).toMatch(/^E_GRAPH/);
    expect(codeOf(() => shapes(node('LSTM', ['X', 'W', 'R'], ['Y'], { hidden_size: 2, direction: 'sideways' }), [x, w, r]))).toMatch(/^E_GRAPH/);
  });

  it('a sequence_lens value past the sequence is E_DATA', () => {
    const n = node('RNN', ['X', 'W', 'R', '', 'lens'], ['Y'], { hidden_size: 1 });
    const lens: Value = { shape: [1], dtype: 'int32', data: Int32Array.from([3]) };
    expect(codeOf(() => evaluate(n, [f32([2, 1, 1], [1, 1]), f32([1, 1, 1], [1]), f32([1, 1, 1], [1]), undefined, lens]))).toMatch(
      /^E_DATA: sequence_lens\[0\] is 3/,
    );
  });
});
