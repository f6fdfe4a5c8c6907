// Frontend step 3: simplifies a shaped graph into what codegen compiles. Each pass is a pure Graph → Graph function:
// constant folding, Identity/Dropout removal, BatchNorm folding, dead node removal; then fold-only ops must be gone.

import { EennError } from '../ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { Value } from '../ops/types.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { readsOf, renameInNode } from './graph-edit.js';
import { valueOfShapeOnly } from './shape-only.js';
import { SHAPE_ONLY_OPS, supportOf } from './support.js';

export interface FoldOptions {
  /** Tensors whose shape is not known (downstream of unsupported ops, for inspect): nodes reading them are kept. */
  unknown?: ReadonlySet<string>;
}

/** Every simplification, in order. Throws E_UNSUPPORTED when fold-only operators survive. */
export function fold(graph: Graph): Graph {
  let g = foldConstants(graph);
  g = removeIdentities(g);
  g = foldBatchNorm(g);
  g = removeDeadNodes(g);
  assertFoldOnlyGone(g);
  return g;
}

/** Evaluate every node whose inputs are all constant (or, for Shape/Size, whose input shape is static). */
export function foldConstants(graph: Graph, options: FoldOptions = {}): Graph {
  const tensors = new Map(graph.tensors);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const def = supportOf(node, graph.opset).def;
    const inputs = node.inputs.map((name) => (name === '' ? undefined : tensors.get(name)!));
    const readsUnknown = node.inputs.some((name) => options.unknown?.has(name));
    let values: Value[] | undefined;
    if (def && !readsUnknown) {
      if (inputs.every((t) => t === undefined || t.data !== undefined)) {
        values = def.evaluate(
          node,
          inputs.map((t) => t && { shape: t.shape, dtype: t.dtype, data: t.data! }),
          graph.opset,
        );
      } else if (SHAPE_ONLY_OPS.has(node.op) && inputs[0]) {
        values = valueOfShapeOnly(def, node, inputs[0], graph.opset);
      }
    }
    if (!values) {
      nodes.push(node);
      continue;
    }
    node.outputs.forEach((output, i) => {
      const value = values![i];
      if (output !== '' && value) tensors.set(output, { name: output, shape: [...value.shape], dtype: value.dtype, data: value.data });
    });
  }
  return { ...graph, tensors, nodes };
}

/** Identity, and Dropout at inference, pass their input through: consumers read the input directly. */
export function removeIdentities(graph: Graph): Graph {
  // One working copy, edited in place by each bypass (a copy of every node and tensor per bypass was quadratic).
  let g: Graph | undefined;
  for (;;) {
    const current = g ?? graph;
    const index = current.nodes.findIndex((node) => isPassThrough(current, node) && canBypass(current, node));
    if (index < 0) return current;
    g ??= { ...graph, nodes: [...graph.nodes], tensors: new Map(graph.tensors) };
    bypass(g, index);
  }
}

function isPassThrough(graph: Graph, node: Node): boolean {
  if (node.domain !== '') return false;
  if (node.op === 'Identity') return true;
  if (node.op !== 'Dropout') return false;
  const mask = node.outputs[1];
  if (mask && (graph.outputs.includes(mask) || graph.nodes.some((n) => n.inputs.includes(mask)))) return false;
  const trainingMode = node.inputs[2] ? graph.tensors.get(node.inputs[2]) : undefined;
  // At inference Dropout is the identity (as in onnxruntime), unless training_mode is set or not constant.
  return !trainingMode || (trainingMode.data !== undefined && trainingMode.data[0] === 0);
}

/** A pass-through can go unless both its ends are graph interface tensors that must keep their names. */
function canBypass(graph: Graph, node: Node): boolean {
  const input = node.inputs[0]!;
  const output = node.outputs[0]!;
  if (!graph.outputs.includes(output)) return true;
  const inputIsInternal = !graph.inputs.includes(input) && !graph.outputs.includes(input) && !graph.tensors.get(input)?.data;
  return inputIsInternal;
}

/** Remove the pass-through node at `index` from `graph` (a working copy: its node list and tensors are edited). */
function bypass(graph: Graph, index: number): void {
  const node = graph.nodes[index]!;
  const input = node.inputs[0]!;
  const output = node.outputs[0]!;
  graph.nodes.splice(index, 1);
  const tensors = graph.tensors;
  for (const o of node.outputs) tensors.delete(o);
  if (!graph.outputs.includes(output)) {
    // Readers of the output read the input instead.
    graph.nodes.forEach((n, i) => {
      if (n.inputs.includes(output)) graph.nodes[i] = { ...n, inputs: n.inputs.map((x) => (x === output ? input : x)) };
    });
    return;
  }
  // The output is a graph output: the input's producer writes it under the output's name.
  const renamed = { ...tensors.get(input)!, name: output };
  tensors.delete(input);
  tensors.set(output, renamed);
  graph.nodes.forEach((n, i) => {
    graph.nodes[i] = renameInNode(n, input, output);
  });
}

/** Drop nodes whose outputs nobody reads, and tensors nothing refers to. */
export function removeDeadNodes(graph: Graph): Graph {
  const live = new Set(graph.outputs);
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => o !== '' && live.has(o))) continue;
    kept.push(node);
    for (const name of readsOf(node)) live.add(name);
  }
  kept.reverse();
  const referenced = new Set([...graph.inputs, ...graph.outputs]);
  for (const node of kept) for (const name of [...readsOf(node), ...node.outputs]) referenced.add(name);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of graph.tensors) if (referenced.has(name)) tensors.set(name, t);
  return { ...graph, tensors, nodes: kept };
}

/** Nodes left whose operator exists only for folding (Shape, ConstantOfShape, ...). */
export function remainingFoldOnly(graph: Graph): Node[] {
  return graph.nodes.filter((node) => supportOf(node, graph.opset).def?.foldOnly);
}

export function assertFoldOnlyGone(graph: Graph): void {
  const left = remainingFoldOnly(graph);
  if (left.length === 0) return;
  throw new EennError({
    code: 'E_UNSUPPORTED',
    message: `${left.length} node${left.length === 1 ? '' : 's'} compute values at run time that eennc only supports as constants`,
    details: left.map((n) => `node "${n.name}" (${n.op}): its inputs are not constant after folding`),
    hint: 'fix dynamic input dimensions with --input-shape, or export the model with static shapes',
  });
}
