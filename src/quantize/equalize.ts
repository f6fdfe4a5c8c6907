// Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
// Correction", section 4.1), on the float graph before calibration (src/post-training.ts). Where a Conv or Gemm
// feeds another through operators that commute with a positive per-channel scale (ReLU, pooling), output channel i
// of the first layer is divided by s_i and the weights of the second that read channel i are multiplied by s_i: the
// graph computes the same function, and the per-channel weight ranges of the two layers meet in the middle, so that
// a channel with tiny weights no longer shares its int8 activation scale with one a hundred times larger.

import { isDefaultDomain, sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { attrInt } from '../ops/attrs.js';

/** The layers equalization rescales: their weights are constants with the channel layout written in `layerRows`. */
const LAYER_OPS: ReadonlySet<string> = new Set(['Conv', 'Gemm']);

/**
 * Operators between two layers that are positively homogeneous channel by channel: f(s x) = s f(x) for every
 * s > 0, with s per channel. A Clip with an upper bound (ReLU6) is not (min(6 s x, 6) != s min(6 x, 6)).
 */
const HOMOGENEOUS_OPS: ReadonlySet<string> = new Set(['Relu', 'LeakyRelu', 'MaxPool', 'GlobalMaxPool', 'AveragePool', 'GlobalAveragePool']);

/** Operators that may turn [N, C, rest...] into [N, C * size(rest)] (channel c becomes a run of columns). */
const FLATTENING_OPS: ReadonlySet<string> = new Set(['Flatten', 'Reshape']);

/**
 * Sweeps over all pairs at most: a lone pair is balanced by the first sweep; a chain (a layer that is the second of
 * one pair and the first of the next) converges geometrically, slower the longer it is (the nine pairs of DS-CNN
 * need about 50 sweeps; each costs one pass over the chain's weights).
 */
const MAX_SWEEPS = 100;

/**
 * A sweep whose largest |ln s_i| is below this (a 0.1% change of a weight range, an eighth of an int8 step of
 * 1/127) would not change the quantized weights: converged.
 */
const CONVERGED_LOG_SCALE = 1e-3;

/** Pairs a note names one by one; more are counted. */
const NOTE_PAIRS_NAMED = 6;

/** The suffix of a tensor whose values equalization changed (weights, biases and the activations between). */
export const EQUALIZED_SUFFIX = '_equalized';

/** Two layers equalized together, and where the weights of each channel lie in their flat weight arrays. */
interface LayerPair {
  first: Node;
  second: Node;
  /** The activations from the first layer's output to the second layer's input, whose values the scales change. */
  between: string[];
  /** Per channel i of the first layer's output: the offsets of its weights in the first layer's weights. */
  rows: Int32Array[];
  /** Per channel i: the offsets of the second layer's weights that read channel i. */
  columns: Int32Array[];
}

/**
 * `graph` with its Conv -> ReLU -> Conv chains equalized (the same function in float; new constants, and the
 * activations between each pair renamed `<name>_equalized`), or `graph` itself where no pair qualifies; what was
 * done, one line each. `graph` is not changed.
 */
export function equalizeGraph(graph: Graph): { graph: Graph; notes: string[] } {
  const pairs = findPairs(graph);
  if (pairs.length === 0) {
    return {
      graph,
      notes: ['int8: --equalize found no layer pair to equalize (Conv or Gemm, then only ReLU or pooling, then Conv or Gemm)'],
    };
  }
  const weights = new Map<string, Float32Array>();
  const biases = new Map<string, Float32Array>();
  for (const { first, second } of pairs) {
    for (const node of [first, second]) {
      if (!weights.has(node.name)) weights.set(node.name, Float32Array.from(constantOf(graph, node.inputs[1])!.data!));
    }
    const bias = constantOf(graph, first.inputs[2]);
    if (bias) biases.set(first.name, Float32Array.from(bias.data!));
  }
  balance(pairs, weights, biases);
  return { graph: rewrite(graph, pairs, weights, biases), notes: [pairsNote(pairs)] };
}

/** Rescale the pairs' weights in place, sweep after sweep, until no scale moves. */
function balance(pairs: readonly LayerPair[], weights: Map<string, Float32Array>, biases: Map<string, Float32Array>): void {
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let largest = 0;
    for (const pair of pairs) {
      const w1 = weights.get(pair.first.name)!;
      const w2 = weights.get(pair.second.name)!;
      const b1 = biases.get(pair.first.name);
      pair.rows.forEach((row, i) => {
        const column = pair.columns[i]!;
        const r1 = maxAbs(w1, row);
        const r2 = maxAbs(w2, column);
        if (r1 === 0 || r2 === 0) return; // a dead channel: nothing to balance
        const s = Math.sqrt(r1 / r2); // sqrt(r1 r2) / r2: both ranges become sqrt(r1 r2)
        multiply(w1, row, 1 / s);
        multiply(w2, column, s);
        if (b1) b1[i] = b1[i]! / s; // one bias per output channel (hasChannelBias)
        largest = Math.max(largest, Math.abs(Math.log(s)));
      });
    }
    if (largest < CONVERGED_LOG_SCALE) return;
  }
}

