// The int8 convolution and fully connected kernels (eenn_conv2d_s8.c, eenn_conv2d_1x1_s8.c, eenn_fc_s8.c) on every
// code path: one graph of layers whose shapes reach each loop of the paired weight layout (whole chunks of 16
// values, short last chunks, rows under 16 values padded, lone last channels and pixels, the first-layer runs: 1 to
// 3 input channels, 3x3 and other windows, stride 2, padding 0 to 2, rows of several runs), the 1x1 gather, the
// exact output stage where the bounded one does not apply), built for the host, Armv6-M, Armv7-M without DSP,
// Armv7E-M with DSP and Armv8.1-M with MVE, and once without the im2col scratch. Every output must equal the int8
// reference bit for bit.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { packPairs } from '../../src/kernels/weight-layout-s8.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { expectBitExact } from './bit-exact.js';
import { runInt8Model, type Int8Run } from './int8-run.js';

/** Model output -> what it covers. */
const covers = new Map<string, string>();

function buildGraph(rand: () => number): Graph {
  const q = new Int8GraphBuilder('int8_conv_kernels', rand);
  const out = (name: string, what: string) => {
    q.output(name);
    covers.set(name, what);
  };
  const a = q.input('a', [1, 16, 9, 10]);
  const b = q.input('b', [1, 1, 11, 13]);
  const c = q.input('c', [2, 3, 7, 6]);
  const d = q.input('d', [1, 20, 5, 5]);
  const e = q.input('e', [1, 5, 4, 4]);
  const v = q.input('v', [2, 3, 16]);
  const s = q.input('s', [1, 1, 20]);
  const r = q.input('r', [3, 37]);
  const f = q.input('f', [1, 7]);
  const z = q.input('z', [1, 6, 6, 6], { scale: 0.05, zeroPoint: 0 });
  const wide = q.input('wide', [1, 1, 4, 75]);
  const two = q.input('two', [1, 2, 9, 8]);
  const g = q.input('g', [1, 6, 5, 7]);
  const h = q.input('h', [1, 8, 7, 9]);
  const p = q.input('p', [1, 32, 5, 7]);
  const n = q.input('n', [1, 8, 5, 3]);
  const t = q.input('t', [1, 2, 6, 7]);

  out(q.conv(a, 32, [3, 3], { pads: [1, 1, 1, 1] }, [1, 32, 9, 10], { act: 'relu' }), 'depth 144: whole chunks only, clamp to a Relu');
  out(q.conv(a, 5, [3, 3], { strides: [2, 2], pads: [1, 0, 0, 1] }, [1, 5, 4, 5]), 'odd channels and pixels, strided, asymmetric pads');
  out(q.conv(a, 6, [2, 3], { dilations: [2, 1], pads: [1, 1, 0, 1], group: 2 }, [1, 6, 8, 10]), 'two groups of depth 48, dilated');
  out(
    q.conv(b, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 11, 13], { bias: false }),
    'first layer: depth 9, tiles of 8 pixels and a shorter last one',
  );
  out(
    q.conv(b, 5, [3, 3], { pads: [1, 1, 1, 1] }, [1, 5, 11, 13], { act: [-30, 60] }),
    'first layer with a narrower clamp: its tiles through the column multiply, a lone last channel',
  );
  out(q.conv(b, 3, [5, 5], { pads: [2, 2, 2, 2] }, [1, 3, 11, 13]), 'depth 25: a short last chunk ending in a partial group');
  out(q.conv(b, 7, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 7, 6, 7], { act: 'relu' }), 'first layer, stride 2, odd channels, Relu');
  const deepShift = q.conv(b, 3, [3, 3], {}, [1, 3, 9, 11]);
  out(deepShift, 'first layer without padding, odd width, one channel shifting right by 25');
  out(q.conv(b, 4, [3, 3], { pads: [2, 0, 1, 2] }, [1, 4, 12, 13]), 'first layer, pads 2 and 0, asymmetric');
  out(q.conv(b, 3, [3, 3], { dilations: [2, 1], pads: [2, 1, 2, 1] }, [1, 3, 11, 13]), 'first layer dilated in height');
  out(q.conv(b, 3, [3, 3], { dilations: [1, 2], pads: [1, 2, 1, 2] }, [1, 3, 11, 13]), 'first layer dilated in width');
  out(q.conv(wide, 11, [3, 3], { pads: [1, 1, 1, 1] }, [1, 11, 4, 75]), 'first layer, rows of 75 pixels: several runs a row, 11 channels');
  out(q.conv(wide, 2, [3, 3], { strides: [1, 2], pads: [0, 1, 0, 1] }, [1, 2, 2, 38]), 'first layer, stride 2 across rows of 38');
  out(q.conv(two, 5, [2, 2], { pads: [1, 1, 0, 0] }, [1, 5, 9, 8]), '2 input channels, 2x2 (depth 8)');
  out(q.conv(two, 4, [3, 1], { strides: [2, 1], pads: [1, 0, 1, 0] }, [1, 4, 5, 8]), '2 input channels, 3x1, stride 2 (depth 6)');
  out(q.conv(c, 5, [2, 2], { strides: [2, 2], pads: [0, 0, 1, 1] }, [2, 5, 4, 3]), '3 input channels, 2x2, stride 2, two images');
  out(q.conv(c, 3, [1, 1], { strides: [2, 2], pads: [1, 1, 1, 1] }, [2, 3, 5, 4]), '3 input channels, 1x1 padded, stride 2');
  out(q.conv(g, 6, [1, 3], { pads: [0, 1, 0, 1], group: 3 }, [1, 6, 5, 7]), 'three groups of depth 6');
  out(q.conv(c, 7, [3, 3], { pads: [1, 1, 1, 1] }, [2, 7, 7, 6]), 'depth 27, two images');
  out(q.conv(d, 9, [1, 1], {}, [1, 9, 5, 5]), '1x1, 20 input channels (pixel pairs gathered together), odd plane');
  out(q.conv(e, 6, [1, 1], {}, [1, 6, 4, 4], { act: [-30, 60] }), '1x1, 5 input channels (rows padded to 8), clamp');
  out(q.conv(h, 7, [3, 3], { pads: [1, 1, 1, 1] }, [1, 7, 7, 9], { act: 'relu' }), 'depth 72: whole chunks then 2 groups, a lone channel, Relu');
  out(
    q.conv(h, 6, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 6, 4, 5], { act: [-30, 60] }),
    'depth 72, strided, a narrower clamp (4 outputs clamped together)',
  );
  out(q.conv(a, 9, [3, 3], { pads: [1, 1, 1, 1] }, [1, 9, 9, 10], { act: [-30, 60] }), 'depth 144, a narrower clamp, a lone channel');
  out(q.conv(h, 8, [3, 3], { pads: [0, 1, 1, 0], group: 2 }, [1, 8, 6, 8]), 'two groups of depth 36: a chunk then a group each');
  out(q.conv(d, 7, [4, 4], { pads: [2, 1, 1, 2] }, [1, 7, 5, 5], { act: 'relu' }), 'depth 320: beyond three pixels per pass on DSP, Relu');
  out(q.conv(h, 4, [2, 4], { pads: [1, 2, 0, 1] }, [1, 4, 7, 9]), 'rows of 4 taps over the border, asymmetric pads');
  out(q.conv(h, 4, [3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }, [1, 4, 7, 9]), 'dilated 3x3 over the border');
  out(q.conv(n, 4, [3, 3], { pads: [1, 1, 1, 1] }, [1, 4, 5, 3]), 'rows of 3 values (narrower than a word)');
  out(q.conv(c, 6, [3, 3], { pads: [1, 1, 1, 1] }, [2, 6, 7, 6], { act: 'relu' }), 'depth 27: a chunk, 2 groups and a short one, Relu');
  out(q.conv(t, 4, [3, 3], { pads: [1, 1, 1, 1] }, [1, 4, 6, 7]), 'depth 18: a chunk then 2 values');
  out(q.conv(p, 5, [1, 1], {}, [1, 5, 5, 7], { act: [-30, 60] }), '1x1, 32 input channels, a narrower clamp, a lone pixel and channel');
  out(q.conv(p, 6, [1, 1], {}, [1, 6, 5, 7], { bias: false }), '1x1, 32 input channels, no bias');
  out(q.conv(v, 4, [5], { pads: [2, 2] }, [2, 4, 16]), '1-D, depth 15 (rows padded to 16)');
  out(q.conv(s, 3, [2], { strides: [3] }, [1, 3, 7]), '1-D, depth 2');
  out(
    q.conv(a, 10, [3, 3], { dilations: [1, 2], pads: [0, 2, 1, 0] }, [1, 10, 8, 8]),
    'dilated along rows over the border, depth 144: two groups of 4 channels and a last pair',
  );
  out(q.conv(e, 4, [2, 2], { pads: [2, 2, 2, 2] }, [1, 4, 7, 7]), 'windows with no tap inside the input (pads of the kernel size)');
  const exact = q.conv(a, 4, [3, 3], {}, [1, 4, 7, 8]);
  out(exact, 'a bias beyond 2^29 in one channel: the exact output stage for the layer');
  const exactFirst = q.conv(b, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 11, 13]);
  out(exactFirst, 'first layer with a bias beyond 2^29: the exact output stage');
  // Through a Transpose, so that the convolution's output is an arena tensor.
  const unbiased = q.conv(z, 4, [3, 3], { pads: [1, 1, 1, 1] }, [1, 4, 6, 6], { bias: false });
  out(q.pass('Transpose', [unbiased], { perm: [0, 1, 3, 2] })[0]!, 'zero point 0, no bias: NULL bias');
  out(q.gemm(r, 10), 'fully connected: 3 rows of 37, 10 features (a short last chunk, a lone pair)');
  out(q.gemm(f, 5), 'fully connected: 7 inputs (rows padded to 8), 5 features');
  out(q.gemm(q.pass('Flatten', [d])[0]!, 9), 'fully connected: 500 inputs, 9 features');
  const graph = q.build();
  // A right shift beyond 22 bits: the zero point is not folded into the rounding (eenn_conv_run_3x3_dsp).
  const shifted = graph.nodes.find((n) => n.outputs[0] === deepShift)!;
  (shifted.attrs.shift as number[])[0] = -25;
  for (const big of [exact, exactFirst]) {
    const node = graph.nodes.find((n) => n.outputs[0] === big)!;
    (graph.tensors.get(node.inputs[2]!)!.data as Int32Array)[0] = 600_000_000;
  }
  return graph;
}

