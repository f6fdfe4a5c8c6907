// Exits made concrete for one graph (the float graph or its int8 form): each early exit's decision (the tensor it
// reads, logits or probabilities, the integer rule of an int8 tensor) and the exit order of the nodes.

import { EennError } from '../ir/diagnostics.js';
import type { ExitDecision, ExitPolicy, GraphExits } from '../ir/exits.js';
import { isDefaultDomain, producerOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN, scaleZeroOf } from '../ir/int8.js';
import { exitOrder } from './order.js';
import { EXIT_MAX_CLASSES, int8ExitRule } from './rule.js';

/** True for a node turning int8 into float32: the int8 dialect's Dequantize or ONNX DequantizeLinear. */
function isDequantize(node: Node): boolean {
  return (node.domain === INT8_DOMAIN && node.op === 'Dequantize') || (isDefaultDomain(node) && node.op === 'DequantizeLinear');
}

/** True for a softmax along the last axis of its rank-`rank` input (float Softmax or the int8 QSoftmax). */
function isLastAxisSoftmax(graph: Graph, node: Node, rank: number): boolean {
  const softmax = (isDefaultDomain(node) && node.op === 'Softmax') || (node.domain === INT8_DOMAIN && node.op === 'QSoftmax');
  if (!softmax) return false;
  // Before opset 13 Softmax flattens the axes from `axis` on (default 1), which always takes the last one in.
  if (isDefaultDomain(node) && graph.opset < 13) return true;
  const attr = node.attrs['axis'];
  const axis = typeof attr === 'number' ? attr : -1;
  return (axis < 0 ? axis + rank : axis) === rank - 1;
}

/** The decision of the early exit answering with `output`, in the precision `graph` computes it. */
export function exitDecision(graph: Graph, output: string, policy: ExitPolicy, threshold: number): ExitDecision {
  const producer = producerOf(graph, output);
  const source = producer && isDequantize(producer) ? graph.tensors.get(producer.inputs[0] ?? '') : undefined;
  const tensor = source?.dtype === 'int8' ? source : graph.tensors.get(output);
  if (!tensor) throw new Error(`internal: exit output "${output}" is not in the graph`);
  const from = producerOf(graph, tensor.name);
  const kind = from && isLastAxisSoftmax(graph, from, tensor.shape.length) ? 'probabilities' : 'logits';
  const classes = tensor.shape[tensor.shape.length - 1] ?? 1;
  if (tensor.dtype === 'float32') return { output, tensor: tensor.name, kind };
  if (tensor.dtype !== 'int8') {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `exit "${output}" is ${tensor.dtype}: an exit decides on float32 or int8 class scores`,
      hint: 'name float32 classifier outputs with --exits, or run every layer with --no-exits',
    });
  }
  if (classes > EXIT_MAX_CLASSES) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `exit "${output}" has ${classes} classes: an int8 exit decides among at most ${EXIT_MAX_CLASSES}`,
      hint: 'build in float32 (--precision float32), or run every layer with --no-exits',
    });
  }
  const { scale, zeroPoint } = scaleZeroOf(tensor);
  return { output, tensor: tensor.name, kind, int8: int8ExitRule(kind, policy, threshold, scale, zeroPoint, classes) };
}

/** `graph` with `exits` attached: decisions made concrete and the nodes in exit order (a new graph; tensors shared). */
export function attachTo(graph: Graph, exits: Omit<GraphExits, 'decisions'>): Graph {
  if (exits.thresholds.length !== exits.outputs.length - 1) {
    throw new Error(`internal: ${exits.thresholds.length} thresholds for ${exits.outputs.length - 1} early exits`);
  }
  for (const output of exits.outputs) {
    if (!graph.outputs.includes(output)) throw new Error(`internal: exit "${output}" is not an output of graph "${graph.name}"`);
  }
  const decisions = exits.outputs.slice(0, -1).map((output, i) => exitDecision(graph, output, exits.policy, exits.thresholds[i]!));
  const { nodes } = exitOrder(graph, exits.outputs);
  return { ...graph, nodes, exits: { outputs: [...exits.outputs], policy: exits.policy, thresholds: [...exits.thresholds], decisions } };
}
