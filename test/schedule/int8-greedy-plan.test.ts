// The TFLite Micro-style planner (src/schedule/greedy-plan.ts): arenas of small graphs worked out by hand
// (lifetimes, largest first, first fit, 16-byte alignment, reshapes sharing their input), and beside eennc's own
// plan of an int8 graph that runs in place.

import { describe, expect, it } from 'vitest';
import { greedyBySizePlanBytes, greedyBySizeRequests } from '../../src/schedule/greedy-plan.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { GraphBuilder, seededRandom } from './graph-builder.js';

/** A MatMul by a constant weight: x [1, k] -> [1, n] float32 (4n bytes). */
function dense(b: GraphBuilder, x: string, n: number): string {
  const k = b.tensors.get(x)!.shape.at(-1)!;
  const w = b.constant(`w${b.nodes.length}`, [k, n], new Float32Array(k * n));
  return b.op('MatMul', [x, w], {}, [1, n]);
}

describe('greedyBySizePlanBytes', () => {
  it('gives every intermediate of a chain its own buffer (no in place)', () => {
    const b = new GraphBuilder('chain');
    const x = b.input('x', [1, 100]);
    b.output(b.op('Relu', [b.op('Relu', [b.op('Relu', [b.op('Relu', [x])])])]));
    const graph = b.build();
    // r1 [0, 1], r2 [1, 2], r3 [2, 3]: two of 400 bytes alive at once.
    expect(greedyBySizePlanBytes(graph)).toBe(800);
    // eennc runs the chain in place, into the caller's output buffer.
    expect(planMemory(graph).arenaBytes).toBe(0);
  });

  it('places the largest buffer first and each next one in the lowest gap', () => {
    const b = new GraphBuilder('sizes');
    const x = b.input('x', [1, 8]);
    const a = dense(b, x, 250); // 1000 bytes, steps 0..1 -> 1008 aligned
    const c = dense(b, a, 150); // 600, steps 1..2 -> 608
    const d = dense(b, c, 125); // 500, steps 2..3 -> 512
    b.output(dense(b, d, 4));
    const graph = b.build();
    expect(greedyBySizeRequests(graph).map((r) => [r.bytes, r.first, r.last])).toEqual([
      [1000, 0, 1],
      [600, 1, 2],
      [500, 2, 3],
    ]);
    // A at 0, B beside A at 1008, C back at 0 (A is dead by then): 1008 + 608.
    expect(greedyBySizePlanBytes(graph)).toBe(1616);
    expect(greedyBySizePlanBytes(graph, { alignment: 8 })).toBe(1600);
  });

  it('shares a reshape with its input and keeps it alive for the reshape readers', () => {
    const b = new GraphBuilder('reshape');
    const x = b.input('x', [1, 8]);
    const a = dense(b, x, 64); // 256 bytes, steps 0..2 through the reshape
    const r = b.op('Reshape', [a, b.constant('shape', [2], [1, 64], 'int64')], {}, [1, 64]);
    const c = dense(b, r, 32); // 128, steps 2..3
    b.output(dense(b, c, 4));
    const graph = b.build();
    expect(greedyBySizeRequests(graph).map((q) => [q.bytes, q.first, q.last])).toEqual([
      [256, 0, 2],
      [128, 2, 3],
    ]);
    expect(greedyBySizePlanBytes(graph)).toBe(384);
  });

  it('puts the model inputs and outputs in the arena on request, as TFLite Micro does', () => {
    const b = new GraphBuilder('io');
    const x = b.input('x', [1, 100]);
    b.output(b.op('Relu', [b.op('Relu', [x])]));
    const graph = b.build();
    expect(greedyBySizePlanBytes(graph)).toBe(400);
    // x [0, 0], r1 [0, 1], output [1, 2]: x and r1 together, then r1 and the output.
    expect(greedyBySizePlanBytes(graph, { includeInputsOutputs: true })).toBe(800);
  });

  it('needs more than eennc for an int8 network whose convolutions and element-wise steps run in place', () => {
    const q = new Int8GraphBuilder('int8_blocks', seededRandom(9));
    let t = q.lut(q.input('x', [1, 16, 12, 12]), Math.tanh);
    for (let i = 0; i < 3; i++) {
      const d = q.conv(t, 16, [3, 3], { group: 16, pads: [1, 1, 1, 1] }, [1, 16, 12, 12], { act: 'relu' });
      t = q.add(q.conv(d, 16, [1, 1], {}, [1, 16, 12, 12]), t, [1, 16, 12, 12]);
    }
    q.output(q.gemm(q.pass('Flatten', [q.averagePool(t, [12, 12], [1, 1], [0, 0, 0, 0], 0, [1, 16, 1, 1])])[0]!, 4));
    const graph = q.build();
    const ours = planMemory(graph).arenaBytes;
    const greedy = greedyBySizePlanBytes(graph);
    // Each block: the depthwise output, the pointwise output and the residual: three 2304-byte tensors for TFLite
    // Micro. Here the depthwise runs in place and the 1x1 convolution adds its output to the residual a few
    // channels at a time: two tensors and a scratch.
    expect(greedy).toBe(3 * 2304);
    expect(ours).toBeLessThan(greedy);
    expect(ours).toBeLessThanOrEqual(2 * 2304 + 4 * 144 + 128);
  });
});
