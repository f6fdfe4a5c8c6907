// Arena policies: the scratch buffers TFLite Micro's CMSIS-NN kernels request (the comparison plan), the planner
// dropping an int8 convolution's im2col scratch only where that lowers the smallest arena and giving it back
// within a budget, the budget each --arena policy gives, and the C of a convolution without its scratch.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArenaPolicy } from '../../src/cli/options.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { arenaBudgetBytes, TFLM_SLACK_MIN_BYTES, tflmSlackBytes } from '../../src/schedule/arena-budget.js';
import { cmsisNnScratchBytes, greedyBySizePlanBytes } from '../../src/schedule/greedy-plan.js';
import { planMemory, validatePlan } from '../../src/schedule/memory-plan.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { Int8GraphBuilder, randomInputs } from '../codegen/int8-builder.js';
import { runInt8Model } from '../codegen/int8-run.js';
import { seededRandom } from './graph-builder.js';

/** A strided conv whose input and output are both live at the peak (as in a small Fashion-MNIST CNN). */
function peakAtConv() {
  const rand = seededRandom(21);
  const q = new Int8GraphBuilder('peak', rand);
  const x = q.input('x', [1, 1, 14, 14]);
  const c1 = q.conv(x, 12, [3, 3], { pads: [1, 1, 1, 1] }, [1, 12, 14, 14], { act: 'relu' });
  const c2 = q.conv(c1, 20, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 20, 7, 7], { act: 'relu' });
  q.output(q.gemm(q.pass('Flatten', [c2])[0]!, 10));
  return { graph: q.build(), rand, strided: c2 };
}

describe('cmsisNnScratchBytes', () => {
  const q = new Int8GraphBuilder('kernels', seededRandom(5));
  const x = q.input('x', [1, 8, 10, 10]);
  q.conv(x, 16, [3, 3], { pads: [1, 1, 1, 1] }, [1, 16, 10, 10]);
  q.conv(x, 16, [1, 1], {}, [1, 16, 10, 10]);
  q.conv(x, 16, [1, 1], { strides: [2, 2] }, [1, 16, 5, 5]);
  q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1], group: 8 }, [1, 8, 10, 10]);
  q.conv(x, 8, [5, 5], { pads: [2, 2, 2, 2], group: 8 }, [1, 8, 10, 10]);
  const last = q.averagePool(x, [2, 2], [2, 2], [0, 0, 0, 0], 0, [1, 8, 5, 5]);
  q.output(last);
  q.output(q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1], group: 2 }, [1, 8, 10, 10]));
  q.output(q.conv(q.input('v', [1, 4, 20]), 6, [5], {}, [1, 6, 16]));
  const graph = q.build();

  it('gives arm_convolve_s8 (grouped and 1-D too), the 1x1 fast kernel, the depthwise 3x3 and opt kernels and avgpool their buffers', () => {
    expect(graph.nodes.map((n) => cmsisNnScratchBytes(graph, n))).toEqual([
      2 * 8 * 9 * 2,
      0,
      2 * 8 * 2,
      0,
      8 * 25 * 2,
      8 * 4,
      2 * 4 * 9 * 2,
      2 * 4 * 5 * 2,
    ]);
    expect(greedyBySizePlanBytes(graph, { kernelScratch: true })).toBeGreaterThan(greedyBySizePlanBytes(graph));
  });
});

