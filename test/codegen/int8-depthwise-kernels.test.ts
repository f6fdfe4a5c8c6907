// The int8 depthwise kernel (eenn_depthwise_s8.c) on every path it has: the fused DSP loop (3x3 stride 1, widths
// a multiple of 8, of 4, of 2, odd, 1, rows wider than one chunk, several bands, with and without clamps), the
// MVE 3x3 passes (16 pixels and a tail-predicated rest), the strided 3x3 path, the general window (dilation, 5x5
// with a channel multiplier, 1x3 / 3x1, 1-D, two images), channels whose accumulators are too large for the fast
// requantization or for the Armv6-M short high multiply, multipliers above 1, every activation clamp, and a
// layer run in place. One generated project
// per target (host portable C, Cortex-M0+ without long multiply, Cortex-M4 DSP, Cortex-M55 MVE), each output
// bit-exact with the int8 reference.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { runInt8Model } from './int8-run.js';

const TARGETS = ['host', 'cortex-m0plus', 'cortex-m4', 'cortex-m55'];

interface Built {
  graph: Graph;
  checks: Map<string, string>;
  inPlaceOutput: string;
}

/** Replace some of a QConv's bias values (its third input). */
function setBias(q: Int8GraphBuilder, output: string, values: Record<number, number>): void {
  const node = q.b.nodes.find((n) => n.outputs[0] === output)!;
  const bias = q.b.tensors.get(node.inputs[2]!)!.data as Int32Array;
  for (const [channel, value] of Object.entries(values)) bias[Number(channel)] = value;
}

function buildGraph(): Built {
  const rand = seededRandom(31);
  const q = new Int8GraphBuilder('int8_depthwise', rand);
  const checks = new Map<string, string>();
  const out = (name: string, what: string) => {
    q.output(name);
    checks.set(name, what);
  };
  const x = q.input('x', [1, 6, 11, 10]);
  const odd = q.input('odd', [1, 3, 6, 7]);
  const wide = q.input('wide', [1, 2, 3, 70]);
  const line = q.input('line', [2, 4, 12]);
  const pair = q.input('pair', [2, 3, 5, 6]);

  const dw = (
    input: string,
    channels: number,
    kernel: number[],
    attrs: Parameters<Int8GraphBuilder['conv']>[3],
    shape: number[],
    options: Parameters<Int8GraphBuilder['conv']>[5] = {},
  ) => q.conv(input, channels, kernel, { group: q.shapeOf(input)[1], ...attrs }, shape, options);

  out(dw(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 11, 10], { act: 'relu' }), '3x3 stride 1, 2 bands, fused Relu');
  out(dw(odd, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 6, 7]), '3x3 stride 1, odd width, no clamp');
  out(dw(wide, 2, [3, 3], { pads: [1, 1, 1, 1] }, [1, 2, 3, 70], { act: [-20, 90] }), '3x3, rows wider than a chunk, both clamps');
  out(dw(x, 6, [3, 3], { strides: [2, 2], pads: [1, 0, 0, 1] }, [1, 6, 5, 5]), '3x3 stride 2, asymmetric pads');
  out(dw(x, 6, [3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }, [1, 6, 11, 10]), '3x3 dilated');
  out(dw(x, 12, [5, 5], { pads: [2, 1, 2, 3] }, [1, 12, 11, 10]), '5x5, channel multiplier 2');
  out(dw(x, 6, [1, 3], { strides: [2, 1], pads: [0, 1, 0, 1] }, [1, 6, 6, 10]), '1x3, stride (2, 1)');
  out(dw(x, 6, [3, 1], { strides: [1, 3], pads: [1, 0, 1, 0] }, [1, 6, 11, 4]), '3x1, stride (1, 3)');
  out(dw(line, 8, [3], { pads: [1, 1] }, [2, 8, 12]), '1-D, multiplier 2, two images');
  out(dw(pair, 3, [3, 3], { pads: [1, 1, 1, 1] }, [2, 3, 5, 6]), 'two images');
  const big = dw(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 11, 10]);
  setBias(q, big, { 0: 1 << 30, 2: -(2 ** 31), 5: 2 ** 31 - 1 });
  out(big, 'channels with accumulators beyond the fast requantization (wrapping bias)');
  const sIn = q.quantOf(odd).scale;
  out(
    dw(odd, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 6, 7], { q: { scale: Math.fround(sIn * 0.004), zeroPoint: 3 } }),
    'requantization multipliers above 1 (left shifts)',
  );
  // Written over its input: a QLut's output that dies at the depthwise step.
  const t = q.lut(x, (r) => r / 2);
  const inPlace = dw(t, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 11, 10], { act: 'relu' });
  out(inPlace, '3x3 in place over its input');
  const sixteen = q.input('sixteen', [1, 3, 5, 16]);
  const twelve = q.input('twelve', [1, 2, 4, 12]);
  const one = q.input('one', [1, 2, 4, 1]);
  out(dw(sixteen, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 5, 16]), '3x3, width a multiple of 8 (and of 16)');
  out(dw(sixteen, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 5, 16], { act: [-30, 100] }), '3x3, width a multiple of 8, both clamps');
  out(dw(twelve, 2, [3, 3], { pads: [1, 1, 1, 1] }, [1, 2, 4, 12], { act: 'relu' }), '3x3, width a multiple of 4, fused Relu');
  out(dw(twelve, 2, [3, 3], { pads: [1, 1, 1, 1] }, [1, 2, 4, 12]), '3x3, width a multiple of 4');
  out(dw(one, 2, [3, 3], { pads: [1, 1, 1, 1] }, [1, 2, 4, 1]), '3x3, width 1');
  const mid = dw(sixteen, 3, [3, 3], { pads: [1, 1, 1, 1] }, [1, 3, 5, 16]);
  setBias(q, mid, { 0: 600_000, 1: -700_000 });
  out(mid, 'channels with accumulators beyond 2^19 (fast, not small on Armv6-M)');
  out(dw(sixteen, 3, [3, 3], { dilations: [2, 1], pads: [2, 1, 2, 1] }, [1, 3, 5, 16]), '3x3 dilated down the rows only');
  out(dw(sixteen, 3, [3, 3], { strides: [2, 1], pads: [1, 1, 1, 1] }, [1, 3, 3, 16], { act: 'relu' }), '3x3 stride (2, 1)');
  out(dw(sixteen, 3, [3, 3], { strides: [1, 3], pads: [1, 1, 1, 1] }, [1, 3, 5, 6]), '3x3 stride (1, 3)');
  return { graph: q.build(), checks, inPlaceOutput: inPlace };
}

