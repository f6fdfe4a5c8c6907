// int8 steps in place (src/kernels/): which element-wise, depthwise, 1x1 and pooling steps the
// planner runs over their input, when it must not, the pool rule judged window by window, and builds (host,
// Cortex-M4) of a graph where every kind runs in place, bit-exact with the int8 reference (the kernels really
// allow output == input).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOptionalInPlace, planMemory, validatePlan, type MemoryPlan } from '../../src/schedule/memory-plan.js';
import { int8DepthwiseScratchBytes } from '../../src/kernels/depthwise-s8.js';
import { poolRunsInPlace } from '../../src/kernels/pool-s8.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { Int8GraphBuilder, randomInputs } from '../codegen/int8-builder.js';
import { runInt8Model } from '../codegen/int8-run.js';
import { seededRandom } from './graph-builder.js';

const shares = (plan: MemoryPlan, a: string, b: string) => plan.bufferOf.get(a) === plan.bufferOf.get(b);

/** The graph node that produces `output`. */
function producerOf(q: Int8GraphBuilder, output: string) {
  return q.b.nodes.find((n) => n.outputs[0] === output)!;
}

describe('int8 element-wise steps in place', () => {
  it('runs QAdd, QMul, QLut and QSoftmax over an input that dies at their step', () => {
    const q = new Int8GraphBuilder('ew', seededRandom(1));
    const x = q.input('x', [1, 4, 6, 6]);
    const y = q.input('y', [1, 4, 6, 6]);
    const a = q.lut(x, (r) => r * 0.5);
    const s = q.add(a, y, [1, 4, 6, 6]);
    const m = q.mul(s, q.lut(y, Math.tanh), [1, 4, 6, 6]);
    const l = q.lut(m, (r) => Math.max(r, 0));
    q.output(q.softmax(l));
    const graph = q.build();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    expect(shares(plan, a, s)).toBe(true);
    expect(shares(plan, s, m)).toBe(true);
    expect(shares(plan, m, l)).toBe(true);
    // The softmax writes the model output: the whole chain goes into the caller's output buffer with it, and
    // the arena holds only the Tanh of y.
    expect(plan.buffers[plan.bufferOf.get(l)!]!.storage.kind).toBe('output');
    expect(shares(plan, a, l)).toBe(true);
    expect(plan.arenaBytes).toBe(144);
  });

  it('keeps an input that is read later, and never writes over a model input', () => {
    const q = new Int8GraphBuilder('ew_live', seededRandom(2));
    const x = q.input('x', [1, 4, 6, 6]);
    const a = q.lut(x, (r) => r * 0.5);
    const s = q.add(a, x, [1, 4, 6, 6]);
    q.output(q.add(s, a, [1, 4, 6, 6]));
    const graph = q.build();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    expect(shares(plan, a, s)).toBe(false);
    expect(shares(plan, x, a)).toBe(false);
  });
});

describe('int8 depthwise in place', () => {
  it('writes a stride-1 depthwise over its dying input, through a scratch of padded rows', () => {
    const q = new Int8GraphBuilder('dw', seededRandom(3));
    const t = q.lut(q.input('x', [1, 8, 12, 10]), Math.tanh);
    const dw = q.conv(t, 8, [3, 3], { group: 8, pads: [1, 1, 1, 1] }, [1, 8, 12, 10]);
    const strided = q.conv(q.lut(dw, Math.tanh), 8, [3, 3], { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 8, 6, 5]);
    q.output(q.conv(strided, 8, [1, 1], {}, [1, 8, 6, 5]));
    const graph = q.build();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    const step = plan.steps.find((s) => s.nodes[0]!.outputs[0] === dw)!;
    expect(step.inPlace).toBe('depthwise');
    expect(shares(plan, t, dw)).toBe(true);
    // 8 output rows of a band, 2 rows more for the window, round4(round4(10) + 2 + 4) = 20 bytes each.
    expect(step.scratchBytes).toBe(10 * 20);
    expect(int8DepthwiseScratchBytes(graph, step.nodes[0]!)).toBe(200);
    // A strided depthwise changes the shape: its own buffer, and still a scratch.
    const stridedStep = plan.steps.find((s) => s.nodes[0]!.outputs[0] === strided)!;
    expect(stridedStep.inPlace).toBeUndefined();
    // 6 output rows of stride 2 read 13 rows of round4(round4(5) * 2 + 2 + 4) = 24 bytes.
    expect(stridedStep.scratchBytes).toBe(((6 - 1) * 2 + 3) * 24);
  });
});

