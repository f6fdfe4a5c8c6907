// The float reference interpreter: runs a shaped, folded graph on concrete inputs with each operator's `evaluate`.
// It is the yardstick for everything downstream (calibration reads its intermediates, codegen is checked against it).

import { EennError } from '../ir/diagnostics.js';
import type { Graph, Node } from '../ir/graph.js';
import type { OpDef, Value } from '../ops/types.js';
import { lastReadBy, runNodes, type RunNodesOptions } from '../ops/run-nodes.js';
import { unsupportedError, type UnsupportedNode } from './shapes.js';
import { supportOf } from './support.js';

export type ReferenceOptions = RunNodesOptions;

/** Run the graph once; returns the graph outputs by name (every tensor with `keep: 'all'`). */
export function runReference(graph: Graph, inputs: Record<string, Value>, options: ReferenceOptions = {}): Record<string, Value> {
  const checked = new Map(graph.inputs.map((name) => [name, checkInput(graph, name, inputs[name])]));
  return runNodes(
    graph,
    planRun(graph),
    checked,
    ({ node, def }, args) => def.evaluate(node, args, graph.opset),
    (name) => constantValue(graph, name),
    options,
  );
}

interface RunPlan {
  steps: { node: Node; def: OpDef }[];
  /** For each node, the tensors it reads for the last time or writes without a reader (freed unless kept). */
  lastReadBy: string[][];
}

const plans = new WeakMap<Graph, RunPlan>();

/** Definitions and tensor lifetimes, computed once per graph (the interpreter runs many samples). */
function planRun(graph: Graph): RunPlan {
  const cached = plans.get(graph);
  if (cached) return cached;
  const unsupported: UnsupportedNode[] = [];
  const steps: RunPlan['steps'] = [];
  for (const node of graph.nodes) {
    const support = supportOf(node, graph.opset);
    if (support.def) steps.push({ node, def: support.def });
    else unsupported.push({ name: node.name, op: node.op, domain: node.domain, reason: support.reason });
  }
  if (unsupported.length > 0) throw unsupportedError(unsupported);
  const plan = { steps, lastReadBy: lastReadBy(graph) };
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
    throw new EennError({
      code: 'E_DATA',
      message: `no value given for input "${name}"`,
      hint: `the model's inputs are: ${graph.inputs.join(', ')}`,
    });
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
