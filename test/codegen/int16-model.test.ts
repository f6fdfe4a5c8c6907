// int16 activations end to end: a float model quantized with int16 layers (quantizeGraph's `int16`: int8 -> int16,
// int16 -> int16 depthwise, int16 -> int8 and fully connected layers, a fused Relu, MaxPool and Flatten on int16)
// runs on Armv6-M, Armv7E-M and Armv8.1-M bit for bit as the int8 reference computes it (runInt8Reference); the
// hand-built kernel graph of int16-kernels.test.ts agrees with that reference too; and `eennc test --int16-layers`
// passes on examples/fmnist (Armv7-M; its int16 conv1 output does not fit Cortex-M0+'s 32 KiB of RAM).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { enumerateCuts } from '../../src/devices/cuts.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runGraphSamples } from '../../src/run-graph.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eennc } from '../cli/cli-helpers.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';
import { Random } from '../quantize/random.js';
import { Int16GraphBuilder } from './int16-graphs.js';

/** Input samples of the model: calibration and test alike. */
const SAMPLES = 3;

/** x [1, 3, 10, 10] -> conv1 -> Relu -> MaxPool -> depthwise -> Relu -> pointwise -> Flatten -> fc1 -> Relu -> fc2. */
function floatModel(): Graph {
  return inferGraphShapes(
    buildGraph({
      inputs: { x: ['float32', [1, 3, 10, 10]] },
      constants: {
        w1: ['float32', [8, 3, 3, 3], randomFloats(8 * 27, 11)],
        b1: ['float32', [8], randomFloats(8, 12)],
        w2: ['float32', [8, 1, 3, 3], randomFloats(8 * 9, 13)],
        b2: ['float32', [8], randomFloats(8, 14)],
        w3: ['float32', [6, 8, 1, 1], randomFloats(6 * 8, 15)],
        w4: ['float32', [16, 54], randomFloats(16 * 54, 16)],
        b4: ['float32', [16], randomFloats(16, 17)],
        w5: ['float32', [5, 16], randomFloats(5 * 16, 18)],
      },
      nodes: [
        ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
        ['Relu', ['c1'], ['r1'], {}, 'relu1'],
        ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'],
        ['Conv', ['p1', 'w2', 'b2'], ['c2'], { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] }, 'depthwise'],
        ['Relu', ['c2'], ['r2'], {}, 'relu2'],
        ['Conv', ['r2', 'w3'], ['c3'], {}, 'pointwise'],
        ['Flatten', ['c3'], ['f'], { axis: 1 }, 'flatten'],
        ['Gemm', ['f', 'w4', 'b4'], ['g1'], { transB: 1 }, 'fc1'],
        ['Relu', ['g1'], ['r4'], {}, 'relu4'],
        ['Gemm', ['r4', 'w5'], ['y'], { transB: 1 }, 'fc2'],
      ],
      outputs: ['y'],
    }),
  ).graph;
}

let work = '';
beforeAll(async () => {
  work = await makeTempDir('eenn-int16-model-');
});
afterAll(() => removeTempDir(work));

describe('a model quantized with int16 layers', () => {
  const float = floatModel();
  const samples = Array.from({ length: SAMPLES }, (_, i) => randomFloats(300, 100 + i));
  let graph: Graph;
  const inputs: Record<string, Value>[] = samples.map((data) => ({ x: { shape: [1, 3, 10, 10], dtype: 'float32', data } }));

  beforeAll(async () => {
    const ranges = await calibrate(float, samples, { method: 'minmax', workers: 1 });
    graph = quantizeGraph(float, { ranges, io: 'float32', int16: new Set(['r1', 'r2', 'r4']) });
  });

  it('holds the chosen tensors as int16', () => {
    const int16 = [...graph.tensors.values()].filter((t) => t.dtype === 'int16' && !t.data).map((t) => t.name);
    expect(int16.length).toBeGreaterThanOrEqual(4);
  });

  for (const targetName of ['cortex-m0plus', 'cortex-m4', 'cortex-m55']) {
    it(`${targetName}: every output as the int8 reference computes it`, async () => {
      const run = await runGraphSamples(graph, inputs, loadTarget(targetName), join(work, targetName), { precision: 'int8' });
      const model = run.emitted.files.get('model.c')!;
      for (const fn of [
        'eenn_conv2d_s8_s16(',
        'eenn_conv2d_s16(',
        'eenn_conv2d_s16_s8(',
        'eenn_max_pool2d_s16(',
        'eenn_fc_s8_s16(',
        'eenn_fc_s16_s8(',
      ]) {
        expect(model).toContain(fn);
      }
      run.samples.forEach((sample, i) => {
        const want = runInt8Reference(graph, inputs[i]!)[graph.outputs[0]!]!.data;
        expect(Array.from(sample.outputs[0]!), `sample ${i}`).toEqual(Array.from(want as ArrayLike<number>));
      });
    }, 180_000);
  }
});

