// The two graphs of every cut of the Fashion-MNIST exits example compute what the whole graph computes: the int8
// and float references of the node, then of the gateway on the tensor it sent, give the whole graph's exit and the
// same output bits on 20 samples.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { compileModel, type CompileResult } from '../../src/compile.js';
import { readNpy } from '../../src/data/index.js';
import { enumerateCuts } from '../../src/devices/cuts.js';
import { splitGraph } from '../../src/devices/split-graph.js';
import { floatReferenceRun, int8ReferenceRun, type ReferenceRun } from '../../src/exit-reference.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { encodeInput } from '../../src/io-codec.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

const DIR = 'examples/fmnist_branchy';
const MODEL = `${DIR}/fmnist_branchy.onnx`;
/** The 16 test images and 4 calibration images: 20 samples. */
const CALIBRATION_SAMPLES = 4;
const PIXEL_SCALE = 1 / 255;

type Reference = (graph: Graph, inputs: Record<string, Value>) => ReferenceRun;

/** The samples as float images (the test images, then the first calibration images scaled to [0, 1]). */
function samples(): Float32Array[] {
  const test = readNpy(`${DIR}/test_inputs.npy`);
  const calib = readNpy(`${DIR}/calib_u8.npy`);
  const size = sizeOf(test.shape.slice(1));
  const images: Float32Array[] = [];
  for (let s = 0; s < test.shape[0]!; s++) images.push((test.data as Float32Array).slice(s * size, (s + 1) * size));
  for (let s = 0; s < CALIBRATION_SAMPLES; s++)
    images.push(Float32Array.from(calib.data.subarray(s * size, (s + 1) * size), (v) => Number(v) * PIXEL_SCALE));
  return images;
}

/** Bits of a value, for comparing outputs exactly. */
function bits(value: Value): number[] {
  return Array.from(new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength));
}

/**
 * For every cut, both sides plan and emit as models of their own, and node then gateway give the whole graph's exit
 * and answer on every sample; the number of times the node answered with an early exit.
 */
function checkEveryCut(result: CompileResult, reference: Reference): number {
  const graph = result.graph;
  const steps = result.plan.steps;
  const cuts = enumerateCuts(graph, steps);
  expect(cuts.length).toBeGreaterThan(2);
  const precision = result.report.precision as 'int8' | 'float32';
  for (const cut of cuts) {
    const { node, gateway } = splitGraph(graph, steps, cut);
    for (const side of [node, gateway])
      if (side) expect(emitModel(side, planMemory(side), { modelName: 'side', precision }).weightBytes).toBeGreaterThan(0);
    if (node && gateway) {
      expect(node.outputs.at(-1)).toBe(cut.tensor);
      expect(node.exits?.continues ?? false).toBe(cut.nodeExits.length > 0);
      expect(gateway.inputs).toEqual([cut.tensor]);
    }
  }
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const images = samples();
  expect(images).toHaveLength(20);
  let earlyOnNode = 0;
  for (const [s, image] of images.entries()) {
    const value = encodeInput(input, image, s).value;
    const whole = reference(graph, { [input.name]: value });
    const answer = graph.exits ? graph.exits.outputs[whole.exit]! : graph.outputs[0]!;
    for (const cut of cuts) {
      const { node, gateway } = splitGraph(graph, steps, cut);
      const where = `sample ${s}, cut ${cut.position}`;
      let sent: Value = value;
      if (node) {
        const run = reference(node, { [input.name]: value });
        const j = cut.nodeExits.length;
        if (!gateway) {
          expect(run.exit, where).toBe(whole.exit);
          expect(bits(run.outputs[answer]!), where).toEqual(bits(whole.outputs[answer]!));
          continue;
        }
        if (run.exit < j) {
          earlyOnNode++;
          expect(run.exit, where).toBe(whole.exit);
          expect(bits(run.outputs[answer]!), where).toEqual(bits(whole.outputs[answer]!));
          continue;
        }
        expect(whole.exit, where).toBeGreaterThanOrEqual(j);
        sent = run.outputs[cut.tensor!]!;
        expect(sent.data.byteLength, where).toBe(cut.payloadBytes);
      }
      const run = reference(gateway!, { [cut.tensor!]: sent });
      expect(run.exit + cut.nodeExits.length, where).toBe(whole.exit);
      expect(bits(run.outputs[answer]!), where).toEqual(bits(whole.outputs[answer]!));
    }
  }
  return earlyOnNode;
}

describe('splitGraph on examples/fmnist_branchy', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTempDir('eenn-split-');
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  it("int8: node then gateway give the whole graph's exit and output bits at every cut", async () => {
    const calibration = { path: `${DIR}/calib_u8.npy`, scale: PIXEL_SCALE, count: 200, method: 'percentile' as const };
    const result = await compileModel({ model: MODEL, target: 'cortex-m4', precision: 'int8', outDir: `${dir}/int8`, link: false, calibration });
    expect(result.graph.exits?.outputs.length).toBe(3);
    expect(checkEveryCut(result, int8ReferenceRun)).toBeGreaterThan(0);
  }, 120_000);

  it("float32: node then gateway give the whole graph's exit and output bits at every cut", async () => {
    const result = await compileModel({ model: MODEL, target: 'cortex-m4', precision: 'float32', outDir: `${dir}/float`, link: false });
    expect(checkEveryCut(result, floatReferenceRun)).toBeGreaterThan(0);
  }, 120_000);
});
