// Bias correction (Nagel et al. 2019, "Data-Free Quantization", section 4.2, with measured rather than modelled
// input statistics): rounding a layer's weights to int8 shifts the mean of its output by E · E[x], where E is the
// weight error dequant(Wq) - W and E[x] the mean input under the window; subtracting that shift from the float
// bias lets the int32 bias the quantize stage computes carry it. The pure math; src/bias-correction.ts runs the
// float reference that gives the layer inputs and puts the new biases into the graph.

import { isDefaultDomain, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { attrInt } from '../ops/attrs.js';
import { attributesOf } from '../ops/facts.js';
import { forwardWindow, to2d, validOutputRange, type Window2d } from '../ops/spatial.js';
import { assertFinite, type PerChannelWeights } from './quant-params.js';
import { gemmWeights } from './rewrite/gemm.js';
import { channelWeights } from './rewrite/weights.js';

/**
 * At most this many calibration samples measure each layer's mean input: the mean of a window converges long
 * before the range statistics calibration needs, and each sample costs one float run of the whole model.
 */
export const BIAS_CORRECTION_SAMPLES = 64;

/** Spatial ranks whose Conv the quantize stage lowers (1-D and 2-D), the only ones worth correcting. */
const CONV_SPATIAL_RANKS: ReadonlySet<number> = new Set([1, 2]);

/** The samples bias correction measures: all of them, or BIAS_CORRECTION_SAMPLES spread evenly over the set. */
export function biasCorrectionSamples<T>(samples: readonly T[]): T[] {
  if (samples.length <= BIAS_CORRECTION_SAMPLES) return [...samples];
  return Array.from({ length: BIAS_CORRECTION_SAMPLES }, (_, i) => samples[Math.floor((i * samples.length) / BIAS_CORRECTION_SAMPLES)]!);
}

/**
 * A Conv or Gemm whose bias can absorb its weight rounding error. Its weights are read as the quantize stage reads
 * them: `channels` rows of `taps` values, one row per output channel, output channel m in group
 * floor(m / (channels / groups)); tap j of a row meets element j of its group's window (Conv: input channel of the
 * group, then kernel row, then kernel column; Gemm: K).
 */
export interface CorrectableLayer {
  node: Node;
  /** The activation the layer reads. */
  input: string;
  channels: number;
  groups: number;
  taps: number;
  /** Weight error dequant(Wq) - W, [channels, taps], in float64. */
  error: Float64Array;
  /** How the mean of the window is taken from one input value (its layout and padding). */
  window: { kind: 'conv'; geometry: Window2d; channelsIn: number } | { kind: 'gemm'; transA: boolean; k: number };
}

/**
 * The Conv (1-D or 2-D) and Gemm nodes of `graph` with a constant weight and an activation input, with the error
 * of their int8 weights: `weights.get(name)` where the quantize stage would keep it (learned rounding, the model's
 * own), else symmetric per channel to nearest. Layers the quantize stage refuses (other ranks, a Gemm bias it
 * cannot fold) are left out: it reports them itself.
 */
export function correctableLayers(graph: Graph, weights: ReadonlyMap<string, PerChannelWeights>): CorrectableLayer[] {
  const layers: CorrectableLayer[] = [];
  for (const node of graph.nodes) {
    if (!isDefaultDomain(node)) continue;
    const x = graph.tensors.get(node.inputs[0] ?? '');
    const w = graph.tensors.get(node.inputs[1] ?? '');
    if (!x || x.data || x.dtype !== 'float32' || !w?.data || w.dtype !== 'float32') continue;
    const layer = node.op === 'Conv' ? convLayer(graph, node, x, w, weights) : node.op === 'Gemm' ? gemmLayer(graph, node, x, w, weights) : undefined;
    if (layer) layers.push(layer);
  }
  return layers;
}

function convLayer(graph: Graph, node: Node, x: Tensor, w: Tensor, weights: ReadonlyMap<string, PerChannelWeights>): CorrectableLayer | undefined {
  const spatial = x.shape.length - 2;
  if (!CONV_SPATIAL_RANKS.has(spatial)) return undefined;
  const bias = graph.tensors.get(node.inputs[2] ?? '');
  if (node.inputs[2] && !bias?.data) return undefined;
  const geometry = to2d(forwardWindow(node, x.shape.slice(2), w.shape.slice(2)));
  const data = floats(w);
  const wq = channelWeights(node, w.name, data, w.shape, 0, weights.get(w.name));
  const channels = w.shape[0]!;
  return {
    node,
    input: x.name,
    channels,
    groups: attrInt(node, 'group', 1),
    taps: data.length / channels,
    error: weightError(data, wq, channels),
    window: { kind: 'conv', geometry, channelsIn: x.shape[1]! },
  };
}

function gemmLayer(graph: Graph, node: Node, x: Tensor, w: Tensor, weights: ReadonlyMap<string, PerChannelWeights>): CorrectableLayer | undefined {
  if (x.shape.length !== 2 || w.shape.length !== 2) return undefined;
  const { w: rows, n, k, own } = gemmWeights(node, floats(w), w.shape, weights);
  const c = graph.tensors.get(node.inputs[2] ?? '');
  if (node.inputs[2] && (!c?.data || (c.data.length !== 1 && c.data.length !== n))) return undefined;
  const wq = channelWeights(node, w.name, rows, [n, k], 0, own);
  return {
    node,
    input: x.name,
    channels: n,
    groups: 1,
    taps: k,
    error: weightError(rows, wq, n),
    window: { kind: 'gemm', transA: attrInt(node, 'transA', 0) !== 0, k },
  };
}

function floats(t: Tensor): Float32Array {
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  assertFinite(data, t.name);
  return data;
}

/**
 * dequant(Wq) - W for `channels` rows (axis 0). The dequantized weight is taken in float32, as the float graph
 * holds it, so weights the model quantized itself (float = dequant exactly) have no error and keep their bias.
 */
function weightError(w: Float32Array, wq: PerChannelWeights, channels: number): Float64Array {
  const taps = w.length / channels;
  const error = new Float64Array(w.length);
  for (let m = 0; m < channels; m++) {
    const scale = wq.scales[m]!;
    for (let j = 0; j < taps; j++) error[m * taps + j] = Math.fround(wq.q[m * taps + j]! * scale) - w[m * taps + j]!;
  }
  return error;
}

/**
 * Sums of the window over output positions and samples, one vector of `taps` per group: what the mean input at
 * each tap of the window is, padding counted as 0.
 */
export class WindowMean {
  private readonly sums: Float64Array;
  private count = 0;

  constructor(private readonly layer: CorrectableLayer) {
    this.sums = new Float64Array(layer.groups * layer.taps);
  }

  /** Adds one value of the layer's input (the whole batch of one sample). */
  add(input: Float32Array): void {
    const window = this.layer.window;
    if (window.kind === 'gemm') this.addGemm(input, window.transA, window.k);
    else this.addConv(input, window.geometry, window.channelsIn);
  }

  /** The mean window of each group, [groups, taps] (zeros before any value was added). */
  mean(): Float64Array {
    const out = new Float64Array(this.sums.length);
    if (this.count > 0) for (let i = 0; i < out.length; i++) out[i] = this.sums[i]! / this.count;
    return out;
  }

  /** op(A) is [M, K]: every row is one window. */
  private addGemm(a: Float32Array, transA: boolean, k: number): void {
    const rows = a.length / k;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < k; j++) this.sums[j] = this.sums[j]! + a[transA ? j * rows + r : r * k + j]!;
    }
    this.count += rows;
  }

  /**
   * x is [N, C, inH, inW]. The sum over output positions of tap (c, kh, kw) separates: first, for every input row
   * and kernel column, the sum over output columns of the element that column reads; then, for every kernel row,
   * the sum of those over the output rows. Out-of-range (padding) positions are skipped: they read 0.
   */
  private addConv(x: Float32Array, g: Window2d, channelsIn: number): void {
    const { groups, taps } = this.layer;
    const channelsPerGroup = channelsIn / groups;
    const batch = x.length / (channelsIn * g.inH * g.inW);
    const rowSums = new Float64Array(g.inH * g.kW);
    const cols = Array.from({ length: g.kW }, (_, kw) => validOutputRange(g.outW, g.inW, g.sW, g.padLeft, kw * g.dW));
    const rows = Array.from({ length: g.kH }, (_, kh) => validOutputRange(g.outH, g.inH, g.sH, g.padTop, kh * g.dH));
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channelsIn; c++) {
        const plane = (n * channelsIn + c) * g.inH * g.inW;
        for (let ih = 0; ih < g.inH; ih++) {
          for (let kw = 0; kw < g.kW; kw++) {
            const [first, last] = cols[kw]!;
            let s = 0;
            for (let ow = first; ow < last; ow++) s += x[plane + ih * g.inW + ow * g.sW - g.padLeft + kw * g.dW]!;
            rowSums[ih * g.kW + kw] = s;
          }
        }
        const group = Math.floor(c / channelsPerGroup);
        const base = group * taps + (c % channelsPerGroup) * g.kH * g.kW;
        for (let kh = 0; kh < g.kH; kh++) {
          const [first, last] = rows[kh]!;
          for (let kw = 0; kw < g.kW; kw++) {
            let s = 0;
            for (let oh = first; oh < last; oh++) s += rowSums[(oh * g.sH - g.padTop + kh * g.dH) * g.kW + kw]!;
            const at = base + kh * g.kW + kw;
            this.sums[at] = this.sums[at]! + s;
          }
        }
      }
    }
    this.count += batch * g.outH * g.outW;
  }
}

