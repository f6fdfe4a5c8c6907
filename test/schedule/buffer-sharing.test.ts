// One plan for fixed choices, piece by piece: tensor lifetimes over the steps, the union-find of shared buffers,
// what each step's kernel allows (kernel-offers.ts), and buffer-sharing.ts's one in-place guard (a step writes over
// an input only when that input dies there, is not the caller's input or a constant, and the sizes fit), which
// returns its own step records.

import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { BufferGroups } from '../../src/schedule/buffer-groups.js';
import { shareBuffers, type SharedBuffers } from '../../src/schedule/buffer-sharing.js';
import { KernelOffers } from '../../src/schedule/kernel-offers.js';
import { tensorLifetimes } from '../../src/schedule/lifetimes.js';
import { scheduleOf } from '../../src/schedule/plan.js';
import { buildSteps } from '../../src/schedule/schedule.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { GraphBuilder, seededRandom } from './graph-builder.js';

function conv(b: GraphBuilder, x: string, outC: number, k: number, attrs: Record<string, number | number[]>, outShape: number[]): string {
  const inC = b.tensors.get(x)!.shape[1]!;
  const group = typeof attrs['group'] === 'number' ? attrs['group'] : 1;
  const w = b.constant(`w${b.nodes.length}`, [outC, inC / group, k, k], new Float32Array(outC * (inC / group) * k * k));
  return b.op('Conv', [x, w], { kernel_shape: [k, k], ...attrs }, outShape);
}

function share(graph: Graph, inPlace = true, optionalInPlace: ReadonlySet<string> = new Set()): SharedBuffers {
  return shareBuffers(graph, scheduleOf(graph, {}), { inPlace, optionalInPlace });
}

const together = (s: SharedBuffers, a: string, b: string) => s.groups.root(a) === s.groups.root(b);

describe('tensorLifetimes', () => {
  it('gives each tensor its producing step and last reader, the model outputs past the last step, and fused tensors none', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 2, 6, 6]);
    const c = conv(b, x, 2, 3, { pads: [1, 1, 1, 1] }, [1, 2, 6, 6]);
    const r = b.op('Relu', [c], {}, [1, 2, 6, 6]);
    const t = b.op('Tanh', [r], {}, [1, 2, 6, 6]);
    const graph = b.output(b.op('Add', [t, r], {}, [1, 2, 6, 6])).build();
    const steps = buildSteps(graph);
    expect(steps.map((s) => s.nodes.length)).toEqual([2, 1, 1]);
    const { producer, lastRead, fused } = tensorLifetimes(graph, steps);
    expect([...fused]).toEqual([c]);
    expect(producer.get(r)).toBe(0);
    expect(producer.get(t)).toBe(1);
    expect(lastRead.get(x)).toBe(0);
    expect(lastRead.get(r)).toBe(2);
    expect(lastRead.has(c)).toBe(false);
    expect(lastRead.get(graph.outputs[0]!)).toBe(steps.length);
  });
});

describe('BufferGroups', () => {
  const bytes = new Map([
    ['in', 16],
    ['out', 16],
    ['big', 64],
    ['a', 16],
    ['b', 16],
  ]);
  const make = () => {
    const g = new BufferGroups(
      (name) => bytes.get(name)!,
      () => 16,
    );
    g.add('in', 1, { kind: 'input', index: 0 });
    g.add('out', 3, { kind: 'output', index: 0 });
    g.add('big', 2);
    g.add('a', 1);
    g.add('b', 2);
    return g;
  };

  it('merges classes, keeping the later last read and the one binding', () => {
    const g = make();
    expect(g.tryMerge('a', 'b')).toBe(true);
    expect(g.lastReadOf('a')).toBe(2);
    expect(g.tryMerge('b', 'out')).toBe(true);
    expect(g.bindingOf('a')).toEqual({ kind: 'output', index: 0 });
    expect(g.lastReadOf('a')).toBe(3);
  });

  it('refuses to bind one class to two places, or to put more than an output holds in its buffer', () => {
    const g = make();
    expect(g.tryMerge('in', 'out')).toBe(false);
    expect(g.tryMerge('big', 'out')).toBe(false);
    expect(g.root('out')).toBe('out');
    expect(g.root('big')).toBe('big');
  });

  it('asked about a tensor it does not hold, registers nothing', () => {
    const g = make();
    expect(g.bindingOf('weights')).toBeUndefined();
    expect(g.lastReadOf('weights')).toBe(-1);
    expect(g.has('weights')).toBe(false);
  });
});

