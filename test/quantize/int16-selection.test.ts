// int16 activations where a layer needs them: the quantize stage's int16 form (int16 tensors, int64 bias, the
// QRequantize before a reader without an int16 form), the int16 reference on a model whose int8 form collapses,
// and --int16-layers auto / NAMES (src/int16-selection.ts).

import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { importWithOwnQuantization } from '../../src/compile.js';
import { readSamples } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/evaluate.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { INT16_MAC_BUDGET, selectInt16 } from '../../src/int16-selection.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import { INT8_DOMAIN } from '../../src/ir/int8.js';
import { nodeMacs } from '../../src/ops/macs.js';
import { postTrainingQuantize } from '../../src/post-training.js';
import type { Range } from '../../src/quantize/calibrate.js';
import { noOverrides } from '../../src/quantize/overrides.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { NO_TECHNIQUES, type Int16Layers } from '../../src/quantize/techniques.js';
import { LOW_SQNR_DB } from '../../src/sqnr-warnings.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';

/** How much larger the big channel of conv1 is than the others: far beyond int8's 255 steps, well within int16's. */
const HUGE = 400;

/**
 * x -> conv1 (3x3, 4 channels: channel 0 HUGE times the others) -> Relu -> MaxPool -> conv2 (1x1, reads only
 * channels 1..3) -> y. In int8 the small channels of conv1's output round to a step or two of the huge one's
 * scale, so y is noise; held as int16 they keep their resolution. Beside it x -> wide (3x3, 32 channels) -> z, a
 * healthy int8 layer with most of the model's MACs (so that conv1 and conv2 fit the int16 budget) when it has
 * `wideChannels` 32. `sigmoid`: a
 * third output, Sigmoid of the pooled tensor (an operator without an int16 form).
 */
function collapsingModel(sigmoid = false, wideChannels = 32): Graph {
  const w1 = randomFloats(4 * 2 * 9, 3);
  for (let i = 0; i < 18; i++) w1[i] = w1[i]! * HUGE;
  const w2 = randomFloats(2 * 4, 5);
  w2[0] = 0;
  w2[4] = 0;
  return inferGraphShapes(
    buildGraph({
      inputs: { x: ['float32', [1, 2, 8, 8]] },
      constants: {
        w1: ['float32', [4, 2, 3, 3], w1],
        b1: ['float32', [4], [0.5, 0.1, 0.2, 0.1]],
        w2: ['float32', [2, 4, 1, 1], w2],
        w3: ['float32', [wideChannels, 2, 3, 3], randomFloats(wideChannels * 2 * 9, 7)],
      },
      nodes: [
        ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv1'],
        ['Relu', ['c1'], ['r1'], {}, 'relu1'],
        ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'],
        ['Conv', ['p1', 'w2'], ['y'], {}, 'conv2'],
        ['Conv', ['x', 'w3'], ['z'], { pads: [1, 1, 1, 1] }, 'wide'],
        ...(sigmoid ? ([['Sigmoid', ['p1'], ['s'], {}, 'sigmoid']] as const) : []),
      ].map((n) => [...n] as [string, string[], string[], Record<string, never>, string]),
      outputs: sigmoid ? ['y', 'z', 's'] : ['y', 'z'],
    }),
  ).graph;
}

const samplesOf = (graph: Graph, count: number, seed: number): Float32Array[] => {
  const size = graph.tensors.get(graph.inputs[0]!)!.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) => randomFloats(size, seed + i));
};

async function rangesOf(graph: Graph, samples: Float32Array[]): Promise<Map<string, Range>> {
  return calibrate(graph, samples, { method: 'minmax', workers: 1 });
}

/** SQNR (dB) of tensor `name` of quantized `int8` against `float` on `samples`. */
function sqnrOf(float: Graph, int8: Graph, samples: Float32Array[], name: string): number {
  const layers = evaluateAccuracy(float, int8, samples, new Int32Array(samples.length), { sqnrSamples: samples.length }).layers;
  const layer = layers.find((l) => l.tensor === name);
  if (!layer) throw new Error(`no SQNR for ${name}`);
  return layer.sqnrDb;
}

