// The fused int8 QConv + pool and QConv + residual QAdd steps (schedule.ts: fusablePool, fusableResidualAdd;
// codegen/lower/int8-conv-fused.ts): when the planner fuses and when it must not, the scratch it plans, the sum
// written over the residual, and builds (host, Cortex-M4) where max and average pools with padding, ceil_mode
// and channel counts that are not a multiple of the block, and residual additions, run inside the convolution,
// bit-exact with the int8 reference; and how the planner picks the channels per pass (smallest arena, or the
// fewest passes within a budget).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int8ConvScratchBytes } from '../../src/kernels/conv-s8.js';
import type { Graph } from '../../src/ir/graph.js';
import { planMemory, validatePlan, type MemoryPlan } from '../../src/schedule/memory-plan.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { Int8GraphBuilder, randomInputs } from '../codegen/int8-builder.js';
import { runInt8Model } from '../codegen/int8-run.js';
import { seededRandom } from './graph-builder.js';

function buildGraph() {
  const rand = seededRandom(21);
  const q = new Int8GraphBuilder('conv_pool', rand);
  const x = q.input('x', [1, 3, 13, 12]);
  const c1 = q.conv(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 13, 12], { act: 'relu' });
  const p1 = q.pass('MaxPool', [c1], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 })[0]!;
  const c2 = q.conv(p1, 9, [3, 3], { pads: [1, 1, 1, 1] }, [1, 9, 7, 7]); // p1 is 7x7 (ceil_mode)
  const p2 = q.averagePool(c2, [2, 2], [2, 2], [0, 0, 1, 0], 1, [1, 9, 4, 3]);
  const c3 = q.conv(p2, 5, [1, 1], {}, [1, 5, 4, 3]);
  // Read twice: not fused.
  const shared = q.pass('MaxPool', [c3], { kernel_shape: [2, 2], strides: [1, 1] })[0]!;
  q.output(shared);
  q.output(q.lut(c3, Math.tanh));
  return { graph: q.build(), rand, pooled: [p1, p2], unfused: c3 };
}

/** Residual blocks: one whose QAdd fuses, one whose residual is read again later, one whose residual comes late. */
function buildResidualGraph() {
  const rand = seededRandom(22);
  const q = new Int8GraphBuilder('conv_add', rand);
  const x = q.lut(q.input('x', [1, 6, 10, 9]), Math.tanh); // 540 bytes
  const a = q.conv(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 10, 9], { act: 'relu' });
  const b = q.conv(a, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 10, 9]);
  const fused = q.add(b, x, [1, 6, 10, 9]);
  // The residual `fused` is read again after the next QAdd: that QAdd cannot write over it.
  const c = q.conv(fused, 6, [1, 1], {}, [1, 6, 10, 9]);
  const kept = q.add(fused, c, [1, 6, 10, 9], true);
  const again = q.lut(fused, (r) => r / 2);
  // The residual is produced after the QConv: the QAdd cannot run at the QConv's step.
  const d = q.conv(kept, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 10, 9]);
  const late = q.lut(again, Math.tanh);
  q.output(q.add(late, d, [1, 6, 10, 9]));
  return { graph: q.build(), rand, x, b, fused, kept, late };
}

/** Four output channels per pass for every QConv (the planner's smallest block), whatever the arena gains. */
function blocksOfFour(graph: Graph): Map<string, number> {
  return new Map(graph.nodes.filter((n) => n.op === 'QConv').map((n) => [n.name, 4]));
}

const work = mkdtempSync(join(tmpdir(), 'eenn-int8-conv-fusion-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 conv + pool fusion', () => {
  const { graph, rand, pooled, unfused } = buildGraph();
  const plan = planMemory(graph, { int8BlockChannels: blocksOfFour(graph) });
  const inputs = randomInputs(graph, rand);
  const expected = runInt8Reference(graph, inputs);

  it("fuses a pool that is its QConv's only reader, with a scratch of 4 channel planes and im2col columns", () => {
    expect(validatePlan(plan, graph)).toEqual([]);
    const fused = plan.steps.filter((s) => s.pool);
    expect(fused.map((s) => s.pool!.outputs[0])).toEqual(pooled);
    // 4 channel planes of the conv output, then the convolution kernel's own im2col scratch.
    const convs = fused.map((s) => s.nodes[0]!);
    expect(fused.map((s) => s.scratchBytes)).toEqual([
      4 * 13 * 12 + int8ConvScratchBytes(graph, convs[0]!),
      4 * 7 * 7 + int8ConvScratchBytes(graph, convs[1]!),
    ]);
    expect(plan.steps.find((s) => s.nodes[0]!.outputs[0] === unfused)!.pool).toBeUndefined();
  });

  for (const targetName of ['host', 'cortex-m4']) {
    it(`${targetName}: the fused steps equal the int8 reference`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, targetName), plan);
      const model = run.emitted.files.get('model.c')!;
      expect(model.match(/eenn_max_pool2d_s8\(/g)?.length).toBe(2 + 1); // two blocks of 4 + 2 channels, one unfused
      // 4 + 4 + 1 channels: the two blocks of 4 rolled into one loop, then the last block.
      expect(model.match(/eenn_avg_pool2d_s8\(/g)?.length).toBe(2);
      expect(model).toContain('for (int32_t block = 0; block < 2; block++) {');
      graph.outputs.forEach((name, i) => {
        expect(Array.from(run.outputs[i]!), name).toEqual(Array.from(expected[name]!.data as ArrayLike<number>));
        expect(new Set(run.outputs[i]!).size, name).toBeGreaterThan(2);
      });
    }, 120_000);
  }
});

