// Float Conv pairs run depth-first (schedule/schedule.ts: fusableConvPair, schedule/conv-pair.ts,
// codegen/lower/conv-pair.ts, eenn_conv_pair_f32.c): which chains fuse, the ResNet-8 arena, plans that validatePlan
// proves sound (and broken ones it rejects), and generated C equal to the float reference on the host and in QEMU,
// for ResNet-8 and for a small model with identity and stride-2 shortcut residuals, odd sizes, a 5x5 and a dilated
// kernel, a 1x1 second conv and a stride-2 second conv, in bands of one row and of three.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { readNpy } from '../../src/data/index.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import { sizeOf, type AttrValue, type Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { planMemory, tensorBytes, validatePlan, type MemoryPlan, type PlanOptions } from '../../src/schedule/memory-plan.js';
import { fusableConvPair } from '../../src/schedule/schedule.js';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { compareOutputs, randomValue, runOnHost, type HostResult } from './host-run.js';

/** ResNet-8's arena must stay within 60% of onnx2c's 197 KB. */
const RESNET8_ARENA_BAR = 118_000;

/** A Conv with random weights and bias. */
function conv(b: GraphBuilder, rand: () => number, x: string, outC: number, k: [number, number], attrs: Record<string, AttrValue> = {}): string {
  const inC = b.tensors.get(x)!.shape[1]! / Number(attrs['group'] ?? 1);
  const n = b.nodes.length;
  const w = b.constant(
    `w${n}`,
    [outC, inC, ...k],
    Float32Array.from({ length: outC * inC * k[0] * k[1] }, () => (rand() - 0.5) * 0.6),
  );
  const bias = b.constant(
    `b${n}`,
    [outC],
    Float32Array.from({ length: outC }, () => (rand() - 0.5) * 0.2),
  );
  return b.op('Conv', [x, w, bias], { kernel_shape: k, ...attrs });
}

/** Five pairs over a 13x11 image; the tensors the tests look at by name. */
function pairsModel() {
  const rand = seededRandom(31);
  const b = new GraphBuilder('conv_pairs');
  const relu = (t: string) => b.op('Relu', [t]);
  const clip = (t: string, lo: number, hi: number) =>
    b.op('Clip', [t, b.constant(`lo${b.nodes.length}`, [], [lo]), b.constant(`hi${b.nodes.length}`, [], [hi])]);
  const same = (k: number) => ({ pads: [k >> 1, k >> 1, k >> 1, k >> 1] });
  const x = b.input('x', [1, 3, 13, 11]);
  const s0 = relu(conv(b, rand, x, 6, [3, 3], same(3)));
  // Identity residual, 3x3 then 5x5: each band's rows of s0 are free once its rows of A exist (written in place).
  const r1 = relu(b.op('Add', [conv(b, rand, relu(conv(b, rand, s0, 6, [3, 3], same(3))), 6, [5, 5], same(5)), s0]));
  // Identity residual, 5x5 then 3x3: later bands still read the rows a band writes (written to a new buffer).
  const r2 = relu(b.op('Add', [r1, conv(b, rand, clip(conv(b, rand, r1, 6, [5, 5], same(5)), 0, 6), 6, [3, 3], same(3))]));
  // Stride-2 block whose shortcut comes after the second conv in graph order.
  const b3 = conv(b, rand, relu(conv(b, rand, r2, 8, [3, 3], { strides: [2, 2], ...same(3) })), 8, [3, 3], same(3));
  const shortcut = conv(b, rand, r2, 8, [1, 1], { strides: [2, 2] });
  const r3 = relu(b.op('Add', [shortcut, b3]));
  // Dilated first conv with uneven pads, 1x1 second conv, clamped: a model output.
  const out0 = clip(conv(b, rand, relu(conv(b, rand, r3, 5, [3, 3], { dilations: [2, 2], pads: [2, 1, 2, 1] })), 7, [1, 1]), -1, 1);
  // A second conv of stride 2, no residual.
  const out1 = relu(conv(b, rand, relu(conv(b, rand, r3, 8, [3, 3], same(3))), 8, [3, 3], { strides: [2, 2], ...same(3) }));
  const graph = b.output(out0).output(out1).build();
  return { graph, input: randomValue([1, 3, 13, 11], rand), s0, r1, r2, r3, shortcut };
}

