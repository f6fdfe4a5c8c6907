// Instructions of each step measured on the target (measureStepInstructions): on examples/fmnist (int8, Cortex-M4
// and Cortex-M0+) and examples/fmnist_branchy (int8, Cortex-M4, run past every exit) a sample's steps add up to
// the plain build's instructions for that sample within 1%, and the steps up to an exit's decision to that exit's
// cumulative cost. A target without an emulator and samples of the wrong size are refused; nothing stays in the
// temporary directory. A traced model in sections with an exit builds and runs on the host.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../src/codegen/emit-model.js';
import { renderFirmware } from '../src/codegen/firmware.js';
import { compileModel, type CompileResult } from '../src/compile.js';
import { readNpy } from '../src/data/index.js';
import { EennError } from '../src/ir/diagnostics.js';
import type { Graph } from '../src/ir/graph.js';
import { encodeInput } from '../src/io-codec.js';
import { measureStepInstructions, type StepInstructions } from '../src/measure-steps.js';
import { planMemory, tensorBytes, type MemoryPlan } from '../src/schedule/memory-plan.js';
import { decisionSteps } from '../src/schedule/exits.js';
import { loadTarget, type Target } from '../src/target/target.js';
import { buildFirmware, runFirmware, type FirmwareRun } from '../src/toolchain/index.js';
import { longModel, WIDTH } from './measure-steps-models.js';

