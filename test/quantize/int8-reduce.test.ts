// The int8 reductions and LayerNorm of the quantize stage: ReduceMean / ReduceSum over any axes become QReduce,
// ReduceMax / ReduceMin pass through, LayerNormalization and its decomposed form become one QLayerNorm; the int8
// reference stays close to the float reference.

import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { isqrtU64, normalizeRowQ20 } from '../../src/quantize/int8/reduce.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';
import { decomposedLayerNormModel, layerNormModel } from '../codegen/layer-norm-models.js';

function shaped(spec: GraphSpec | Graph): Graph {
  return inferGraphShapes('nodes' in spec && 'tensors' in spec ? spec : buildGraph(spec)).graph;
}

async function quantized(graph: Graph): Promise<Graph> {
  const size = graph.tensors.get(graph.inputs[0]!)!.shape.reduce((a, b) => a * b, 1);
  const samples = [1, 2, 3, 4].map((seed) => Float32Array.from(randomFloats(size, seed), (v) => 2 * v));
  const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
  return quantizeGraph(graph, { ranges });
}

/** The int8 reference's output `name`, dequantized, against the float reference's, on the first calibration input. */
function errors(float: Graph, int8: Graph, name: string): { maxError: number; step: number; sqnr: number } {
  const shape = float.tensors.get('x')!.shape;
  const input = Float32Array.from(randomFloats(shape.reduce((a, b) => a * b, 1), 1), (v) => 2 * v);
  const want = runReference(float, { x: { shape, dtype: 'float32', data: input } })[name]!.data as Float32Array;
  const qx = scaleZeroOf(int8.tensors.get('x')!);
  const xq = Int8Array.from(input, (v) => Math.max(-128, Math.min(127, Math.round(v / qx.scale) + qx.zeroPoint)));
  const got = runInt8Reference(int8, { x: { shape, dtype: 'int8', data: xq } })[name]!.data as Int8Array;
  const qy = scaleZeroOf(int8.tensors.get(name)!);
  let maxError = 0;
  let signal = 0;
  let noise = 0;
  got.forEach((v, i) => {
    const e = (v - qy.zeroPoint) * qy.scale - want[i]!;
    maxError = Math.max(maxError, Math.abs(e));
    signal += want[i]! ** 2;
    noise += e * e;
  });
  return { maxError, step: qy.scale, sqnr: 10 * Math.log10(signal / noise) };
}

describe('int8 reductions', () => {
  const spec = (op: string, axes: number[] | undefined, keepdims: number): GraphSpec => ({
    inputs: { x: ['float32', [2, 3, 4, 5]] },
    nodes: [[op, ['x'], ['r'], axes ? { axes, keepdims } : { keepdims }, 'reduce']],
    outputs: ['r'],
  });

  for (const [op, axes, keepdims] of [
    ['ReduceMean', [-1], 1],
    ['ReduceMean', [1], 0],
    ['ReduceMean', [0, 2], 1],
    ['ReduceMean', undefined, 0],
    ['ReduceSum', [1, 3], 0],
  ] as const) {
    it(`${op} over axes ${axes ? `[${axes.join(', ')}]` : 'all'}, keepdims ${keepdims}: QReduce within a step of float`, async () => {
      const float = shaped(spec(op, axes ? [...axes] : undefined, keepdims));
      const g = await quantized(float);
      expect(g.nodes.map((n) => n.op)).toEqual(['QReduce']);
      expect(g.tensors.get('r')!.shape).toEqual(float.tensors.get('r')!.shape);
      const { maxError, step } = errors(float, g, 'r');
      // The input's rounding (half a step of x per element) averages out; the output rounds to its own step.
      expect(maxError).toBeLessThanOrEqual(1.01 * step + scaleZeroOf(g.tensors.get('x')!).scale / 2);
    });
  }

  for (const op of ['ReduceMax', 'ReduceMin']) {
    it(`${op} passes through on int8 values with the input's scale`, async () => {
      const float = shaped(spec(op, [1, 3], 1));
      const g = await quantized(float);
      expect(g.nodes.map((n) => n.op)).toEqual([op]);
      expect(scaleZeroOf(g.tensors.get('r')!)).toEqual(scaleZeroOf(g.tensors.get('x')!));
      const { maxError, step } = errors(float, g, 'r');
      expect(maxError).toBeLessThanOrEqual(step / 2 + 1e-7);
    });
  }
});

describe('int8 LayerNorm', () => {
  it('integer square root and the Q20 row normalization', () => {
    expect([0n, 1n, 3n, 4n, 99n, 100n, (1n << 62n) - 1n].map(isqrtU64)).toEqual([0n, 1n, 1n, 2n, 9n, 10n, (1n << 31n) - 1n]);
    const z = new Int32Array(4);
    normalizeRowQ20(Int32Array.of(1, 3, 5, 7), 0, z); // mean 4, variance 5
    const expected = [-3, -1, 1, 3].map((d) => (d / Math.sqrt(5)) * 2 ** 20);
    z.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1));
    normalizeRowQ20(Int32Array.of(-7, -7, -7, -7), 0, z); // a constant row without epsilon: 0, no division by 0
    expect(Array.from(z)).toEqual([0, 0, 0, 0]);
    normalizeRowQ20(Int32Array.of(0, 2), 16, z.subarray(0, 2)); // epsilon_q 16 = 2^2 * 4: variance 1 + epsilon 4
    expect(Array.from(z.subarray(0, 2))).toEqual([-(2 ** 20) / Math.sqrt(5), 2 ** 20 / Math.sqrt(5)].map(Math.round));
  });

  it('LayerNormalization and the decomposed form exported before opset 17 become the same QLayerNorm', async () => {
    const withNorm = (g: Graph) => {
      g.outputs.push('norm');
      return shaped(g);
    };
    const direct = withNorm(layerNormModel());
    const decomposed = withNorm(decomposedLayerNormModel());
    const a = await quantized(direct);
    const b = await quantized(decomposed);
    expect(a.nodes.map((n) => n.op)).toEqual(['QGemm', 'QAdd', 'QLayerNorm', 'QReduce', 'QGemm', 'ReduceMax']);
    expect(b.nodes.map((n) => n.op)).toEqual(a.nodes.map((n) => n.op));
    const attrs = (g: Graph) => g.nodes.find((n) => n.op === 'QLayerNorm')!.attrs;
    expect(attrs(b)).toEqual(attrs(a));
    // The negative Scale entry keeps its sign in the multiplier.
    expect((attrs(a)['multiplier'] as number[])[7]).toBeLessThan(0);
    const { sqnr } = errors(direct, a, 'norm');
    expect(sqnr).toBeGreaterThan(30);
  });

  it('leaves a ReduceMean whose pattern is incomplete to QReduce (here the Div has no int8 form)', async () => {
    const graph = decomposedLayerNormModel();
    graph.outputs.push('centered'); // the centered values are also a model output: not a LayerNorm of its own
    const error = (await quantized(shaped(graph)).catch((e: unknown) => e)) as EennError;
    expect(error).toBeInstanceOf(EennError);
    expect(error.details!.join('\n')).toMatch(/"norm_div" \(Div\): int8 Div needs a constant divisor/);
  });
});
