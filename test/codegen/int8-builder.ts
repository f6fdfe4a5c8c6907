// Builds small quantized graphs (the int8 dialect of src/ir/int8.ts) by hand for the int8 code generation tests:
// random int8 weights and data, requantization parameters from src/quantize/multiplier.ts as the quantize stage
// computes them, and default-domain passthrough operators whose outputs share their input's quantization.

import type { AttrValue, Graph, Tensor } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import { INT8_DOMAIN, perTensorQuant, type ScaleZero } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import { addParams, channelMultipliers, mulParams } from '../../src/quantize/multiplier.js';
import { qAddAttrs } from '../../src/quantize/rewrite/elementwise.js';
import { GraphBuilder } from '../schedule/graph-builder.js';

export class Int8GraphBuilder {
  readonly b: GraphBuilder;
  private count = 0;

  constructor(
    name: string,
    private readonly rand: () => number,
  ) {
    this.b = new GraphBuilder(name, 17);
  }

  /** A real scale in [lo, hi), as float32. */
  scale(lo = 0.01, hi = 0.1): number {
    return Math.fround(lo + (hi - lo) * this.rand());
  }

  /** A zero point in [-20, 20]. */
  zeroPoint(): number {
    return Math.floor(this.rand() * 41) - 20;
  }

  /** A fresh activation quantization. */
  quant(): ScaleZero {
    return { scale: this.scale(), zeroPoint: this.zeroPoint() };
  }

  private tensor(name: string): Tensor {
    const t = this.b.tensors.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t;
  }

  quantOf(name: string): ScaleZero {
    const q = this.tensor(name).quant!;
    return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
  }

  shapeOf(name: string): number[] {
    return this.tensor(name).shape;
  }

  /** An int8 model input. */
  input(name: string, shape: number[], q: ScaleZero = this.quant()): string {
    this.b.input(name, shape, 'int8');
    this.tensor(name).quant = perTensorQuant(q.scale, q.zeroPoint);
    return name;
  }

  /** A float32 model input (--io float32). */
  floatInput(name: string, shape: number[]): string {
    return this.b.input(name, shape, 'float32');
  }

  /** A random int8 constant with per-tensor quantization (an Add / Concat operand). */
  constant(shape: number[], q: ScaleZero = this.quant()): string {
    const name = `k${this.count++}`;
    this.b.constant(name, shape, this.int8s(sizeOf(shape), -128, 127), 'int8');
    this.tensor(name).quant = perTensorQuant(q.scale, q.zeroPoint);
    return name;
  }

  int8s(n: number, lo: number, hi: number): Int8Array {
    return Int8Array.from({ length: n }, () => lo + Math.floor(this.rand() * (hi - lo + 1)));
  }

  /** A node of the int8 dialect with one int8 output of `shape` and quantization `q`. */
  q(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue>,
    shape: number[],
    q: ScaleZero = this.quant(),
    dtype: 'int8' | 'float32' = 'int8',
  ): string {
    const out = this.b.node(op, inputs, attrs, [shape], [dtype])[0]!;
    this.b.nodes[this.b.nodes.length - 1]!.domain = INT8_DOMAIN;
    if (dtype === 'int8') this.tensor(out).quant = perTensorQuant(q.scale, q.zeroPoint);
    return out;
  }

  /** A default-domain passthrough operator: outputs keep the first input's quantization (shape rule inferred). */
  pass(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = this.b.node(op, inputs, attrs, outputs);
    const q = this.tensor(inputs[0]!).quant!;
    for (const o of outs) {
      const t = this.tensor(o);
      t.dtype = 'int8';
      t.quant = perTensorQuant(q.scale[0]!, q.zeroPoint[0]!);
    }
    return outs;
  }

  /** An int64 constant (shapes, indices, pads). */
  ints(values: number[]): string {
    return this.b.constant(`i${this.count++}`, [values.length], values, 'int64');
  }

  /**
   * Symmetric per-channel weights [channels, ...rest] (or [C, M/g, ...] with `axis` 1), a bias of `channels`
   * int32 values, the output quantization (given, or scaled so that a typical accumulator of `taps` products
   * lands well inside int8) and the multipliers sIn * sW[c] / sOut.
   */
  private layerParams(shape: number[], axis: number, x: string, taps: number, withBias: boolean, given?: ScaleZero) {
    const channels = shape[axis]!;
    const w = this.b.constant(`w${this.count++}`, shape, this.int8s(sizeOf(shape), -127, 127), 'int8');
    const scales = Float32Array.from({ length: channels }, () => this.scale(0.002, 0.02));
    this.tensor(w).quant = { scale: scales, zeroPoint: new Int32Array(channels), axis };
    const sIn = this.quantOf(x).scale;
    const meanScale = scales.reduce((a, v) => a + v, 0) / channels;
    // (x - zp) * w has a spread of about 74 * 73 per product; aim for a spread of ~40 output steps.
    const q = given ?? { scale: Math.fround((sIn * meanScale * Math.sqrt(taps) * 5400) / 40), zeroPoint: this.zeroPoint() };
    const bias = withBias
      ? this.b.constant(
          `b${this.count++}`,
          [channels],
          Int32Array.from({ length: channels }, () => Math.floor((this.rand() - 0.5) * 20000)),
          'int32',
        )
      : '';
    const { multipliers, shifts } = channelMultipliers(sIn, scales, q.scale);
    return { w, bias, q, attrs: { multiplier: Array.from(multipliers), shift: Array.from(shifts) } };
  }