/**
 * Convolutions (and 1x1 ones) whose rows are whole words (16 values or more, a multiple of 4, with a bias) and
 * nothing else that multiplies two pixels per pass, so that on DSP every one takes three pixels per pass
 * (EENN_CONV_S8_THREE_PIXELS): whole chunks, groups after them, lone channels, one or two pixels left, each output
 * stage.
 */
function buildThreePixelGraph(rand: () => number): Graph {
  const q = new Int8GraphBuilder('int8_conv_three_pixels', rand);
  const out = (name: string, what: string) => {
    q.output(name);
    covers.set(name, what);
  };
  const a = q.input('a', [1, 16, 9, 10]);
  const d = q.input('d', [1, 20, 5, 5]);
  const e = q.input('e', [1, 5, 4, 4]);
  const h = q.input('h', [1, 8, 7, 9]);
  const p = q.input('p', [1, 32, 5, 7]);
  const n = q.input('n', [1, 8, 5, 3]);
  out(q.conv(a, 32, [3, 3], { pads: [1, 1, 1, 1] }, [1, 32, 9, 10], { act: 'relu' }), 'depth 144: whole chunks only, Relu, 90 pixels');
  out(q.conv(a, 5, [3, 3], { strides: [2, 2], pads: [1, 0, 0, 1] }, [1, 5, 4, 5]), 'depth 144, odd channels, strided, asymmetric pads');
  out(q.conv(a, 6, [2, 3], { dilations: [2, 1], pads: [1, 1, 0, 1], group: 2 }, [1, 6, 8, 10]), 'two groups of depth 48, dilated');
  out(q.conv(h, 7, [3, 3], { pads: [1, 1, 1, 1] }, [1, 7, 7, 9], { act: 'relu' }), 'depth 72: whole chunks then 2 groups, a lone channel, Relu');
  out(q.conv(h, 6, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 6, 4, 5], { act: [-30, 60] }), 'depth 72, strided, a narrower clamp');
  out(q.conv(h, 8, [3, 3], { pads: [0, 1, 1, 0], group: 2 }, [1, 8, 6, 8]), 'two groups of depth 36: a chunk then a group each');
  out(q.conv(p, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 5, 7]), 'depth 288: the most of three pixels per pass, two pixels left');
  out(q.conv(d, 5, [3, 3], { pads: [1, 1, 1, 1] }, [1, 5, 5, 5], { act: [-30, 60] }), 'depth 180: 11 chunks then a group, a narrower clamp, a lone channel');
  out(q.conv(d, 4, [3, 3], { pads: [2, 0, 0, 2], dilations: [2, 1] }, [1, 4, 3, 5]), 'depth 180, dilated, windows over the top border');
  out(q.conv(n, 4, [1, 2], {}, [1, 4, 5, 2]), 'depth 16: one chunk, rows of 2 pixels (three-pixel passes across rows)');
  out(q.conv(e, 3, [2, 2], {}, [1, 3, 3, 3], { act: 'relu' }), 'depth 20: a chunk and a group, a lone channel, Relu');
  const pair = q.input('pair', [2, 16, 3, 4]);
  out(q.conv(a, 6, [1, 1], {}, [1, 6, 9, 10], { act: 'relu' }), '1x1, 16 input channels, 90 pixels (the last three end the plane), Relu');
  out(q.conv(d, 9, [1, 1], {}, [1, 9, 5, 5]), '1x1, 20 input channels, a lone pixel and channel');
  out(q.conv(p, 5, [1, 1], {}, [1, 5, 5, 7], { act: [-30, 60] }), '1x1, 32 input channels, a narrower clamp, two pixels left');
  out(q.conv(pair, 4, [1, 1], {}, [2, 4, 3, 4]), '1x1, two images of 12 pixels');
  return q.build();
}

