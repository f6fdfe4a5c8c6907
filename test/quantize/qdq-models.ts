// Small quantized models built in code for the QDQ import tests, in the forms onnxruntime's quantize_static
// (QDQ and QOperator formats) and PyTorch's ONNX export write: a Conv -> Relu -> MaxPool -> Flatten -> Gemm
// network with seeded weights, its float twin for calibration, and a graph builder for one-off patterns.

import type { AttrValue, DType, Graph, Node, Tensor } from '../../src/ir/graph.js';
import type { ScaleZero } from '../../src/ir/int8.js';
import { runReference } from '../../src/frontend/reference.js';
import type { Value } from '../../src/ops/types.js';
import { Random } from './random.js';

/** Builds a Graph node by node; node outputs get placeholder tensors as loadModel gives them. */
export class ModelBuilder {
  readonly tensors = new Map<string, Tensor>();
  readonly nodes: Node[] = [];
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];

  input(name: string, shape: number[], dtype: DType = 'float32'): string {
    this.tensors.set(name, { name, shape, dtype });
    this.inputs.push(name);
    return name;
  }

  constant(name: string, dtype: DType, shape: number[], values: ArrayLike<number>): string {
    const data =
      dtype === 'float32'
        ? Float32Array.from(values)
        : dtype === 'int8'
          ? Int8Array.from(values)
          : dtype === 'uint8'
            ? Uint8Array.from(values)
            : dtype === 'int16'
              ? Int16Array.from(values)
              : dtype === 'int32'
                ? Int32Array.from(values)
                : Float64Array.from(values);
    this.tensors.set(name, { name, shape, dtype, data });
    return name;
  }

  /** A float32 scale: a scalar, or a vector of per-channel scales. */
  scale(name: string, values: number | ArrayLike<number>): string {
    return typeof values === 'number' ? this.constant(name, 'float32', [], [values]) : this.constant(name, 'float32', [values.length], values);
  }

  zeroPoint(name: string, dtype: DType, values: number | ArrayLike<number>): string {
    return typeof values === 'number' ? this.constant(name, dtype, [], [values]) : this.constant(name, dtype, [values.length], values);
  }

  node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain = '', name?: string): Node {
    const node: Node = { name: name ?? `${op}_${this.nodes.length}`, op, domain, inputs, outputs, attrs };
    this.nodes.push(node);
    for (const o of outputs) if (!this.tensors.has(o)) this.tensors.set(o, { name: o, shape: [], dtype: 'float32' });
    return node;
  }

  /** x -> QuantizeLinear -> DequantizeLinear, per tensor; returns the DequantizeLinear output. */
  qdq(x: string, q: ActivationParams, prefix = x): string {
    const s = this.scale(`${prefix}_scale`, q.scale);
    const zp = this.zeroPoint(`${prefix}_zero_point`, q.dtype, q.zeroPoint);
    this.node('QuantizeLinear', [x, s, zp], [`${prefix}_quantized`], {}, '', `${prefix}_QuantizeLinear`);
    this.node('DequantizeLinear', [`${prefix}_quantized`, s, zp], [`${prefix}_dequantized`], {}, '', `${prefix}_DequantizeLinear`);
    return `${prefix}_dequantized`;
  }

  /** DequantizeLinear(integer initializer) with per-channel scales along `axis`; returns its output. */
  dequantized(name: string, dtype: DType, shape: number[], q: ArrayLike<number>, scales: ArrayLike<number>, axis = 0): string {
    this.constant(`${name}_quantized`, dtype, shape, q);
    const s = this.scale(`${name}_scale`, scales.length === 1 ? scales[0]! : scales);
    const zp = this.zeroPoint(`${name}_zero_point`, dtype, scales.length === 1 ? 0 : new Array<number>(scales.length).fill(0));
    this.node('DequantizeLinear', [`${name}_quantized`, s, zp], [name], scales.length === 1 ? {} : { axis }, '', `${name}_DequantizeLinear`);
    return name;
  }

  graph(opset = 13): Graph {
    return { name: 'qdq', opset, tensors: new Map(this.tensors), nodes: [...this.nodes], inputs: [...this.inputs], outputs: [...this.outputs] };
  }
}

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  dtype: 'int8' | 'uint8';
}

/** round half to even, as numpy.rint (onnxruntime's quantizer) and QuantizeLinear round. */
export function rint(x: number): number {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0: never -0
}