/** Every pair fused, `bandRows` output rows per band (no choice left to the planner). */
function forcedPairs(graph: Graph, bandRows?: number): PlanOptions {
  const firsts = graph.nodes.filter((n) => fusableConvPair(graph, n, new Set(graph.outputs))).map((n) => n.name);
  return { unfusedConvPairs: new Set(), ...(bandRows ? { convPairBandRows: new Map(firsts.map((n) => [n, bandRows])) } : {}) };
}

const sameBuffer = (plan: MemoryPlan, a: string, b: string) => plan.bufferOf.get(a) === plan.bufferOf.get(b);

function resnet8() {
  const { graph } = importModel('examples/bench/resnet8.onnx');
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const samples = readNpy('examples/bench/resnet8_inputs.npy');
  const data = (samples.data as Float32Array).slice(0, sizeOf(input.shape));
  return { graph, input: { shape: input.shape, dtype: 'float32', data } as Value };
}

describe('which chains run as a depth-first Conv pair', () => {
  const rand = seededRandom(5);

  it('takes Conv (+Relu) -> Conv -> Add -> Relu, and ends a pair at B when the Add broadcasts', () => {
    const b = new GraphBuilder();
    const x = b.op('Relu', [b.input('x', [1, 4, 9, 7])]);
    const mid = conv(b, rand, b.op('Relu', [conv(b, rand, x, 4, [3, 3], { pads: [1, 1, 1, 1] })]), 4, [1, 1]);
    const y = b.op('Relu', [b.op('Add', [mid, x])]);
    const broadcast = b.op('Add', [
      conv(b, rand, b.op('Relu', [conv(b, rand, y, 4, [3, 3], { pads: [1, 1, 1, 1] })]), 4, [1, 1]),
      b.constant('k', [1, 4, 1, 1], [1, 2, 3, 4]),
    ]);
    const graph = b.output(broadcast).build();
    const outputs = new Set(graph.outputs);
    const first = fusableConvPair(graph, graph.nodes[1]!, outputs);
    expect(first?.add?.op).toBe('Add');
    expect(first?.outActivation?.op).toBe('Relu');
    const second = fusableConvPair(
      graph,
      graph.nodes.find((n) => n.inputs[0] === y)!,
      outputs,
    );
    expect(second).toBeDefined();
    expect(second!.add).toBeUndefined();
  });

  it('refuses depthwise and grouped convs, and an intermediate read twice', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 9, 7]);
    const dw = conv(b, rand, x, 4, [3, 1], { group: 4 });
    conv(b, rand, dw, 4, [1, 1]);
    const shared = b.op('Relu', [conv(b, rand, x, 4, [3, 3])]);
    const graph = b
      .output(conv(b, rand, shared, 4, [1, 1]))
      .output(shared)
      .build();
    const outputs = new Set(graph.outputs);
    expect(graph.nodes.map((n) => fusableConvPair(graph, n, outputs))).toEqual(graph.nodes.map(() => undefined));
  });
});

describe('ResNet-8 float32 plan', () => {
  const { graph } = resnet8();

  it(`fits in ${RESNET8_ARENA_BAR} bytes, with or without an arena budget, and validates`, () => {
    for (const options of [{}, { arenaBudgetBytes: 256 * 1024 }] satisfies PlanOptions[]) {
      const plan = planMemory(graph, options);
      expect(plan.arenaBytes).toBeLessThanOrEqual(RESNET8_ARENA_BAR);
      expect(validatePlan(plan, graph)).toEqual([]);
      // Stacks 1 and 2 run depth-first; stack 1's sum goes over its own input.
      const pairs = plan.steps.filter((s) => s.convPair);
      expect(pairs.map((s) => s.nodes[0]!.name)).toEqual(['/stack1/conv1/conv1.0/Conv', '/stack2/conv1/conv1.0/Conv']);
      expect(sameBuffer(plan, pairs[0]!.nodes[0]!.inputs[0]!, pairs[0]!.nodes.at(-1)!.outputs[0]!)).toBe(true);
      expect(plan.arenaBytes).toBeLessThan(planMemory(graph, { fuseConvPairs: false }).arenaBytes * 0.6);
    }
  });

  it('validatePlan rejects a pair scratch moved over the live input', () => {
    const plan = planMemory(graph);
    const step = plan.steps.find((s) => s.convPair)!;
    const input = plan.buffers[plan.bufferOf.get(step.nodes[0]!.inputs[0]!)!]!;
    plan.buffers[plan.scratchOf.get(step.index)!]!.storage = { ...input.storage };
    expect(validatePlan(plan, graph).join('\n')).toMatch(/alive together and share bytes/);
  });
});

