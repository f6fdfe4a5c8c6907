// The QDQ import's main pass: walks a graph that carries its own quantization in topological order and writes
// the float graph it stands for (Q/DQ pairs gone, constants dequantized, QLinear operators back to float ones),
// collecting the scales the model states as quantize-stage overrides. Shapes come after (infer-shapes.ts).
//
// Every quantized activation (an int8/uint8 tensor of the model) has a float counterpart in the result that holds
// its real value; every integer constant read through DequantizeLinear or a QLinear operator becomes a float
// constant holding exactly what DequantizeLinear computes.
//
// For an int8 build the float counterpart is the value before quantization (the quantize stage rounds it with the
// stated scale). For a float32 build (`keepRounding`) it is the value the model computes, DequantizeLinear of
// QuantizeLinear, in float operators the float32 code path has: Div(scale) -> Round (half to even) ->
// Clip(qmin - zp, qmax - zp) -> Mul(scale), which equals (saturate(round(x / scale) + zp) - zp) * scale exactly.

import { nodeError } from '../../ir/diagnostics.js';
import type { Graph, Node, Tensor, TensorData } from '../../ir/graph.js';
import { INT8_PASSTHROUGH_OPS, type ScaleZero } from '../../ir/int8.js';
import { lookupOp } from '../../ops/registry.js';
import type { QuantOverrides } from '../overrides.js';
import type { PerChannelWeights } from '../quant-params.js';
import { KIND_RANGE, kindOfDtype, QDQ_MODEL_HINT, readStatedQuant, type QuantKind, type StatedQuant } from '../../ops/stated-quant.js';
import { activationScaleZero, dequantizeConstant, quantizeConstant, weightOverride } from './params.js';
import type { IntegerIo } from './integer-io.js';
import { isDequantizeLinear, isQuantizeLinear, qOperatorSpec, type QOperatorSpec, type QuantizedOperand } from './qoperator.js';

/** A quantized activation of the model and the float tensor of the result that holds its real value. */
interface QuantizedActivation {
  float: string;
  /** int8 equivalent of the stated quantization. */
  q: ScaleZero;
  /** The model's integer type for it. */
  kind: QuantKind;
}

type Constant = Tensor & { data: TensorData };

/**
 * Float producers whose output may be negative. When the model quantizes their output with its lowest integer
 * standing for 0 (zero point -128 after the uint8 conversion), the quantization clamps at zero: onnxruntime's
 * quantizer removes a Relu that way, QLinearConv fuses it. The float graph gets the Relu back.
 */
const CLAMPED_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul']);

const INTEGER_DTYPES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int16', 'int32']);

export interface RewriteResult {
  /** The float graph; node outputs have no shapes yet. */
  graph: Graph;
  overrides: QuantOverrides;
  /** The model's int8/uint8 inputs and outputs, which the float graph holds as float32 (their real values). */
  integerIo: IntegerIo[];
}

/** How the float graph stands for a quantized activation. */
export interface RewriteOptions {
  /**
   * True: with the rounding and saturation of its quantization (the model's own float result, for a float32 build);
   * false (default): with its value before quantization, which the int8 quantize stage rounds with the stated scale.
   */
  keepRounding?: boolean;
}

export function rewriteQdq(graph: Graph, options: RewriteOptions = {}): RewriteResult {
  return new QdqRewriter(graph, options.keepRounding ?? false).run();
}

class QdqRewriter {
  private readonly nodes: Node[] = [];
  /** Tensors of the result: inputs, constants, placeholders for node outputs. */
  private readonly tensors = new Map<string, Tensor>();
  /** Quantized activations of the model by name. */
  private readonly quantized = new Map<string, QuantizedActivation>();
  /** DequantizeLinear outputs of the model and the tensor of the result that holds their value. */
  private readonly aliases = new Map<string, string>();
  /** Integer constants made by QuantizeLinear of a float constant (fake-quantized weights). */
  private readonly intConstants = new Map<string, Constant>();
  private readonly producers = new Map<string, Node>();
  /** The Relu inserted after a float tensor, by that tensor. */
  private readonly relus = new Map<string, string>();
  /** The float constant made from one integer constant with one quantization. */
  private readonly dequantized = new Map<string, string>();
  private readonly activations = new Map<string, ScaleZero>();
  private readonly weights = new Map<string, PerChannelWeights>();
  private readonly renamed = new Map<string, string>();
  /** Values of nodes whose inputs are all constant (PyTorch computes zero points with ConstantOfShape -> Cast). */
  private readonly folded = new Map<string, Constant>();
  private readonly integerIo: IntegerIo[] = [];
  /** The float tensor holding a value rounded to a quantization grid, by value and grid (keepRounding). */
  private readonly rounded = new Map<string, string>();
  /** Constants the quantization parameters may come from. */
  private readonly constants = (name: string): Tensor | undefined => this.folded.get(name) ?? this.graph.tensors.get(name);