/** onnxruntime's compute_scale_zp: the range widened to contain 0, scale (max - min) / 255, zp = rint(qmin - min / scale). */
export function activationParams(range: { min: number; max: number }, dtype: 'int8' | 'uint8'): ActivationParams {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const qmin = dtype === 'uint8' ? 0 : -128;
  const scale = Math.fround((max - min) / 255);
  const zeroPoint = Math.max(qmin, Math.min(qmin + 255, rint(qmin - min / scale)));
  return { scale, zeroPoint, dtype };
}

/** Symmetric per-channel int8 weights as onnxruntime writes them: scale max|w| / 127, q = rint(w / scale). */
export function symmetricWeights(w: Float32Array, channels: number): { q: Int8Array; scales: Float32Array } {
  const inner = w.length / channels;
  const scales = new Float32Array(channels);
  const q = new Int8Array(w.length);
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let k = 0; k < inner; k++) maxAbs = Math.max(maxAbs, Math.abs(w[c * inner + k]!));
    scales[c] = Math.fround(maxAbs / 127);
    for (let k = 0; k < inner; k++) q[c * inner + k] = Math.max(-127, Math.min(127, rint(Math.fround(w[c * inner + k]! / scales[c]!))));
  }
  return { q, scales };
}

/** DequantizeLinear in float32, as onnxruntime computes it. */
export function dequantize(q: number, scale: number, zeroPoint = 0): number {
  return Math.fround(Math.fround(q - zeroPoint) * scale);
}

// ---- the Conv -> Relu -> MaxPool -> Flatten -> Gemm network ----

export const CNN_INPUT = [1, 2, 8, 8];
const CONV_OUT = 4;
const FC_OUT = 5;
const FC_IN = CONV_OUT * 4 * 4;

export interface CnnWeights {
  conv: Float32Array;
  convBias: Float32Array;
  fc: Float32Array;
  fcBias: Float32Array;
}

export function cnnWeights(seed: number): CnnWeights {
  const rng = new Random(seed);
  const uniform = (n: number, spread: number) => Float32Array.from({ length: n }, () => rng.uniform(-spread, spread));
  return { conv: uniform(CONV_OUT * 2 * 9, 0.5), convBias: uniform(CONV_OUT, 0.2), fc: uniform(FC_OUT * FC_IN, 0.3), fcBias: uniform(FC_OUT, 0.1) };
}

/** Inputs in [-1, 1) from a seeded generator. */
export function cnnInputs(count: number, seed: number): Float32Array[] {
  const rng = new Random(seed);
  const size = CNN_INPUT.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => rng.uniform(-1, 1)));
}

/** The float network the quantized forms stand for. */
export function floatCnn(w: CnnWeights): Graph {
  const b = new ModelBuilder();
  b.input('x', CNN_INPUT);
  b.constant('conv.weight', 'float32', [CONV_OUT, 2, 3, 3], w.conv);
  b.constant('conv.bias', 'float32', [CONV_OUT], w.convBias);
  b.constant('fc.weight', 'float32', [FC_OUT, FC_IN], w.fc);
  b.constant('fc.bias', 'float32', [FC_OUT], w.fcBias);
  b.node('Conv', ['x', 'conv.weight', 'conv.bias'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  b.node('Relu', ['conv'], ['relu']);
  b.node('MaxPool', ['relu'], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] });
  b.node('Flatten', ['pool'], ['flat'], { axis: 1 });
  b.node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['y'], { transB: 1 });
  b.outputs.push('y');
  const g = b.graph();
  for (const [name, shape] of [
    ['conv', [1, 4, 8, 8]],
    ['relu', [1, 4, 8, 8]],
    ['pool', [1, 4, 4, 4]],
    ['flat', [1, FC_IN]],
    ['y', [1, FC_OUT]],
  ] as const) {
    g.tensors.set(name, { name, shape: [...shape], dtype: 'float32' });
  }
  return g;
}

export type Ranges = Map<string, { min: number; max: number }>;

/** Min and max of every tensor of the float network over `inputs` (what quantize_static's MinMax calibration sees). */
export function calibrateCnn(w: CnnWeights, inputs: Float32Array[]): Ranges {
  const graph = floatCnn(w);
  const ranges: Ranges = new Map();
  for (const data of inputs) {
    runReference(
      graph,
      { x: { shape: CNN_INPUT, dtype: 'float32', data } },
      {
        onTensor: (name: string, value: Value) => {
          const r = ranges.get(name) ?? { min: Infinity, max: -Infinity };
          for (const v of value.data as Float32Array) {
            r.min = Math.min(r.min, v);
            r.max = Math.max(r.max, v);
          }
          ranges.set(name, r);
        },
      },
    );
  }
  return ranges;
}

