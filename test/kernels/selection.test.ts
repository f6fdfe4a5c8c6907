// Which kernel a node goes to, as the contracts say it (src/kernels/): the 1x1 and depthwise tests, the in-place
// rules and their scratch, on small hand-built graphs; and every contract names kernels its header declares.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../src/ir/graph.js';
import { CONV_1X1_F32, CONV_F32, DEPTHWISE_F32, floatInPlaceConv, isPoolFusableConv } from '../../src/kernels/conv-f32.js';
import {
  CONV_1X1_S8,
  CONV_S8,
  conv1x1InPlaceS8ScratchBytes,
  convS8ScratchBytes,
  int8ConvScratchBytes,
  int8PointwiseInPlaceScratch,
} from '../../src/kernels/conv-s8.js';
import { DEPTHWISE_S8, int8DepthwiseInPlaceScratch, int8DepthwiseScratchBytes } from '../../src/kernels/depthwise-s8.js';
import { inPlaceConv } from '../../src/kernels/index.js';
import { emitModel } from '../../src/codegen/emit-model.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { KERNEL_CONTRACTS } from '../../src/kernels/registry.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

/** The node that writes `output`. */
function producer(graph: Graph, output: string): Node {
  const node = graph.nodes.find((n) => n.outputs.includes(output));
  if (!node) throw new Error(`no producer of ${output}`);
  return node;
}

/** The conv contracts of one precision that claim `node`, by their first kernel. */
function claims(graph: Graph, node: Node, contracts = [CONV_S8, CONV_1X1_S8, DEPTHWISE_S8, CONV_F32, CONV_1X1_F32, DEPTHWISE_F32]): string[] {
  return contracts.filter((c) => c.computes(graph, node)).map((c) => c.kernels[0]!);
}

describe('float convolutions', () => {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 8, 6, 6]);
  const w = (shape: number[]) => b.constant(`w${shape.join('_')}`, shape, new Float32Array(shape.reduce((a, v) => a * v, 1)));
  const general = b.op('Conv', [x, w([8, 8, 3, 3])], { pads: [1, 1, 1, 1] });
  const pointwise = b.op('Conv', [x, w([4, 8, 1, 1])]);
  const stridedPointwise = b.op('Conv', [x, w([8, 8, 1, 1]), ''], { strides: [2, 2] });
  const samePointwise = b.op('Conv', [x, w([6, 8, 1, 1])], { auto_pad: 'SAME_UPPER' });
  const depthwise = b.op('Conv', [x, w([8, 1, 3, 3])], { group: 8, pads: [1, 1, 1, 1] });
  const grouped = b.op('Conv', [x, w([8, 4, 3, 3])], { group: 2, pads: [1, 1, 1, 1] });
  for (const out of [general, pointwise, stridedPointwise, samePointwise, depthwise, grouped]) b.output(out);
  const graph = b.build();
  const node = (out: string) => producer(graph, out);

  it('each Conv goes to one kernel: 1x1 (stride 1, no padding), depthwise (a group per channel) or the general one', () => {
    expect(claims(graph, node(general))).toEqual(['eenn_conv2d_f32']);
    expect(claims(graph, node(pointwise))).toEqual(['eenn_conv2d_1x1_f32']);
    expect(claims(graph, node(stridedPointwise))).toEqual(['eenn_conv2d_f32']);
    expect(claims(graph, node(samePointwise))).toEqual(['eenn_conv2d_1x1_f32']);
    expect(claims(graph, node(depthwise))).toEqual(['eenn_depthwise_conv2d_f32']);
    expect(claims(graph, node(grouped))).toEqual(['eenn_conv2d_f32']);
  });

  it('runs depthwise and 1x1 (C_out <= C_in) Convs over their input, with a plane or 4 pixels of scratch', () => {
    expect(floatInPlaceConv(graph, node(depthwise))).toEqual({ kind: 'depthwise', scratchBytes: 6 * 6 * 4 });
    expect(floatInPlaceConv(graph, node(pointwise))).toEqual({ kind: 'pointwise', scratchBytes: 4 * 8 * 4 });
    expect(floatInPlaceConv(graph, node(samePointwise))).toEqual({ kind: 'pointwise', scratchBytes: 4 * 8 * 4 });
    expect(floatInPlaceConv(graph, node(stridedPointwise))).toBeUndefined();
    expect(floatInPlaceConv(graph, node(general))).toBeUndefined();
    expect(floatInPlaceConv(graph, node(grouped))).toBeUndefined();
    expect(inPlaceConv(graph, node(depthwise))).toEqual(floatInPlaceConv(graph, node(depthwise)));
  });

  it('runs a single-channel Conv (one group) with the general kernel, not over its input as a depthwise one', () => {
    const single = new GraphBuilder();
    const r = single.op('Relu', [single.input('x', [1, 1, 6, 6])]);
    const y = single.op('Conv', [r, single.constant('w', [1, 1, 3, 3], new Float32Array(9).fill(0.5))], { pads: [1, 1, 1, 1] });
    single.output(single.op('Sigmoid', [single.op('Relu', [y])]));
    const g = single.build();
    expect(floatInPlaceConv(g, producer(g, y))).toBeUndefined();
    const c = emitModel(g, planMemory(g), { modelName: 'single', precision: 'float32' }).files.get('model.c')!;
    expect(c).toContain('eenn_conv2d_f32(');
  });

  it('fuses a pool only after the general one-group kernel', () => {
    expect(isPoolFusableConv(graph, node(general))).toBe(true);
    expect(isPoolFusableConv(graph, node(pointwise))).toBe(false);
    expect(isPoolFusableConv(graph, node(depthwise))).toBe(false);
    expect(isPoolFusableConv(graph, node(grouped))).toBe(false);
  });
});