describe('KernelOffers', () => {
  it("says what each step's kernel allows: element-wise, a conv over its input, an optional 1x1", () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 6, 6]);
    const t = b.op('Tanh', [x], {}, [1, 4, 6, 6]);
    const dw = conv(b, t, 4, 3, { group: 4, pads: [1, 1, 1, 1] }, [1, 4, 6, 6]);
    const flat = b.op('Flatten', [b.op('Relu', [dw], {}, [1, 4, 6, 6])], {}, [1, 144]);
    const graph = b.output(flat).build();
    const steps = buildSteps(graph);
    expect(steps.map((s) => s.nodes.length)).toEqual([1, 2, 1]);
    const offers = new KernelOffers(graph);
    expect(steps.map((s) => offers.elementwise(s))).toEqual([true, false, false]);
    expect(steps.map((s) => offers.conv(s)?.kind)).toEqual([undefined, 'depthwise', undefined]);
    expect(steps.some((s) => offers.optional(s) || offers.pool(s) || offers.pairOverInput(s))).toBe(false);

    const q = new Int8GraphBuilder('pw', seededRandom(1));
    const u = q.lut(q.input('x', [1, 8, 4, 4]), Math.tanh);
    const pw = q.conv(u, 4, [1, 1], {}, [1, 4, 4, 4]);
    q.output(q.lut(pw, Math.tanh));
    const int8 = q.build();
    const step = buildSteps(int8)[1]!;
    const int8Offers = new KernelOffers(int8);
    expect(int8Offers.optional(step)).toBe(true);
    expect(int8Offers.conv(step)?.kind).toBe('pointwise');
  });
});

describe('shareBuffers: the one in-place guard', () => {
  it('writes an element-wise step over an input that dies there, never over one read later, a model input or a constant', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 16]);
    const k = b.constant('k', [1, 16], new Float32Array(16));
    const a = b.op('Relu', [x], {}, [1, 16]);
    const s = b.op('Sigmoid', [a], {}, [1, 16]);
    const m = b.op('Mul', [k, s], {}, [1, 16]);
    const t = b.op('Tanh', [m], {}, [1, 16]);
    const graph = b.output(b.op('Add', [t, m], {}, [1, 16])).build();
    const shared = share(graph);
    expect(together(shared, x, a)).toBe(false);
    expect(together(shared, a, s)).toBe(true);
    expect(together(shared, s, m)).toBe(true);
    expect(together(shared, k, m)).toBe(false);
    expect(together(shared, m, t)).toBe(false);
    // The Add writes over its first operand that dies there, and its output is the model's: that class binds to
    // the caller's output buffer; the other operand's keeps its own.
    expect(together(shared, t, graph.outputs[0]!)).toBe(true);
    expect(shared.groups.bindingOf(t)).toEqual({ kind: 'output', index: 0 });
    expect(together(shared, m, graph.outputs[0]!)).toBe(false);
  });

  it('writes an element-wise step only over an input of its own size', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 16]);
    const wide = b.op('Relu', [x], {}, [1, 16]);
    const narrow = b.op('Relu', [b.input('y', [1, 1])], {}, [1, 1]);
    const sum = b.op('Add', [narrow, wide], {}, [1, 16]);
    const graph = b.output(b.op('Tanh', [sum], {}, [1, 16])).build();
    const shared = share(graph);
    expect(together(shared, wide, sum)).toBe(true);
    expect(together(shared, narrow, sum)).toBe(false);
  });

  it('writes a narrowing 1x1 conv over the start of its dying input, and a widening one nowhere', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8, 4, 4]);
    const t = b.op('Tanh', [x], {}, [1, 8, 4, 4]);
    const narrow = conv(b, t, 4, 1, {}, [1, 4, 4, 4]);
    const u = b.op('Tanh', [narrow], {}, [1, 4, 4, 4]);
    const wide = conv(b, u, 8, 1, {}, [1, 8, 4, 4]);
    const graph = b.output(b.op('Sigmoid', [wide], {}, [1, 8, 4, 4])).build();
    const shared = share(graph);
    expect(together(shared, t, narrow)).toBe(true);
    expect(together(shared, u, wide)).toBe(false);
    expect(shared.steps.map((s) => s.inPlace)).toEqual([undefined, 'pointwise', undefined, undefined, undefined]);
  });

  it('without in-place steps shares only aliases', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 2, 2]);
    const t = b.op('Tanh', [x], {}, [1, 4, 2, 2]);
    const r = b.op('Relu', [t], {}, [1, 4, 2, 2]);
    const flat = b.op('Flatten', [r], {}, [1, 16]);
    const graph = b.output(b.op('Sigmoid', [flat], {}, [1, 16])).build();
    const shared = share(graph, false);
    expect(together(shared, t, r)).toBe(false);
    expect(together(shared, r, flat)).toBe(true);
    expect(together(shared, flat, graph.outputs[0]!)).toBe(false);
  });

  it("returns its own step records and leaves the scheduler's steps as they were", () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 6, 6]);
    const t = b.op('Tanh', [x], {}, [1, 4, 6, 6]);
    const dw = conv(b, t, 4, 3, { group: 4, pads: [1, 1, 1, 1] }, [1, 4, 6, 6]);
    const graph = b.output(b.op('Sigmoid', [dw], {}, [1, 4, 6, 6])).build();
    const schedule = scheduleOf(graph, {});
    const { steps } = schedule;
    const before = JSON.stringify(steps);
    const shared = shareBuffers(graph, schedule, { inPlace: true, optionalInPlace: new Set() });
    expect(JSON.stringify(steps)).toBe(before);
    expect(steps[1]!.inPlace).toBeUndefined();
    expect(shared.steps[1]).toMatchObject({ index: 1, inPlace: 'depthwise', scratchBytes: 6 * 6 * 4 });
    expect(shared.steps.every((s, i) => s !== steps[i])).toBe(true);
  });
});