const work = mkdtempSync(join(tmpdir(), 'eenn-int8-dw-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 depthwise kernel against the int8 reference', () => {
  const built = buildGraph();
  const rand = seededRandom(32);
  const inputs = randomInputs(built.graph, rand);
  const expected = runInt8Reference(built.graph, inputs);

  for (const targetName of TARGETS) {
    it(`${targetName}: every variant bit-exact`, async () => {
      const run = await runInt8Model(built.graph, inputs, loadTarget(targetName), join(work, targetName));
      const problems: string[] = [];
      built.graph.outputs.forEach((name, i) => {
        const want = expected[name]!.data as ArrayLike<number>;
        const got = run.outputs[i]!;
        let mismatches = 0;
        for (let k = 0; k < got.length; k++) if (got[k] !== want[k]) mismatches++;
        if (mismatches > 0 || got.length !== want.length) problems.push(`${built.checks.get(name)}: ${mismatches} of ${want.length} differ`);
      });
      expect(problems).toEqual([]);
      const model = run.emitted.files.get('model.c')!;
      expect(model.match(/eenn_depthwise_conv2d_s8\(/g)?.length).toBe(built.graph.outputs.length);
      const step = run.plan.steps.find((s) => s.nodes[0]!.outputs[0] === built.inPlaceOutput)!;
      expect(step.inPlace).toBe('depthwise');
      // Every output varies (no constant or saturated layer hides a wrong path).
      for (const [i, name] of built.graph.outputs.entries()) {
        expect(new Set(run.outputs[i]!).size, built.checks.get(name)).toBeGreaterThan(2);
      }
    }, 240_000);
  }
});
