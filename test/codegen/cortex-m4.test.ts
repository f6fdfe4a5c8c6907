// Generated float32 models on the Cortex-M4 (QEMU mps2-an386, -icount): outputs match the float reference and
// one inference costs fewer instructions per MAC than onnx2c needs on the same models (its published figures:
// 20.8 on the Fashion-MNIST CNN, 18.9 on ResNet-8, 9.4 on DS-CNN, 5.1 on the fully connected autoencoder).
// MACs are those of Conv, ConvTranspose, Gemm and MatMul, as the benchmark figures count them.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { readNpy } from '../../src/data/index.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';
import { planMemory, tensorBytes } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { compareOutputs } from './host-run.js';

const MODELS = [
  { name: 'fmnist_cnn', model: 'examples/fmnist/fmnist_cnn.onnx', inputs: 'examples/fmnist/test_inputs.npy', onnx2c: 20.8 },
  { name: 'resnet8', model: 'examples/bench/resnet8.onnx', inputs: 'examples/bench/resnet8_inputs.npy', onnx2c: 18.9 },
  { name: 'ds_cnn', model: 'examples/bench/ds_cnn.onnx', inputs: 'examples/bench/ds_cnn_inputs.npy', onnx2c: 9.4 },
  { name: 'fc_autoencoder', model: 'examples/bench/fc_autoencoder.onnx', inputs: 'examples/bench/fc_autoencoder_inputs.npy', onnx2c: 5.1 },
];

const LAYER_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

function layerMacs(graph: Graph): number {
  let total = 0;
  for (const node of graph.nodes) {
    if (!LAYER_OPS.has(node.op)) continue;
    const info = (n: string) => (n === '' ? undefined : graph.tensors.get(n));
    total += lookupOp(node.op)!.macs!(
      node,
      node.inputs.map(info),
      node.outputs.map((o) => graph.tensors.get(o)!),
    );
  }
  return total;
}

const target = loadTarget('cortex-m4');
const work = mkdtempSync(join(tmpdir(), 'eenn-m4-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('float32 models on cortex-m4 (QEMU)', () => {
  for (const m of MODELS) {
    it(`${m.name}: matches the reference and beats onnx2c's ${m.onnx2c} instructions per MAC`, async () => {
      const { graph } = importModel(m.model);
      const plan = planMemory(graph);
      const emitted = emitModel(graph, plan, { modelName: m.name, precision: 'float32' });
      const input = graph.tensors.get(graph.inputs[0]!)!;
      const firmware = renderFirmware(target, {
        modelName: m.name,
        kernelSources: emitted.kernelSources,
        inputBytes: [tensorBytes(input)],
        outputBytes: graph.outputs.map((o) => tensorBytes(graph.tensors.get(o)!)),
      });
      const dir = join(work, m.name);
      for (const [path, text] of [...emitted.files, ...firmware]) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const image = await buildFirmware(dir, target);
      const samples = readNpy(m.inputs);
      const sample = (samples.data as Float32Array).slice(0, sizeOf(input.shape));
      const run = await runFirmware(image.elfPath, target, new Uint8Array(sample.buffer), { samples: 1, timeoutMs: 120_000 });

      const reference = runReference(graph, { [input.name]: { shape: input.shape, dtype: 'float32', data: sample } });
      const bytes = run.outputs[0]!;
      const actual = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const check = compareOutputs(actual, reference[graph.outputs[0]!]!.data as Float32Array, 1e-4, 1e-5);
      expect(check.ok, `max error ${check.maxError}`).toBe(true);

      const perMac = run.instructions[0]! / layerMacs(graph);
      expect(perMac).toBeLessThan(m.onnx2c);
      // The static RAM is the arena plus a little for the firmware around it.
      expect(image.ram_bytes).toBeGreaterThanOrEqual(plan.arenaBytes);
      process.stdout.write(
        `${m.name}: ${run.instructions[0]} instructions, ${perMac.toFixed(2)} per MAC (onnx2c ${m.onnx2c}), ` +
          `arena ${plan.arenaBytes} B (one buffer per tensor: ${plan.naiveBytes} B), flash ${image.flash_bytes} B\n`,
      );
    }, 300_000);
  }
});
