// A model with two early exits compiled to C and run in QEMU: eenn_run returns the exit the int8 reference takes,
// with the same output bits, on every emulated target; early exits cost fewer instructions than the final one; a
// run past every exit measures each exit's cumulative cost; float32 takes the float reference's exits; a model cut
// into sections decides between them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { SECTION_STEPS } from '../../src/codegen/print-steps.js';
import { floatReferenceRun, int8ReferenceRun } from '../../src/exit-reference.js';
import { attachExits } from '../../src/exits/index.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { DType, Graph } from '../../src/ir/graph.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runGraphSamples, type GraphSamplesRun } from '../../src/run-graph.js';
import { loadTarget } from '../../src/target/target.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

const work = mkdtempSync(join(tmpdir(), 'eennc-exits-'));
const SHAPE = [1, 1, 12, 12];
const SIZE = 144;
const SAMPLES = 16;
const EXITS = ['exit0', 'exit1', 'final'];

/** Weights of a Conv or Gemm, deterministic, scaled so that activations stay in range. */
function weights(shape: number[], seed: number, scale: number): [DType, number[], Float32Array] {
  const size = shape.reduce((a, b) => a * b, 1);
  return ['float32', shape, randomFloats(size, seed).map((v) => v * scale)];
}

/** Global average pooling, flatten and a fully connected layer of 10 classes: an exit head on `from` (C channels). */
function head(from: string, channels: number, out: string, seed: number, spec: GraphSpec): void {
  spec.constants![`${out}_w`] = weights([10, channels], seed, 4);
  spec.constants![`${out}_b`] = weights([10], seed + 1, 1);
  spec.nodes.push(['GlobalAveragePool', [from], [`${out}_gap`]], ['Flatten', [`${out}_gap`], [`${out}_flat`]]);
  spec.nodes.push(['Gemm', [`${out}_flat`, `${out}_w`, `${out}_b`], [out], { transB: 1 }, `${out}_fc`]);
}

/** conv (1 -> 4) -> exit0 -> conv (4 -> 16) -> exit1 -> conv (16 -> 16) -> final; `chain` Mul steps before exit0. */
function exitModel(chain = 0): Graph {
  const spec: GraphSpec = {
    inputs: { x: ['float32', SHAPE] },
    constants: {
      w1: weights([4, 1, 3, 3], 11, 0.6),
      w2: weights([16, 4, 3, 3], 12, 0.3),
      w3: weights([16, 16, 3, 3], 13, 0.15),
      k: ['float32', [1], [1.0]],
    },
    nodes: [],
    outputs: EXITS,
  };
  const conv = (x: string, w: string, y: string) => spec.nodes.push(['Conv', [x, w], [`${y}_c`], { pads: [1, 1, 1, 1] }], ['Relu', [`${y}_c`], [y]]);
  conv('x', 'w1', 't1');
  let at = 't1';
  for (let i = 0; i < chain; i++) {
    spec.nodes.push(['Mul', [at, 'k'], [`m${i}`]]);
    at = `m${i}`;
  }
  head(at, 4, 'exit0', 21, spec);
  conv(at, 'w2', 't2');
  head('t2', 16, 'exit1', 23, spec);
  conv('t2', 'w3', 't3');
  head('t3', 16, 'final', 25, spec);
  return inferGraphShapes(buildGraph(spec)).graph;
}

const samples = Array.from({ length: SAMPLES }, (_, i) => randomFloats(SIZE, 100 + i).map((v) => v * 2));
const floatInputs = samples.map((data): Record<string, Value> => ({ x: { shape: SHAPE, dtype: 'float32', data } }));

/** The largest softmax probability of `logits`. */
function maxSoftmax(logits: ArrayLike<number>): number {
  const values = Array.from(logits);
  const max = Math.max(...values);
  const sum = values.reduce((s, v) => s + Math.exp(v - max), 0);
  return 1 / sum;
}

/** Thresholds that split the samples: exit0 stops about a third of them, exit1 about half of the rest. */
function splittingThresholds(graph: Graph): number[] {
  const runs = floatInputs.map((inputs) => floatReferenceRun(graph, inputs).outputs);
  const between = (values: number[], share: number): number => {
    const sorted = [...values].sort((a, b) => b - a);
    const at = Math.max(1, Math.round(sorted.length * share));
    return (sorted[at - 1]! + sorted[at]!) / 2;
  };
  const p0 = runs.map((r) => maxSoftmax(r['exit0']!.data as Float32Array));
  const t0 = between(p0, 1 / 3);
  const rest = runs.filter((_, i) => p0[i]! < t0).map((r) => maxSoftmax(r['exit1']!.data as Float32Array));
  return [t0, between(rest, 1 / 2)];
}