  constructor(
    private readonly graph: Graph,
    private readonly keepRounding: boolean,
  ) {
    for (const name of graph.inputs) this.tensors.set(name, graph.tensors.get(name)!);
  }

  run(): RewriteResult {
    for (const node of this.graph.nodes) this.visit(node);
    const outputs = this.graph.outputs.map((name) => this.resolveOutput(name));
    const graph = this.assemble(outputs);
    const present = <T>(map: Map<string, T>) => new Map([...map].filter(([name]) => graph.tensors.has(name)));
    return { graph, overrides: { activations: present(this.activations), weights: present(this.weights) }, integerIo: this.integerIo };
  }

  private visit(node: Node): void {
    if (isQuantizeLinear(node)) return this.quantizeLinear(node);
    if (isDequantizeLinear(node)) return this.dequantizeLinear(node);
    const spec = qOperatorSpec(node);
    if (spec) return this.qOperator(node, spec);
    this.plainNode(node);
  }

  // ---- QuantizeLinear / DequantizeLinear ----

  private quantizeLinear(node: Node): void {
    const x = this.resolve(node.inputs[0] ?? '');
    const y = node.outputs[0]!;
    const constant = this.floatConstant(x);
    if (constant) {
      // Fake-quantized weights (PyTorch QAT export): the integer values are computed here, once.
      const stated = readStatedQuant(this.constants, node, {
        scale: 1,
        zeroPoint: 2,
        rank: constant.shape.length,
        axis: axisAttr(node),
        kind: 'uint8',
      });
      const values = quantizeConstant(node, numbers(constant.data), constant.shape, stated, x);
      const data = stated.kind === 'int8' ? Int8Array.from(values) : stated.kind === 'uint8' ? Uint8Array.from(values) : values;
      this.intConstants.set(y, { name: y, shape: [...constant.shape], dtype: stated.kind, data });
      return;
    }
    const stated = readStatedQuant(this.constants, node, { scale: 1, zeroPoint: 2, kind: 'uint8' });
    const q = activationScaleZero(node, stated, x);
    const float = this.keepRounding ? this.roundedToGrid(node, x, q) : this.clampedAtZero(x, q);
    this.quantized.set(y, { float, q, kind: stated.kind });
    this.record(float, q);
  }

