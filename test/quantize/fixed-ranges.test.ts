// Functions with a known output range (Sigmoid, Tanh, Softmax, HardSigmoid, Clip with constant bounds) quantize
// their output over that range, not the calibrated one; a scale the model states itself still wins.

import { describe, expect, it } from 'vitest';
import { runReference } from '../../src/frontend/reference.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { scaleZeroOf, type ScaleZero } from '../../src/ir/int8.js';
import type { Range } from '../../src/quantize/calibrate.js';
import { fixedOutputQuant, MAX_CLIP_WIDENING, SOFTMAX_OUTPUT, SYMMETRIC_UNIT_OUTPUT, UNIT_INTERVAL_OUTPUT } from '../../src/quantize/fixed-ranges.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { chooseQuantParams, representableRange } from '../../src/quantize/quant-params.js';
import { buildGraph, type GraphSpec } from '../frontend/build-graph.js';

/** x [1, 2] -> Gemm (z = x[0]) -> `op` -> y: the activation sees the first input unchanged. */
function gemmThen(op: string, attrs: Record<string, number> = {}, bounds?: [number, number]): Graph {
  const spec: GraphSpec = {
    inputs: { x: ['float32', [1, 2]] },
    constants: { w: ['float32', [2, 1], [1, 0]], c: ['float32', [1], [0]] },
    nodes: [
      ['Gemm', ['x', 'w', 'c'], ['z'], {}, 'fc'],
      [op, bounds ? ['z', 'lo', 'hi'] : ['z'], ['y'], attrs, 'act'],
    ],
    outputs: ['y'],
  };
  if (bounds) spec.constants = { ...spec.constants, lo: ['float32', [], [bounds[0]]], hi: ['float32', [], [bounds[1]]] };
  return inferGraphShapes(buildGraph(spec)).graph;
}

/** Ranges as calibration data that never reached `y` beyond `yRange` gives them; x and z cover [-6, 6]. */
function rangesWith(yRange: Range): Map<string, Range> {
  return new Map([
    ['x', { min: -6, max: 6 }],
    ['z', { min: -6, max: 6 }],
    ['y', yRange],
  ]);
}

/** The float output y of `float` and the dequantized int8 one of `int8` at x = [x0, 0], from the same int8 input. */
function outputsAt(float: Graph, int8: Graph, x0: number): { want: number; got: number; q: ScaleZero } {
  const qx = scaleZeroOf(int8.tensors.get('x')!);
  const xq = Int8Array.from([x0, 0], (v) => Math.max(-128, Math.min(127, Math.round(v / qx.scale) + qx.zeroPoint)));
  // The float graph runs on the dequantized input, so that only the int8 arithmetic differs.
  const xf = Float32Array.from(xq, (v) => (v - qx.zeroPoint) * qx.scale);
  const want = (runReference(float, { x: { shape: [1, 2], dtype: 'float32', data: xf } })['y']!.data as Float32Array)[0]!;
  const yq = (runInt8Reference(int8, { x: { shape: [1, 2], dtype: 'int8', data: xq } })['y']!.data as Int8Array)[0]!;
  const q = scaleZeroOf(int8.tensors.get('y')!);
  return { want, got: (yq - q.zeroPoint) * q.scale, q };
}

const node = (op: string, inputs: string[] = ['z'], domain = ''): Node => ({ name: 'act', op, domain, inputs, outputs: ['y'], attrs: {} });

describe('fixedOutputQuant', () => {
  const graph = gemmThen('Clip', {}, [0, 6]);

  it('gives the TFLite output scales of Sigmoid, HardSigmoid, Softmax and Tanh', () => {
    expect(fixedOutputQuant(graph, node('Sigmoid'))).toEqual({ scale: 1 / 256, zeroPoint: -128 });
    expect(fixedOutputQuant(graph, node('HardSigmoid'))).toEqual(UNIT_INTERVAL_OUTPUT);
    expect(fixedOutputQuant(graph, node('Softmax'))).toEqual(SOFTMAX_OUTPUT);
    expect(fixedOutputQuant(graph, node('Tanh'))).toEqual({ scale: 1 / 128, zeroPoint: 0 });
    expect(SYMMETRIC_UNIT_OUTPUT).toEqual({ scale: 1 / 128, zeroPoint: 0 });
  });

  it('gives a Clip with constant bounds the range [lo, hi] itself', () => {
    expect(fixedOutputQuant(graph, graph.nodes[1]!)).toEqual(chooseQuantParams({ min: 0, max: 6 }));
    expect(representableRange(fixedOutputQuant(graph, graph.nodes[1]!)!)).toEqual({ min: 0, max: expect.closeTo(6, 5) });
  });

  it('keeps the calibrated range (held within the bounds) of a Clip far wider than its data', () => {
    const loose = gemmThen('Clip', {}, [-1e4, 1e4]);
    expect(fixedOutputQuant(loose, loose.nodes[1]!, { min: -3, max: 3 })).toEqual(chooseQuantParams({ min: -3, max: 3 }));
    const nonNegative = gemmThen('Clip', {}, [0, 1e4]);
    expect(fixedOutputQuant(nonNegative, nonNegative.nodes[1]!, { min: -3, max: 3 })).toEqual(chooseQuantParams({ min: 0, max: 3 }));
    // Relu6 over data up to 2: three times as wide, within MAX_CLIP_WIDENING, so [0, 6].
    expect(fixedOutputQuant(graph, graph.nodes[1]!, { min: 0, max: 2 })).toEqual(chooseQuantParams({ min: 0, max: 6 }));
    expect(6 / 2).toBeLessThanOrEqual(MAX_CLIP_WIDENING);
  });

  it('leaves data-dependent outputs to calibration', () => {
    expect(fixedOutputQuant(graph, node('Relu'))).toBeUndefined();
    expect(fixedOutputQuant(graph, node('Sigmoid', ['z'], 'com.example'))).toBeUndefined();
    // A Clip open on one side, one with a bound computed at run time, one with lo > hi.
    expect(fixedOutputQuant(graph, node('Clip', ['z', 'lo']))).toBeUndefined();
    expect(fixedOutputQuant(graph, node('Clip', ['z', 'lo', 'z']))).toBeUndefined();
    expect(fixedOutputQuant(gemmThen('Clip', {}, [6, 0]), node('Clip', ['z', 'lo', 'hi']))).toBeUndefined();
  });
});

