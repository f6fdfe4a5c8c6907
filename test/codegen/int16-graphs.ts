// Builds graphs of the int8 dialect with int16 activations by hand (src/ir/int8.ts, "int16 activations") for the
// int16 code generation tests: random int8 model inputs and weights, int32 or int64 biases, and each layer's
// per-channel requantization chosen from its accumulators (int16-straightforward.ts evaluates the graph as it
// grows) so that its outputs fill the output type's range and some saturate.

import type { AttrValue, Graph, Node, Tensor } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant } from '../../src/ir/int8.js';
import { forwardWindow } from '../../src/ops/spatial.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeMultiplier } from '../../src/quantize/multiplier.js';
import { Random } from '../quantize/random.js';
import { layerAccumulators, runNode } from './int16-straightforward.js';

export type Width = 'int8' | 'int16';

/** Each output type's clamp limits. */
const LIMITS: Record<Width, [number, number]> = { int8: [-128, 127], int16: [-32768, 32767] };

/** A multiplier at or above 0x7FFF0000, which eenn_requantize_s64 takes as the Q15 value 0x7FFF. */
export const TOP_MULTIPLIER = 0x7fffc000;

export interface LayerOptions {
  /** The output clamp (default: the type's whole range). */
  act?: [number, number];
  /** No bias input. */
  noBias?: boolean;
  /** Channel 0's int64 bias beyond 2^32 (an int16 input only), requantized just below the top of the range. */
  bigBias?: boolean;
  /** Channel 1's multiplier at TOP_MULTIPLIER (an int16 input only). */
  topMultiplier?: boolean;
}

export class Int16GraphBuilder {
  private readonly tensors = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  /** Every tensor's value so far. */
  readonly env = new Map<string, Value>();
  private count = 0;

  constructor(
    private readonly name: string,
    private readonly random: Random,
  ) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  private tensor(name: string): Tensor {
    return this.tensors.get(name)!;
  }

  /** An activation's quantization: int16 symmetric, int8 with a zero point in [-20, 20]. */
  private quant(width: Width): NonNullable<Tensor['quant']> {
    return width === 'int16'
      ? perTensorQuant(Math.fround(0.0001 + 0.001 * this.random.float()), 0)
      : perTensorQuant(Math.fround(0.01 + 0.05 * this.random.float()), this.random.int(-20, 20));
  }

  /** An int8 model input with random values over the whole int8 range. */
  input(name: string, shape: number[]): string {
    const t: Tensor = { name, shape, dtype: 'int8', quant: this.quant('int8') };
    this.tensors.set(name, t);
    this.inputs.push(name);
    this.env.set(name, { shape, dtype: 'int8', data: Int8Array.from({ length: sizeOf(shape) }, () => this.random.int(-128, 127)) });
    return name;
  }

  output(name: string): void {
    this.outputs.push(name);
  }

  private add(node: Node, out: Tensor): string {
    this.tensors.set(out.name, out);
    this.nodes.push(node);
    runNode(this.build(), node, this.env);
    return out.name;
  }

  /** Weights [channels, ...rest] of random int8 values, per-channel scales. */
  private weights(shape: number[]): string {
    const name = this.fresh('w');
    const channels = shape[0]!;
    this.tensors.set(name, {
      name,
      shape,
      dtype: 'int8',
      data: Int8Array.from({ length: sizeOf(shape) }, () => this.random.int(-127, 127)),
      quant: { scale: Float32Array.from({ length: channels }, () => 0.01), zeroPoint: new Int32Array(channels), axis: 0 },
    });
    return name;
  }

  /** The bias of a layer: int64 (Float64Array) for an int16 input, else int32. */
  private bias(channels: number, wide: boolean, options: LayerOptions): string | undefined {
    if (options.noBias) return undefined;
    const name = this.fresh('b');
    const span = wide ? 2 ** 24 : 5000;
    const values = Array.from({ length: channels }, () => this.random.int(-span, span));
    if (options.bigBias) values[0] = 2 ** 33 + 12345;
    this.tensors.set(
      name,
      wide
        ? { name, shape: [channels], dtype: 'int64', data: Float64Array.from(values) }
        : { name, shape: [channels], dtype: 'int32', data: Int32Array.from(values) },
    );
    return name;
  }