  private dequantizeLinear(node: Node): void {
    const y = node.inputs[0] ?? '';
    const z = node.outputs[0]!;
    const activation = this.quantized.get(y);
    if (activation) {
      // The pair's second half: check the numbers it states, then read the float value the pair stood around.
      const stated = activationScaleZero(node, readStatedQuant(this.constants, node, { scale: 1, zeroPoint: 2, kind: 'uint8' }), y);
      checkSameQuant(node, y, activation.q, stated);
      this.aliases.set(z, activation.float);
      return;
    }
    const constant = this.intConstant(y);
    if (constant) {
      const float = this.dequantizeOperand(node, constant, { value: 0, scale: 1, zeroPoint: 2, channelAxis: axisAttr(node), weight: true }, z);
      if (float !== z) this.aliases.set(z, float);
      return;
    }
    if (this.graph.inputs.includes(y)) {
      this.aliases.set(z, this.integerInput(node, y, 1, 2).float);
      return;
    }
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `dequantizes "${y}", which is neither a quantized activation (written by QuantizeLinear or a QLinear operator) nor an integer constant`,
      'eennc imports models quantized statically (onnxruntime quantize_static, PyTorch QDQ export)',
    );
  }

  // ---- QOperator format ----

  private qOperator(node: Node, spec: QOperatorSpec): void {
    const attrs = spec.attrs(node);
    const operands = spec.operands(node);
    const floats = operands.map((operand) => this.floatOperand(node, operand));
    const inputs = floats.map((f) => f.name);
    if (spec.bias && node.inputs[spec.bias.input]) {
      const [a, b] = spec.bias.scaledBy;
      inputs.push(this.biasOperand(node, node.inputs[spec.bias.input]!, floats[a]!.stated, floats[b]!.stated));
    }
    const y = node.outputs[0]!;
    const output = spec.output(node);
    if (!output) {
      this.emit({ name: node.name, op: spec.floatOp, domain: '', inputs, outputs: [y], attrs });
      return;
    }
    const stated = readStatedQuant(this.constants, node, { ...output, kind: 'uint8' });
    const q = activationScaleZero(node, stated, y);
    if (this.keepRounding) {
      // The float operator, then its output rounded to the stated grid under the model's name for it.
      const raw = this.freshName(`${y}_float`);
      this.emit({ name: node.name, op: spec.floatOp, domain: '', inputs, outputs: [raw], attrs });
      this.roundedToGrid(node, raw, q, y);
      this.quantized.set(y, { float: y, q, kind: stated.kind });
      this.record(y, q);
      return;
    }
    const clamps = q.zeroPoint === -128 && CLAMPED_PRODUCERS.has(spec.floatOp);
    const raw = clamps ? this.freshName(`${y}_preact`) : y;
    this.emit({ name: node.name, op: spec.floatOp, domain: '', inputs, outputs: [raw], attrs });
    if (clamps) {
      this.record(raw, q);
      this.emit({ name: this.freshNodeName(`${node.name}_relu`), op: 'Relu', domain: '', inputs: [raw], outputs: [y], attrs: {} });
    }
    this.quantized.set(y, { float: y, q, kind: stated.kind });
    this.record(y, q);
  }

  /** The float tensor standing for one quantized operand, and the quantization the node states for it. */
  private floatOperand(node: Node, operand: QuantizedOperand): { name: string; stated: StatedQuant } {
    const name = node.inputs[operand.value] ?? '';
    const activation = this.quantized.get(name);
    if (activation || this.graph.inputs.includes(name)) {
      const stated = readStatedQuant(this.constants, node, { scale: operand.scale, zeroPoint: operand.zeroPoint, kind: 'uint8' });
      const known = activation ?? this.integerInput(node, name, operand.scale, operand.zeroPoint);
      checkSameQuant(node, name, known.q, activationScaleZero(node, stated, name));
      return { name: known.float, stated };
    }
    const constant = this.intConstant(name);
    if (!constant) {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `input "${name}" is neither a quantized activation nor an integer constant`,
        'every quantized input of a QLinear operator must come from QuantizeLinear, another QLinear operator or the model',
      );
    }
    const stated = this.statedForConstant(node, constant, operand);
    return { name: this.dequantizeOperand(node, constant, operand, name), stated };
  }

  /** An int32 bias with scale sX * sW[c], as a float constant of its real values. */
  private biasOperand(node: Node, name: string, x: StatedQuant, w: StatedQuant): string {
    const constant = this.intConstant(name);
    if (!constant || constant.dtype !== 'int32') {
      throw nodeError('E_UNSUPPORTED', node, `the bias "${name}" must be an int32 constant`, QDQ_MODEL_HINT);
    }
    const channels = constant.data.length;
    if (x.scales.length !== 1 || (w.scales.length !== 1 && w.scales.length !== channels)) {
      throw nodeError('E_MODEL', node, `the bias "${name}" has ${channels} values for ${w.scales.length} weight scales`, QDQ_MODEL_HINT);
    }
    const values = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const scale = Math.fround(x.scales[0]! * w.scales[w.scales.length === 1 ? 0 : c]!);
      values[c] = Math.fround(Math.fround(constant.data[c]!) * scale);
    }
    const float = this.nameFor(name);
    this.tensors.set(float, { name: float, shape: [...constant.shape], dtype: 'float32', data: values });
    return float;
  }

  // ---- every other node ----

  private plainNode(node: Node): void {
    const inputs = node.inputs.map((name) => (name === '' ? '' : this.resolve(name)));
    const quantizedIndex = inputs.findIndex((name) => this.quantized.has(name));
    if (quantizedIndex < 0) {
      const fake = inputs.find((name) => this.intConstants.has(name));
      if (fake !== undefined) {
        throw nodeError('E_UNSUPPORTED', node, `reads the quantized constant "${fake}" without a DequantizeLinear`, QDQ_MODEL_HINT);
      }
      if (this.foldTransposedWeights(node, inputs) || this.foldConstantNode(node, inputs)) return;
      for (const name of inputs) this.adopt(name);
      this.emit({ ...node, inputs });
      return;
    }
    // An operator that only moves values (MaxPool, Reshape, Concat...) on quantized tensors in QOperator format:
    // the same operator on their real values, the output keeps their scale and zero point.
    const first = this.quantized.get(inputs[quantizedIndex]!)!;
    if (node.op === 'Cast' && node.domain === '' && node.attrs.to === ONNX_TYPE_OF_KIND[first.kind]) {
      // PyTorch writes QuantizeLinear -> Cast (to its own type) -> DequantizeLinear: the Cast changes nothing.
      this.quantized.set(node.outputs[0]!, first);
      return;
    }
    if (node.domain !== '' || !INT8_PASSTHROUGH_OPS.has(node.op)) {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `reads the quantized tensor "${inputs[quantizedIndex]}" directly`,
        'only QLinear operators, DequantizeLinear and operators that move values (MaxPool, Reshape, Transpose, Concat...) may read a quantized tensor',
      );
    }
    const floatInputs = inputs.map((name) => {
      const activation = this.quantized.get(name);
      if (activation) {
        if (activation.q.scale !== first.q.scale || activation.q.zeroPoint !== first.q.zeroPoint) {
          throw nodeError(
            'E_UNSUPPORTED',
            node,
            `reads quantized tensors with different scales ("${inputs[quantizedIndex]}" and "${name}")`,
            'requantize them to one scale (QLinearConcat does)',
          );
        }
        return activation.float;
      }
      const constant = name === '' ? undefined : this.intConstant(name);
      if (constant && (constant.dtype === 'int8' || constant.dtype === 'uint8')) return this.dequantizeLike(constant, first.q);
      this.adopt(name);
      return name;
    });
    this.emit({ ...node, inputs: floatInputs });
    for (const output of node.outputs) {
      if (output === '') continue;
      this.quantized.set(output, { ...first, float: output });
      this.record(output, first.q);
    }
  }

  /** A Transpose of dequantized weights (PyTorch's Linear: DequantizeLinear -> Transpose -> Gemm) is done here,
   *  so the model's int8 weights follow the transposed float weights. */
  private foldTransposedWeights(node: Node, inputs: string[]): boolean {
    const w = this.weights.get(inputs[0] ?? '');
    const constant = this.floatConstant(inputs[0] ?? '');
    if (node.op !== 'Transpose' || node.domain !== '' || !w || !constant) return false;
    const def = lookupOp('Transpose')!;
    const [value] = def.evaluate(node, [{ shape: constant.shape, dtype: 'float32', data: constant.data }], this.graph.opset);
    const [q] = def.evaluate(node, [{ shape: constant.shape, dtype: 'int8', data: w.q }], this.graph.opset);
    const perm = Array.isArray(node.attrs.perm) ? (node.attrs.perm as number[]) : constant.shape.map((_, i) => constant.shape.length - 1 - i);
    const output = node.outputs[0]!;
    this.tensors.set(output, { name: output, shape: [...value!.shape], dtype: 'float32', data: value!.data });
    this.weights.set(output, { q: q!.data as Int8Array, scales: w.scales, axis: w.scales.length === 1 ? 0 : perm.indexOf(w.axis) });
    return true;
  }

  /** A node whose inputs are all constants becomes constants (the frontend's folding, done early so that
   *  quantization parameters computed from constants are constants). */
  private foldConstantNode(node: Node, inputs: string[]): boolean {
    const def = lookupOp(node.op, node.domain);
    if (!def || inputs.length === 0) return false;
    const values = inputs.map((name) => (name === '' ? undefined : this.constantOf(name)));
    if (values.some((v, i) => inputs[i] !== '' && !v)) return false;
    const results = def.evaluate(
      node,
      values.map((t) => t && { shape: t.shape, dtype: t.dtype, data: t.data }),
      this.graph.opset,
    );
    node.outputs.forEach((output, i) => {
      const value = results[i];
      if (output !== '' && value) this.folded.set(output, { name: output, shape: [...value.shape], dtype: value.dtype, data: value.data });
    });
    return true;
  }

  // ---- helpers ----

  /** The float constant holding DequantizeLinear of an integer constant (one per constant and quantization). */
  private dequantizeOperand(node: Node, constant: Constant, operand: QuantizedOperand, preferred: string): string {
    const stated = this.statedForConstant(node, constant, operand);
    const key = [constant.name, node.inputs[operand.scale], node.inputs[operand.zeroPoint] ?? '', stated.axis ?? ''].join('\u0000');
    const done = this.dequantized.get(key);
    if (done) return done;
    const values = dequantizeConstant(node, numbers(constant.data), constant.shape, stated, constant.name);
    const name = this.nameFor(preferred);
    this.tensors.set(name, { name, shape: [...constant.shape], dtype: 'float32', data: values });
    if (operand.weight) {
      const own = weightOverride(node, numbers(constant.data), constant.shape, stated, constant.name);
      if (own) this.weights.set(name, own);
    }
    this.dequantized.set(key, name);
    return name;
  }

  private statedForConstant(node: Node, constant: Constant, operand: QuantizedOperand): StatedQuant {
    const kind = kindOfDtype(node, constant.dtype, `"${constant.name}"`);
    const stated = readStatedQuant(this.constants, node, {
      scale: operand.scale,
      zeroPoint: operand.zeroPoint,
      rank: constant.shape.length,
      axis: operand.channelAxis,
      kind,
    });
    checkSameKind(node, stated.kind, kind, constant.name);
    return stated;
  }

  /** An integer constant read by a data-movement operator on quantized tensors (Pad's value): its real value. */
  private dequantizeLike(constant: Constant, q: ScaleZero): string {
    const zeroPoint = constant.dtype === 'uint8' ? q.zeroPoint + 128 : q.zeroPoint;
    const values = Float32Array.from(numbers(constant.data), (v) => Math.fround(Math.fround(v - zeroPoint) * q.scale));
    const name = this.nameFor(constant.name);
    this.tensors.set(name, { name, shape: [...constant.shape], dtype: 'float32', data: values });
    return name;
  }

  /** An int8/uint8 graph input: it becomes a float32 input of the same name and shape, quantized as stated. */
  private integerInput(node: Node, name: string, scale: number, zeroPoint: number): QuantizedActivation {
    const known = this.quantized.get(name);
    if (known) return known;
    const t = this.graph.tensors.get(name)!;
    const kind = kindOfDtype(node, t.dtype, `the input "${name}"`);
    const stated = readStatedQuant(this.constants, node, { scale, zeroPoint, kind });
    checkSameKind(node, stated.kind, kind, name);
    const q = activationScaleZero(node, stated, name);
    this.integerIo.push({ role: 'input', tensor: name, dtype: t.dtype, node });
    this.tensors.set(name, { ...t, dtype: 'float32' });
    const activation = { float: name, q, kind: stated.kind };
    this.quantized.set(name, activation);
    this.record(name, q);
    return activation;
  }

  /** `x`, or a Relu of it when the stated quantization clamps a possibly negative value at zero. */
  private clampedAtZero(x: string, q: ScaleZero): string {
    const producer = this.producers.get(x);
    if (q.zeroPoint !== -128 || !producer || !CLAMPED_PRODUCERS.has(producer.op)) return x;
    const done = this.relus.get(x);
    if (done) return done;
    const output = this.freshName(`${x}_relu`);
    this.record(x, q);
    this.emit({ name: this.freshNodeName(`${producer.name}_relu`), op: 'Relu', domain: '', inputs: [x], outputs: [output], attrs: {} });
    this.relus.set(x, output);
    return output;
  }

  /**
   * DequantizeLinear(QuantizeLinear(x)) with the int8 equivalent `q` of the stated quantization, in float32 operators:
   * Div(x, scale) -> Round -> Clip(-128 - zp, 127 - zp) -> Mul(scale), written to `output` (or a fresh tensor).
   * Each step is exact or rounds as ONNX does: x / scale once, ties to even, integers in range, (q - zp) * scale once.
   */
  private roundedToGrid(node: Node, x: string, q: ScaleZero, output?: string): string {
    const key = [x, q.scale, q.zeroPoint].join('\u0000');
    const done = output === undefined ? this.rounded.get(key) : undefined;
    if (done) return done;
    this.adopt(x);
    const scale = this.scalarConstant(`${node.name}_scale`, q.scale);
    // The int8 equivalent saturates to int8's range (uint8's, shifted by the zero point's 128).
    const [lowest, highest] = KIND_RANGE.int8;
    const low = this.scalarConstant(`${node.name}_low`, lowest - q.zeroPoint);
    const high = this.scalarConstant(`${node.name}_high`, highest - q.zeroPoint);
    const scaled = this.freshName(`${x}_scaled`);
    const steps = this.freshName(`${x}_steps`);
    const clamped = this.freshName(`${x}_saturated`);
    const result = output ?? this.freshName(`${x}_rounded`);
    const step = (op: string, inputs: string[], out: string) =>
      this.emit({ name: this.freshNodeName(`${node.name}_${op.toLowerCase()}`), op, domain: '', inputs, outputs: [out], attrs: {} });
    step('Div', [x, scale], scaled);
    step('Round', [scaled], steps);
    step('Clip', [steps, low, high], clamped);
    step('Mul', [clamped, scale], result);
    if (output === undefined) this.rounded.set(key, result);
    return result;
  }

  /** A float32 scalar constant of the result, named after `base`. */
  private scalarConstant(base: string, value: number): string {
    const name = this.freshName(base);
    this.tensors.set(name, { name, shape: [], dtype: 'float32', data: Float32Array.of(value) });
    return name;
  }

  /** The model's graph output `name`, held under that name in the result. */
  private resolveOutput(name: string): string {
    // An output that is itself a quantized tensor (not a DequantizeLinear of one) holds integers in the model.
    const activation = this.quantized.get(name);
    const writer = this.graph.nodes.find((n) => n.outputs.includes(name));
    if (activation && writer) this.integerIo.push({ role: 'output', tensor: name, dtype: activation.kind, node: writer });
    let float = this.resolve(name);
    float = this.quantized.get(float)?.float ?? float;
    while (this.renamed.has(float)) float = this.renamed.get(float)!;
    if (float === name) {
      if (!this.tensors.has(name)) this.adopt(name);
      return name;
    }
    const producer = this.producers.get(float);
    const renamable = producer !== undefined && !this.graph.inputs.includes(float) && !this.graph.outputs.includes(float);
    if (renamable) {
      this.rename(float, name);
    } else {
      this.adopt(float);
      this.emit({ name: this.freshNodeName(`${name}_identity`), op: 'Identity', domain: '', inputs: [float], outputs: [name], attrs: {} });
      const q = this.activations.get(float);
      if (q) this.record(name, q);
    }
    return name;
  }

  private rename(from: string, to: string): void {
    const swap = (n: string) => (n === from ? to : n);
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      if (node.inputs.includes(from) || node.outputs.includes(from)) {
        this.nodes[i] = { ...node, inputs: node.inputs.map(swap), outputs: node.outputs.map(swap) };
        if (node.outputs.includes(from)) this.producers.set(to, this.nodes[i]!);
      }
    }
    const t = this.tensors.get(from)!;
    this.tensors.delete(from);
    this.tensors.set(to, { ...t, name: to, dtype: t.data ? t.dtype : 'float32' });
    for (const map of [this.activations, this.weights] as Map<string, unknown>[]) {
      if (map.has(from)) {
        map.set(to, map.get(from));
        map.delete(from);
      }
    }
    this.renamed.set(from, to);
  }

  private assemble(outputs: string[]): Graph {
    const referenced = new Set([...this.graph.inputs, ...outputs]);
    for (const node of this.nodes) for (const name of [...node.inputs, ...node.outputs]) if (name !== '') referenced.add(name);
    const tensors = new Map<string, Tensor>();
    for (const name of referenced) {
      const t = this.tensors.get(name);
      if (!t) throw new Error(`internal: tensor "${name}" of the imported float graph has no definition`);
      tensors.set(name, t);
    }
    return { ...this.graph, tensors, nodes: this.nodes, inputs: [...this.graph.inputs], outputs };
  }

  private emit(node: Node): void {
    this.nodes.push(node);
    for (const output of node.outputs) {
      if (output === '') continue;
      this.producers.set(output, node);
      const previous = this.graph.tensors.get(output);
      this.tensors.set(output, { name: output, shape: previous && !previous.data ? [...previous.shape] : [], dtype: 'float32' });
    }
  }

  /** Copy a model input or constant the result reads into the result's tensors. */
  private adopt(name: string): void {
    if (name === '' || this.tensors.has(name)) return;
    const t = this.folded.get(name) ?? this.graph.tensors.get(name);
    if (t && (t.data || this.graph.inputs.includes(name))) this.tensors.set(name, t);
  }

  private resolve(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  private record(name: string, q: ScaleZero): void {
    if (!this.activations.has(name)) this.activations.set(name, q);
  }

  /** A constant of the result or the model, by name. */
  private constantOf(name: string): Constant | undefined {
    const t = this.tensors.get(name) ?? this.folded.get(name) ?? this.graph.tensors.get(name);
    return t?.data ? (t as Constant) : undefined;
  }

  private floatConstant(name: string): Constant | undefined {
    const t = this.constantOf(name);
    return t?.data && (t.dtype === 'float32' || t.dtype === 'float64') ? (t as Constant) : undefined;
  }

  private intConstant(name: string): Constant | undefined {
    const made = this.intConstants.get(name);
    if (made) return made;
    const t = this.folded.get(name) ?? this.graph.tensors.get(name);
    return t?.data && INTEGER_DTYPES.has(t.dtype) ? (t as Constant) : undefined;
  }

  /** `preferred` when the result has no tensor of that name yet, else a fresh name. */
  private nameFor(preferred: string): string {
    return this.tensors.has(preferred) ? this.freshName(preferred) : preferred;
  }

  private freshName(base: string): string {
    let name = base;
    for (let k = 1; this.graph.tensors.has(name) || this.tensors.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  private freshNodeName(base: string): string {
    const taken = (n: string) => this.graph.nodes.some((node) => node.name === n) || this.nodes.some((node) => node.name === n);
    let name = base;
    for (let k = 1; taken(name); k++) name = `${base}_${k}`;
    return name;
  }
}

/** ONNX TensorProto element type numbers of the 8-bit kinds (Cast's `to`). */
const ONNX_TYPE_OF_KIND: Record<QuantKind, number> = { uint8: 2, int8: 3, int32: 6 };

/** QuantizeLinear / DequantizeLinear `axis` (ONNX default 1). */
function axisAttr(node: Node): number {
  return typeof node.attrs.axis === 'number' ? node.attrs.axis : 1;
}

/** A quantized activation must be read with the scale and zero point it was written with. */
function checkSameQuant(node: Node, tensor: string, written: ScaleZero, read: ScaleZero): void {
  if (written.scale === read.scale && written.zeroPoint === read.zeroPoint) return;
  throw nodeError(
    'E_UNSUPPORTED',
    node,
    `reads "${tensor}" with scale ${read.scale} and zero point ${read.zeroPoint}, but it was quantized with scale ` +
      `${written.scale} and zero point ${written.zeroPoint}`,
    'change scales with DequantizeLinear -> QuantizeLinear, not by reading a tensor with other parameters',
  );
}

function checkSameKind(node: Node, stated: QuantKind, actual: QuantKind, tensor: string): void {
  if (stated !== actual) {
    throw nodeError(
      'E_MODEL',
      node,
      `"${tensor}" is ${actual} but its zero point is ${stated}`,
      'the zero point must have the type of the quantized tensor',
    );
  }
}

function numbers(data: TensorData): ArrayLike<number> {
  return data as ArrayLike<number>;
}