describe('int8 conv + residual add fusion', () => {
  const { graph, rand, x, b, fused, kept } = buildResidualGraph();
  const plan: MemoryPlan = planMemory(graph, { int8BlockChannels: blocksOfFour(graph) });
  const inputs = randomInputs(graph, rand);
  const expected = runInt8Reference(graph, inputs);

  it('fuses the QAdd of a residual that dies there, and writes the sum over it', () => {
    expect(validatePlan(plan, graph)).toEqual([]);
    const steps = plan.steps.filter((s) => s.residual);
    expect(steps.map((s) => s.residual!.outputs[0])).toEqual([fused]);
    expect(steps[0]!.nodes[0]!.outputs[0]).toBe(b);
    expect(steps[0]!.scratchBytes).toBe(4 * 10 * 9 + int8ConvScratchBytes(graph, steps[0]!.nodes[0]!));
    expect(plan.buffers[plan.bufferOf.get(b)!]!.storage.kind).toBe('fused');
    expect(plan.bufferOf.get(fused)).toBe(plan.bufferOf.get(x));
    expect(plan.steps.some((s) => s.residual?.outputs[0] === kept)).toBe(false);
  });

  it("does not fuse a QAdd whose residual is the QConv's own input (later blocks still read it)", () => {
    const q = new Int8GraphBuilder('own_input', seededRandom(23));
    const y = q.lut(q.input('y', [1, 8, 6, 7]), Math.tanh);
    const z = q.conv(y, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 6, 7]);
    q.output(q.lut(q.add(z, y, [1, 8, 6, 7]), Math.tanh));
    const own = q.build();
    const ownPlan = planMemory(own, { int8BlockChannels: blocksOfFour(own), scratchlessConvs: true });
    expect(ownPlan.steps.some((s) => s.residual)).toBe(false);
    expect(validatePlan(ownPlan, own)).toEqual([]);
  });

  for (const targetName of ['host', 'cortex-m4']) {
    it(`${targetName}: the fused steps equal the int8 reference`, async () => {
      const run = await runInt8Model(graph, inputs, loadTarget(targetName), join(work, `add-${targetName}`), plan);
      const model = run.emitted.files.get('model.c')!;
      expect(model.match(/eenn_elementwise_add_s8\(/g)?.length).toBe(2 + 1); // two blocks of 4 + 2 channels, one unfused
      graph.outputs.forEach((name, i) => {
        expect(Array.from(run.outputs[i]!), name).toEqual(Array.from(expected[name]!.data as ArrayLike<number>));
        expect(new Set(run.outputs[i]!).size, name).toBeGreaterThan(2);
      });
    }, 120_000);
  }
});

describe('how the planner chooses the passes of fused steps', () => {
  /** A small CNN whose largest moment is the first convolution's output beside its pooled tensor. */
  function cnn() {
    const q = new Int8GraphBuilder('cnn', seededRandom(23));
    const x = q.input('x', [1, 1, 16, 16]);
    const c1 = q.conv(x, 16, [3, 3], { pads: [1, 1, 1, 1] }, [1, 16, 16, 16], { act: 'relu' }); // 4096 bytes
    const p1 = q.pass('MaxPool', [c1], { kernel_shape: [2, 2], strides: [2, 2] })[0]!; // 1024
    const c2 = q.conv(p1, 16, [3, 3], { pads: [1, 1, 1, 1] }, [1, 16, 8, 8], { act: 'relu' }); // 1024
    const p2 = q.pass('MaxPool', [c2], { kernel_shape: [2, 2], strides: [2, 2] })[0]!; // 256
    q.output(q.gemm(q.pass('Flatten', [p2])[0]!, 4));
    return q.build();
  }

  it('makes the arena as small as it can, with as few passes as that allows', () => {
    const graph = cnn();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    const unfused = planMemory(graph, { fusePools: false });
    const four = planMemory(graph, { int8BlockChannels: blocksOfFour(graph) });
    expect(plan.arenaBytes).toBe(four.arenaBytes);
    expect(plan.arenaBytes).toBeLessThan(unfused.arenaBytes / 2);
    // The first convolution is the largest moment: 4 channels per pass. The second may take more.
    const blocks = plan.steps.filter((s) => s.blockChannels).map((s) => s.blockChannels!);
    expect(blocks[0]).toBe(4);
    expect(blocks.reduce((a, v) => a + v, 0)).toBeGreaterThanOrEqual(8);
  });

  it('gives passes back, up to not fusing, within an arena budget', () => {
    const graph = cnn();
    const smallest = planMemory(graph);
    const unfused = planMemory(graph, { fusePools: false });
    const roomy = planMemory(graph, { arenaBudgetBytes: unfused.arenaBytes });
    expect(roomy.steps.some((s) => s.pool)).toBe(false);
    expect(roomy.arenaBytes).toBe(unfused.arenaBytes);
    const between = planMemory(graph, { arenaBudgetBytes: Math.floor((smallest.arenaBytes + unfused.arenaBytes) / 2) });
    expect(validatePlan(between, graph)).toEqual([]);
    expect(between.arenaBytes).toBeLessThanOrEqual((smallest.arenaBytes + unfused.arenaBytes) / 2);
    const passes = (p: MemoryPlan) =>
      p.steps
        .filter((s) => s.blockChannels)
        .map((s) => s.blockChannels!)
        .join();
    expect(passes(between)).not.toBe(passes(smallest));
  });
});
