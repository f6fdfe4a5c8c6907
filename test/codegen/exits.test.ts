// A model with two early exits compiled to C and run in QEMU: eenn_run returns the exit the int8 reference takes,
// with the same output bits, on every emulated target; early exits cost fewer instructions than the final one; a
// run past every exit measures each exit's cumulative cost, and the measuring leaves the counts as they are without
// it; float32 takes the float reference's exits; a model cut into sections decides between them.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { SECTION_STEPS } from '../../src/codegen/print-steps.js';
import { floatReferenceRun, int8ReferenceRun } from '../../src/exit-reference.js';
import type { Graph } from '../../src/ir/graph.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import { runGraphSamples, sampleBytes, type GraphSamplesRun } from '../../src/run-graph.js';
import { tensorBytes } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { attached, EXITS, exitModel, floatInputs, samples, SHAPE, splittingThresholds } from './exit-model.js';

const work = mkdtempSync(join(tmpdir(), 'eennc-exits-'));

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

  it('cortex-m4: the counts leave the measuring out (a build without EENN_TRACE_EXITS counts the same within 8)', async () => {
    const target = loadTarget('cortex-m4');
    const dir = join(work, 'untraced');
    const firmware = renderFirmware(target, {
      modelName: 'untraced',
      kernelSources: m4.emitted.kernelSources,
      inputBytes: int8.inputs.map((name) => tensorBytes(int8.tensors.get(name)!)),
      outputBytes: int8.outputs.map((name) => tensorBytes(int8.tensors.get(name)!)),
    });
    expect(firmware.get('Makefile')).not.toContain('EENN_TRACE_EXITS');
    for (const [path, text] of [...m4.emitted.files, ...firmware]) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const image = await buildFirmware(dir, target, { jobs: 2 });
    const bytes = new Uint8Array(Buffer.concat(inputs.map((sample) => sampleBytes(int8, sample))));
    const plain = await runFirmware(image.elfPath, target, bytes, { samples: inputs.length });
    expect(plain.exits).toEqual(m4.samples.map((s) => s.exit));
    expect(plain.exitInstructions.every((costs) => costs.length === 0)).toBe(true);
    m4.samples.forEach((traced, s) => expect(Math.abs(traced.instructions! - plain.instructions[s]!), `sample ${s}`).toBeLessThanOrEqual(8));
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
