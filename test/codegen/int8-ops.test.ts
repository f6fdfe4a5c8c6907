// Every int8 operator in one generated project: a quantized graph built by hand (random int8 data and weights,
// requantization parameters as the quantize stage computes them) with one model output per operator, emitted
// with precision int8, built for the host by the project's Makefile (-Wall -Wextra -Werror) and run through the
// test firmware's input.bin / output.bin protocol. Every output must equal the int8 reference (runInt8Reference)
// bit for bit.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { runInt8Model, type Int8Run } from './int8-run.js';

/** Model output -> what it checks and the kernel the generated code must call for it. */
const checks = new Map<string, { what: string; kernel?: string }>();

function buildGraph(rand: () => number): Graph {
  const q = new Int8GraphBuilder('int8_ops', rand);
  const b = q.b;
  const out = (name: string, what: string, kernel?: string) => {
    q.output(name);
    checks.set(name, { what, kernel });
  };
  const x = q.input('x', [1, 4, 9, 8]);
  const y = q.input('y', [1, 4, 9, 8]);
  const v = q.input('v', [2, 3, 16]);
  const z = q.input('z', [2, 5, 3, 3]);
  const f = q.floatInput('f', [1, 3, 6, 6]);

  // ---------------------------------------------------------------- layers with weights
  const c1 = q.conv(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 9, 8], { act: 'relu' });
  out(c1, 'QConv 3x3, pads 1, fused Relu, 4 + 2 output channels', 'eenn_conv2d_s8');
  out(
    q.conv(x, 6, [3, 2], { strides: [2, 3], dilations: [2, 1], pads: [0, 1, 2, 0], group: 2 }, [1, 6, 4, 3], { bias: false }),
    'QConv grouped, strided, dilated, asymmetric pads, no bias',
    'eenn_conv2d_s8',
  );
  out(
    q.conv(x, 8, [3, 3], { strides: [1, 2], dilations: [2, 1], pads: [2, 1, 2, 1] }, [1, 8, 9, 4]),
    'QConv 8 channels, strided and dilated: pixel pairs and clipped borders',
  );
  out(q.conv(x, 8, [3, 3], { group: 4, strides: [2, 1], pads: [1, 0, 1, 2] }, [1, 8, 5, 8]), 'QConv depthwise x2', 'eenn_depthwise_conv2d_s8');
  out(q.conv(v, 5, [5], { strides: [2], pads: [2, 1] }, [2, 5, 8], { act: [-20, 90] }), 'QConv 1-D, batch 2, clamp');
  out(q.conv(z, 7, [1, 1], {}, [2, 7, 3, 3], { act: 'relu' }), 'QConv 1x1, odd plane, 4 + 3 output channels', 'eenn_conv2d_1x1_s8');
  out(
    q.convTranspose(x, 3, [3, 3], { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] }, [1, 3, 18, 16]),
    'QConvTranspose 2-D',
    'eenn_conv_transpose2d_s8',
  );
  out(q.convTranspose(v, 2, [4], { strides: [3], pads: [1, 2], dilations: [2] }, [2, 2, 49]), 'QConvTranspose 1-D dilated');
  const logits = q.gemm(q.pass('Flatten', [c1])[0]!, 10);
  out(logits, 'QGemm after Flatten', 'eenn_fc_s8');
  out(q.softmax(x), 'QSoftmax, rows of 8', 'eenn_softmax_s8');
  out(q.softmax(v), 'QSoftmax, rows of 16');
  out(q.gemm(v, 7, { bias: false }), 'QGemm on [2, 3, 16] rows');

  // ---------------------------------------------------------------- element-wise
  out(q.add(x, y, [1, 4, 9, 8]), 'QAdd', 'eenn_elementwise_add_s8');
  out(q.add(x, q.constant([1, 4, 1, 1]), [1, 4, 9, 8], true, [-100, 100]), 'QAdd subtract, broadcast constant, clamp', 'eenn_elementwise_sub_s8');
  out(q.add(q.constant([9, 1]), x, [1, 4, 9, 8]), 'QAdd constant first, broadcast');
  out(q.mul(x, y, [1, 4, 9, 8]), 'QMul', 'eenn_elementwise_mul_s8');
  out(q.mul(x, q.constant([8]), [1, 4, 9, 8]), 'QMul broadcast row');
  const product = q.quantOf(x).scale * q.quantOf(y).scale;
  out(q.mul(x, y, [1, 4, 9, 8], { scale: Math.fround(product / 3), zeroPoint: 0 }), 'QMul with a multiplier above 1 (left shift)');
  out(
    q.lut(x, (r) => 1 / (1 + Math.exp(-r))),
    'QLut sigmoid',
    'eenn_lut_s8',
  );
  out(q.averagePool(x, [3, 3], [2, 2], [1, 1, 1, 1], 1, [1, 4, 5, 4]), 'QAveragePool count_include_pad', 'eenn_avg_pool2d_s8');
  out(q.averagePool(x, [2, 3], [1, 2], [0, 1, 1, 0], 0, [1, 4, 9, 4]), 'QAveragePool padded taps excluded');
  out(q.averagePool(x, [9, 8], [1, 1], [0, 0, 0, 0], 0, [1, 4, 1, 1]), 'QAveragePool global');
  out(q.averagePool(v, [3], [2], [1, 1], 1, [2, 3, 8]), 'QAveragePool 1-D');

  // ---------------------------------------------------------------- float32 edges (--io float32)
  const qf = q.quantize(f);
  out(q.dequantize(q.conv(qf, 4, [3, 3], { pads: [1, 1, 1, 1] }, [1, 4, 6, 6])), 'Quantize -> QConv -> Dequantize', 'eenn_quantize_s8');
  out(q.dequantize(x), 'Dequantize of an input', 'eenn_dequantize_s8');

  // ---------------------------------------------------------------- passthrough operators
  out(q.pass('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })[0]!, 'MaxPool', 'eenn_max_pool2d_s8');
  out(q.pass('MaxPool', [v], { kernel_shape: [4], strides: [3], pads: [1, 2] })[0]!, 'MaxPool 1-D');
  const gmp = q.pass('GlobalMaxPool', [x])[0]!;
  out(gmp, 'GlobalMaxPool', 'eenn_global_max_pool_s8');
  out(q.pass('Transpose', [x], { perm: [0, 2, 3, 1] })[0]!, 'Transpose', 'eenn_strided_copy_s8');
  const top = q.pass('Slice', [x, q.ints([0]), q.ints([8]), q.ints([2])])[0]!;
  out(q.pass('Slice', [x, q.ints([8, 1]), q.ints([0, 7]), q.ints([2, 3]), q.ints([-2, 3])])[0]!, 'Slice negative step');
  out(q.pass('Gather', [x, q.ints([7, 0, -1, 3])], { axis: 3 })[0]!, 'Gather', 'eenn_gather_rows_s8');
  for (const part of q.pass('Split', [v, q.ints([6, 10])], { axis: 2 }, 2)) out(part, 'Split');
  out(q.pass('Tile', [v, q.ints([1, 2, 1])])[0]!, 'Tile');
  out(q.pass('Expand', [gmp, q.ints([1, 4, 3, 2])])[0]!, 'Expand');
  out(q.pass('DepthToSpace', [x], { blocksize: 2 })[0]!, 'DepthToSpace');
  out(q.pass('SpaceToDepth', [top], { blocksize: 2 })[0]!, 'SpaceToDepth of a Slice');
  const xq = q.quantOf(x);
  out(q.pass('Concat', [x, y, q.constant([1, 2, 9, 8], xq)], { axis: 1 })[0]!, 'Concat with an int8 constant');
  const padValue = b.constant('pad_value', [], Int8Array.of(xq.zeroPoint), 'int8');
  out(q.pass('Pad', [x, q.ints([0, 0, 1, 2, 0, 1, 2, 1]), padValue])[0]!, 'Pad constant (the zero point)', 'eenn_pad_s8');
  out(q.pass('Pad', [x, q.ints([0, 0, 2, 1, 0, 0, 1, 3])], { mode: 'reflect' })[0]!, 'Pad reflect');
  out(q.pass('Resize', [x, '', b.constant('scales', [4], [1, 1, 2, 1.5])], { mode: 'nearest' })[0]!, 'Resize nearest', 'eenn_resize_nearest_s8');
  const squeezed = q.pass('Squeeze', [gmp, q.ints([2, 3])])[0]!;
  out(q.pass('Identity', [q.pass('Unsqueeze', [squeezed, q.ints([0])])[0]!])[0]!, 'Squeeze, Unsqueeze, Identity aliases');
  out(q.pass('Reshape', [y, q.ints([4, 72])])[0]!, 'Reshape of a model input (copied)', 'eenn_copy_s8');
  return q.build();
}

const rand = seededRandom(8);
const graph = buildGraph(rand);
const inputs: Record<string, Value> = randomInputs(graph, rand);
const work = mkdtempSync(join(tmpdir(), 'eenn-int8-ops-'));
let run: Int8Run;

beforeAll(async () => {
  run = await runInt8Model(graph, inputs, loadTarget('host'), work);
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 kernels against the int8 reference (host build of the generated project)', () => {
  const expected = runInt8Reference(graph, inputs);
  graph.outputs.forEach((name, i) => {
    const check = checks.get(name)!;
    it(`${check.what} ("${name}")`, () => {
      const want = expected[name]!.data;
      const got = run.outputs[i]!;
      expect(got.length).toBe(want.length);
      let mismatches = 0;
      let first = -1;
      for (let k = 0; k < got.length; k++) {
        if (!Object.is(got[k], want[k])) {
          mismatches++;
          if (first < 0) first = k;
        }
      }
      expect(mismatches, `${mismatches} of ${got.length} differ, first at ${first}: ${got[first]} vs ${want[first]}`).toBe(0);
      if (check.kernel) expect(run.emitted.files.get('model.c')).toContain(`${check.kernel}(`);
    });
  });

  it('produces outputs that are not all saturated or constant', () => {
    for (const [i, name] of graph.outputs.entries()) {
      const values = new Set(run.outputs[i]!);
      expect(values.size, `output "${name}"`).toBeGreaterThan(2);
    }
  });
});
