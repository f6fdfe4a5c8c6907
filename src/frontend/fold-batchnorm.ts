// Folding pass: a BatchNormalization right after a Conv, ConvTranspose or Gemm (its only reader) is merged
// into that layer's weights and bias: y = s·(W·x + b − mean) + beta with s = gamma / sqrt(var + eps).

import type { Graph, Node, Tensor } from '../ir/graph.js';
import { attributesOf } from '../ops/facts.js';
import { freshName } from './graph-edit.js';

const PRODUCERS = new Set(['Conv', 'ConvTranspose', 'Gemm']);

export function foldBatchNorm(graph: Graph): Graph {
  const tensors = new Map(graph.tensors);
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  const readers = readerCounts(graph);
  // The first node writing each tensor as its first output (a search per BatchNormalization was quadratic).
  const producers = new Map<string, Node>();
  for (const node of graph.nodes) if (node.outputs[0] !== undefined && !producers.has(node.outputs[0])) producers.set(node.outputs[0], node);
  for (const bn of graph.nodes) {
    const plan = planFold(graph, bn, readers, producers);
    if (!plan) continue;
    const folded = foldInto(plan, tensors);
    if (!folded) continue;
    tensors.delete(bn.inputs[0]!);
    replaced.set(plan.producer, folded);
    removed.add(bn);
  }
  if (removed.size === 0) return graph;
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { ...graph, tensors, nodes };
}

interface FoldPlan {
  producer: Node;
  bn: Node;
  /** Per-channel factor s and shift t: y = s·x + t. */
  factor: Float64Array;
  shift: Float64Array;
}

function readerCounts(graph: Graph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of graph.nodes) for (const name of node.inputs) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function constantFloat(graph: Graph, name: string | undefined): Tensor | undefined {
  const t = name ? graph.tensors.get(name) : undefined;
  return t?.data && t.dtype === 'float32' ? t : undefined;
}

function planFold(graph: Graph, bn: Node, readers: Map<string, number>, producers: Map<string, Node>): FoldPlan | undefined {
  if (bn.op !== 'BatchNormalization' || bn.domain !== '') return undefined;
  if (bn.attrs.training_mode === 1 || bn.attrs.spatial === 0) return undefined;
  if (bn.outputs.slice(1).some((o) => o !== '' && (readers.has(o) || graph.outputs.includes(o)))) return undefined;
  const x = bn.inputs[0]!;
  if (graph.outputs.includes(x) || readers.get(x) !== 1) return undefined;
  const producer = producers.get(x);
  if (!producer || producer.domain !== '' || !PRODUCERS.has(producer.op)) return undefined;
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => constantFloat(graph, bn.inputs[i]));
  if (!scale || !bias || !mean || !variance) return undefined;
  const channels = scale.data!.length;
  if ([bias, mean, variance].some((t) => t.data!.length !== channels)) return undefined;
  const epsilon = attributesOf(bn).float('epsilon');
  const factor = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    factor[c] = scale.data![c]! / Math.sqrt(variance.data![c]! + epsilon);
    shift[c] = bias.data![c]! - mean.data![c]! * factor[c]!;
  }
  return { producer, bn, factor, shift };
}

/** The producer with scaled weights and a new bias, writing the BatchNormalization's output; undefined if it cannot. */
function foldInto(plan: FoldPlan, tensors: Map<string, Tensor>): Node | undefined {
  const { producer, bn, factor, shift } = plan;
  const graphLike = { tensors } as Graph;
  const weight = constantFloat(graphLike, producer.inputs[1]);
  if (!weight) return undefined;
  const channels = factor.length;
  const w = weight.data as Float32Array;
  const newWeight = new Float32Array(w.length);
  const newBias = new Float32Array(channels);
  const attrs = { ...producer.attrs };

  if (producer.op === 'Gemm') {
    // Y = alpha·A·B + beta·C over [M, N]; channel n is a column of B (a row when transB).
    if (weight.shape.length !== 2) return undefined;
    const transB = producer.attrs.transB === 1;
    const [rows, cols] = weight.shape as [number, number];
    if ((transB ? rows : cols) !== channels) return undefined;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) newWeight[r * cols + c] = w[r * cols + c]! * factor[transB ? r : c]!;
    }
    const beta = typeof producer.attrs.beta === 'number' ? producer.attrs.beta : 1;
    const c = producer.inputs[2] ? constantFloat(graphLike, producer.inputs[2]) : undefined;
    if (producer.inputs[2] && (!c || (c.data!.length !== channels && c.data!.length !== 1))) return undefined;
    for (let n = 0; n < channels; n++) {
      const old = c ? beta * c.data![c.data!.length === 1 ? 0 : n]! : 0;
      newBias[n] = old * factor[n]! + shift[n]!;
    }
    attrs.beta = 1;
  } else {
    const group = typeof producer.attrs.group === 'number' ? producer.attrs.group : 1;
    const oldBias = producer.inputs[2] ? constantFloat(graphLike, producer.inputs[2]) : undefined;
    if (producer.inputs[2] && (!oldBias || oldBias.data!.length !== channels)) return undefined;
    if (weight.shape.length < 3) return undefined;
    const inner = w.length / (weight.shape[0]! * weight.shape[1]!); // kernel elements
    if (producer.op === 'Conv') {
      // W: [C_out, C_in / group, k...]: output channel c is W's first index.
      if (weight.shape[0] !== channels) return undefined;
      const perChannel = w.length / channels;
      for (let i = 0; i < w.length; i++) newWeight[i] = w[i]! * factor[Math.floor(i / perChannel)]!;
    } else {
      // ConvTranspose W: [C_in, C_out / group, k...]: output channel = g·(C_out/group) + j for input channel ci in group g.
      const [cin, coutPerGroup] = weight.shape as [number, number];
      if (coutPerGroup * group !== channels || cin % group !== 0) return undefined;
      const cinPerGroup = cin / group;
      for (let ci = 0; ci < cin; ci++) {
        const g = Math.floor(ci / cinPerGroup);
        for (let j = 0; j < coutPerGroup; j++) {
          const f = factor[g * coutPerGroup + j]!;
          const base = (ci * coutPerGroup + j) * inner;
          for (let k = 0; k < inner; k++) newWeight[base + k] = w[base + k]! * f;
        }
      }
    }
    for (let c = 0; c < channels; c++) newBias[c] = (oldBias ? oldBias.data![c]! : 0) * factor[c]! + shift[c]!;
  }

  const weightName = freshName(tensors, `${weight.name}_bn`);
  const biasName = freshName(tensors, `${bn.name}_folded_bias`);
  tensors.set(weightName, { name: weightName, shape: [...weight.shape], dtype: 'float32', data: newWeight });
  tensors.set(biasName, { name: biasName, shape: [channels], dtype: 'float32', data: newBias });
  return {
    ...producer,
    inputs: [producer.inputs[0]!, weightName, biasName],
    outputs: [bn.outputs[0]!, ...producer.outputs.slice(1)],
    attrs,
  };
}