async function quantizeWith(graph: Graph, samples: Float32Array[], int16Layers: Int16Layers) {
  return postTrainingQuantize(graph, samples, {
    method: 'minmax',
    techniques: { ...NO_TECHNIQUES, int16Layers },
    overrides: noOverrides(),
    io: 'int8',
  });
}

describe('the quantize stage with int16 tensors', () => {
  it('holds the named tensors int16 through MaxPool, gives their readers an int64 bias and requantizes for a reader without an int16 form', async () => {
    const graph = collapsingModel(true);
    const samples = samplesOf(graph, 8, 1);
    const q = quantizeGraph(graph, { ranges: await rangesOf(graph, samples), int16: new Set(['r1']) });
    expect(q.tensors.get('r1')!.dtype).toBe('int16');
    expect(q.tensors.get('r1')!.quant!.zeroPoint[0]).toBe(0);
    expect(q.tensors.get('p1')!.dtype).toBe('int16');
    const conv1 = q.nodes.find((n) => n.name === 'conv1')!;
    expect(conv1.op).toBe('QConv');
    expect(conv1.outputs).toEqual(['r1']);
    expect(conv1.attrs['act_min']).toBe(0); // the fused Relu clamps in int16
    expect(conv1.attrs['act_max']).toBe(32767);
    expect(q.tensors.get(conv1.inputs[2]!)!.dtype).toBe('int32'); // an int8 input keeps the int32 bias
    const conv2 = q.nodes.find((n) => n.name === 'conv2')!;
    expect(conv2.inputs[0]).toBe('p1');
    expect(q.tensors.get(conv2.inputs[2]!)!.dtype).toBe('int64');
    expect(q.tensors.get(conv2.inputs[2]!)!.data).toBeInstanceOf(Float64Array);
    expect(q.tensors.get('y')!.dtype).toBe('int8');
    const requantize = q.nodes.filter((n) => n.op === 'QRequantize' && n.domain === INT8_DOMAIN);
    expect(requantize).toHaveLength(1);
    expect(requantize[0]!.inputs).toEqual(['p1']);
    const lut = q.nodes.find((n) => n.name === 'sigmoid')!;
    expect(lut.inputs[0]).toBe(requantize[0]!.outputs[0]);
    expect(q.tensors.get(lut.inputs[0]!)!.dtype).toBe('int8');
    for (const name of q.outputs) expect(q.tensors.get(name)!.dtype).toBe('int8');
  });

  it('never holds a model output as int16, with --io float32 too', async () => {
    const graph = collapsingModel();
    const samples = samplesOf(graph, 4, 1);
    const ranges = await rangesOf(graph, samples);
    for (const io of ['int8', 'float32'] as const) {
      const q = quantizeGraph(graph, { ranges, io, int16: new Set(['r1', 'y']) });
      expect(q.tensors.get('r1')!.dtype).toBe('int16');
      expect([...q.tensors.values()].filter((t) => t.dtype === 'int16').map((t) => t.name)).toEqual(['r1', 'p1']);
      for (const name of q.outputs) expect(q.tensors.get(name)!.dtype).toBe(io);
    }
  });

  it('requantizes to int8 a model output that an int16 MaxPool writes and a Sigmoid reads, and runs it', async () => {
    const graph = inferGraphShapes(
      buildGraph({
        inputs: { x: ['float32', [1, 2, 4, 4]] },
        constants: { w: ['float32', [3, 2, 3, 3], randomFloats(54, 4)] },
        nodes: [
          ['Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'],
          ['Relu', ['c'], ['r'], {}, 'relu'],
          ['MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'],
          ['Sigmoid', ['p'], ['s'], {}, 'sigmoid'],
        ],
        outputs: ['p', 's'],
      }),
    ).graph;
    const samples = samplesOf(graph, 4, 1);
    for (const io of ['int8', 'float32'] as const) {
      const q = quantizeGraph(graph, { ranges: await rangesOf(graph, samples), io, int16: new Set(['r']) });
      expect(q.tensors.get('r')!.dtype).toBe('int16');
      expect(q.outputs).toEqual(['p', 's']);
      expect(q.tensors.get('p')!.dtype).toBe(io);
      const narrow = q.nodes.filter((n) => n.op === 'QRequantize');
      expect(narrow).toHaveLength(2); // one for the Sigmoid, one for the model output
      for (const n of narrow) {
        expect(q.tensors.get(n.inputs[0]!)!.dtype).toBe('int16');
        expect(q.tensors.get(n.outputs[0]!)!.dtype).toBe('int8');
      }
      expect(new Set(q.nodes.map((n) => n.name)).size).toBe(q.nodes.length);
      expect(sqnrOf(graph, q, samples, io === 'int8' ? 'p' : 'r')).toBeGreaterThan(LOW_SQNR_DB);
    }
  });

  it('passes int16 through Flatten to a fully connected layer with an int64 bias, and keeps the float answer', async () => {
    const graph = inferGraphShapes(
      buildGraph({
        inputs: { x: ['float32', [1, 2, 4, 4]] },
        constants: {
          w: ['float32', [3, 2, 3, 3], randomFloats(54, 4)],
          fc: ['float32', [5, 48], randomFloats(240, 8)],
          fcb: ['float32', [5], [0.3, -0.2, 0.1, 0, 0.5]],
        },
        nodes: [
          ['Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'],
          ['Clip', ['c'], ['r'], { min: 0, max: 2 }, 'clip'],
          ['Flatten', ['r'], ['f'], {}, 'flatten'],
          ['Gemm', ['f', 'fc', 'fcb'], ['h'], { transB: 1 }, 'fc'],
          ['Relu', ['h'], ['y'], {}, 'relu'],
        ],
        outputs: ['y'],
        opset: 10,
      }),
    ).graph;
    const samples = samplesOf(graph, 8, 3);
    const q = quantizeGraph(graph, { ranges: await rangesOf(graph, samples), int16: new Set(['r']) });
    expect(q.tensors.get('r')!.dtype).toBe('int16');
    expect(q.tensors.get('f')!.dtype).toBe('int16');
    const conv = q.nodes.find((n) => n.name === 'conv')!;
    const scale = q.tensors.get('r')!.quant!.scale[0]!;
    expect(conv.attrs['act_min']).toBe(0); // Clip(0, 2) clamps in int16
    expect(conv.attrs['act_max']).toBe(Math.min(32767, Math.round(2 / scale)));
    const fc = q.nodes.find((n) => n.name === 'fc')!;
    expect(fc.op).toBe('QGemm');
    expect(fc.inputs[0]).toBe('f');
    expect(q.tensors.get(fc.inputs[2]!)!.dtype).toBe('int64');
    expect(q.tensors.get('y')!.dtype).toBe('int8');
    expect(sqnrOf(graph, q, samples, 'y')).toBeGreaterThan(30);
  });

  it('refuses an int16 input whose layer needs a requantization shift above 14, naming the layer', async () => {
    const graph = collapsingModel();
    const samples = samplesOf(graph, 4, 1);
    const ranges = await rangesOf(graph, samples);
    // An output range 2^22 times narrower: int8 can still requantize to it (shift <= 30), int16's s64 cannot.
    const y = ranges.get('y')!;
    const narrow = new Map(ranges).set('y', { min: y.min * 2 ** -22, max: y.max * 2 ** -22 });
    expect(() => quantizeGraph(graph, { ranges: narrow })).not.toThrow();
    let error: unknown;
    try {
      quantizeGraph(graph, { ranges: narrow, int16: new Set(['r1']) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EennError);
    expect((error as EennError).code).toBe('E_USAGE');
    expect((error as EennError).node?.name).toBe('conv2');
    expect((error as EennError).message).toMatch(/needs shift \d+, and int16 layers take at most 14/);
  });
});

describe('--int16-layers', () => {
  it('auto holds the collapsed tensor int16 and lifts the output SQNR by 15 dB or more', async () => {
    const graph = collapsingModel();
    const calibration = samplesOf(graph, 16, 1);
    const held = samplesOf(graph, 8, 100);
    const int8 = await quantizeWith(graph, calibration, { kind: 'none' });
    const auto = await quantizeWith(graph, calibration, { kind: 'auto' });
    const before = sqnrOf(graph, int8.graph, held, 'y');
    const after = sqnrOf(graph, auto.graph, held, 'y');
    expect(before).toBeLessThan(LOW_SQNR_DB); // the model collapses in int8: without int16 this test fails
    expect(after - before).toBeGreaterThanOrEqual(15);
    expect(auto.graph.tensors.get('r1')!.dtype).toBe('int16');
    expect(auto.graph.tensors.get('y')!.dtype).toBe('int8');
    expect(auto.notes).toHaveLength(1);
    expect(auto.notes[0]).toMatch(/^int16: conv1 \(SQNR -?\d+\.\d dB in int8, \d+\.\d dB in int16, at "y"\)$/);
  });

  it('auto leaves the collapsed layer int8 when its int16 layers would take more than INT16_MAC_BUDGET of the MACs', async () => {
    const graph = collapsingModel(false, 2);
    const macs = (name: string) =>
      nodeMacs(
        graph,
        graph.nodes.find((n) => n.name === name)!,
      );
    const total = graph.nodes.reduce((sum, n) => sum + nodeMacs(graph, n), 0);
    expect((macs('conv1') + macs('conv2')) / total).toBeGreaterThan(INT16_MAC_BUDGET);
    const auto = await quantizeWith(graph, samplesOf(graph, 16, 1), { kind: 'auto' });
    expect([...auto.graph.tensors.values()].filter((t) => t.dtype === 'int16')).toEqual([]);
    expect(auto.notes).toHaveLength(1);
    expect(auto.notes[0]).toMatch(/^int16: not conv1 \(SQNR -?\d+\.\d dB in int8; over the int16 budget of MACs or flash\)$/);
  });

  it("NAMES holds the named layer's output int16, and only it", async () => {
    const graph = collapsingModel();
    const samples = samplesOf(graph, 8, 1);
    const named = await quantizeWith(graph, samples, { kind: 'names', names: ['conv1'] });
    const wide = [...named.graph.tensors.values()].filter((t) => t.dtype === 'int16').map((t) => t.name);
    expect(wide).toEqual(['r1', 'p1']);
    expect(named.notes.some((n) => n.startsWith('int16: conv1 '))).toBe(true);
  });

  it('refuses an unknown name, listing the layers that can take int16', async () => {
    const graph = collapsingModel();
    const samples = samplesOf(graph, 4, 1);
    const ranges = await rangesOf(graph, samples);
    const select = (names: string[]) =>
      selectInt16(graph, samples, { ranges, overrides: noOverrides(), io: 'int8', request: { kind: 'names', names } });
    for (const [names, says] of [
      [['conv9'], /--int16-layers names "conv9", which is no node of the model/],
      [['pool1'], /not a Conv, Gemm or MatMul/],
      [['conv2'], /writes a model output/],
    ] as const) {
      let error: unknown;
      try {
        select([...names]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(EennError);
      expect((error as EennError).code).toBe('E_USAGE');
      expect((error as EennError).message).toMatch(says);
      expect((error as EennError).details).toEqual(['the layers that can take int16: conv1']);
    }
  });

  it('auto picks nothing on examples/fmnist (every tensor is above 20 dB), so the graph is unchanged', async () => {
    const graph = importWithOwnQuantization('examples/fmnist/fmnist_cnn.onnx').graph;
    const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    const read = readSamples('examples/fmnist/calib_u8.npy', shape, { count: 16, scale: 1 / 255, requireFinite: true });
    const samples = Array.from({ length: read.count }, (_, i) => read.data.slice(i * size, (i + 1) * size));
    const none = await quantizeWith(graph, samples, { kind: 'none' });
    const auto = await quantizeWith(graph, samples, { kind: 'auto' });
    expect(auto.notes).toEqual(['int16: auto found no layer output below 20 dB SQNR in int8; all stay int8']);
    expect(auto.graph.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs])).toEqual(
      none.graph.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs]),
    );
    expect([...auto.graph.tensors.values()].map((t) => t.dtype)).toEqual([...none.graph.tensors.values()].map((t) => t.dtype));
  });
});
