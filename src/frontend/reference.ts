// The float reference interpreter: runs a shaped, folded graph on concrete inputs with each operator's `evaluate`.
// It is the yardstick for everything downstream (calibration reads its intermediates, codegen is checked against it).

import { EennError } from '../ir/diagnostics.js';
import type { Graph, Node } from '../ir/graph.js';
import type { OpDef, Value } from '../ops/types.js';
import { unsupportedError, type UnsupportedNode } from './shapes.js';
import { supportOf } from './support.js';

export interface ReferenceOptions {
  /** Called with every tensor as it is computed (graph inputs first, then each node's outputs). */
  onTensor?: (name: string, value: Value) => void;
  /** 'all' keeps every tensor in the result (for calibration); by default only the graph outputs are returned. */
  keep?: 'outputs' | 'all';
}

/** Run the graph once; returns the graph outputs by name (every tensor with `keep: 'all'`). */
export function runReference(graph: Graph, inputs: Record<string, Value>, options: ReferenceOptions = {}): Record<string, Value> {
  const plan = planRun(graph);
  const values = new Map<string, Value>();
  for (const name of graph.inputs) {
    const value = checkInput(graph, name, inputs[name]);
    values.set(name, value);
    options.onTensor?.(name, value);
  }
  const keepAll = options.keep === 'all';
  plan.nodes.forEach(({ node, def }, index) => {
    const args = node.inputs.map((name) => (name === '' ? undefined : values.get(name) ?? constantValue(graph, name)));
    const results = def.evaluate(node, args, graph.opset);
    node.outputs.forEach((output, i) => {
      if (output === '') return;
      const value = results[i];
      if (!value) throw new Error(`internal: ${node.op} "${node.name}" returned no value for output ${i}`);
      values.set(output, value);
      options.onTensor?.(output, value);
    });
    // Free what no later node reads, so big models run in little memory.
    if (!keepAll) for (const name of plan.lastReadBy[index]!) values.delete(name);
  });

  const result: Record<string, Value> = {};
  if (keepAll) for (const [name, value] of values) result[name] = value;
  for (const name of graph.outputs) result[name] = values.get(name) ?? constantValue(graph, name);
  return result;
}

interface RunPlan {
  nodes: { node: Node; def: OpDef }[];
  /** For each node, the tensors whose last reader it is (and that are not graph outputs). */
  lastReadBy: string[][];
}

const plans = new WeakMap<Graph, RunPlan>();

/** Definitions and tensor lifetimes, computed once per graph (the interpreter runs many samples). */
function planRun(graph: Graph): RunPlan {
  const cached = plans.get(graph);
  if (cached) return cached;
  const unsupported: UnsupportedNode[] = [];
  const nodes: RunPlan['nodes'] = [];
  for (const node of graph.nodes) {
    const support = supportOf(node, graph.opset);
    if (support.def) nodes.push({ node, def: support.def });
    else unsupported.push({ name: node.name, op: node.op, domain: node.domain, reason: support.reason });
  }
  if (unsupported.length > 0) throw unsupportedError(unsupported);

  const lastReader = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const name of node.inputs) if (name !== '') lastReader.set(name, index);
  });
  const outputs = new Set(graph.outputs);
  const lastReadBy: string[][] = graph.nodes.map(() => []);
  for (const [name, index] of lastReader) {
    if (!outputs.has(name) && !graph.tensors.get(name)?.data) lastReadBy[index]!.push(name);
  }
  graph.nodes.forEach((node, index) => {
    for (const name of node.outputs) {
      if (name !== '' && !lastReader.has(name) && !outputs.has(name)) lastReadBy[index]!.push(name);
    }
  });
  const plan = { nodes, lastReadBy };
  plans.set(graph, plan);
  return plan;
}

function constantValue(graph: Graph, name: string): Value {
  const t = graph.tensors.get(name);
  if (!t?.data) throw new Error(`internal: tensor "${name}" has no value (graph not in topological order?)`);
  return { shape: t.shape, dtype: t.dtype, data: t.data };
}

function checkInput(graph: Graph, name: string, value: Value | undefined): Value {
  const t = graph.tensors.get(name)!;
  if (!value) {
    throw new EennError({ code: 'E_DATA', message: `no value given for input "${name}"`, hint: `the model's inputs are: ${graph.inputs.join(', ')}` });
  }
  const sameShape = value.shape.length === t.shape.length && value.shape.every((d, i) => d === t.shape[i]);
  if (!sameShape || value.dtype !== t.dtype) {
    throw new EennError({
      code: 'E_DATA',
      message: `input "${name}" is ${value.dtype} [${value.shape.join(', ')}], the model expects ${t.dtype} [${t.shape.join(', ')}]`,
      hint: `give ${t.dtype} values of shape [${t.shape.join(', ')}]`,
    });
  }
  return value;
}
