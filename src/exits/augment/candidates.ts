// Where an exit head may go in a model trained without exits: the ends of the backbone's blocks (a pooling, a
// residual add or an activation that no pooling follows), on the one path every inference takes, before the
// classifier (while the features are still a [1, C, H, W] map), with enough of the network left behind them.

import { EennError } from '../../ir/diagnostics.js';
import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { nodeMacs } from '../../ops/macs.js';

/** One place an exit head may read from. */
export interface ExitPoint {
  /** The backbone tensor the head reads, [1, C, H, W]. */
  tensor: string;
  channels: number;
  height: number;
  width: number;
  /** Index of the node writing it in the graph's (topological) order; -1 for the model input. */
  nodeIndex: number;
  /** MACs of the backbone up to and including that node, and of everything after it. */
  macsBefore: number;
  macsAfter: number;
}

/** The classifier output of a model: its one output, of shape [1, classes] or [classes]. */
export interface Classifier {
  output: string;
  classes: number;
}

const POOLING = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool']);
const BLOCK_ENDS = new Set([
  ...POOLING,
  'Add',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'PRelu',
  'Mish',
  'Gelu',
]);
/** A point with less than this share of the model's MACs left behind it saves too little to be worth a head. */
const MIN_SHARE_AFTER = 0.1;

/** The model's classifier output, or E_USAGE naming why the model is not a classifier `augment` can add exits to. */
export function classifierOf(graph: Graph): Classifier {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new EennError({
      code: 'E_USAGE',
      message: `augment adds exits to a classifier with one input and one output; this model has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs`,
      hint: 'give the plain classifier (a model that already has several outputs can be built with --exits NAME,...)',
    });
  }
  const output = graph.outputs[0]!;
  const t = graph.tensors.get(output)!;
  const classes = t.shape.length === 1 ? t.shape[0]! : t.shape.length === 2 && t.shape[0] === 1 ? t.shape[1]! : 0;
  const input = graph.tensors.get(graph.inputs[0]!)!;
  if (classes >= 2 && sizeOf(input.shape) === sizeOf(t.shape)) {
    throw new EennError({
      code: 'E_USAGE',
      message: `the output "${output}" has as many values as the input "${input.name}" ([${t.shape.join(', ')}]): the model reconstructs its input (an autoencoder), it does not score classes`,
      hint: 'augment adds exits to classifiers, whose output holds one score per class',
    });
  }
  if (classes < 2 || t.dtype !== 'float32') {
    throw new EennError({
      code: 'E_USAGE',
      message: `the output "${output}" is ${t.dtype} [${t.shape.join(', ')}], not the scores of a classifier (float32 [1, classes] or [classes])`,
      hint: 'augment adds exits to classifiers; a model such as an autoencoder or a detector has no class to exit with',
    });
  }
  return { output, classes };
}

/**
 * The places a head may read from, in backbone order: the model input itself when it is a [1, C, H, W] map (a head
 * there costs next to nothing and answers the easiest inputs before the first layer runs), then the block ends on
 * the single path, where a head leaves at least a tenth of the MACs behind.
 */
export function exitPoints(graph: Graph): ExitPoint[] {
  const macs = graph.nodes.map((node) => nodeMacs(graph, node));
  const total = macs.reduce((a, b) => a + b, 0);
  const cuts = cutPoints(graph);
  const points: ExitPoint[] = [];
  const input = graph.tensors.get(graph.inputs[0] ?? '');
  if (input && input.dtype === 'float32' && input.shape.length === 4 && input.shape[0] === 1) {
    const [, channels, height, width] = input.shape as [number, number, number, number];
    points.push({ tensor: input.name, channels, height, width, nodeIndex: -1, macsBefore: 0, macsAfter: total });
  }
  let before = 0;
  graph.nodes.forEach((node, index) => {
    before += macs[index]!;
    const tensor = node.outputs[0]!;
    const t = graph.tensors.get(tensor);
    if (!t || !cuts.has(index) || !BLOCK_ENDS.has(node.op) || t.dtype !== 'float32' || t.shape.length !== 4 || t.shape[0] !== 1) return;
    if (!POOLING.has(node.op) && readers(graph, tensor).some((r) => POOLING.has(r.op))) return;
    if (total - before < MIN_SHARE_AFTER * total) return;
    points.push({
      tensor,
      channels: t.shape[1]!,
      height: t.shape[2]!,
      width: t.shape[3]!,
      nodeIndex: index,
      macsBefore: before,
      macsAfter: total - before,
    });
  });
  return points;
}

function readers(graph: Graph, tensor: string): Node[] {
  return graph.nodes.filter((n) => n.inputs.includes(tensor));
}

/**
 * Indices of the nodes after which exactly one activation is alive (their own output): every inference passes
 * through that tensor, so a head there sees everything the rest of the network will.
 */
function cutPoints(graph: Graph): Set<number> {
  const isActivation = (name: string): boolean => name !== '' && !graph.tensors.get(name)?.data;
  const lastRead = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const name of node.inputs) if (isActivation(name)) lastRead.set(name, index);
  });
  for (const name of graph.outputs) lastRead.set(name, Infinity);
  const cuts = new Set<number>();
  const alive = new Set<string>(graph.inputs);
  graph.nodes.forEach((node, index) => {
    for (const name of node.outputs) if (name !== '') alive.add(name);
    for (const name of [...alive]) if ((lastRead.get(name) ?? -1) <= index) alive.delete(name);
    if (alive.size === 1 && alive.has(node.outputs[0]!)) cuts.add(index);
  });
  return cuts;
}
