// The Helium (MVE) path of the int8 convolutions of 16 values or more per output (eenn_conv2d_s8.c,
// eenn_conv2d_1x1_s8.c, eenn_multiply_columns_x4_s8): 4 output pixels per pass, their im2col columns gathered
// byte-interleaved, two output channels per pass. One graph of layers whose shapes reach every branch and tail of
// it: depths with each remainder of 16 (the predicated last values), a lone last channel, passes of 1 to 3 pixels
// at the end of an image, passes across two output rows, stride, dilation, asymmetric padding, groups that are not
// depthwise, two images, kernels wider than 4 taps, rows wider than 256 values, no bias, a fused Relu and the
// exact output stage (a bias beyond 2^29, positive shifts); and the 1x1 layers without a scratch, read in place.
// Built for Cortex-M55 (and the host, the same graph through the portable C) and run against the int8 reference
// bit for bit.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { isOptionalInPlace, planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { expectBitExact } from './bit-exact.js';
import { runInt8Model, type Int8Run } from './int8-run.js';

/** Model output -> what it covers. */
const covers = new Map<string, string>();

function buildGraph(rand: () => number): Graph {
  const q = new Int8GraphBuilder('int8_conv_mve', rand);
  const out = (name: string, what: string) => {
    q.output(name);
    covers.set(name, what);
  };
  const a = q.input('a', [1, 16, 7, 9]);
  const b = q.input('b', [1, 2, 6, 5]);
  const c = q.input('c', [2, 3, 5, 7]);
  const d = q.input('d', [1, 24, 6, 6]);
  const e = q.input('e', [1, 5, 9, 8]);
  const f = q.input('f', [1, 1, 8, 11]);
  const g = q.input('g', [1, 17, 5, 5]);
  const h = q.input('h', [1, 33, 3, 1]);
  const k = q.input('k', [1, 48, 1, 2]);
  const l = q.input('l', [1, 8, 300]);
  const s = q.input('s', [1, 16, 4, 4], { scale: 0.05, zeroPoint: 3 });

  out(
    q.conv(a, 7, [3, 3], { pads: [1, 1, 1, 1] }, [1, 7, 7, 9], { act: 'relu' }),
    'depth 144, 7 channels (a lone last one), passes across rows, a last pass of 3 pixels, Relu',
  );
  out(q.conv(a, 4, [3, 3], { strides: [2, 2], pads: [0, 1, 2, 0] }, [1, 4, 4, 4]), 'stride 2, asymmetric pads');
  out(q.conv(a, 3, [3, 2], { dilations: [2, 3], pads: [2, 1, 1, 2] }, [1, 3, 6, 9]), 'dilation 2 x 3: depth 96');
  out(q.conv(b, 5, [3, 3], { pads: [1, 1, 1, 1] }, [1, 5, 6, 5]), 'depth 18: 1 whole chunk and 2 values, 30 pixels (a last pass of 2)');
  out(q.conv(c, 6, [3, 3], { pads: [1, 0, 1, 0] }, [2, 6, 5, 5]), 'depth 27 (11 values after the chunk), two images, a last pass of 1 pixel');
  out(q.conv(d, 9, [3, 3], { pads: [1, 1, 1, 1], group: 3 }, [1, 9, 6, 6]), 'three groups of depth 72, 3 channels each (a lone one per group)');
  out(q.conv(d, 8, [2, 2], { strides: [2, 2], group: 2 }, [1, 8, 3, 3]), 'two groups of depth 48, stride 2, 9 pixels');
  out(q.conv(e, 2, [5, 5], { pads: [2, 2, 2, 2] }, [1, 2, 9, 8]), 'depth 125: 7 chunks and 13 values, 5x5 windows');
  out(q.conv(e, 4, [1, 7], { pads: [0, 3, 0, 3] }, [1, 4, 9, 8]), 'a 1 x 7 kernel: depth 35');
  out(q.conv(f, 3, [4, 4], { pads: [1, 2, 2, 1] }, [1, 3, 8, 11], { bias: false }), 'depth 16 exactly, no bias');
  out(q.conv(f, 1, [5, 4], { pads: [2, 2, 2, 1] }, [1, 1, 8, 11]), 'depth 20, one output channel');
  out(q.conv(l, 5, [3], { pads: [1, 1] }, [1, 5, 300]), '1-D, rows of 300 values, depth 24');
  // Through a Transpose, so that the convolution's output is an arena tensor.
  const pointwise = q.conv(g, 6, [1, 1], {}, [1, 6, 5, 5]);
  out(q.pass('Transpose', [pointwise], { perm: [0, 1, 3, 2] })[0]!, '1x1, 17 input channels (1 after the chunk), 25 pixels');
  out(q.conv(h, 5, [1, 1], {}, [1, 5, 3, 1], { act: [-40, 50] }), '1x1, 33 input channels, 3 pixels, a clamp');
  out(q.conv(k, 3, [1, 1], {}, [1, 3, 1, 2]), '1x1, 48 input channels, 2 pixels');
  out(q.conv(a, 32, [1, 1], {}, [1, 32, 7, 9], { bias: false }), '1x1, 16 input channels (whole chunk only), 63 pixels, no bias');
  const exact = q.conv(a, 6, [3, 3], {}, [1, 6, 5, 7]);
  out(exact, 'a bias beyond 2^29 in one channel: the exact output stage');
  out(
    q.conv(s, 6, [1, 1], {}, [1, 6, 4, 4], { bias: false, q: { scale: 0.0005, zeroPoint: 5 } }),
    'multipliers from 0.2 to 2 (shifts -2 to 1): the exact output stage, a left shift and none',
  );
  const graph = q.build();
  const node = graph.nodes.find((n) => n.outputs[0] === exact)!;
  (graph.tensors.get(node.inputs[2]!)!.data as Int32Array)[1] = -600_000_000;
  return graph;
}

