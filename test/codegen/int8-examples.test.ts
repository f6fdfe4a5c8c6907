// Every bundled example quantized and compiled to int8 C, run in QEMU: the outputs equal the int8 reference bit
// for bit (ResNet-8: residual Add and average pooling; DS-CNN: depthwise convolutions, with --io float32; the FC
// autoencoder: fully connected layers only, on the MVE target). The Fashion-MNIST CNN runs on every target in
// test/cli/run-every-target.test.ts.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOutput, encodeInput } from '../../src/io-codec.js';
import { compileModel } from '../../src/compile.js';
import { readSamples } from '../../src/data/index.js';
import { sizeOf } from '../../src/ir/graph.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { runFirmware } from '../../src/toolchain/index.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-int8-examples-'));

describe('bundled examples in int8, in QEMU', () => {
  for (const [name, target, io] of [
    ['resnet8', 'cortex-m4', 'int8'],
    ['ds_cnn', 'cortex-m33', 'float32'],
    ['fc_autoencoder', 'cortex-m55', 'int8'],
  ] as const) {
    it(`${name} on ${target} (--io ${io}) equals the int8 reference`, async () => {
      const inputs = `examples/bench/${name}_inputs.npy`;
      const compiled = await compileModel({
        model: `examples/bench/${name}.onnx`,
        target,
        precision: 'int8',
        io,
        outDir: join(dir, name),
        calibration: { path: inputs, method: 'minmax' },
      });
      const { graph } = compiled;
      const input = graph.tensors.get(graph.inputs[0]!)!;
      const output = graph.tensors.get(graph.outputs[0]!)!;
      expect(input.dtype).toBe(io);
      const size = sizeOf(input.shape);
      const read = readSamples(inputs, input.shape, { count: 2 });
      const encoded = [0, 1].map((i) => encodeInput(input, read.data.subarray(i * size, (i + 1) * size)));
      const bytes = new Uint8Array(encoded.length * encoded[0]!.bytes.length);
      encoded.forEach((e, i) => bytes.set(e.bytes, i * e.bytes.length));
      const run = await runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: 2, timeoutMs: 120_000 });
      for (let i = 0; i < 2; i++) {
        const got = decodeOutput(output, run.outputs[i]!);
        const want = runInt8Reference(graph, { [input.name]: encoded[i]!.value })[output.name]!;
        expect(Array.from(got.raw)).toEqual(Array.from(want.data as ArrayLike<number>));
      }
      expect(run.instructions[0]).toBeGreaterThan(10_000);
    }, 120_000);
  }
});