function maxAbs(data: Float32Array, offsets: Int32Array): number {
  let m = 0;
  for (const o of offsets) m = Math.max(m, Math.abs(data[o]!));
  return m;
}

function multiply(data: Float32Array, offsets: Int32Array, factor: number): void {
  for (const o of offsets) data[o] = data[o]! * factor;
}

/**
 * A new graph: the rescaled weights and biases as new constants, the activations between each pair renamed (their
 * values changed, so a comparison by name with the original graph never pairs different quantities), the constants
 * nothing reads any more dropped. `graph` is left as it was.
 */
function rewrite(graph: Graph, pairs: readonly LayerPair[], weights: Map<string, Float32Array>, biases: Map<string, Float32Array>): Graph {
  const tensors = new Map(graph.tensors);
  const replaced = new Set<string>();
  const addConstant = (name: string, data: Float32Array): string => {
    const fresh = freshName(tensors, `${name}${EQUALIZED_SUFFIX}`);
    tensors.set(fresh, { ...graph.tensors.get(name)!, name: fresh, data });
    replaced.add(name);
    return fresh;
  };
  let nodes = graph.nodes.map((node) => {
    const w = weights.get(node.name);
    if (!w) return node;
    const inputs = [...node.inputs];
    inputs[1] = addConstant(inputs[1]!, w);
    const b = biases.get(node.name);
    if (b) inputs[2] = addConstant(inputs[2]!, b);
    return { ...node, inputs };
  });
  for (const name of new Set(pairs.flatMap((p) => p.between))) {
    const fresh = freshName(tensors, `${name}${EQUALIZED_SUFFIX}`);
    tensors.set(fresh, { ...tensors.get(name)!, name: fresh });
    tensors.delete(name);
    nodes = nodes.map((node) => renamed(node, name, fresh));
  }
  const stillRead = new Set(nodes.flatMap(readsOf));
  for (const name of replaced) if (!stillRead.has(name) && !graph.outputs.includes(name)) tensors.delete(name);
  return { ...graph, tensors, nodes };
}

/** "int8: equalized 2 layer pairs (a -> b, c -> d)". */
function pairsNote(pairs: readonly LayerPair[]): string {
  const named = pairs.slice(0, NOTE_PAIRS_NAMED).map((p) => `${p.first.name} -> ${p.second.name}`);
  if (pairs.length > NOTE_PAIRS_NAMED) named.push(`${pairs.length - NOTE_PAIRS_NAMED} more`);
  return `int8: equalized ${pairs.length} layer pair${pairs.length === 1 ? '' : 's'} (${named.join(', ')})`;
}

/** Every pair of layers that can be equalized, in graph order. */
function findPairs(graph: Graph): LayerPair[] {
  const readers = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const name of new Set(readsOf(node))) readers.set(name, [...(readers.get(name) ?? []), node]);
  }
  const outputs = new Set(graph.outputs);
  const pairs: LayerPair[] = [];
  for (const first of graph.nodes) {
    const rows = layerRows(graph, first);
    if (!rows) continue;
    if (!hasChannelBias(graph, first, rows.length)) continue;
    const between: string[] = [];
    let tensor = first.outputs[0]!;
    let spread = 1; // columns of the second layer per channel of the first (after a Flatten)
    for (;;) {
      const next = readers.get(tensor);
      if (outputs.has(tensor) || next?.length !== 1) break;
      const reader = next[0]!;
      if (!isDefaultDomain(reader) || reader.inputs[0] !== tensor || reader.inputs.indexOf(tensor, 1) >= 0) break;
      between.push(tensor);
      if (LAYER_OPS.has(reader.op)) {
        const columns = layerColumns(graph, reader, rows.length, spread);
        if (columns) pairs.push({ first, second: reader, between, rows, columns });
        break;
      }
      const out = reader.outputs.filter((o) => o !== '');
      if (out.length !== 1) break; // a MaxPool that also writes its indices
      if (FLATTENING_OPS.has(reader.op)) {
        const runs = flattenedRun(graph.tensors.get(tensor)!.shape, graph.tensors.get(out[0]!)!.shape);
        if (runs === undefined) break;
        spread *= runs;
      } else if (!HOMOGENEOUS_OPS.has(reader.op) || reader.inputs.filter((i) => i !== '').length !== 1) {
        break;
      }
      tensor = out[0]!;
    }
  }
  return pairs;
}

/**
 * How many columns each channel becomes when `from` [N, C, rest...] is reshaped to `to`: size(rest) when `to` is
 * [N, C * size(rest)] (row-major, so channel c is the columns c * size(rest) up to the next channel's), undefined
 * for any other reshape (the channels would not map onto whole runs of columns).
 */
function flattenedRun(from: readonly number[], to: readonly number[]): number | undefined {
  if (from.length < 2 || to.length !== 2 || to[0] !== from[0]) return undefined;
  const rest = sizeOf(from.slice(2));
  return to[1] === from[1]! * rest ? rest : undefined;
}