export interface QuantizedCnn {
  graph: Graph;
  /** Activation parameters by the float tensor they quantize (x, relu, pool, flat, y). */
  params: Record<'x' | 'relu' | 'pool' | 'y', ActivationParams>;
  conv: { q: Int8Array; scales: Float32Array; bias: Int32Array };
  fc: { q: Int8Array; scales: Float32Array; bias: Int32Array };
}

function quantizeCnn(w: CnnWeights, ranges: Ranges, dtype: 'int8' | 'uint8') {
  const params = {
    x: activationParams(ranges.get('x')!, dtype),
    relu: activationParams(ranges.get('relu')!, dtype),
    pool: activationParams(ranges.get('relu')!, dtype),
    y: activationParams(ranges.get('y')!, dtype),
  };
  const conv = symmetricWeights(w.conv, CONV_OUT);
  const fc = symmetricWeights(w.fc, FC_OUT);
  const bias = (b: Float32Array, sx: number, sw: Float32Array) => Int32Array.from(b, (v, c) => rint(v / Math.fround(sx * sw[c]!)));
  return {
    params,
    conv: { ...conv, bias: bias(w.convBias, params.x.scale, conv.scales) },
    fc: { ...fc, bias: bias(w.fcBias, params.pool.scale, fc.scales) },
  };
}

/**
 * The network as quantize_static writes it in QDQ format: Q/DQ pairs on activations, weights DQ(int8) per
 * channel (axis 0), biases DQ(int32) with scale sX * sW, and the Relu removed (the Conv output's quantization,
 * zero point at the bottom of the range, clamps at zero). MaxPool and Flatten keep their input's scale.
 */
export function ortQdqCnn(w: CnnWeights, ranges: Ranges, dtype: 'int8' | 'uint8'): QuantizedCnn {
  const { params, conv, fc } = quantizeCnn(w, ranges, dtype);
  const b = new ModelBuilder();
  b.input('x', CNN_INPUT);
  const x = b.qdq('x', params.x);
  const weight = b.dequantized('conv.weight', 'int8', [CONV_OUT, 2, 3, 3], conv.q, conv.scales);
  const bias = b.dequantized(
    'conv.bias',
    'int32',
    [CONV_OUT],
    conv.bias,
    conv.scales.map((s) => Math.fround(s * params.x.scale)),
  );
  b.node('Conv', [x, weight, bias], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '', 'conv');
  const relu = b.qdq('conv', params.relu);
  b.node('MaxPool', [relu], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] }, '', 'pool');
  const pool = b.qdq('pool', params.pool);
  b.node('Flatten', [pool], ['flat'], { axis: 1 }, '', 'flatten');
  const flat = b.qdq('flat', params.pool);
  const fcWeight = b.dequantized('fc.weight', 'int8', [FC_OUT, FC_IN], fc.q, fc.scales);
  const fcBias = b.dequantized(
    'fc.bias',
    'int32',
    [FC_OUT],
    fc.bias,
    fc.scales.map((s) => Math.fround(s * params.pool.scale)),
  );
  b.node('Gemm', [flat, fcWeight, fcBias], ['gemm'], { transB: 1 }, '', 'fc');
  b.qdq('gemm', params.y);
  // The graph output is the last DequantizeLinear's output, under the model's output name.
  const last = b.nodes[b.nodes.length - 1]!;
  last.outputs = ['y'];
  b.tensors.delete('gemm_dequantized');
  b.tensors.set('y', { name: 'y', shape: [1, FC_OUT], dtype: 'float32' });
  b.outputs.push('y');
  return { graph: b.graph(), params, conv, fc };
}

/**
 * The network in QOperator format: QuantizeLinear at the input, QLinearConv (Relu fused), MaxPool and Flatten
 * on uint8/int8 tensors, QGemm (com.microsoft) with an int32 bias, DequantizeLinear at the output.
 */