const rand = seededRandom(21);
const graph = buildGraph(rand);
const inputs: Record<string, Value> = randomInputs(graph, rand);
const expected = runInt8Reference(graph, inputs);
const threePixelGraph = buildThreePixelGraph(rand);
const threePixelInputs: Record<string, Value> = randomInputs(threePixelGraph, rand);
const threePixelExpected = runInt8Reference(threePixelGraph, threePixelInputs);
const work = mkdtempSync(join(tmpdir(), 'eenn-int8-conv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function checkOutputs(run: Int8Run): void {
  expectBitExact(
    graph.outputs,
    run.outputs,
    (name) => expected[name]!.data,
    (name) => covers.get(name),
  );
}

describe('the paired weight layout (packPairs)', () => {
  /** Rows [channels, depth] whose value k of row m is (40 m + k) mod 128. */
  const rows = (channels: number, depth: number) =>
    Int8Array.from({ length: channels * depth }, (_, i) => (Math.floor(i / depth) * 40 + (i % depth)) % 128);

  it('stores pairs 16 values at a time, the short last chunk of each row together, a lone last row plain', () => {
    const depth = 18;
    const packed = packPairs(rows(3, depth), 3, 1, depth);
    expect(packed.length).toBe(3 * depth);
    const row = (m: number, from: number, to: number) => Array.from({ length: to - from }, (_, k) => (m * 40 + from + k) % 128);
    expect(Array.from(packed)).toEqual([...row(0, 0, 16), ...row(1, 0, 16), ...row(0, 16, 18), ...row(1, 16, 18), ...row(2, 0, 18)]);
  });

  it('pads rows shorter than 16 values to a multiple of 4, group by group', () => {
    const packed = packPairs(rows(4, 6), 4, 2, 6);
    expect(packed.length).toBe(4 * 8);
    const padded = (m: number) => [...Array.from({ length: 6 }, (_, k) => (m * 40 + k) % 128), 0, 0];
    // Two groups of two channels: each a pair of padded rows.
    expect(Array.from(packed)).toEqual([...padded(0), ...padded(1), ...padded(2), ...padded(3)]);
  });
});

describe('int8 convolution and fully connected kernels against the int8 reference', () => {
  it('covers varied outputs (not saturated, not constant)', () => {
    for (const name of graph.outputs) expect(new Set(expected[name]!.data).size, covers.get(name)).toBeGreaterThan(4);
    for (const name of threePixelGraph.outputs) expect(new Set(threePixelExpected[name]!.data).size, covers.get(name)).toBeGreaterThan(4);
  });

  for (const targetName of ['host', 'cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m55']) {
    it(`${targetName}: every layer bit-exact`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, targetName));
      const model = run.emitted.files.get('model.c')!;
      expect(model).toContain('eenn_conv2d_s8(');
      expect(model).toContain('eenn_conv2d_1x1_s8(');
      expect(model).toContain('eenn_fc_s8(');
      expect(model).not.toMatch(/\/\* scratch\s+\*\/ NULL/);
      checkOutputs(run);
    }, 120_000);
  }

  for (const targetName of ['host', 'cortex-m4']) {
    it(`${targetName}: layers of three pixels per pass on DSP, every one bit-exact`, async () => {
      const run = await runInt8Model(threePixelGraph, threePixelInputs, loadTarget(targetName), join(work, `${targetName}-three`));
      if (targetName === 'cortex-m4') {
        expect(readFileSync(join(work, `${targetName}-three`, 'kernels/eenn_config.h'), 'utf8')).toMatch(/#define EENN_CONV_S8_THREE_PIXELS 1 /);
        expect(execFileSync('arm-none-eabi-nm', [run.image.elfPath], { encoding: 'utf8' })).toContain(' eenn_multiply_columns_x3_dsp');
      }
      expectBitExact(
        threePixelGraph.outputs,
        run.outputs,
        (name) => threePixelExpected[name]!.data,
        (name) => covers.get(name),
      );
    }, 120_000);
  }

  for (const targetName of ['host', 'cortex-m0plus', 'cortex-m4']) {
    it(`${targetName}: without the im2col scratch (NULL), every layer bit-exact`, async () => {
      const plan = planMemory(graph);
      for (const step of plan.steps) delete step.scratchBytes;
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, `${targetName}-direct`), plan);
      expect(run.emitted.files.get('model.c')).toMatch(/\/\* scratch\s+\*\/ NULL/);
      checkOutputs(run);
    }, 120_000);
  }
});