describe('quantizeGraph with functions of known output range', () => {
  it('does not clip a Sigmoid score above the calibrated range (0.891 stays 0.891)', () => {
    const float = gemmThen('Sigmoid');
    // Calibration saw scores up to 0.37 only; a score of 0.891 would be clipped to it.
    const calibrated = rangesWith({ min: 0, max: 0.37 });
    expect(representableRange(chooseQuantParams(calibrated.get('y')!)).max).toBeLessThan(0.4);
    const { want, got, q } = outputsAt(float, quantizeGraph(float, { ranges: calibrated }), 2.1);
    expect(q).toEqual(UNIT_INTERVAL_OUTPUT);
    expect(want).toBeCloseTo(0.891, 2);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(q.scale);
  });

  it('does not clip a Tanh below the calibrated range', () => {
    const float = gemmThen('Tanh');
    const { want, got, q } = outputsAt(float, quantizeGraph(float, { ranges: rangesWith({ min: -0.3, max: 0.3 }) }), -2);
    expect(q).toEqual(SYMMETRIC_UNIT_OUTPUT);
    expect(want).toBeCloseTo(-0.964, 2);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(q.scale);
  });

  it('does not clip a HardSigmoid above the calibrated range', () => {
    const float = gemmThen('HardSigmoid');
    const { want, got, q } = outputsAt(float, quantizeGraph(float, { ranges: rangesWith({ min: 0, max: 0.3 }) }), 1.5);
    expect(q).toEqual(UNIT_INTERVAL_OUTPUT);
    expect(want).toBeCloseTo(0.8, 2);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(q.scale);
  });

  it('quantizes a Relu6 (Clip(0, 6)) folded into its Gemm over [0, 6], not the calibrated [0, 2]', () => {
    const float = gemmThen('Clip', {}, [0, 6]);
    const int8 = quantizeGraph(float, { ranges: rangesWith({ min: 0, max: 2 }) });
    expect(int8.nodes.map((n) => n.op)).toEqual(['QGemm']);
    const { want, got, q } = outputsAt(float, int8, 5);
    expect(q).toEqual(chooseQuantParams({ min: 0, max: 6 }));
    expect(want).toBeCloseTo(5, 1);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(q.scale);
  });

  it('calibrates a Clip open on one side', () => {
    const float = inferGraphShapes(
      buildGraph({
        inputs: { x: ['float32', [1, 2]] },
        constants: { w: ['float32', [2, 1], [1, 0]], c: ['float32', [1], [0]], lo: ['float32', [], [0]] },
        nodes: [
          ['Gemm', ['x', 'w', 'c'], ['z'], {}, 'fc'],
          ['Clip', ['z', 'lo'], ['y'], {}, 'act'],
        ],
        outputs: ['y'],
      }),
    ).graph;
    const int8 = quantizeGraph(float, { ranges: rangesWith({ min: 0, max: 2 }) });
    expect(scaleZeroOf(int8.tensors.get('y')!)).toEqual(chooseQuantParams({ min: 0, max: 2 }));
  });

  it('keeps the scale a model states itself for a Sigmoid output', () => {
    const float = gemmThen('Sigmoid');
    const own: ScaleZero = { scale: Math.fround(1 / 200), zeroPoint: -100 };
    const overrides = { activations: new Map([['y', own]]), weights: new Map() };
    const int8 = quantizeGraph(float, { ranges: rangesWith({ min: 0, max: 0.37 }), overrides });
    expect(scaleZeroOf(int8.tensors.get('y')!)).toEqual(own);
  });

  it('needs no calibrated range for a Sigmoid output', () => {
    const float = gemmThen('Sigmoid');
    const ranges = rangesWith({ min: 0, max: 1 });
    ranges.delete('y');
    expect(scaleZeroOf(quantizeGraph(float, { ranges }).tensors.get('y')!)).toEqual(UNIT_INTERVAL_OUTPUT);
  });
});