export function qOperatorCnn(w: CnnWeights, ranges: Ranges, dtype: 'int8' | 'uint8'): QuantizedCnn {
  const { params, conv, fc } = quantizeCnn(w, ranges, dtype);
  const b = new ModelBuilder();
  b.input('x', CNN_INPUT);
  const act = (name: string, p: ActivationParams) => [b.scale(`${name}_scale`, p.scale), b.zeroPoint(`${name}_zero_point`, p.dtype, p.zeroPoint)];
  const [xs, xzp] = act('x', params.x);
  b.node('QuantizeLinear', ['x', xs!, xzp!], ['x_quantized'], {}, '', 'x_QuantizeLinear');
  b.constant('conv.weight_quantized', 'int8', [CONV_OUT, 2, 3, 3], conv.q);
  b.scale('conv.weight_scale', conv.scales);
  b.zeroPoint('conv.weight_zero_point', 'int8', new Array<number>(CONV_OUT).fill(0));
  b.constant('conv.bias_quantized', 'int32', [CONV_OUT], conv.bias);
  const [rs, rzp] = act('relu', params.relu);
  b.node(
    'QLinearConv',
    ['x_quantized', xs!, xzp!, 'conv.weight_quantized', 'conv.weight_scale', 'conv.weight_zero_point', rs!, rzp!, 'conv.bias_quantized'],
    ['relu_quantized'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    '',
    'conv',
  );
  b.node('MaxPool', ['relu_quantized'], ['pool_quantized'], { kernel_shape: [2, 2], strides: [2, 2] }, '', 'pool');
  b.node('Flatten', ['pool_quantized'], ['flat_quantized'], { axis: 1 }, '', 'flatten');
  b.constant('fc.weight_quantized', 'int8', [FC_OUT, FC_IN], fc.q);
  b.scale('fc.weight_scale', fc.scales);
  b.zeroPoint('fc.weight_zero_point', 'int8', new Array<number>(FC_OUT).fill(0));
  b.constant('fc.bias_quantized', 'int32', [FC_OUT], fc.bias);
  const [ys, yzp] = act('y', params.y);
  b.node(
    'QGemm',
    ['flat_quantized', rs!, rzp!, 'fc.weight_quantized', 'fc.weight_scale', 'fc.weight_zero_point', 'fc.bias_quantized', ys!, yzp!],
    ['y_quantized'],
    { transB: 1 },
    'com.microsoft',
    'fc',
  );
  b.node('DequantizeLinear', ['y_quantized', ys!, yzp!], ['y'], {}, '', 'y_DequantizeLinear');
  b.outputs.push('y');
  return { graph: b.graph(), params, conv, fc };
}

/**
 * The float graph with every stated activation quantization applied as float operators, as onnxruntime's
 * QuantizeLinear -> DequantizeLinear computes it: x -> x / s -> round half to even -> + zp -> clamp -> - zp -> * s.
 */
export function withFakeQuantization(graph: Graph, activations: ReadonlyMap<string, ScaleZero>): { graph: Graph; outputs: Map<string, string> } {
  const tensors = new Map(graph.tensors);
  const nodes: Node[] = [];
  const renamed = new Map<string, string>();
  const constant = (name: string, value: number) => {
    tensors.set(name, { name, shape: [], dtype: 'float32', data: Float32Array.of(value) });
    return name;
  };
  const quantize = (name: string) => {
    const q = activations.get(name);
    if (!q) return;
    const shape = tensors.get(name)!.shape;
    const s = constant(`${name}/s`, q.scale);
    const zp = constant(`${name}/zp`, q.zeroPoint);
    const steps: [string, string[]][] = [
      ['Div', [s]],
      ['Round', []],
      ['Add', [zp]],
      ['Clip', [constant(`${name}/lo`, -128), constant(`${name}/hi`, 127)]],
      ['Sub', [zp]],
      ['Mul', [s]],
    ];
    let value = name;
    steps.forEach(([op, rest], i) => {
      const out = `${name}/fq${i}`;
      tensors.set(out, { name: out, shape, dtype: 'float32' });
      nodes.push({ name: out, op, domain: '', inputs: [value, ...rest], outputs: [out], attrs: {} });
      value = out;
    });
    renamed.set(name, value);
  };
  for (const name of graph.inputs) quantize(name);
  for (const node of graph.nodes) {
    nodes.push({ ...node, inputs: node.inputs.map((n) => renamed.get(n) ?? n) });
    for (const o of node.outputs) quantize(o);
  }
  const outputs = new Map(graph.outputs.map((o) => [o, renamed.get(o) ?? o]));
  return { graph: { ...graph, tensors, nodes, outputs: [...outputs.values()] }, outputs };
}