const rand = seededRandom(55);
const graph = buildGraph(rand);
const inputs: Record<string, Value> = randomInputs(graph, rand);
// Input s within 1 of its zero point, so that the sums of the multipliers above 1 stay inside int8.
(inputs['s']!.data as Int8Array).forEach((_, i, data) => (data[i] = 2 + Math.floor(rand() * 3)));
const expected = runInt8Reference(graph, inputs);
const work = mkdtempSync(join(tmpdir(), 'eenn-int8-conv-mve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function checkOutputs(run: Int8Run): void {
  expectBitExact(
    graph.outputs,
    run.outputs,
    (name) => expected[name]!.data,
    (name) => covers.get(name),
  );
}

describe('the Helium convolution path against the int8 reference', () => {
  it('covers varied outputs (not saturated, not constant)', () => {
    for (const name of graph.outputs) expect(new Set(expected[name]!.data).size, covers.get(name)).toBeGreaterThan(2);
  });

  for (const targetName of ['host', 'cortex-m55']) {
    it(`${targetName}: every layer bit-exact`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, targetName));
      const model = run.emitted.files.get('model.c')!;
      expect(model).toContain('eenn_conv2d_s8(');
      expect(model).toContain('eenn_conv2d_1x1_s8(');
      expect(model).not.toMatch(/\/\* scratch\s+\*\/ NULL/);
      checkOutputs(run);
    }, 120_000);
  }

  it('cortex-m55 without the im2col scratch (NULL: 1x1 layers read in place, 8 channels a gather), every layer bit-exact', async () => {
    const plan = planMemory(graph);
    for (const step of plan.steps) delete step.scratchBytes;
    const run = await runInt8Model(graph, inputs, loadTarget('cortex-m55'), join(work, 'cortex-m55-direct'), plan);
    expect(run.emitted.files.get('model.c')).toMatch(/\/\* scratch\s+\*\/ NULL/);
    checkOutputs(run);
  }, 120_000);
});

describe('the Helium 1x1 path written over its input (eenn_conv2d_1x1_in_place_s8)', () => {
  // 20 and 17 input channels: a whole chunk and a rest, 13 pixels (passes of 4 within the 8 gathered, a last of 1).
  const q = new Int8GraphBuilder('int8_conv_mve_in_place', seededRandom(56));
  const b = q.lut(q.input('z', [1, 20, 13, 1]), Math.tanh);
  const same = q.conv(b, 20, [1, 1], {}, [1, 20, 13, 1], { act: 'relu' });
  const fewer = q.conv(same, 17, [1, 1], {}, [1, 17, 13, 1]);
  const lastConv = q.conv(fewer, 5, [1, 1], {}, [1, 5, 13, 1]);
  q.output(q.lut(lastConv, (r) => r / 2));
  const inPlaceGraph = q.build();
  const inPlaceInputs = randomInputs(inPlaceGraph, seededRandom(57));
  const inPlaceExpected = runInt8Reference(inPlaceGraph, inPlaceInputs);

  it('cortex-m55: every step bit-exact', async () => {
    const optional = new Set(inPlaceGraph.nodes.filter((n) => isOptionalInPlace(inPlaceGraph, n)).map((n) => n.name));
    const plan = planMemory(inPlaceGraph, { optionalInPlace: optional });
    const run = await runInt8Model(inPlaceGraph, inPlaceInputs, loadTarget('cortex-m55'), join(work, 'in-place'), plan);
    expect(run.emitted.files.get('model.c')).toContain('eenn_conv2d_1x1_in_place_s8(');
    inPlaceGraph.outputs.forEach((name, i) => {
      expect(Array.from(run.outputs[i]!), name).toEqual(Array.from(inPlaceExpected[name]!.data as ArrayLike<number>));
    });
  }, 120_000);
});
