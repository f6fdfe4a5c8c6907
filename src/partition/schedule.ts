// Groups the graph's nodes into execution steps: one kernel call each, with an activation that directly
// follows a Conv/Gemm/MatMul fused into it. The memory planner and code generation both walk these steps.

import type { Graph, Node } from '../ir/graph.js';

/**
 * One step of execution. `nodes[0]` is the primary node; when present, `nodes[1]` is a Relu or Clip
 * whose only input is the primary's output, computed by the primary's kernel as an output clamp
 * (the activation min/max parameters CMSIS-NN kernels take).
 */
export interface Step {
  index: number;
  nodes: Node[];
}

/** Operators that only reinterpret their first input (same bytes, new shape): no code, shared storage. */
export const ALIAS_OPS: ReadonlySet<string> = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

/** Operators whose kernels take an output clamp, so a following Relu/Clip costs nothing. */
export const FUSABLE_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * Operators whose kernels may write their output over an input of the same size: element-wise ones (each
 * output element is computed from the input elements at the same index only), and Softmax / LogSoftmax /
 * Hardmax / BatchNormalization, whose kernels read each input element before writing the output at that same index. The planner
 * runs them in place when that input dies at this step; code generation must keep their kernels
 * free of `restrict` on those pointers.
 */
export const IN_PLACE_OPS: ReadonlySet<string> = new Set([
  'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'PRelu',
  'Softplus', 'Softsign', 'ThresholdedRelu', 'Gelu', 'Mish',
  'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Erf', 'Sign',
  'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Sum', 'Mean',
  'Softmax', 'LogSoftmax', 'Hardmax', 'BatchNormalization', 'Mod',
]);

/** True when `node` is a Relu, or a Clip whose bounds are constants or absent: expressible as a clamp. */
export function isClampActivation(graph: Graph, node: Node): boolean {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return false;
  if (node.op === 'Relu') return true;
  if (node.op !== 'Clip') return false;
  for (const name of node.inputs.slice(1)) {
    if (name === '') continue;
    const t = graph.tensors.get(name);
    if (!t || !t.data || t.data.length !== 1) return false;
  }
  return true;
}

/** The activation node that can be fused into `node`'s kernel, if any. */
export function fusableActivation(graph: Graph, node: Node, outputs: ReadonlySet<string>): Node | undefined {
  if (!FUSABLE_PRODUCERS.has(node.op) || (node.domain !== '' && node.domain !== 'ai.onnx')) return undefined;
  if (node.outputs.length !== 1) return undefined;
  const out = node.outputs[0]!;
  if (outputs.has(out)) return undefined;
  const readers = graph.nodes.filter((n) => n.inputs.includes(out));
  if (readers.length !== 1) return undefined;
  const act = readers[0]!;
  if (act.inputs[0] !== out || act.inputs.slice(1).includes(out)) return undefined;
  return isClampActivation(graph, act) ? act : undefined;
}

export interface ScheduleOptions {
  /** Fuse Relu/Clip into the producing Conv/Gemm/MatMul (default true). */
  fuseActivations?: boolean;
}

/** The steps of the graph, in its (topological) node order. */
export function buildSteps(graph: Graph, options: ScheduleOptions = {}): Step[] {
  const fuse = options.fuseActivations ?? true;
  const outputs = new Set(graph.outputs);
  const fusedAway = new Set<Node>();
  const steps: Step[] = [];
  for (const node of graph.nodes) {
    if (fusedAway.has(node)) continue;
    const act = fuse ? fusableActivation(graph, node, outputs) : undefined;
    if (act) fusedAway.add(act);
    steps.push({ index: steps.length, nodes: act ? [node, act] : [node] });
  }
  return steps;
}