/** The float32 constant named `name` (an input slot of a node), if it is one. */
function constantOf(graph: Graph, name: string | undefined): Tensor | undefined {
  const t = name ? graph.tensors.get(name) : undefined;
  return t?.data && t.dtype === 'float32' ? t : undefined;
}

/** Offsets of the weights of each output channel of a Conv or Gemm with constant weights; undefined otherwise. */
function layerRows(graph: Graph, node: Node): Int32Array[] | undefined {
  if (!LAYER_OPS.has(node.op) || !isDefaultDomain(node) || node.outputs.length !== 1) return undefined;
  const w = constantOf(graph, node.inputs[1]);
  if (!w) return undefined;
  if (node.op === 'Conv') {
    // W [M, C/group, kernel...]: output channel i is the block W[i].
    const block = sizeOf(w.shape.slice(1));
    return Array.from({ length: w.shape[0]! }, (_, i) => range(i * block, 1, block));
  }
  if (w.shape.length !== 2) return undefined;
  const [rows, cols] = w.shape as [number, number];
  // Y = A op(B): output column i is row i of B [N, K] with transB, column i of B [K, N] without.
  return attrInt(node, 'transB', 0) !== 0
    ? Array.from({ length: rows }, (_, i) => range(i * cols, 1, cols))
    : Array.from({ length: cols }, (_, i) => range(i, cols, rows));
}

/**
 * Whether the layer's bias, if it has one, is one constant per output channel (bias[i] for channel i), which a
 * channel scale can follow; a Gemm's C broadcast from a scalar or given per row cannot.
 */
function hasChannelBias(graph: Graph, node: Node, channels: number): boolean {
  const name = node.inputs[2];
  if (!name) return true;
  const bias = constantOf(graph, name);
  return bias !== undefined && sizeOf(bias.shape) === channels && bias.shape.at(-1) === channels;
}

/**
 * Offsets of the weights of Conv or Gemm `node` that read each input channel of the layer before it (`channels` of
 * them, each spread over `spread` consecutive columns of the input); undefined when the node cannot be rescaled.
 */
function layerColumns(graph: Graph, node: Node, channels: number, spread: number): Int32Array[] | undefined {
  const w = constantOf(graph, node.inputs[1]);
  if (!w) return undefined;
  if (node.op === 'Conv') {
    // W [M, C/group, kernel...]: input channel c is read by the M/group outputs of its group, at index c mod C/group.
    const group = attrInt(node, 'group', 1);
    const perGroup = w.shape[1]!;
    if (spread !== 1 || perGroup * group !== channels) return undefined;
    const kernel = sizeOf(w.shape.slice(2));
    const outputsPerGroup = w.shape[0]! / group;
    return Array.from({ length: channels }, (_, c) => {
      const firstOutput = Math.floor(c / perGroup) * outputsPerGroup;
      const offsets = new Int32Array(outputsPerGroup * kernel);
      for (let o = 0; o < outputsPerGroup; o++) {
        offsets.set(range(((firstOutput + o) * perGroup + (c % perGroup)) * kernel, 1, kernel), o * kernel);
      }
      return offsets;
    });
  }
  if (attrInt(node, 'transA', 0) !== 0 || w.shape.length !== 2) return undefined;
  const [rows, cols] = w.shape as [number, number];
  const transB = attrInt(node, 'transB', 0) !== 0;
  if ((transB ? cols : rows) !== channels * spread) return undefined;
  // Input column k is read by column k of B [N, K] with transB, row k of B [K, N] without.
  const columnOffsets = (k: number): Int32Array => (transB ? range(k, cols, rows) : range(k * cols, 1, cols));
  return Array.from({ length: channels }, (_, c) => {
    const offsets = new Int32Array(spread * (transB ? rows : cols));
    for (let j = 0; j < spread; j++) offsets.set(columnOffsets(c * spread + j), j * (transB ? rows : cols));
    return offsets;
  });
}

/** `count` offsets from `start`, `step` apart. */
function range(start: number, step: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => start + i * step);
}

/** A tensor name not yet in `tensors`, from `base`. */
function freshName(tensors: ReadonlyMap<string, unknown>, base: string): string {
  if (!tensors.has(base)) return base;
  let k = 1;
  while (tensors.has(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

/** `node` with tensor `from` (input or output) called `to`. */
function renamed(node: Node, from: string, to: string): Node {
  if (!node.inputs.includes(from) && !node.outputs.includes(from)) return node;
  return {
    ...node,
    inputs: node.inputs.map((n) => (n === from ? to : n)),
    outputs: node.outputs.map((n) => (n === from ? to : n)),
  };
}

/**
 * Tensors a node reads: its inputs, and every input named inside its subgraphs (If/Loop bodies; more than they
 * take from the enclosing graph, which only makes a tensor look read where it might not be).
 */
function readsOf(node: Node): string[] {
  const reads = node.inputs.filter((n) => n !== '');
  for (const value of Object.values(node.attrs)) {
    if (typeof value === 'object' && value !== null && 'nodes' in value) reads.push(...value.nodes.flatMap(readsOf));
  }
  return reads;
}