describe('int8 convolutions without their scratch', () => {
  const { graph, rand, strided } = peakAtConv();
  const conv = graph.nodes.find((n) => n.outputs[0] === strided)!;
  const smallest = planMemory(graph, { scratchlessConvs: true });
  const budget = arenaBudgetBytes(graph, loadTarget('cortex-m4'), 'tflm')!;
  const roomy = planMemory(graph, { arenaBudgetBytes: budget });
  const work = mkdtempSync(join(tmpdir(), 'eennc-arena-budget-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('keeps every scratch unless asked for the smallest arena', () => {
    expect(planMemory(graph).steps.find((s) => s.nodes[0] === conv)!.scratchBytes).toBeGreaterThan(0);
  });

  it('drops the scratch of the convolution at the peak for the smallest arena, no larger than the tensors alone', () => {
    expect(validatePlan(smallest, graph)).toEqual([]);
    const step = smallest.steps.find((s) => s.nodes[0] === conv)!;
    expect(step.scratchBytes).toBeUndefined();
    expect(smallest.arenaBytes).toBeLessThanOrEqual(greedyBySizePlanBytes(graph));
    // The first conv is not at the peak: it keeps its scratch.
    expect(smallest.steps[0]!.scratchBytes).toBeGreaterThan(0);
  });

  it('gives the scratch back within the TFLite Micro + CMSIS-NN budget', () => {
    const tflm = greedyBySizePlanBytes(graph, { kernelScratch: true });
    expect(budget).toBe(tflm + tflmSlackBytes(tflm));
    expect(validatePlan(roomy, graph)).toEqual([]);
    expect(roomy.steps.find((s) => s.nodes[0] === conv)!.scratchBytes).toBeGreaterThan(0);
    expect(roomy.arenaBytes).toBeGreaterThan(smallest.arenaBytes);
    expect(roomy.arenaBytes).toBeLessThanOrEqual(budget);
    // The plan under a budget remembers the smallest arena it started from (the build's note).
    expect(roomy.smallestArenaBytes).toBe(smallest.arenaBytes);
  });

  it('computes the same bits with and without the scratch (cortex-m4)', async () => {
    const inputs = randomInputs(graph, rand);
    const expected = runInt8Reference(graph, inputs);
    for (const [name, plan] of [
      ['min', smallest],
      ['tflm', roomy],
    ] as const) {
      const run = await runInt8Model(graph, inputs, loadTarget('cortex-m4'), join(work, name), plan);
      expect(/\/\* scratch\s+\*\/ NULL/.test(run.emitted.files.get('model.c')!), name).toBe(name === 'min');
      expect(Array.from(run.outputs[0]!), name).toEqual(Array.from(expected[graph.outputs[0]!]!.data as ArrayLike<number>));
    }
  }, 120_000);
});

describe('--arena policies', () => {
  const { graph } = peakAtConv();
  it('parses min, tflm, ram and sizes, and refuses anything else with a usage error', () => {
    expect(parseArenaPolicy('min')).toBe('min');
    expect(parseArenaPolicy('64k')).toBe(65536);
    expect(parseArenaPolicy('1M')).toBe(1024 * 1024);
    expect(parseArenaPolicy('5000')).toBe(5000);
    expect(() => parseArenaPolicy('lots')).toThrow(EennError);
  });

  it('gives tflm a slack of max(256 B, 2%) over the TFLite Micro + CMSIS-NN plan', () => {
    expect(tflmSlackBytes(0)).toBe(TFLM_SLACK_MIN_BYTES);
    expect(tflmSlackBytes(12_800)).toBe(256);
    expect(tflmSlackBytes(50_000)).toBe(1000);
    const tflm = greedyBySizePlanBytes(graph, { kernelScratch: true });
    expect(arenaBudgetBytes(graph, loadTarget('cortex-m4'), 'tflm')).toBe(tflm + Math.max(256, Math.ceil(tflm * 0.02)));
  });

  it("caps every budget at the target's RAM less its stack", () => {
    const m0 = loadTarget('cortex-m0plus');
    const room = m0.limits.ramBytes! - m0.stackBytes;
    expect(arenaBudgetBytes(graph, m0, 'ram')).toBe(room);
    expect(arenaBudgetBytes(graph, m0, 10 * 1024 * 1024)).toBe(room);
    expect(arenaBudgetBytes(graph, m0, 'min')).toBeUndefined();
  });
});