describe('int8 convolutions', () => {
  const q = new Int8GraphBuilder('selection', seededRandom(9));
  const x = q.input('x', [1, 8, 6, 6]);
  const general = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 6, 6]);
  const pointwise = q.conv(x, 4, [1, 1], {}, [1, 4, 6, 6]);
  const widening = q.conv(x, 16, [1, 1], {}, [1, 16, 6, 6]);
  const paddedPointwise = q.conv(x, 8, [1, 1], { pads: [1, 1, 1, 1] }, [1, 8, 8, 8]);
  const depthwise = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1], group: 8 }, [1, 8, 6, 6]);
  const stridedDepthwise = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1], strides: [2, 2], group: 8 }, [1, 8, 3, 3]);
  const oneDim = q.input('s', [1, 4, 10]);
  const pointwise1d = q.conv(oneDim, 4, [1], {}, [1, 4, 10]);
  for (const out of [general, pointwise, widening, paddedPointwise, depthwise, stridedDepthwise, pointwise1d]) q.output(out);
  const graph = q.build();
  const node = (out: string) => producer(graph, out);

  it('each QConv goes to one kernel, by the same 1x1 and depthwise tests as the float ones', () => {
    expect(claims(graph, node(general))).toEqual(['eenn_conv2d_s8']);
    expect(claims(graph, node(pointwise))).toEqual(['eenn_conv2d_1x1_s8']);
    expect(claims(graph, node(pointwise1d))).toEqual(['eenn_conv2d_1x1_s8']);
    expect(claims(graph, node(paddedPointwise))).toEqual(['eenn_conv2d_s8']);
    expect(claims(graph, node(depthwise))).toEqual(['eenn_depthwise_conv2d_s8']);
    expect(claims(graph, node(stridedDepthwise))).toEqual(['eenn_depthwise_conv2d_s8']);
  });

  it('sizes the im2col scratch of the kernel each goes to', () => {
    expect(int8ConvScratchBytes(graph, node(general))).toBe(convS8ScratchBytes(72));
    expect(int8ConvScratchBytes(graph, node(pointwise))).toBe(2 * 8 * 2); // two columns of 8 int16 values
    expect(int8ConvScratchBytes(graph, node(paddedPointwise))).toBe(convS8ScratchBytes(8));
    expect(int8ConvScratchBytes(graph, node(depthwise))).toBe(0);
    expect(int8DepthwiseScratchBytes(graph, node(depthwise))).toBeGreaterThan(0);
  });

  it('runs a 1x1 QConv with C_out <= C_in and a stride-1 depthwise one over their input', () => {
    expect(int8PointwiseInPlaceScratch(graph, node(pointwise))).toBe(conv1x1InPlaceS8ScratchBytes(8, 4));
    expect(int8PointwiseInPlaceScratch(graph, node(widening))).toBeUndefined();
    expect(int8PointwiseInPlaceScratch(graph, node(paddedPointwise))).toBeUndefined();
    expect(int8DepthwiseInPlaceScratch(graph, node(depthwise))).toBe(int8DepthwiseScratchBytes(graph, node(depthwise)));
    expect(int8DepthwiseInPlaceScratch(graph, node(stridedDepthwise))).toBeUndefined();
    expect(inPlaceConv(graph, node(pointwise))).toEqual({ kind: 'pointwise', scratchBytes: conv1x1InPlaceS8ScratchBytes(8, 4) });
    expect(inPlaceConv(graph, node(general))).toBeUndefined();
  });
});

describe('the contracts', () => {
  it('name each kernel once, as declared in their header', () => {
    const kernels = KERNEL_CONTRACTS.flatMap((c) => c.kernels);
    expect(new Set(kernels).size).toBe(kernels.length);
    for (const contract of KERNEL_CONTRACTS) {
      const header = readFileSync(join(import.meta.dirname, '../../templates/c/kernels', contract.header), 'utf8');
      for (const fn of contract.kernels) expect(header, fn).toMatch(new RegExp(`\\bvoid ${fn}\\(`));
    }
  });

  it('state how each kernel tiles and how its output may overlap its input', () => {
    for (const contract of KERNEL_CONTRACTS) {
      expect(contract.tiles.length, contract.kernels[0]).toBeGreaterThan(0);
      expect(contract.aliasing.rule, contract.kernels[0]).not.toBe('');
    }
  });
});