/** The model with its exits attached (max-softmax), float32 or quantized to int8 (with int8 or float32 io). */
async function attached(graph: Graph, thresholds: number[], precision: 'float32' | 'int8', io: 'int8' | 'float32' = 'int8'): Promise<Graph> {
  const resolved = { outputs: EXITS, policy: 'max-softmax' as const, thresholds, source: 'option' as const };
  if (precision === 'float32') return attachExits(graph, resolved);
  const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
  return attachExits(quantizeGraph(graph, { ranges, io }), resolved);
}

/** The int8 inputs of the samples, quantized with the graph's input scale. */
function int8Inputs(graph: Graph): Record<string, Value>[] {
  const { scale, zeroPoint } = scaleZeroOf(graph.tensors.get('x')!);
  return samples.map((data) => ({ x: { shape: SHAPE, dtype: 'int8', data: Int8Array.from(data, (v) => quantizeF32S8(v, scale, zeroPoint)) } }));
}

/** Output indices (in graph order) of the exits up to `exit`: those the generated code computed. */
function computedOutputs(graph: Graph, exit: number): number[] {
  return EXITS.slice(0, exit + 1).map((name) => graph.outputs.indexOf(name));
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('early exits in the generated code', () => {
  let float: Graph;
  let thresholds: number[];
  let int8: Graph;
  let inputs: Record<string, Value>[];
  let want: ReturnType<typeof int8ReferenceRun>[];
  let m4: GraphSamplesRun;

  beforeAll(async () => {
    float = exitModel();
    thresholds = splittingThresholds(float);
    int8 = await attached(float, thresholds, 'int8');
    inputs = int8Inputs(int8);
    want = inputs.map((sample) => int8ReferenceRun(int8, sample));
    m4 = await runGraphSamples(int8, inputs, loadTarget('cortex-m4'), join(work, 'cortex-m4'), { precision: 'int8' });
  }, 300_000);

  it('the samples take every exit in the int8 reference', () => {
    expect(new Set(want.map((w) => w.exit))).toEqual(new Set([0, 1, 2]));
  });

  it('model.h documents the exits and model.c decides after each early exit', () => {
    const header = m4.emitted.files.get('model.h')!;
    expect(header).toMatch(/#define EENN_NUM_EXITS\s+3\b/);
    EXITS.forEach((name, i) => expect(header).toMatch(new RegExp(`#define EENN_EXIT_${i}_OUTPUT ${int8.outputs.indexOf(name)}\\b`)));
    expect(header).toContain('int32_t eenn_trace_exit(int32_t exit_index, int32_t taken);');
    const model = m4.emitted.files.get('model.c')!;
    expect(model).toContain('return 0;');
    expect(model).toContain('return 1;');
    expect(model).toContain('return 2;');
    expect(model.match(/eenn_exit_max_softmax_s8\(/g)).toHaveLength(2);
    // The Makefile measures the exits: the firmware records a cost per early exit.
    expect(m4.samples[0]!.exitInstructions).toHaveLength(2);
  });

  it('cortex-m4: every sample takes the int8 reference exit with the same output bits, early exits for fewer instructions', () => {
    m4.samples.forEach((got, s) => {
      expect(got.exit, `sample ${s}`).toBe(want[s]!.exit);
      for (const o of computedOutputs(int8, got.exit)) {
        expect(Array.from(got.outputs[o]!), `sample ${s} output ${int8.outputs[o]}`).toEqual(
          Array.from(want[s]!.outputs[int8.outputs[o]!]!.data as Int8Array),
        );
      }
    });
    const cost = (exit: number) => m4.samples.filter((s) => s.exit === exit).map((s) => s.instructions!);
    expect(Math.max(...cost(0))).toBeLessThan(0.5 * Math.min(...cost(2)));
    expect(Math.max(...cost(1))).toBeLessThan(Math.min(...cost(2)));
    expect(Math.max(...cost(0))).toBeLessThan(Math.min(...cost(1)));
    // Each sample's record has the cost of the early exits it got to, cumulative.
    for (const s of m4.samples) {
      expect(s.exitInstructions.map((n) => n !== null)).toEqual([0, 1].map((i) => i <= s.exit));
      if (s.exit === 2) expect(s.exitInstructions[0]!).toBeLessThan(s.exitInstructions[1]!);
    }
  });

  it('cortex-m4, run past every exit: costs increase with the exit, the total is a normal run within the tracing', async () => {
    const past = await runGraphSamples(int8, inputs, loadTarget('cortex-m4'), join(work, 'cortex-m4'), {
      precision: 'int8',
      continuePastExits: true,
    });
    const TRACE_SLACK = 16;
    past.samples.forEach((got, s) => {
      expect(got.exit).toBe(2);
      const [at0, at1] = got.exitInstructions as number[];
      expect(at0).toBeGreaterThan(0);
      expect(at1).toBeGreaterThan(at0!);
      expect(got.instructions!).toBeGreaterThan(at1!);
      const normal = m4.samples[s]!;
      // A sample that stops at exit i costs what the run past the exits had spent at its decision.
      const expected = normal.exit === 2 ? got.instructions! : got.exitInstructions[normal.exit]!;
      expect(Math.abs(normal.instructions! - expected), `sample ${s} (exit ${normal.exit})`).toBeLessThanOrEqual(TRACE_SLACK);
      for (const o of int8.outputs.keys()) {
        expect(Array.from(got.outputs[o]!)).toEqual(Array.from(want[s]!.outputs[int8.outputs[o]!]!.data as Int8Array));
      }
    });
  }, 300_000);

  for (const name of ['cortex-m0plus', 'cortex-m3', 'cortex-m7', 'cortex-m33', 'cortex-m55']) {
    it(`${name}: the same exits and output bits as the int8 reference`, async () => {
      const run = await runGraphSamples(int8, inputs, loadTarget(name), join(work, name), { precision: 'int8' });
      run.samples.forEach((got, s) => {
        expect(got.exit, `sample ${s}`).toBe(want[s]!.exit);
        for (const o of computedOutputs(int8, got.exit)) {
          expect(Array.from(got.outputs[o]!)).toEqual(Array.from(want[s]!.outputs[int8.outputs[o]!]!.data as Int8Array));
        }
      });
    }, 300_000);
  }

  it('int8 with float32 outputs: decided on the int8 tensor before each Dequantize, the same exits and bits', async () => {
    const graph = await attached(float, thresholds, 'int8', 'float32');
    expect(graph.exits!.decisions.every((d) => d.tensor !== d.output)).toBe(true);
    const run = await runGraphSamples(graph, floatInputs, loadTarget('cortex-m4'), join(work, 'float-io'), { precision: 'int8' });
    run.samples.forEach((got, s) => {
      const ref = int8ReferenceRun(graph, floatInputs[s]!);
      expect(got.exit, `sample ${s}`).toBe(ref.exit);
      for (const o of computedOutputs(graph, got.exit)) {
        expect(Array.from(got.outputs[o]!)).toEqual(Array.from(ref.outputs[graph.outputs[o]!]!.data as Float32Array));
      }
    });
    expect(run.samples.map((s) => s.exit)).toEqual(want.map((w) => w.exit));
  }, 300_000);

  it('float32: the float reference exits, outputs within tolerance', async () => {
    const graph = await attached(float, thresholds, 'float32');
    const run = await runGraphSamples(graph, floatInputs, loadTarget('cortex-m4'), join(work, 'float32'), { precision: 'float32' });
    const exits = run.samples.map((got, s) => {
      const ref = floatReferenceRun(graph, floatInputs[s]!);
      expect(got.exit, `sample ${s}`).toBe(ref.exit);
      for (const o of computedOutputs(graph, got.exit)) {
        const expected = ref.outputs[graph.outputs[o]!]!.data as Float32Array;
        Array.from(got.outputs[o]!).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 4));
      }
      return got.exit;
    });
    expect(new Set(exits).size).toBeGreaterThan(1);
  }, 300_000);

  it('a model cut into sections decides between them', async () => {
    const long = exitModel(SECTION_STEPS + 8);
    const graph = await attached(long, splittingThresholds(long), 'float32');
    const run = await runGraphSamples(graph, floatInputs, loadTarget('host'), join(work, 'sections'), { precision: 'float32' });
    const model = run.emitted.files.get('model.c')!;
    expect(model).toMatch(/static void eenn_steps_\d+_\d+\(/);
    // exit0 decides in eenn_run, after the call of the section that ends with its head.
    const body = model.slice(model.indexOf('int32_t eenn_run('));
    expect(body.indexOf('eenn_exit_max_softmax_f32(')).toBeGreaterThan(body.indexOf('eenn_steps_0_'));
    const exits = run.samples.map((got, s) => {
      const ref = floatReferenceRun(graph, floatInputs[s]!);
      expect(got.exit, `sample ${s}`).toBe(ref.exit);
      return got.exit;
    });
    expect(new Set(exits)).toEqual(new Set([0, 1, 2]));
  }, 300_000);
});