const work = mkdtempSync(join(tmpdir(), 'eennc-measure-steps-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Test images each model measures (the first of examples/<model>/test_inputs.npy). */
const COUNT = 3;
/** How far a sample's steps may be from the plain build's instructions: the design's bound. */
const TOLERANCE = 0.01;
/**
 * Instructions a step may add to a sample's total besides the step itself: the trace's own cost is left out, but
 * not quite all of it (the call's argument is set up in eenn_run). Without the trace's cost left out a step would
 * add the call and the counter read, tens of instructions.
 */
const RESIDUE_PER_STEP = 4;
/** Test images of examples/fmnist_branchy run as they are: some take an early exit (test/examples/fmnist-branchy.test.ts). */
const EXIT_SAMPLES = 16;
/** Pixels of a Fashion-MNIST image. */
const IMAGE_PIXELS = 28 * 28;
/** Time limit of a test that compiles, builds twice and runs in QEMU. */
const QEMU_TEST_MS = 240_000;

const EXAMPLES = {
  fmnist: { model: 'examples/fmnist/fmnist_cnn.onnx', dir: 'examples/fmnist' },
  branchy: { model: 'examples/fmnist_branchy/fmnist_branchy.onnx', dir: 'examples/fmnist_branchy' },
};

/** The example compiled to int8 and linked (the plain build), and its first `count` test images encoded. */
async function compiled(example: keyof typeof EXAMPLES, target: string, count = COUNT): Promise<{ result: CompileResult; samples: Uint8Array }> {
  const { model, dir } = EXAMPLES[example];
  const result = await compileModel({
    model,
    target,
    precision: 'int8',
    outDir: join(work, `${example}-${target}`),
    calibration: { path: `${dir}/calib_u8.npy`, scale: 1 / 255, method: 'percentile', count: 100 },
  });
  const input = result.graph.tensors.get(result.graph.inputs[0]!)!;
  const images = readNpy(`${dir}/test_inputs.npy`).data as Float32Array;
  const encoded = Array.from({ length: count }, (_, s) => encodeInput(input, images.subarray(s * IMAGE_PIXELS, (s + 1) * IMAGE_PIXELS), s).bytes);
  return { result, samples: new Uint8Array(Buffer.concat(encoded)) };
}

function measure(result: CompileResult, samples: Uint8Array): Promise<StepInstructions> {
  const { graph, plan, target } = result;
  return measureStepInstructions({ graph, plan, target, precision: 'int8', modelName: 'measured', samples, count: COUNT });
}

/** The test firmware of `graph` with every step traced, built in `work`/`name`; the image's path. */
async function buildTraced(graph: Graph, plan: MemoryPlan, target: Target, precision: 'int8' | 'float32', name: string): Promise<string> {
  const emitted = emitModel(graph, plan, { modelName: name, precision, traceSteps: true });
  const bytes = (names: string[]) => names.map((tensor) => tensorBytes(graph.tensors.get(tensor)!));
  const firmware = renderFirmware(target, {
    modelName: name,
    kernelSources: emitted.kernelSources,
    inputBytes: bytes(graph.inputs),
    outputBytes: bytes(graph.outputs),
    exits: emitted.exits,
    traceSteps: true,
  });
  const dir = join(work, name);
  for (const [path, text] of [...emitted.files, ...firmware]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return (await buildFirmware(dir, target)).elfPath;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Temporary folders of this process that measureStepInstructions makes. */
const stepDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`eennc-steps-${process.pid}-`));

/** Each sample's steps against the plain run: within TOLERANCE of its instructions; the record's shape. */
function expectAddsUp(steps: StepInstructions, plain: FirmwareRun, result: CompileResult): void {
  const { plan } = result;
  expect(steps.steps).toEqual(plan.steps.map((step, index) => ({ index, node: step.nodes[0]!.name, op: step.nodes[0]!.op })));
  expect(steps.perSample).toHaveLength(COUNT);
  for (let s = 0; s < COUNT; s++) {
    const want = plain.instructions[s]!;
    expect(want).toBeGreaterThan(0);
    expect(steps.perSample[s]).toHaveLength(plan.steps.length);
    for (const n of steps.perSample[s]!) expect(n).toBeGreaterThanOrEqual(0);
    expect(Math.abs(sum(steps.perSample[s]!) - want) / want, `sample ${s}: ${sum(steps.perSample[s]!)} vs ${want}`).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(sum(steps.perSample[s]!) - want)).toBeLessThanOrEqual(RESIDUE_PER_STEP * plan.steps.length);
    expect(steps.totals[s]).toBe(sum(steps.perSample[s]!));
  }
  plan.steps.forEach((_, k) => expect(steps.perStep[k]).toBeCloseTo(sum(steps.perSample.map((p) => p[k]!)) / COUNT, 6));
  // The convolutions are most of the work.
  const convs = sum(steps.steps.filter((step) => step.op.endsWith('Conv')).map((step) => steps.perStep[step.index]!));
  expect(convs / sum(steps.perStep)).toBeGreaterThan(0.5);
  expect(stepDirs()).toEqual([]);
}

describe('measureStepInstructions', () => {
  it(
    'examples/fmnist int8 on cortex-m4: the steps of each sample add up to its plain run',
    async () => {
      const { result, samples } = await compiled('fmnist', 'cortex-m4');
      const plain = await runFirmware(result.image!.elfPath, result.target, samples, { samples: COUNT });
      expectAddsUp(await measure(result, samples), plain, result);
    },
    QEMU_TEST_MS,
  );

  it(
    'examples/fmnist int8 on cortex-m0plus: the steps of each sample add up to its plain run',
    async () => {
      const { result, samples } = await compiled('fmnist', 'cortex-m0plus');
      const plain = await runFirmware(result.image!.elfPath, result.target, samples, { samples: COUNT });
      expectAddsUp(await measure(result, samples), plain, result);
    },
    QEMU_TEST_MS,
  );

  it(
    'examples/fmnist_branchy int8 on cortex-m4, past every exit: the steps add up to the run, and to each exit up to its decision',
    async () => {
      const { result, samples } = await compiled('branchy', 'cortex-m4');
      const plain = await runFirmware(result.image!.elfPath, result.target, samples, { samples: COUNT, continuePastExits: true });
      const steps = await measure(result, samples);
      expectAddsUp(steps, plain, result);
      const decided = decisionSteps(result.graph, result.plan.steps);
      expect(decided.length).toBeGreaterThan(0);
      for (let s = 0; s < COUNT; s++) {
        decided.forEach((step, exit) => {
          const want = plain.exitInstructions[s]![exit]!;
          const got = sum(steps.perSample[s]!.slice(0, step + 1));
          expect(Math.abs(got - want) / want, `sample ${s}, exit ${exit} after step ${step}: ${got} vs ${want}`).toBeLessThanOrEqual(TOLERANCE);
        });
      }
    },
    QEMU_TEST_MS,
  );

  it(
    'examples/fmnist_branchy int8 on cortex-m4, exits taken: the steps from the exit a sample takes on are not reached',
    async () => {
      const { result, samples } = await compiled('branchy', 'cortex-m4', EXIT_SAMPLES);
      const { graph, plan, target } = result;
      const image = await buildTraced(graph, plan, target, 'int8', 'branchy-exits');
      const run = await runFirmware(image, target, samples, { samples: EXIT_SAMPLES });
      const decided = decisionSteps(graph, plan.steps);
      const early = run.exits.filter((exit) => exit < decided.length).length;
      expect(early, `exits taken: ${run.exits.join(',')}`).toBeGreaterThan(0);
      run.exits.forEach((exit, s) => {
        // An exit taken returns before the trace of its step, which follows the decision.
        const traced = exit < decided.length ? decided[exit]! : plan.steps.length;
        const reached = run.stepInstructions[s]!.map((n) => n !== null);
        expect(reached, `sample ${s}, exit ${exit}`).toEqual(plan.steps.map((_, k) => k < traced));
      });
    },
    QEMU_TEST_MS,
  );

  it('refuses a target without an emulator, and samples that are not whole inputs', async () => {
    const graph = longModel(4, 2);
    const plan = planMemory(graph);
    const base = {
      graph,
      plan,
      precision: 'float32' as const,
      modelName: 'm',
      samples: new Uint8Array(WIDTH * Float32Array.BYTES_PER_ELEMENT),
      count: 1,
    };
    const host = await measureStepInstructions({ ...base, target: loadTarget('host') }).catch((err: unknown) => err);
    expect(host).toBeInstanceOf(EennError);
    expect((host as EennError).code).toBe('E_TARGET');
    expect((host as EennError).message).toMatch(/host has no emulator/);
    const short = await measureStepInstructions({ ...base, target: loadTarget('cortex-m4'), samples: new Uint8Array(WIDTH) }).catch(
      (err: unknown) => err,
    );
    expect((short as EennError).code).toBe('E_DATA');
    expect((short as EennError).message).toMatch(/10 input bytes are not 1 samples/);
    expect(stepDirs()).toEqual([]);
  });

  it(
    'a traced model in sections with an early exit builds with -Werror and runs on the host, every step reported',
    async () => {
      const graph = longModel(160, 40);
      const plan = planMemory(graph);
      const target = loadTarget('host');
      const image = await buildTraced(graph, plan, target, 'float32', 'long-host');
      const run = await runFirmware(image, target, new Uint8Array(2 * WIDTH * Float32Array.BYTES_PER_ELEMENT), {
        samples: 2,
        continuePastExits: true,
      });
      // The host counts nothing: every step is there, without a count.
      expect(run.stepInstructions).toEqual([0, 1].map(() => plan.steps.map(() => null)));
      expect(run.exitInstructions).toEqual([[null], [null]]);
      expect(run.exits).toEqual([1, 1]);
    },
    QEMU_TEST_MS,
  );
});
