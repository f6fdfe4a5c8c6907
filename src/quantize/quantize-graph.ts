// The quantize stage: a shaped, folded float graph plus calibrated ranges (or the model's own scales) become a
// graph of the int8 dialect (src/ir/int8.ts): int8 activations with per-tensor scales, per-channel int8
// weights, int32 biases, and every requantization parameter computed here, once, as node attributes.
//
// Tensor names are kept: the int8 tensor "x" holds the quantized value of the float tensor "x", so per-layer
// error can be measured by name. Fused activations (Conv + Relu) take the name of the activation's output.

import { EennError, nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { INT8_DOMAIN, INT8_PASSTHROUGH_OPS, perTensorQuant, RESIZE_WEIGHT_BITS, type ScaleZero } from '../ir/int8.js';
import { attrFloat, attrInt, attrInts, attrString, normalizeAxis, numbersOf } from '../ops/attrs.js';
import { convTransposeWindow } from '../ops/conv.js';
import { isLutOp, isScalarLutOp } from '../ops/facts.js';
import { lookupOp } from '../ops/registry.js';
import { resizeTaps } from '../ops/resize.js';
import { forwardWindow, type WindowGeometry } from '../ops/spatial.js';
import type { Value } from '../ops/types.js';
import type { Range } from './calibrate.js';
import { quantizeF32S8 } from './fixedpoint.js';
import { addParams, channelMultipliers, mulParams, quantizeMultiplier } from './multiplier.js';
import type { QuantOverrides } from './overrides.js';
import {
  activationRangeS8, assertFinite, chooseQuantParams, quantizeBias, roundHalfAwayFromZero, quantizeWeightsPerChannel, type FusedActivation,
  type PerChannelWeights,
} from './quant-params.js';

export interface QuantizeOptions {
  /** Calibrated real range of every float activation tensor (graph inputs included). */
  ranges: ReadonlyMap<string, Range>;
  /** Scales the model states itself (QDQ import); they win over calibration. */
  overrides?: QuantOverrides;
  /** 'int8': the model's inputs and outputs are int8 (default); 'float32': quantize and dequantize in the model. */
  io?: 'int8' | 'float32';
}

/** Softmax output quantization (TFLite): scale 1/256, zero point -128. */
export const SOFTMAX_OUTPUT: ScaleZero = { scale: 1 / 256, zeroPoint: -128 };
/** Fixed-point precision of the QSoftmax exponential table: exp values in Q16. */
export const SOFTMAX_TABLE_BITS = 16;

/** Producers an activation (Relu, Clip) is folded into: their output stage clamps. */
const FUSING_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul']);

const isDefault = (node: Node) => node.domain === '' || node.domain === 'ai.onnx';

/** Quantize `graph`; throws one E_UNSUPPORTED error listing every node that has no int8 form. */
export function quantizeGraph(graph: Graph, options: QuantizeOptions): Graph {
  return new GraphQuantizer(graph, options).run();
}

/**
 * Sampling weights of one resized axis in Q10; each output's weights are rounded to sum exactly to 1024 (the
 * rounding error goes to its largest weight), so a constant input stays constant.
 */
export function fixedPointWeights(weights: ArrayLike<number>, taps: number): number[] {
  const one = 1 << RESIZE_WEIGHT_BITS;
  const out: number[] = [];
  for (let o = 0; o < weights.length; o += taps) {
    const row = Array.from({ length: taps }, (_, t) => roundHalfAwayFromZero(weights[o + t]! * one));
    let largest = 0;
    for (let t = 1; t < taps; t++) if (Math.abs(row[t]!) > Math.abs(row[largest]!)) largest = t;
    row[largest]! += one - row.reduce((a, b) => a + b, 0);
    out.push(...row);
  }
  return out;
}

class GraphQuantizer {
  private readonly tensors = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  private readonly problems: string[] = [];
  /** Float tensor name -> the int8 tensor holding it (renamed only at the float32 boundary). */
  private readonly int8Name = new Map<string, string>();
  /** Nodes folded into their producer (their output replaces the producer's). */
  private readonly folded = new Set<Node>();
  private readonly consumers = new Map<string, Node[]>();
  private readonly io: 'int8' | 'float32';

  constructor(private readonly graph: Graph, private readonly options: QuantizeOptions) {
    this.io = options.io ?? 'int8';
    for (const node of graph.nodes) {
      for (const name of node.inputs) if (name !== '') this.consumers.set(name, [...(this.consumers.get(name) ?? []), node]);
    }
  }

  run(): Graph {
    const g = this.graph;
    for (const name of g.inputs) {
      const t = this.floatTensor(name);
      if (t.dtype !== 'float32') {
        this.problems.push(`model input "${name}" is ${t.dtype}; int8 quantization takes float32 inputs`);
        continue;
      }
      const q = this.activationQuant(name);
      if (this.io === 'float32') {
        this.tensors.set(name, { ...t });
        const qName = this.freshName(`${name}_int8`);
        this.addActivation(qName, t.shape, q);
        this.int8Name.set(name, qName);
        this.nodes.push(this.int8Node('Quantize', `${name}_quantize`, [name], [qName], {}));
      } else {
        this.addActivation(name, t.shape, q);
      }
    }
    // Tensors downstream of a node that cannot be quantized: their readers are not listed again.
    const unquantized = new Set<string>();
    for (const node of g.nodes) {
      if (this.folded.has(node)) continue;
      if (node.inputs.some((name) => unquantized.has(name))) {
        for (const name of node.outputs) unquantized.add(name);
        continue;
      }
      try {
        this.quantizeNode(node);
      } catch (err) {
        if (!(err instanceof EennError) || err.code !== 'E_UNSUPPORTED') throw err;
        this.problems.push(`node "${node.name}" (${node.op}): ${err.message}`);
        for (const name of node.outputs) unquantized.add(name);
      }
    }
    if (this.problems.length > 0) {
      throw new EennError({
        code: 'E_UNSUPPORTED',
        message: `${this.problems.length} node${this.problems.length === 1 ? '' : 's'} cannot be quantized to int8`,
        details: this.problems,
        hint: 'build with --precision float32, or replace these operators in the model',
      });
    }
    const outputs = g.outputs.map((name) => this.finishOutput(name));
    return { name: g.name, opset: g.opset, tensors: this.tensors, nodes: this.nodes, inputs: [...g.inputs], outputs };
  }

  // ------------------------------------------------------------------ tensors

  private floatTensor(name: string): Tensor {
    const t = this.graph.tensors.get(name);
    if (!t) throw new Error(`internal: tensor "${name}" is not in the float graph`);
    return t;
  }

  private freshName(base: string): string {
    let name = base;
    for (let i = 1; this.graph.tensors.has(name) || this.tensors.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  /** Scale and zero point of a float activation: the model's own, or from its calibrated range. */
  private activationQuant(name: string): ScaleZero {
    const own = this.options.overrides?.activations.get(name);
    if (own) return own;
    const range = this.options.ranges.get(name);
    if (!range) {
      throw new EennError({ code: 'E_DATA', message: `tensor "${name}" has no calibrated range`, hint: 'give calibration data with --calib' });
    }
    return chooseQuantParams(range, name);
  }

  private addActivation(name: string, shape: number[], q: ScaleZero): Tensor {
    const t: Tensor = { name, shape: [...shape], dtype: 'int8', quant: perTensorQuant(q.scale, q.zeroPoint) };
    this.tensors.set(name, t);
    return t;
  }

  /** The int8 tensor that holds float activation `name`, with its scale and zero point. */
  private activation(node: Node, name: string): { tensor: Tensor; q: ScaleZero } {
    const t = this.tensors.get(this.int8Name.get(name) ?? name);
    if (!t || t.dtype !== 'int8' || !t.quant) {
      throw nodeError('E_UNSUPPORTED', node, `input "${name}" is not an int8 activation (${this.floatTensor(name).dtype})`);
    }
    return { tensor: t, q: { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! } };
  }

  private addConstant(name: string, t: Tensor): string {
    const fresh = this.freshName(name);
    this.tensors.set(fresh, { ...t, name: fresh });
    return fresh;
  }

  /** A constant input passed through unchanged (shapes, indices, axes). */
  private keepConstant(name: string): string {
    if (name === '') return name;
    if (!this.tensors.has(name)) this.tensors.set(name, { ...this.floatTensor(name) });
    return name;
  }

  private int8Node(op: string, name: string, inputs: string[], outputs: string[], attrs: Node['attrs']): Node {
    return { name, op, domain: INT8_DOMAIN, inputs, outputs, attrs };
  }

  // ------------------------------------------------------------------ graph outputs

  private finishOutput(name: string): string {
    const int8 = this.int8Name.get(name) ?? name;
    const t = this.tensors.get(int8);
    if (!t) throw new Error(`internal: output "${name}" was not quantized`);
    if (this.io === 'int8' || t.dtype !== 'int8') return int8;
    // --io float32: the int8 tensor takes a new name, the float32 output keeps the model's.
    const renamed = this.freshName(`${name}_int8`);
    this.tensors.delete(int8);
    this.tensors.set(renamed, { ...t, name: renamed });
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((n) => (n === int8 ? renamed : n));
      node.outputs = node.outputs.map((n) => (n === int8 ? renamed : n));
    }
    this.tensors.set(name, { name, shape: [...t.shape], dtype: 'float32' });
    this.nodes.push(this.int8Node('Dequantize', `${name}_dequantize`, [renamed], [name], {}));
    return name;
  }

  // ------------------------------------------------------------------ nodes

  private quantizeNode(node: Node): void {
    if (!isDefault(node)) throw nodeError('E_UNSUPPORTED', node, `operator ${node.domain}.${node.op} has no int8 form`);
    const activationInputs = node.inputs.filter((n) => n !== '' && !this.floatTensor(n).data);
    switch (node.op) {
      case 'Conv': return this.conv(node);
      case 'ConvTranspose': return this.convTranspose(node);
      case 'Gemm': return this.gemm(node);
      case 'MatMul': return this.matMul(node);
      case 'AveragePool': case 'GlobalAveragePool': return this.averagePool(node);
      case 'ReduceMean': return this.reduceMean(node);
      case 'Softmax': return this.softmax(node);
      default: break;
    }
    if (isScalarLutOp(node) && activationInputs.length === 1 && node.inputs.length === 2 &&
        node.inputs.every((n) => n === activationInputs[0] || sizeOf(this.floatTensor(n).shape) === 1)) {
      return this.lut(node);
    }
    if (node.op === 'Add' || node.op === 'Sub' || node.op === 'Mul' || node.op === 'Div') return this.binary(node);
    if (isLutOp(node) && activationInputs.length === 1 && node.inputs[0] === activationInputs[0]) return this.lut(node);
    if (INT8_PASSTHROUGH_OPS.has(node.op)) return this.passthrough(node);
    throw nodeError('E_UNSUPPORTED', node, `${node.op} has no int8 kernel`);
  }

  /** The Relu/Clip that follows `node` and can be folded into its output stage, if any. */
  private fusedActivation(node: Node): { fused?: Node; activation: FusedActivation; output: string } {
    const out = node.outputs[0]!;
    const readers = this.consumers.get(out) ?? [];
    const next = readers[0];
    if (!FUSING_PRODUCERS.has(node.op) || readers.length !== 1 || !next || !isDefault(next) ||
        this.graph.outputs.includes(out) || next.inputs[0] !== out) {
      return { activation: { kind: 'none' }, output: out };
    }
    if (next.op === 'Relu') return { fused: next, activation: { kind: 'relu' }, output: next.outputs[0]! };
    if (next.op === 'Clip') {
      const bounds = this.clipBounds(next);
      if (!bounds) return { activation: { kind: 'none' }, output: out };
      return { fused: next, activation: { kind: 'clip', min: bounds[0], max: bounds[1] }, output: next.outputs[0]! };
    }
    return { activation: { kind: 'none' }, output: out };
  }

  /** Constant bounds of a Clip (attributes before opset 11, optional scalar inputs after); undefined if not constant. */
  private clipBounds(node: Node): [number, number] | undefined {
    if (this.graph.opset < 11) return [attrFloat(node, 'min', -Infinity), attrFloat(node, 'max', Infinity)];
    const bound = (index: number, fallback: number): number | undefined => {
      const name = node.inputs[index];
      if (!name) return fallback;
      const data = this.floatTensor(name).data;
      return data && data.length === 1 ? Number(data[0]) : undefined;
    };
    const min = bound(1, -Infinity);
    const max = bound(2, Infinity);
    return min === undefined || max === undefined ? undefined : [min, max];
  }

  /** Output tensor and clamp of an arithmetic node, with its fused activation folded in. */
  private outputStage(node: Node): { name: string; q: ScaleZero; actMin: number; actMax: number } {
    const { fused, activation, output } = this.fusedActivation(node);
    if (fused) this.folded.add(fused);
    const q = this.activationQuant(output);
    const { actMin, actMax } = activationRangeS8(activation, q);
    this.addActivation(output, this.floatTensor(output).shape, q);
    return { name: output, q, actMin, actMax };
  }

  private constantFloats(node: Node, name: string, what: string): Float32Array {
    const t = this.floatTensor(name);
    if (!t.data) throw nodeError('E_UNSUPPORTED', node, `${what} "${name}" is computed at run time; int8 needs constant ${what}s`);
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    assertFinite(data, name);
    return data;
  }

  /** Per-output-channel int8 weights: the model's own, or symmetric per channel along `axis`. */
  private weights(
    node: Node, name: string, data: Float32Array, shape: number[], axis: number,
    own = this.options.overrides?.weights.get(name),
  ): PerChannelWeights {
    if (own && own.axis === axis && own.q.length === data.length && own.scales.length === shape[axis]) return own;
    if (own && own.scales.length === 1) {
      return { q: own.q, scales: new Float32Array(shape[axis]!).fill(own.scales[0]!), axis };
    }
    try {
      return quantizeWeightsPerChannel(data, shape, axis, name);
    } catch (err) {
      if (err instanceof EennError) throw nodeError('E_DATA', node, err.message, err.hint);
      throw err;
    }
  }

  private addWeights(name: string, shape: number[], w: PerChannelWeights): string {
    return this.addConstant(`${name}_int8`, {
      name, shape, dtype: 'int8', data: w.q,
      quant: { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: w.axis },
    });
  }

  private addBias(node: Node, name: string | undefined, channels: number, inputScale: number, w: PerChannelWeights, float?: Float32Array): string {
    const data = float ?? (name ? this.constantFloats(node, name, 'bias') : new Float32Array(channels));
    const q = quantizeBias(data, inputScale, w.scales, name ?? `${node.name}_bias`);
    const scales = Float32Array.from(w.scales, (s) => inputScale * s);
    return this.addConstant(`${name ?? `${node.name}_bias`}_int32`, {
      name: '', shape: [channels], dtype: 'int32', data: q,
      quant: { scale: scales, zeroPoint: new Int32Array(channels), axis: 0 },
    });
  }

  private requantAttrs(inputScale: number, w: PerChannelWeights, outScale: number, node: Node): Node['attrs'] {
    const { multipliers, shifts } = channelMultipliers(inputScale, w.scales, outScale, node.name);
    return { multiplier: Array.from(multipliers), shift: Array.from(shifts) };
  }

  private windowAttrs(g: WindowGeometry): Node['attrs'] {
    return {
      kernel_shape: [...g.kernel], strides: [...g.strides], dilations: [...g.dilations],
      pads: [...g.padsBegin, ...g.padsEnd],
    };
  }

  private conv(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const wName = node.inputs[1]!;
    const wTensor = this.floatTensor(wName);
    const spatial = x.tensor.shape.length - 2;
    if (spatial < 1 || spatial > 2) throw nodeError('E_UNSUPPORTED', node, `int8 Conv handles 1-D and 2-D convolutions, not ${spatial}-D`);
    const wData = this.constantFloats(node, wName, 'weight');
    const group = attrInt(node, 'group', 1);
    const geometry = forwardWindow(node, x.tensor.shape.slice(2), wTensor.shape.slice(2));
    const w = this.weights(node, wName, wData, wTensor.shape, 0);
    const out = this.outputStage(node);
    const bias = this.addBias(node, node.inputs[2] || undefined, wTensor.shape[0]!, x.q.scale, w);
    this.nodes.push(this.int8Node('QConv', node.name, [x.tensor.name, this.addWeights(wName, wTensor.shape, w), bias], [out.name], {
      ...this.windowAttrs(geometry), group,
      ...this.requantAttrs(x.q.scale, w, out.q.scale, node), act_min: out.actMin, act_max: out.actMax,
    }));
  }

  private convTranspose(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const wName = node.inputs[1]!;
    const wTensor = this.floatTensor(wName);
    const spatial = x.tensor.shape.length - 2;
    if (spatial < 1 || spatial > 2) throw nodeError('E_UNSUPPORTED', node, `int8 ConvTranspose handles 1-D and 2-D, not ${spatial}-D`);
    const group = attrInt(node, 'group', 1);
    if (group !== 1) throw nodeError('E_UNSUPPORTED', node, `int8 ConvTranspose handles group 1, not ${group}`);
    const wData = this.constantFloats(node, wName, 'weight');
    const geometry = convTransposeWindow(node, x.tensor, wTensor);
    const w = this.weights(node, wName, wData, wTensor.shape, 1);
    const out = this.outputStage(node);
    const outputPadding = (node.attrs['output_padding'] as number[] | undefined) ?? new Array<number>(spatial).fill(0);
    const bias = this.addBias(node, node.inputs[2] || undefined, wTensor.shape[1]!, x.q.scale, w);
    this.nodes.push(this.int8Node('QConvTranspose', node.name, [x.tensor.name, this.addWeights(wName, wTensor.shape, w), bias], [out.name], {
      ...this.windowAttrs(geometry), group, output_padding: [...outputPadding],
      ...this.requantAttrs(x.q.scale, w, out.q.scale, node), act_min: out.actMin, act_max: out.actMax,
    }));
  }

  /** A fully connected layer from a float weight matrix laid out [N, K] (already scaled). */
  private fullyConnected(
    node: Node, xName: string, wName: string, wNK: Float32Array, n: number, k: number, bias?: Float32Array, own?: PerChannelWeights,
  ): void {
    const x = this.activation(node, xName);
    if (x.tensor.shape[x.tensor.shape.length - 1] !== k) throw nodeError('E_UNSUPPORTED', node, `int8 fully connected needs the input's last axis to be K = ${k}`);
    const w = this.weights(node, wName, wNK, [n, k], 0, own);
    const out = this.outputStage(node);
    const biasName = this.addBias(node, bias ? `${node.name}_bias` : undefined, n, x.q.scale, w, bias ?? new Float32Array(n));
    this.nodes.push(this.int8Node('QGemm', node.name, [x.tensor.name, this.addWeights(wName, [n, k], w), biasName], [out.name], {
      ...this.requantAttrs(x.q.scale, w, out.q.scale, node), act_min: out.actMin, act_max: out.actMax,
    }));
  }

  private gemm(node: Node): void {
    if (attrInt(node, 'transA', 0) !== 0) throw nodeError('E_UNSUPPORTED', node, 'int8 Gemm needs transA = 0');
    const bName = node.inputs[1]!;
    const bTensor = this.floatTensor(bName);
    const b = this.constantFloats(node, bName, 'weight');
    const transB = attrInt(node, 'transB', 0) !== 0;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const [rows, cols] = bTensor.shape as [number, number];
    const n = transB ? rows : cols;
    const k = transB ? cols : rows;
    const w = new Float32Array(n * k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * b[transB ? o * k + i : i * n + o]!;
    let bias: Float32Array | undefined;
    const cName = node.inputs[2];
    if (cName) {
      const c = this.constantFloats(node, cName, 'bias');
      const cShape = this.floatTensor(cName).shape;
      if (c.length !== 1 && c.length !== n) throw nodeError('E_UNSUPPORTED', node, `int8 Gemm needs a bias of N = ${n} values (or one), not shape [${cShape.join(', ')}]`);
      bias = Float32Array.from({ length: n }, (_, o) => beta * c[c.length === 1 ? 0 : o]!);
    }
    const own = alpha !== 1 ? undefined : transB ? this.options.overrides?.weights.get(bName) : this.transposedOverride(bName, k, n);
    this.fullyConnected(node, node.inputs[0]!, bName, w, n, k, bias, own);
  }

  private matMul(node: Node): void {
    const bName = node.inputs[1]!;
    const bTensor = this.floatTensor(bName);
    if (!bTensor.data || bTensor.shape.length !== 2) {
      throw nodeError('E_UNSUPPORTED', node, 'int8 MatMul needs a constant 2-D second operand (a fully connected layer)');
    }
    const b = this.constantFloats(node, bName, 'weight');
    const [k, n] = bTensor.shape as [number, number];
    const w = new Float32Array(n * k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = b[i * n + o]!;
    this.fullyConnected(node, node.inputs[0]!, bName, w, n, k, undefined, this.transposedOverride(bName, k, n));
  }

  /** The model's own int8 weights of a [K, N] matrix, transposed to the [N, K] rows of a fully connected layer. */
  private transposedOverride(name: string, k: number, n: number): PerChannelWeights | undefined {
    const own = this.options.overrides?.weights.get(name);
    if (!own || own.q.length !== n * k) return undefined;
    if (own.scales.length !== 1 && (own.axis !== 1 || own.scales.length !== n)) return undefined;
    const q = new Int8Array(n * k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) q[o * k + i] = own.q[i * n + o]!;
    const scales = own.scales.length === 1 ? new Float32Array(n).fill(own.scales[0]!) : own.scales;
    return { q, scales, axis: 0 };
  }

  /** An int8 operand of Add/Mul: an activation, or a constant quantized per tensor over its own range. */
  private operand(node: Node, name: string): { name: string; q: ScaleZero } {
    const t = this.floatTensor(name);
    if (!t.data) {
      const a = this.activation(node, name);
      return { name: a.tensor.name, q: a.q };
    }
    return this.constantOperand(name, t.shape, this.constantFloats(node, name, 'operand'));
  }

  /** A constant operand quantized per tensor over its own range. */
  private constantOperand(name: string, shape: number[], data: Float32Array): { name: string; q: ScaleZero } {
    let min = 0;
    let max = 0;
    for (const v of data) { if (v < min) min = v; if (v > max) max = v; }
    const q = chooseQuantParams({ min, max }, name);
    const values = Int8Array.from(data, (v) => quantizeF32S8(v, q.scale, q.zeroPoint));
    return { name: this.addConstant(`${name}_int8`, { name, shape: [...shape], dtype: 'int8', data: values, quant: perTensorQuant(q.scale, q.zeroPoint) }), q };
  }

  private binary(node: Node): void {
    const [aName, bName] = node.inputs as [string, string];
    const a = this.operand(node, aName);
    let b: { name: string; q: ScaleZero };
    if (node.op === 'Div') {
      if (!this.floatTensor(bName).data) throw nodeError('E_UNSUPPORTED', node, 'int8 Div needs a constant divisor');
      const reciprocal = Float32Array.from(this.constantFloats(node, bName, 'divisor'), (v) => 1 / v);
      b = this.constantOperand(`${bName}_reciprocal`, this.floatTensor(bName).shape, reciprocal);
    } else {
      b = this.operand(node, bName);
    }
    const out = this.outputStage(node);
    if (node.op === 'Add' || node.op === 'Sub') {
      const p = addParams(a.q, b.q, out.q, out.actMin, out.actMax, node.name);
      this.nodes.push(this.int8Node('QAdd', node.name, [a.name, b.name], [out.name], {
        input1_multiplier: p.input1Multiplier, input1_shift: p.input1Shift,
        input2_multiplier: p.input2Multiplier, input2_shift: p.input2Shift, left_shift: p.leftShift,
        output_multiplier: p.outputMultiplier, output_shift: p.outputShift,
        act_min: p.actMin, act_max: p.actMax, subtract: node.op === 'Sub' ? 1 : 0,
      }));
      return;
    }
    const p = mulParams(a.q, b.q, out.q, out.actMin, out.actMax, node.name);
    this.nodes.push(this.int8Node('QMul', node.name, [a.name, b.name], [out.name], {
      output_multiplier: p.outputMultiplier, output_shift: p.outputShift, act_min: p.actMin, act_max: p.actMax,
    }));
  }

  /** Average pooling keeps its input's scale and zero point (TFLite); the mean of int8 values needs no rescale. */
  private averagePool(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const spatial = x.tensor.shape.slice(2);
    const out = node.outputs[0]!;
    let attrs: Node['attrs'];
    if (node.op === 'GlobalAveragePool') {
      attrs = { kernel_shape: [...spatial], strides: spatial.map(() => 1), pads: spatial.map(() => 0).concat(spatial.map(() => 0)), count_include_pad: 0 };
    } else {
      const kernel = node.attrs['kernel_shape'] as number[];
      const countPad = attrInt(node, 'count_include_pad', 0);
      const g = forwardWindow(node, spatial, kernel, { ceilMode: attrInt(node, 'ceil_mode', 0) !== 0 });
      if (g.dilations.some((d) => d !== 1)) throw nodeError('E_UNSUPPORTED', node, 'int8 AveragePool needs dilations of 1');
      // ceil_mode: the last windows run past the end padding; as more end padding (not counted) they are the same.
      const padsEnd = g.outputSize.map((out, i) => Math.max(g.padsEnd[i]!, (out - 1) * g.strides[i]! + g.kernel[i]! - spatial[i]! - g.padsBegin[i]!));
      if (countPad && padsEnd.some((p, i) => p !== g.padsEnd[i])) {
        throw nodeError('E_UNSUPPORTED', node, 'int8 AveragePool with ceil_mode = 1 needs count_include_pad = 0 where windows run past the padding');
      }
      attrs = { kernel_shape: [...g.kernel], strides: [...g.strides], pads: [...g.padsBegin, ...padsEnd], count_include_pad: countPad };
    }
    this.addActivation(out, this.floatTensor(out).shape, x.q);
    this.nodes.push(this.int8Node('QAveragePool', node.name, [x.tensor.name], [out], { ...attrs, act_min: -128, act_max: 127 }));
  }

  /**
   * ReduceMean over every spatial axis (2 to the last) of an [N, C, ...] activation, the global average pooling
   * PyTorch writes as x.mean((2, 3)): a QAveragePool over the whole plane, then with keepdims = 0 a Flatten to
   * [N, C]. Other axes are refused.
   */
  private reduceMean(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const shape = x.tensor.shape;
    const rank = shape.length;
    const axesInput = node.inputs[1] ? this.floatTensor(node.inputs[1]) : undefined;
    const given = axesInput?.data ? numbersOf(axesInput.data) : attrInts(node, 'axes');
    const axes = [...new Set((given ?? (attrInt(node, 'noop_with_empty_axes', 0) ? [] : shape.map((_, i) => i)))
      .map((a) => normalizeAxis(node, a, rank)))].sort((a, b) => a - b);
    const spatialAxes = shape.slice(2).map((_, i) => i + 2);
    if (rank < 3 || (node.inputs[1] && !axesInput?.data) || axes.join() !== spatialAxes.join()) {
      throw nodeError('E_UNSUPPORTED', node, 'int8 ReduceMean needs the axes 2.. of an [N, C, ...] tensor (a global average pool)');
    }
    const spatial = shape.slice(2);
    const keep = attrInt(node, 'keepdims', 1) !== 0;
    const out = node.outputs[0]!;
    const pooled = keep ? out : this.freshName(`${out}_pooled`);
    this.addActivation(pooled, [shape[0]!, shape[1]!, ...spatial.map(() => 1)], x.q);
    this.nodes.push(this.int8Node('QAveragePool', node.name, [x.tensor.name], [pooled], {
      kernel_shape: [...spatial], strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0),
      count_include_pad: 0, act_min: -128, act_max: 127,
    }));
    if (keep) return;
    this.addActivation(out, this.floatTensor(out).shape, x.q);
    this.nodes.push({ name: `${node.name}_flatten`, op: 'Flatten', domain: '', inputs: [pooled], outputs: [out], attrs: { axis: 1 } });
  }

  private softmax(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const rank = x.tensor.shape.length;
    const axis = attrInt(node, 'axis', this.graph.opset >= 13 ? -1 : 1);
    const a = axis < 0 ? axis + rank : axis;
    const trailing = x.tensor.shape.slice(a + 1).every((d) => d === 1);
    if (a !== rank - 1 && !trailing) throw nodeError('E_UNSUPPORTED', node, `int8 Softmax works along the last axis, not axis ${axis} of a rank-${rank} tensor`);
    const table: number[] = [];
    for (let d = 0; d < 256; d++) table.push(Math.round(Math.exp(-x.q.scale * d) * 2 ** SOFTMAX_TABLE_BITS));
    const out = node.outputs[0]!;
    this.addActivation(out, this.floatTensor(out).shape, SOFTMAX_OUTPUT);
    this.nodes.push(this.int8Node('QSoftmax', node.name, [x.tensor.name], [out], { axis: a, table }));
  }

  /** Any elementwise function of one int8 activation: tabulate the float operator over all 256 inputs. */
  private lut(node: Node): void {
    const xName = node.inputs.find((n) => n !== '' && !this.floatTensor(n).data)!;
    const x = this.activation(node, xName);
    const out = node.outputs[0]!;
    const q = this.activationQuant(out);
    const def = lookupOp(node.op, node.domain);
    if (!def) throw nodeError('E_UNSUPPORTED', node, `${node.op} is not a known operator`);
    const grid = new Float32Array(256);
    for (let i = 0; i < 256; i++) grid[i] = Math.fround(x.q.scale * (i - 128 - x.q.zeroPoint));
    const args = node.inputs.map((name): Value | undefined => {
      if (name === '') return undefined;
      if (name === xName) return { shape: [256], dtype: 'float32', data: grid };
      const t = this.floatTensor(name);
      return { shape: t.shape.length === 0 ? [] : t.shape.map(() => 1), dtype: t.dtype, data: t.data! };
    });
    const [result] = def.evaluate(node, args, this.graph.opset);
    if (!result || result.data.length !== 256) throw nodeError('E_UNSUPPORTED', node, `${node.op} is not elementwise over one input`);
    const table = Array.from(result.data as ArrayLike<number>, (v) => quantizeF32S8(Number(v), q.scale, q.zeroPoint));
    this.addActivation(out, this.floatTensor(out).shape, q);
    this.nodes.push(this.int8Node('QLut', node.name, [x.tensor.name], [out], { table }));
  }

  /** Linear or cubic Resize: sampling taps from the operator itself, weights in Q10 (src/ir/int8.ts QResize). */
  private resize(node: Node): void {
    const x = this.activation(node, node.inputs[0]!);
    const rank = x.tensor.shape.length;
    if (rank < 3 || rank > 4) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} resamples [N, C, W] or [N, C, H, W] tensors, not rank ${rank}`);
    const infos = node.inputs.map((name) => (name === '' ? undefined : this.floatTensor(name)));
    const { axes } = resizeTaps(node, infos, this.graph.opset);
    if (!axes[0]!.identity || !axes[1]!.identity) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} resamples the spatial axes only, not N or C`);
    if (axes.some((a) => a.outside.some((flag) => flag !== 0))) {
      throw nodeError('E_UNSUPPORTED', node, 'tf_crop_and_resize with samples outside the input (extrapolation) is not supported in int8');
    }
    const attrs: Node['attrs'] = {};
    const names = rank === 4 ? ['h', 'w'] : ['w'];
    names.forEach((axisName, i) => {
      const axis = axes[2 + i]!;
      attrs[`taps_${axisName}`] = axis.taps;
      attrs[`index_${axisName}`] = Array.from(axis.index);
      attrs[`weight_${axisName}`] = fixedPointWeights(axis.weight, axis.taps);
    });
    // Linear interpolation stays inside the input's range; cubic overshoots it and gets a range of its own.
    const out = node.outputs[0]!;
    const q = attrString(node, 'mode', 'nearest') === 'cubic' ? this.activationQuant(out) : x.q;
    const m = quantizeMultiplier(x.q.scale / (q.scale * 2 ** (2 * RESIZE_WEIGHT_BITS)), `${node.name} output multiplier`);
    attrs['output_multiplier'] = m.multiplier;
    attrs['output_shift'] = m.shift;
    this.addActivation(out, this.floatTensor(out).shape, q);
    this.nodes.push(this.int8Node('QResize', node.name, [x.tensor.name], [out], attrs));
  }

  /** A requantization of `name` to `q` through a table (before Concat), or the tensor itself when it already has `q`. */
  private requantizedTo(node: Node, name: string, q: ScaleZero): string {
    const x = this.activation(node, name);
    if (x.q.scale === q.scale && x.q.zeroPoint === q.zeroPoint) return x.tensor.name;
    const out = this.freshName(`${x.tensor.name}_rescaled`);
    const table = [];
    for (let i = 0; i < 256; i++) table.push(quantizeF32S8(Math.fround(x.q.scale * (i - 128 - x.q.zeroPoint)), q.scale, q.zeroPoint));
    this.addActivation(out, x.tensor.shape, q);
    this.nodes.push(this.int8Node('QLut', `${node.name}_rescale_${x.tensor.name}`, [x.tensor.name], [out], { table }));
    return out;
  }

  /** Operators that only move or select values: the output shares the input's scale and zero point. */
  private passthrough(node: Node): void {
    const activations = node.inputs.filter((n) => n !== '' && !this.floatTensor(n).data);
    if (activations.length === 0) throw nodeError('E_UNSUPPORTED', node, 'has no activation input');
    if ((node.op === 'Resize' || node.op === 'Upsample') && attrString(node, 'mode', 'nearest') !== 'nearest') return this.resize(node);
    if (node.op === 'MaxPool' && node.outputs.length > 1 && node.outputs[1]) throw nodeError('E_UNSUPPORTED', node, 'int8 MaxPool does not produce Indices');
    let q: ScaleZero;
    let inputs: string[];
    if (node.op === 'Concat') {
      q = this.activationQuant(node.outputs[0]!);
      inputs = node.inputs.map((n) => (this.floatTensor(n).data ? this.concatConstant(node, n, q) : this.requantizedTo(node, n, q)));
    } else {
      q = this.activation(node, activations[0]!).q;
      inputs = node.inputs.map((n, index) => {
        if (n === '' || !this.floatTensor(n).data) return n === '' ? n : this.activation(node, n).tensor.name;
        if (node.op === 'Pad' && index === 2) return this.padValue(n, q);
        return this.keepConstant(n);
      });
    }
    const attrs = { ...node.attrs };
    if (node.op === 'Pad' && attrString(node, 'mode', 'constant') === 'constant') {
      // Real zero padding is the zero point in int8.
      if (this.graph.opset < 11) {
        attrs['value'] = quantizeF32S8(attrFloat(node, 'value', 0), q.scale, q.zeroPoint);
      } else if (!inputs[2]) {
        while (inputs.length < 3) inputs.push('');
        inputs[2] = this.addConstant(`${node.name}_pad_value`, { name: '', shape: [], dtype: 'int8', data: Int8Array.of(q.zeroPoint), quant: perTensorQuant(q.scale, q.zeroPoint) });
      }
    }
    const outputs = node.outputs.map((o) => {
      if (o === '') return o;
      this.addActivation(o, this.floatTensor(o).shape, q);
      return o;
    });
    this.nodes.push({ ...node, inputs, outputs, attrs });
  }

  private padValue(name: string, q: ScaleZero): string {
    const v = numbersOf(this.floatTensor(name).data!)[0] ?? 0;
    return this.addConstant(`${name}_int8`, { name, shape: [], dtype: 'int8', data: Int8Array.of(quantizeF32S8(v, q.scale, q.zeroPoint)), quant: perTensorQuant(q.scale, q.zeroPoint) });
  }

  private concatConstant(node: Node, name: string, q: ScaleZero): string {
    const t = this.floatTensor(name);
    const data = this.constantFloats(node, name, 'operand');
    return this.addConstant(`${name}_int8`, { name, shape: [...t.shape], dtype: 'int8', data: Int8Array.from(data, (v) => quantizeF32S8(v, q.scale, q.zeroPoint)), quant: perTensorQuant(q.scale, q.zeroPoint) });
  }
}
