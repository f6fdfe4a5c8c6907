// Two emulators joined by the relay, end to end: the Fashion-MNIST exits example (int8) split by hand after its
// first exit, the node on Cortex-M0+ and the gateway on Cortex-M7, each built from its own generated project.
// Every sample answers as the single-device build does, bit for bit, at the same exit; with bytes dropped and
// corrupted on the line, every sample is still either that answer or a link error.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { readNpy } from '../../src/data/index.js';
import { enumerateCuts } from '../../src/devices/cuts.js';
import { splitGraph } from '../../src/devices/split-graph.js';
import { encodeFrame, FRAME_TYPES, frameBytes, modelHash } from '../../src/devices/frame.js';
import type { Cut } from '../../src/devices/types.js';
import { emitModel } from '../../src/codegen/emit-model.js';
import { renderFirmware, type DeviceFirmware } from '../../src/codegen/firmware.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { encodeSamples } from '../../src/io-codec.js';
import { planMemory, tensorBytes } from '../../src/schedule/memory-plan.js';
import { loadTarget, type Target } from '../../src/target/target.js';
import { buildFirmware, runFirmware, type FirmwareRun } from '../../src/toolchain/index.js';
import { runDevices, type DeviceImage, type DevicesRunOptions, type OutputSlot } from '../../src/devices-run.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

const DIR = 'examples/fmnist_branchy';
const MODEL_NAME = 'fmnist_branchy';
const PIXEL_SCALE = 1 / 255;
/** The link's line rate (the UART's divider; QEMU's UART does not pace bytes). */
const BAUD = 115_200;
/** Samples of the clean run and of the faulty one. */
const CLEAN_SAMPLES = 8;
const FAULTY_SAMPLES = 30;
/** Both devices' emulators together, per run. */
const RUN_TIMEOUT_MS = 240_000;

const node = loadTarget('cortex-m0plus');
const gateway = loadTarget('cortex-m7');

let dir = '';
let graph: Graph;
let cut: Cut;
let images: { node: DeviceImage; gateway: DeviceImage };
let inputBytes: Uint8Array;
let single: FirmwareRun;

/** Test images, then calibration images scaled to [0, 1]: FAULTY_SAMPLES float images. */
function samples(): Float32Array[] {
  const test = readNpy(`${DIR}/test_inputs.npy`);
  const calib = readNpy(`${DIR}/calib_u8.npy`);
  const size = sizeOf(test.shape.slice(1));
  const out: Float32Array[] = [];
  for (let s = 0; s < test.shape[0]! && out.length < FAULTY_SAMPLES; s++) out.push((test.data as Float32Array).slice(s * size, (s + 1) * size));
  for (let s = 0; out.length < FAULTY_SAMPLES; s++)
    out.push(Float32Array.from(calib.data.subarray(s * size, (s + 1) * size), (v) => Number(v) * PIXEL_SCALE));
  return out;
}

const slotsOf = (side: Graph): OutputSlot[] => side.outputs.map((name) => ({ name, bytes: tensorBytes(side.tensors.get(name)!) }));

/** Emit, render and build one project (a device's, with `device`, or the single-device build) in `projectDir`. */
async function build(side: Graph, target: Target, projectDir: string, device?: DeviceFirmware): Promise<string> {
  const plan = planMemory(side);
  const emitted = emitModel(side, plan, { modelName: MODEL_NAME, precision: 'int8' });
  const firmware = renderFirmware(target, {
    modelName: MODEL_NAME,
    kernelSources: emitted.kernelSources,
    inputBytes: side.inputs.map((name) => tensorBytes(side.tensors.get(name)!)),
    outputBytes: side.outputs.map((name) => tensorBytes(side.tensors.get(name)!)),
    exits: emitted.exits,
    ...(device ? { device } : {}),
  });
  for (const [path, text] of [...emitted.files, ...firmware]) {
    await mkdir(dirname(join(projectDir, path)), { recursive: true });
    await writeFile(join(projectDir, path), text);
  }
  return (await buildFirmware(projectDir, target, { jobs: 1 })).elfPath;
}

function runOptions(count: number, overrides: Partial<DevicesRunOptions> = {}): DevicesRunOptions {
  return {
    ...images,
    nodeExits: cut.nodeExits.length,
    payloadBytes: cut.payloadBytes,
    outputs: slotsOf(graph),
    exitOutputs: graph.exits!.outputs,
    inputBytes: inputBytes.subarray(0, (inputBytes.length / FAULTY_SAMPLES) * count),
    samples: count,
    endFrame: encodeFrame(FRAME_TYPES.end, modelHash(graph, cut), count),
    timeoutMs: RUN_TIMEOUT_MS,
    ...overrides,
  };
}

/** The single-device build's answer of sample `s`: its exit and that exit's output bytes. */
function singleAnswer(s: number): { exit: number; output: number[] } {
  const exit = single.exits[s]!;
  const slots = slotsOf(graph);
  const offset = slots.slice(0, exit).reduce((sum, slot) => sum + slot.bytes, 0);
  return { exit, output: Array.from(single.outputs[s]!.subarray(offset, offset + slots[exit]!.bytes)) };
}