  /**
   * A QConv or QGemm from `x` to a new `width` tensor of `shape`: its multipliers fill the range from each
   * channel's largest accumulator (times a random headroom in [0.9, 1.3]: some channels saturate).
   */
  private layer(
    op: 'QConv' | 'QGemm',
    x: string,
    w: string,
    shape: number[],
    width: Width,
    attrs: Record<string, AttrValue>,
    options: LayerOptions,
  ): string {
    const wide = this.tensor(x).dtype === 'int16';
    const channels = this.tensor(w).shape[0]!;
    const b = this.bias(channels, wide, options);
    const out: Tensor = { name: this.fresh(op.toLowerCase()), shape, dtype: width, quant: this.quant(width) };
    const [lo, hi] = options.act ?? LIMITS[width];
    const node: Node = {
      name: `${out.name}_node`,
      op,
      domain: INT8_DOMAIN,
      inputs: b ? [x, w, b] : [x, w],
      outputs: [out.name],
      attrs: { ...attrs, act_min: lo, act_max: hi },
    };
    this.tensors.set(out.name, out);
    const { acc, channel } = layerAccumulators(this.build(), node, this.env);
    const largest = new Float64Array(channels).fill(1);
    acc.forEach((a, i) => (largest[channel[i]!] = Math.max(largest[channel[i]!]!, Math.abs(a))));
    const limit = LIMITS[width][1];
    const quantized = Array.from(largest, (m, c) =>
      quantizeMultiplier(((options.bigBias && c === 0 ? 0.9995 : this.random.uniform(0.9, 1.3)) * limit) / m),
    );
    const multiplier = quantized.map((q) => q.multiplier);
    const shift = quantized.map((q) => q.shift);
    if (options.topMultiplier) multiplier[1] = TOP_MULTIPLIER;
    node.attrs.multiplier = multiplier;
    node.attrs.shift = shift;
    return this.add(node, out);
  }

  /** QConv: kernel `kernel`, ONNX attributes (strides, pads, dilations, group) explicit, to a `width` output. */
  conv(
    x: string,
    outC: number,
    kernel: number[],
    attrs: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number },
    width: Width,
    options: LayerOptions = {},
  ): string {
    const xs = this.tensor(x).shape;
    const group = attrs.group ?? 1;
    const full = {
      kernel_shape: kernel,
      strides: attrs.strides ?? kernel.map(() => 1),
      pads: attrs.pads ?? [...kernel, ...kernel].map(() => 0),
      dilations: attrs.dilations ?? kernel.map(() => 1),
      group,
    };
    const w = this.weights([outC, xs[1]! / group, ...kernel]);
    const probe: Node = { name: 'probe', op: 'QConv', domain: INT8_DOMAIN, inputs: [], outputs: [], attrs: full };
    const geometry = forwardWindow(probe, xs.slice(2), kernel);
    return this.layer('QConv', x, w, [xs[0]!, outC, ...geometry.outputSize], width, full, options);
  }

  /** QGemm: X [rows..., K] times W [n, K]. */
  gemm(x: string, n: number, width: Width, options: LayerOptions = {}): string {
    const xs = this.tensor(x).shape;
    const w = this.weights([n, xs[xs.length - 1]!]);
    return this.layer('QGemm', x, w, [...xs.slice(0, -1), n], width, {}, options);
  }

  /** QRequantize to a new `width` tensor, scaled by `ratio` (sX / sY) times a headroom in [0.9, 1.3]. */
  requantize(x: string, width: Width): string {
    const t = this.tensor(x);
    const values = this.env.get(x)!.data as ArrayLike<number>;
    let largest = 1;
    for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]! - t.quant!.zeroPoint[0]!));
    const q = quantizeMultiplier((this.random.uniform(0.9, 1.3) * LIMITS[width][1]) / largest);
    const out: Tensor = { name: this.fresh('rq'), shape: t.shape, dtype: width, quant: this.quant(width) };
    const [lo, hi] = LIMITS[width];
    return this.add(
      {
        name: `${out.name}_node`,
        op: 'QRequantize',
        domain: INT8_DOMAIN,
        inputs: [x],
        outputs: [out.name],
        attrs: { multiplier: q.multiplier, shift: q.shift, act_min: lo, act_max: hi },
      },
      out,
    );
  }

  /** A default-domain operator that moves `x` to a tensor of `shape` with x's type and quantization. */
  pass(op: string, x: string, shape: number[], attrs: Record<string, AttrValue> = {}, extraInputs: Tensor[] = []): string {
    const t = this.tensor(x);
    for (const e of extraInputs) this.tensors.set(e.name, e);
    const out: Tensor = { name: this.fresh(op.toLowerCase()), shape, dtype: t.dtype, quant: t.quant! };
    return this.add({ name: `${out.name}_node`, op, domain: '', inputs: [x, ...extraInputs.map((e) => e.name)], outputs: [out.name], attrs }, out);
  }

  /** The graph so far. */
  build(): Graph {
    return {
      name: this.name,
      opset: 13,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes: [...this.nodes],
      tensors: new Map(this.tensors),
    };
  }

  /** The model inputs' values. */
  inputValues(): Record<string, Value> {
    return Object.fromEntries(this.inputs.map((name) => [name, this.env.get(name)!]));
  }
}
