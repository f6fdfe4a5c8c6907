// What the Fashion-MNIST benches share: where Debian's dataset-fashion-mnist puts the images and labels, their
// pixel scale, the test images encoded for a compiled model's input, a run of encoded samples in the target's
// emulator, and one output's bytes in a sample's output record.

import type { CompileResult } from '../src/compile.js';
import { readSamples } from '../src/data/index.js';
import { sizeOf, type Graph } from '../src/ir/graph.js';
import { encodeInput, type EncodedInput } from '../src/io-codec.js';
import { runFirmware, type FirmwareRun } from '../src/toolchain/index.js';

/** Debian's dataset-fashion-mnist (npm run setup installs it). */
export const FMNIST = '/usr/share/datasets/fashion-mnist';
export const TEST_IMAGES = `${FMNIST}/t10k-images-idx3-ubyte.gz`;
export const TEST_LABELS = `${FMNIST}/t10k-labels-idx1-ubyte.gz`;
export const TRAIN_IMAGES = `${FMNIST}/train-images-idx3-ubyte.gz`;
export const TRAIN_LABELS = `${FMNIST}/train-labels-idx1-ubyte.gz`;
/** uint8 pixels to the [0, 1] the example models take. */
export const PIXEL_SCALE = 1 / 255;
/** Time limit of one emulator run over all the samples of a bench. */
const RUN_TIMEOUT_MS = 600_000;

/** The first `count` test images, encoded for the model input of `graph`. */
export function testInputs(graph: Graph, count: number): EncodedInput[] {
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const size = sizeOf(input.shape);
  const read = readSamples(TEST_IMAGES, input.shape, { scale: PIXEL_SCALE, count });
  return Array.from({ length: read.count }, (_, i) => encodeInput(input, read.data.subarray(i * size, (i + 1) * size), i));
}

/** Run `inputs` on the linked image of `compiled` (continuing past every exit when asked). */
export async function runInputs(compiled: CompileResult, inputs: readonly EncodedInput[], continuePastExits = false): Promise<FirmwareRun> {
  const bytes = new Uint8Array(inputs.reduce((n, e) => n + e.bytes.length, 0));
  let offset = 0;
  for (const e of inputs) {
    bytes.set(e.bytes, offset);
    offset += e.bytes.length;
  }
  return runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: inputs.length, timeoutMs: RUN_TIMEOUT_MS, continuePastExits });
}

/** The firmware's bytes of output `name` in one sample's output record (every output in order). */
export function outputBytes(compiled: CompileResult, record: Uint8Array, name: string): Int8Array {
  const index = compiled.graph.outputs.indexOf(name);
  const offset = compiled.outputBytes.slice(0, index).reduce((a, b) => a + b, 0);
  return new Int8Array(record.buffer, record.byteOffset + offset, compiled.outputBytes[index]!);
}