/** The answering exit's output bytes in a device sample's whole layout. */
function answerBytes(outputs: Uint8Array, exit: number): number[] {
  const slots = slotsOf(graph);
  const offset = slots.slice(0, exit).reduce((sum, slot) => sum + slot.bytes, 0);
  return Array.from(outputs.subarray(offset, offset + slots[exit]!.bytes));
}

beforeAll(async () => {
  dir = await makeTempDir('eennc-devices-qemu-');
  const calibration = { path: `${DIR}/calib_u8.npy`, scale: PIXEL_SCALE, count: 200, method: 'percentile' as const };
  const compiled = await compileModel({
    model: `${DIR}/${MODEL_NAME}.onnx`,
    target: node.name,
    precision: 'int8',
    outDir: join(dir, 'whole'),
    link: false,
    calibration,
  });
  graph = compiled.graph;
  // The first cut after the first exit: the node answers exit 0, the gateway exits 1 and 2 (renumbered).
  cut = enumerateCuts(graph, compiled.plan.steps).find((c) => c.nodeExits.length === 1 && c.tensor !== undefined)!;
  expect(cut).toBeDefined();
  const split = splitGraph(graph, compiled.plan.steps, cut);
  const hash = modelHash(graph, cut);
  const device = (role: 'node' | 'gateway'): DeviceFirmware => ({
    role,
    modelHash: hash,
    cutTensor: cut.tensor!,
    payloadBytes: cut.payloadBytes,
    nodeExits: role === 'node' ? cut.nodeExits.length : 0,
    baud: BAUD,
  });
  const [nodeElf, gatewayElf, singleElf] = await Promise.all([
    build(split.node!, node, join(dir, 'node'), device('node')),
    build(split.gateway!, gateway, join(dir, 'gateway'), device('gateway')),
    build(graph, node, join(dir, 'single')),
  ]);
  images = {
    node: { name: 'node', target: node, image: nodeElf, outputs: slotsOf(split.node!) },
    gateway: { name: 'gateway', target: gateway, image: gatewayElf, outputs: slotsOf(split.gateway!) },
  };
  inputBytes = encodeSamples(graph.tensors.get(graph.inputs[0]!)!, samples()).bytes;
  single = await runFirmware(singleElf, node, inputBytes, { samples: FAULTY_SAMPLES, timeoutMs: RUN_TIMEOUT_MS });
}, 600_000);

afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

describe('runDevices: Fashion-MNIST exits on Cortex-M0+ and Cortex-M7 in two emulators', () => {
  it(
    'answers every sample as the single-device build, bit for bit, at the same exit',
    async () => {
      const run = await runDevices(runOptions(CLEAN_SAMPLES));
      expect(run.samples).toHaveLength(CLEAN_SAMPLES);
      const devices = new Set<string | null>();
      run.samples.forEach((sample, s) => {
        const want = singleAnswer(s);
        expect(sample.linkError, `sample ${s}`).toBeUndefined();
        expect(sample.exitIndex, `sample ${s}`).toBe(want.exit);
        expect(answerBytes(sample.outputs, sample.exitIndex), `sample ${s}`).toEqual(want.output);
        expect(sample.device).toBe(want.exit < cut.nodeExits.length ? 'node' : 'gateway');
        expect(sample.bytesSent).toBe(sample.device === 'node' ? 0 : frameBytes(cut.payloadBytes));
        // Both devices count instructions under QEMU; the gateway none for a sample the node answered.
        expect(sample.instructions.node).toBeGreaterThan(0);
        if (sample.device === 'gateway') expect(sample.instructions.gateway).toBeGreaterThan(0);
        else expect(sample.instructions.gateway).toBe(0);
        devices.add(sample.device);
      });
      expect(devices).toEqual(new Set(['node', 'gateway']));
      expect(run.relay.dropped + run.relay.corrupted).toBe(0);
      expect(run.stackBytes.node).toBeGreaterThan(0);
      expect(run.stackBytes.gateway).toBeGreaterThan(0);
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it(
    'gives a link error, never a wrong answer, for frames damaged on the line',
    async () => {
      // One fault per frame on average (about two frames in three hit), half of them drops, half bit flips.
      const perByte = 1 / frameBytes(cut.payloadBytes);
      const run = await runDevices(runOptions(FAULTY_SAMPLES, { faults: { dropRate: perByte / 2, corruptRate: perByte / 2, seed: 5 } }));
      let wrong = 0;
      let errors = 0;
      run.samples.forEach((sample, s) => {
        if (sample.linkError) {
          errors++;
          expect(sample.device).toBeNull();
          return;
        }
        const want = singleAnswer(s);
        if (sample.exitIndex !== want.exit || answerBytes(sample.outputs, sample.exitIndex).join() !== want.output.join()) wrong++;
      });
      expect(wrong).toBe(0);
      expect(run.relay.dropped + run.relay.corrupted).toBeGreaterThan(1);
      // Several frames hit and caught; the samples the node answered itself are untouched.
      expect(errors).toBeGreaterThan(1);
      expect(run.samples.filter((sample) => sample.device === 'node')).toHaveLength(
        single.exits.filter((exit) => exit < cut.nodeExits.length).length,
      );
    },
    RUN_TIMEOUT_MS + 60_000,
  );
});