  /** QConv with explicit ONNX attributes; `act` clamps the output (e.g. a fused Relu: [zeroPoint, 127]). */
  conv(
    x: string,
    outC: number,
    kernel: number[],
    attrs: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number },
    outShape: number[],
    options: { bias?: boolean; act?: 'relu' | [number, number]; q?: ScaleZero } = {},
  ): string {
    const inC = this.shapeOf(x)[1]!;
    const group = attrs.group ?? 1;
    const taps = (inC / group) * sizeOf(kernel);
    const p = this.layerParams([outC, inC / group, ...kernel], 0, x, taps, options.bias ?? true, options.q);
    const rank = kernel.length;
    return this.q(
      'QConv',
      [x, p.w, p.bias],
      {
        kernel_shape: kernel,
        strides: attrs.strides ?? new Array(rank).fill(1),
        dilations: attrs.dilations ?? new Array(rank).fill(1),
        pads: attrs.pads ?? new Array(2 * rank).fill(0),
        group,
        ...p.attrs,
        ...this.clamp(options.act, p.q),
      },
      outShape,
      p.q,
    );
  }

  /** act_min / act_max: a fused Relu clamps at the output zero point (a real 0). */
  private clamp(act: 'relu' | [number, number] | undefined, q: ScaleZero): { act_min: number; act_max: number } {
    if (act === 'relu') return { act_min: q.zeroPoint, act_max: 127 };
    return { act_min: act?.[0] ?? -128, act_max: act?.[1] ?? 127 };
  }

  convTranspose(
    x: string,
    outC: number,
    kernel: number[],
    attrs: { strides: number[]; pads: number[]; output_padding?: number[]; dilations?: number[] },
    outShape: number[],
  ): string {
    const inC = this.shapeOf(x)[1]!;
    const p = this.layerParams([inC, outC, ...kernel], 1, x, (inC * sizeOf(kernel)) / 2, true);
    const rank = kernel.length;
    return this.q(
      'QConvTranspose',
      [x, p.w, p.bias],
      {
        kernel_shape: kernel,
        strides: attrs.strides,
        pads: attrs.pads,
        dilations: attrs.dilations ?? new Array(rank).fill(1),
        group: 1,
        output_padding: attrs.output_padding ?? new Array(rank).fill(0),
        ...p.attrs,
        act_min: -128,
        act_max: 127,
      },
      outShape,
      p.q,
    );
  }

  gemm(x: string, n: number, options: { bias?: boolean; q?: ScaleZero } = {}): string {
    const shape = this.shapeOf(x);
    const k = shape[shape.length - 1]!;
    const p = this.layerParams([n, k], 0, x, k, options.bias ?? true, options.q);
    return this.q('QGemm', [x, p.w, p.bias], { ...p.attrs, act_min: -128, act_max: 127 }, [...shape.slice(0, -1), n], p.q);
  }

  add(a: string, b: string, outShape: number[], subtract = false, act: [number, number] = [-128, 127]): string {
    const q = this.quant();
    const p = addParams(this.quantOf(a), this.quantOf(b), q, act[0], act[1]);
    return this.q('QAdd', [a, b], qAddAttrs(p, subtract), outShape, q);
  }

  mul(a: string, b: string, outShape: number[], given?: ScaleZero): string {
    // (a - zpA) * (b - zpB) spreads over about +-5000: aim for +-60 output steps.
    const q = given ?? { scale: Math.fround((this.quantOf(a).scale * this.quantOf(b).scale * 5000) / 60), zeroPoint: this.zeroPoint() };
    const p = mulParams(this.quantOf(a), this.quantOf(b), q);
    return this.q(
      'QMul',
      [a, b],
      { output_multiplier: p.outputMultiplier, output_shift: p.outputShift, act_min: p.actMin, act_max: p.actMax },
      outShape,
      q,
    );
  }

  /** A QLut computing `f` of the real input value into a fresh quantization. */
  lut(x: string, f: (real: number) => number): string {
    const qx = this.quantOf(x);
    const q = this.quant();
    const table = Array.from({ length: 256 }, (_, i) => quantizeF32S8(f(qx.scale * (i - 128 - qx.zeroPoint)), q.scale, q.zeroPoint));
    return this.q('QLut', [x], { table }, this.shapeOf(x), q);
  }

  softmax(x: string): string {
    const s = this.quantOf(x).scale;
    const table = Array.from({ length: 256 }, (_, d) => Math.round(Math.exp(-s * d) * 65536));
    return this.q('QSoftmax', [x], { table }, this.shapeOf(x), { scale: 1 / 256, zeroPoint: -128 });
  }

  averagePool(x: string, kernel: number[], strides: number[], pads: number[], countIncludePad: number, outShape: number[]): string {
    return this.q(
      'QAveragePool',
      [x],
      { kernel_shape: kernel, strides, pads, count_include_pad: countIncludePad, act_min: -128, act_max: 127 },
      outShape,
      this.quantOf(x),
    );
  }

  quantize(x: string): string {
    return this.q('Quantize', [x], {}, this.shapeOf(x));
  }

  dequantize(x: string): string {
    return this.q('Dequantize', [x], {}, this.shapeOf(x), undefined, 'float32');
  }

  output(name: string): void {
    this.b.output(name);
  }

  build(): Graph {
    return this.b.build();
  }
}

/** Random values for every model input: int8 over the whole range, float32 in [-2, 2). */
export function randomInputs(graph: Graph, rand: () => number): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    const n = sizeOf(t.shape);
    values[name] =
      t.dtype === 'int8'
        ? { shape: t.shape, dtype: 'int8', data: Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128) }
        : { shape: t.shape, dtype: 'float32', data: Float32Array.from({ length: n }, () => Math.fround(4 * rand() - 2)) };
  }
  return values;
}