describe('depth-first Conv pairs in generated C', () => {
  const model = pairsModel();
  const r8 = resnet8();
  let results: HostResult[];
  const cases = [
    { name: 'pairs_band1', graph: model.graph, inputs: { x: model.input }, planOptions: forcedPairs(model.graph) },
    { name: 'pairs_band3', graph: model.graph, inputs: { x: model.input }, planOptions: forcedPairs(model.graph, 3) },
    { name: 'pairs_planned', graph: model.graph, inputs: { x: model.input } },
    { name: 'resnet8', graph: r8.graph, inputs: { [r8.graph.inputs[0]!]: r8.input } },
  ];

  beforeAll(async () => {
    results = await runOnHost(cases);
  }, 240_000);

  it('plans every pair of the small model, writing in place only where no later band reads the rows', () => {
    for (const bandRows of [undefined, 3]) {
      const plan = planMemory(model.graph, forcedPairs(model.graph, bandRows));
      expect(validatePlan(plan, model.graph)).toEqual([]);
      expect(plan.steps.filter((s) => s.convPair)).toHaveLength(5);
      expect(sameBuffer(plan, model.s0, model.r1)).toBe(true);
      expect(sameBuffer(plan, model.r1, model.r2)).toBe(false);
      expect(sameBuffer(plan, model.shortcut, model.r3)).toBe(true);
      // The shortcut runs before the pair that adds it, though it comes after the pair's convs in graph order.
      const shortcutStep = plan.steps.findIndex((s) => s.nodes[0]!.outputs[0] === model.shortcut);
      const pairStep = plan.steps.findIndex((s) => s.nodes.some((n) => n.outputs[0] === model.r3));
      expect(shortcutStep).toBeLessThan(pairStep);
    }
  });

  it('validatePlan rejects a pair written over an input that later bands still read', () => {
    const plan = planMemory(model.graph, forcedPairs(model.graph));
    const id = plan.bufferOf.get(model.r1)!;
    plan.bufferOf.set(model.r2, id);
    plan.buffers[id]!.tensors.push(model.r2);
    expect(validatePlan(plan, model.graph).join('\n')).toMatch(/cannot run in place/);
  });

  it('host: equal to the float reference (rtol 1e-4, atol 1e-5)', () => {
    cases.forEach((c, i) => {
      const reference = runReference(c.graph, c.inputs);
      expect(results[i]!.status).toBe(0);
      c.graph.outputs.forEach((name, k) => {
        const check = compareOutputs(results[i]!.outputs[k]!, reference[name]!.data as Float32Array, 1e-4, 1e-5);
        expect(check.ok, `${c.name} ${name}: max error ${check.maxError}`).toBe(true);
      });
    });
    expect(results[3]!.plan.arenaBytes).toBeLessThanOrEqual(RESNET8_ARENA_BAR);
    expect(results[0]!.emitted.files.get('model.c')).toMatch(/eenn_conv2d_pair_f32\(/);
  });

  const work = mkdtempSync(join(tmpdir(), 'eenn-pair-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('cortex-m4 (QEMU): equal to the float reference, bands of three rows', async () => {
    const target = loadTarget('cortex-m4');
    const { graph, input } = model;
    const plan = planMemory(graph, forcedPairs(graph, 3));
    const emitted = emitModel(graph, plan, { modelName: 'conv_pairs', precision: 'float32' });
    const firmware = renderFirmware(target, {
      modelName: 'conv_pairs',
      kernelSources: emitted.kernelSources,
      inputBytes: [tensorBytes(graph.tensors.get('x')!)],
      outputBytes: graph.outputs.map((o) => tensorBytes(graph.tensors.get(o)!)),
    });
    for (const [path, text] of [...emitted.files, ...firmware]) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    const image = await buildFirmware(work, target);
    const data = input.data as Float32Array;
    const run = await runFirmware(image.elfPath, target, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
      samples: 1,
      timeoutMs: 60_000,
    });
    const reference = runReference(graph, { x: input });
    // One sample: the model's outputs back to back.
    const bytes = run.outputs[0]!;
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let at = 0;
    for (const name of graph.outputs) {
      const expected = reference[name]!.data as Float32Array;
      const check = compareOutputs(all.subarray(at, at + expected.length), expected, 1e-4, 1e-5);
      expect(check.ok, `${name}: max error ${check.maxError}`).toBe(true);
      at += expected.length;
    }
    expect(at).toBe(all.length);
  }, 120_000);
});
