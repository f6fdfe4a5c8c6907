// The int8 graph under construction (the RewriteContext every rewrite works with): its tensors and nodes, which
// int8 tensor holds each float activation, which float nodes were folded into their producer, and the float32
// boundary of --io float32 (Quantize after each input, Dequantize before each output).

import { EennError, nodeError } from '../../ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { perTensorQuant, type ScaleZero } from '../../ir/int8.js';
import { fixedOutputQuant } from '../fixed-ranges.js';
import type { QuantOverrides } from '../overrides.js';
import { chooseQuantParams, chooseQuantParamsS16, representableRange } from '../quant-params.js';
import type { QuantizeOptions } from '../quantize-graph.js';
import { int8Node, type Int8Activation, type RewriteContext } from './context.js';
import { addRequantize } from './requantize.js';

export class Int8GraphBuilder implements RewriteContext {
  readonly overrides: QuantOverrides | undefined;
  private readonly tensors = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  /** Float tensor name -> the int8 tensor holding it (renamed only at the float32 boundary). */
  private readonly int8Name = new Map<string, string>();
  /** Nodes folded into their producer (their output replaces the producer's). */
  private readonly folded = new Set<Node>();
  private readonly consumers = new Map<string, Node[]>();
  /** Float tensor name -> the node of the float graph that computes it. */
  private readonly producers = new Map<string, Node>();
  private readonly io: 'int8' | 'float32';
  /** Float tensor name -> the int8 copy of its int16 tensor, for readers without an int16 form. */
  private readonly narrowed = new Map<string, Int8Activation>();

  constructor(
    readonly graph: Graph,
    private readonly options: QuantizeOptions,
  ) {
    this.overrides = options.overrides;
    this.io = options.io ?? 'int8';
    for (const node of graph.nodes) {
      for (const name of node.inputs) if (name !== '') this.consumers.set(name, [...(this.consumers.get(name) ?? []), node]);
      for (const name of node.outputs) if (name !== '') this.producers.set(name, node);
    }
  }

  floatTensor(name: string): Tensor {
    const t = this.graph.tensors.get(name);
    if (!t) throw new Error(`internal: tensor "${name}" is not in the float graph`);
    return t;
  }

  freshName(base: string): string {
    let name = base;
    for (let i = 1; this.graph.tensors.has(name) || this.tensors.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  activationQuantS16(name: string): ScaleZero {
    const range = this.options.ranges.get(name) ?? representableRange(this.activationQuant(name));
    return chooseQuantParamsS16(range, name);
  }

  holdsInt16(name: string): boolean {
    return (this.options.int16?.has(name) ?? false) && !this.graph.outputs.includes(name);
  }

  activationQuant(name: string): ScaleZero {
    const own = this.options.overrides?.activations.get(name);
    if (own) return own;
    const producer = this.producers.get(name);
    const range = this.options.ranges.get(name);
    const fixed = producer && fixedOutputQuant(this.graph, producer, range);
    if (fixed) return fixed;
    if (!range) {
      throw new EennError({ code: 'E_DATA', message: `tensor "${name}" has no calibrated range`, hint: 'give calibration data with --calib' });
    }
    return chooseQuantParams(range, name);
  }

  addActivation(name: string, shape: number[], q: ScaleZero, dtype: 'int8' | 'int16' = 'int8'): Tensor {
    const t: Tensor = { name, shape: [...shape], dtype, quant: perTensorQuant(q.scale, q.zeroPoint) };
    this.tensors.set(name, t);
    return t;
  }

  activation(node: Node, name: string): Int8Activation {
    const held = this.wideActivation(node, name);
    if (held.tensor.dtype === 'int8') return held;
    let narrow = this.narrowed.get(name);
    if (!narrow) {
      narrow = addRequantize(this, `${name}_requantize`, held, this.freshName(`${name}_int8`), this.activationQuant(name), 'int8');
      this.narrowed.set(name, narrow);
    }
    return narrow;
  }

  wideActivation(node: Node, name: string): Int8Activation {
    const t = this.tensors.get(this.int8Name.get(name) ?? name);
    if (!t || (t.dtype !== 'int8' && t.dtype !== 'int16') || !t.quant) {
      throw nodeError('E_UNSUPPORTED', node, `input "${name}" is not an int8 activation (${this.floatTensor(name).dtype})`);
    }
    return { tensor: t, q: { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! } };
  }

  addConstant(name: string, t: Tensor): string {
    const fresh = this.freshName(name);
    this.tensors.set(fresh, { ...t, name: fresh });
    return fresh;
  }

  keepConstant(name: string): string {
    if (name === '') return name;
    if (!this.tensors.has(name)) this.tensors.set(name, { ...this.floatTensor(name) });
    return name;
  }

  addNode(node: Node): void {
    this.nodes.push(node);
  }

  readersOf(name: string): readonly Node[] {
    return this.consumers.get(name) ?? [];
  }

  fold(node: Node): void {
    this.folded.add(node);
  }

  isFolded(node: Node): boolean {
    return this.folded.has(node);
  }

  /** The int8 tensor of model input `name` (after a Quantize with --io float32); a problem when it is not float32. */
  addInput(name: string): string | undefined {
    const t = this.floatTensor(name);
    if (t.dtype !== 'float32') return `model input "${name}" is ${t.dtype}; int8 quantization takes float32 inputs`;
    const q = this.activationQuant(name);
    if (this.io === 'float32') {
      this.tensors.set(name, { ...t });
      const qName = this.freshName(`${name}_int8`);
      this.addActivation(qName, t.shape, q);
      this.int8Name.set(name, qName);
      this.nodes.push(int8Node('Quantize', `${name}_quantize`, [name], [qName], {}));
    } else {
      this.addActivation(name, t.shape, q);
    }
    return undefined;
  }

  /** The int8 graph, its outputs dequantized with --io float32. */
  finish(): Graph {
    const g = this.graph;
    const outputs = g.outputs.map((name) => this.finishOutput(name));
    return { name: g.name, opset: g.opset, tensors: this.tensors, nodes: this.nodes, inputs: [...g.inputs], outputs };
  }

  private finishOutput(name: string): string {
    const int8 = this.int8Name.get(name) ?? name;
    const held = this.tensors.get(int8);
    if (!held) throw new Error(`internal: output "${name}" was not quantized`);
    const t = held.dtype === 'int16' ? this.narrowOutput(name, held) : held;
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
    this.nodes.push(int8Node('Dequantize', `${name}_dequantize`, [renamed], [name], {}));
    return name;
  }

  /** A model output held as int16 (after an int16 passthrough): it takes a new name and a QRequantize writes the int8 output. */
  private narrowOutput(name: string, held: Tensor): Tensor {
    const wide = this.freshName(`${held.name}_int16`);
    this.tensors.delete(held.name);
    const renamed = { ...held, name: wide };
    this.tensors.set(wide, renamed);
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((n) => (n === held.name ? wide : n));
      node.outputs = node.outputs.map((n) => (n === held.name ? wide : n));
    }
    const from = { tensor: renamed, q: { scale: renamed.quant!.scale[0]!, zeroPoint: 0 } };
    return addRequantize(this, `${name}_output_requantize`, from, held.name, this.activationQuant(name), 'int8').tensor;
  }
}