describe('a two-device build of a model with int16 layers', () => {
  it('cuts only where an int8 tensor crosses (an int16 one is never a link payload)', async () => {
    const float = floatModel();
    const samples = [randomFloats(300, 5)];
    const graph = quantizeGraph(float, {
      ranges: await calibrate(float, samples, { method: 'minmax', workers: 1 }),
      io: 'float32',
      int16: new Set(['r1', 'r2']),
    });
    const cuts = enumerateCuts(graph, planMemory(graph).steps).filter((c) => c.tensor !== undefined);
    expect(cuts.length).toBeGreaterThan(2);
    for (const cut of cuts) expect(graph.tensors.get(cut.tensor!)!.dtype, cut.tensor).not.toBe('int16');
    // Without the rule the int16 outputs of conv1 and its MaxPool would be cuts too.
    const int16Crossings = graph.nodes.filter((n) => graph.tensors.get(n.outputs[0]!)!.dtype === 'int16').length;
    expect(int16Crossings).toBeGreaterThanOrEqual(2);
  });
});

describe('the int8 reference on the hand-built int16 kernel graph', () => {
  it('computes what the plain model of the int16 arithmetic computes, output by output', () => {
    const q = new Int16GraphBuilder('int16_reference', new Random(77));
    const a = q.input('a', [1, 4, 7, 6]);
    const wide = q.conv(a, 6, [3, 3], { pads: [1, 1, 1, 1] }, 'int16');
    const depthwise = q.conv(wide, 6, [3, 3], { strides: [2, 2], pads: [1, 0, 1, 1], group: 6 }, 'int16', { bigBias: true, topMultiplier: true });
    q.output(q.conv(q.pass('MaxPool', depthwise, [1, 6, 3, 2], { kernel_shape: [2, 2], strides: [1, 1] }), 3, [1, 1], {}, 'int8'));
    const rows = q.pass('Reshape', wide, [6, 42], {}, [{ name: 'rows_shape', shape: [2], dtype: 'int64', data: Float64Array.of(6, 42) }]);
    q.output(q.gemm(q.gemm(rows, 5, 'int16', { topMultiplier: true, bigBias: true }), 4, 'int8'));
    q.output(q.requantize(q.requantize(q.requantize(a, 'int16'), 'int16'), 'int8'));
    const graph = q.build();
    const reference = runInt8Reference(graph, q.inputValues());
    for (const name of graph.outputs) {
      expect(Array.from(reference[name]!.data as ArrayLike<number>), name).toEqual(Array.from(q.env.get(name)!.data as ArrayLike<number>));
    }
  });
});

/** eennc test on examples/fmnist with conv1 and fc1 held as int16, on Cortex-M3, with `extra` flags. */
function fmnistInt16(out: string, count: number, ...extra: string[]) {
  const fmnist = 'examples/fmnist';
  return eennc(
    'test',
    `${fmnist}/fmnist_cnn.onnx`,
    '--target',
    'cortex-m3',
    '--calib',
    `${fmnist}/calib_u8.npy`,
    '--calib-scale',
    '0.00392156862745098',
    '--calib-count',
    '64',
    '--data',
    `${fmnist}/test_inputs.npy`,
    '--scale',
    '0.00392156862745098',
    '--count',
    String(count),
    '--int16-layers',
    '/conv1/Conv,/fc1/Gemm',
    '-o',
    join(work, out),
    ...extra,
  );
}

describe('eennc test --int16-layers', () => {
  it('runs examples/fmnist with int16 layers bit for bit on Cortex-M3 (Armv7-M without DSP)', async () => {
    const r = await fmnistInt16('fmnist', 2);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/2 passed, 0 failed/);
    const model = readFileSync(join(work, 'fmnist', 'model.c'), 'utf8');
    expect(model).toContain('eenn_conv2d_s8_s16(');
    expect(model).toContain('eenn_fc_s16_s8(');
  }, 300_000);

  it('runs them in tasks of output channels with --intermittent, bit for bit', async () => {
    const r = await fmnistInt16('fmnist-intermittent', 1, '--intermittent', '--budget', '1000000');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/1 passed, 0 failed/);
    // conv2 reads the int16 output of conv1: more than one task computes it, each a block of its output channels.
    const tasks = readFileSync(join(work, 'fmnist-intermittent', 'model.c'), 'utf8').match(/eenn_conv2d_s16_s8\(/g) ?? [];
    expect(tasks.length).toBeGreaterThan(1);
  }, 300_000);
});