describe('int8 pooling in place', () => {
  const pool = (
    op: 'MaxPool' | 'QAveragePool',
    inShape: number[],
    attrs: { kernel_shape: number[]; strides: number[]; pads: number[] },
    outShape: number[],
  ) => {
    const q = new Int8GraphBuilder('pool', seededRandom(4));
    const t = q.lut(q.input('x', inShape), Math.tanh);
    const y = op === 'MaxPool' ? q.pass('MaxPool', [t], attrs)[0]! : q.averagePool(t, attrs.kernel_shape, attrs.strides, attrs.pads, 0, outShape);
    q.output(y);
    const graph = q.build();
    return poolRunsInPlace(graph, producerOf(q, y));
  };

  it('accepts windows that never read before their own output index', () => {
    expect(pool('MaxPool', [1, 3, 8, 8], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, [1, 3, 4, 4])).toBe(true);
    expect(pool('QAveragePool', [1, 3, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 3, 4, 4])).toBe(true);
    expect(pool('QAveragePool', [1, 3, 8, 8], { kernel_shape: [8, 8], strides: [1, 1], pads: [0, 0, 0, 0] }, [1, 3, 1, 1])).toBe(true);
  });

  it('refuses windows that read an element an earlier output overwrote', () => {
    // Output (0, 1) reads input column 0, which output 0 has already overwritten.
    expect(pool('MaxPool', [1, 3, 8, 8], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, [1, 3, 8, 8])).toBe(false);
    expect(pool('QAveragePool', [1, 2, 6, 6], { kernel_shape: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0] }, [1, 2, 6, 6])).toBe(false);
  });

  it('runs a pool in place only when that makes the arena smaller', () => {
    const q = new Int8GraphBuilder('pools', seededRandom(5));
    const x = q.input('x', [1, 1, 16, 16]);
    const c = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 16, 16]); // 2048 bytes
    const p = q.pass('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] })[0]!; // 512
    const c2 = q.conv(p, 16, [3, 3], { pads: [1, 1, 1, 1] }, [1, 16, 8, 8]); // 1024
    const g = q.averagePool(c2, [8, 8], [1, 1], [0, 0, 0, 0], 0, [1, 16, 1, 1]); // 16
    q.output(q.gemm(q.pass('Flatten', [g])[0]!, 4));
    const graph = q.build();
    // (Without the conv + pool fusion, which would not store the conv output at all.)
    const plan = planMemory(graph, { fusePools: false });
    expect(validatePlan(plan, graph)).toEqual([]);
    // In place, the pooled tensor would keep the conv's 2048 bytes alive beside the second conv's 1024 (and its
    // im2col scratch).
    expect(shares(plan, c, p)).toBe(false);
    expect(plan.arenaBytes).toBe(2048 + 512);
    const forced = planMemory(graph, { fusePools: false, optionalInPlace: new Set([producerOf(q, p).name]) });
    expect(validatePlan(forced, graph)).toEqual([]);
    expect(shares(forced, c, p)).toBe(true);
    const columns = forced.steps.find((step) => step.nodes[0]!.outputs[0] === c2)!.scratchBytes ?? 0;
    expect(forced.arenaBytes).toBe(2048 + 1024 + columns);
  });
});

const work = mkdtempSync(join(tmpdir(), 'eenn-int8-in-place-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 kernels in place, built and run', () => {
  const rand = seededRandom(6);
  const q = new Int8GraphBuilder('in_place', rand);
  const x = q.input('x', [1, 6, 12, 12]);
  const y = q.input('y', [1, 6, 12, 12]);
  const a = q.lut(x, (r) => r * 0.75);
  const d = q.conv(a, 6, [3, 3], { group: 6, pads: [1, 1, 1, 1] }, [1, 6, 12, 12], { act: 'relu' });
  const s = q.add(d, y, [1, 6, 12, 12]);
  const m = q.mul(s, y, [1, 6, 12, 12]);
  const p = q.pass('MaxPool', [m], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
  const v = q.averagePool(q.lut(p, Math.tanh), [3, 3], [2, 2], [1, 1, 1, 1], 1, [1, 6, 3, 3]);
  const g = q.pass('GlobalMaxPool', [q.lut(v, (r) => r * 2)])[0]!;
  q.output(q.softmax(q.pass('Flatten', [q.lut(g, (r) => r + 1)])[0]!));
  // 1x1 convolutions over their input: as many output channels, and fewer (a 13-pixel plane: a partial pass).
  const b = q.lut(q.input('z', [1, 10, 13, 1]), Math.tanh);
  const same = q.conv(b, 10, [1, 1], {}, [1, 10, 13, 1], { act: 'relu' });
  const fewer = q.conv(same, 7, [1, 1], {}, [1, 7, 13, 1]);
  q.output(q.lut(fewer, (r) => r / 2));
  const graph = q.build();
  const inputs = randomInputs(graph, rand);
  const expected = runInt8Reference(graph, inputs);

  for (const targetName of ['host', 'cortex-m4']) {
    it(`${targetName}: computes every in-place step bit-exactly`, async () => {
      const optional = new Set(graph.nodes.filter((n) => isOptionalInPlace(graph, n)).map((n) => n.name));
      expect(optional.size).toBe(5); // three pools, two 1x1 convolutions
      const plan = planMemory(graph, { optionalInPlace: optional });
      expect(validatePlan(plan, graph)).toEqual([]);
      for (const [from, to] of [
        [a, d],
        [d, s],
        [s, m],
        [m, p],
        [b, same],
        [same, fewer],
      ] as const) {
        expect(shares(plan, from, to), `${from} -> ${to}`).toBe(true);
      }
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, targetName), plan);
      expect(run.emitted.files.get('model.c')).toContain('eenn_conv2d_1x1_in_place_s8(');
      graph.outputs.forEach((name, i) => {
        expect(Array.from(run.outputs[i]!), name).toEqual(Array.from(expected[name]!.data as ArrayLike<number>));
      });
    }, 120_000);
  }
});