/** The expected output shift of each output channel: sum over taps of E[m, j] * meanWindow[group(m), j]. */
export function expectedShift(layer: CorrectableLayer, meanWindow: Float64Array): Float64Array {
  const { channels, groups, taps, error } = layer;
  const channelsPerGroup = channels / groups;
  const shift = new Float64Array(channels);
  for (let m = 0; m < channels; m++) {
    const window = Math.floor(m / channelsPerGroup) * taps;
    let s = 0;
    for (let j = 0; j < taps; j++) s += error[m * taps + j]! * meanWindow[window + j]!;
    shift[m] = s;
  }
  return shift;
}

/**
 * A copy of `graph` in which each node of `shifts` (by node name) has its bias lowered by the shift: a new
 * constant under a fresh name, added where the node had none (Gemm: beta 1 where the old beta discarded it). The
 * input graph and its tensors are left as they were.
 */
export function withCorrectedBiases(graph: Graph, shifts: ReadonlyMap<string, Float64Array>): Graph {
  const tensors = new Map(graph.tensors);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; tensors.has(name); i++) name = `${base}_${i}`;
    return name;
  };
  const nodes = graph.nodes.map((node) => {
    const shift = shifts.get(node.name);
    if (!shift) return node;
    const old = tensors.get(node.inputs[2] ?? '');
    const { values, shape, attrs } = node.op === 'Gemm' ? gemmBias(node, old, shift) : convBias(node, old, shift);
    const name = fresh(`${old?.name ?? `${node.name}_bias`}_corrected`);
    tensors.set(name, { name, shape, dtype: 'float32', data: values });
    const inputs = [...node.inputs];
    inputs[2] = name;
    return { ...node, inputs, attrs };
  });
  return { ...graph, tensors, nodes };
}

type NewBias = { values: Float32Array; shape: number[]; attrs: Node['attrs'] };

function convBias(node: Node, old: Tensor | undefined, shift: Float64Array): NewBias {
  const values = Float32Array.from(shift, (s, m) => (old ? Number(old.data![m]) : 0) - s);
  return { values, shape: [shift.length], attrs: node.attrs };
}

/**
 * Gemm adds beta * C (C of N values or one: correctableLayers checked): the new C is C - shift / beta, or -shift
 * with beta 1 where beta is 0 or there was no C.
 */
function gemmBias(node: Node, old: Tensor | undefined, shift: Float64Array): NewBias {
  const beta = attributesOf(node).float('beta');
  const n = shift.length;
  if (!old || beta === 0) {
    return { values: Float32Array.from(shift, (s) => -s), shape: [n], attrs: { ...node.attrs, beta: 1 } };
  }
  const c = old.data!;
  const values = Float32Array.from(shift, (s, o) => Number(c[c.length === 1 ? 0 : o]) - s / beta);
  return { values, shape: c.length === n ? [...old.shape] : [n], attrs: node.attrs };
}
