// Groups the graph's nodes into execution steps: one kernel call each, with an activation that directly
// follows a Conv/Gemm/MatMul fused into it, and a pool that directly follows a Conv fused after that. The memory planner and code generation both walk these steps.

import { sizeOf, type Graph, type Node } from '../ir/graph.js';
import { attrInt } from '../ops/attrs.js';

/**
 * One step of execution. `nodes[0]` is the primary node; when present, `nodes[1]` is a Relu or Clip
 * whose only input is the primary's output, computed by the primary's kernel as an output clamp
 * (the activation min/max parameters CMSIS-NN kernels take).
 */
export interface Step {
  index: number;
  nodes: Node[];
  /** The Relu/Clip fused into the primary as an output clamp, if any (one of `nodes`). */
  activation?: Node;
  /**
   * The MaxPool/AveragePool fused after a Conv (always the last of `nodes`): the conv output is computed a few
   * channel planes at a time into the step's scratch buffer and pooled from there, so it never exists in full.
   */
  pool?: Node;
  /**
   * How the primary Conv writes over its input (set by the memory planner when the input dies here):
   * 'depthwise' (stride 1, same shape: one plane at a time through the scratch) or 'pointwise' (1x1, C_out <= C_in:
   * a few pixels at a time through the scratch).
   */
  inPlace?: 'depthwise' | 'pointwise';
  /** Bytes of working memory the step's kernel needs, placed in the arena for this step only. */
  scratchBytes?: number;
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
  /** Fuse a MaxPool/AveragePool into the Conv that produces its input (default true). */
  fusePools?: boolean;
}

/** Output channels a fused conv + pool kernel computes per pass (the conv kernel's register block). */
export const CONV_POOL_BLOCK = 4;

const isDefaultDomain = (node: Node) => node.domain === '' || node.domain === 'ai.onnx';

/** The only reader of `name`, when there is exactly one and `name` is not a model output. */
function soleReader(graph: Graph, name: string, outputs: ReadonlySet<string>): Node | undefined {
  if (outputs.has(name)) return undefined;
  const readers = graph.nodes.filter((n) => n.inputs.includes(name));
  return readers.length === 1 ? readers[0] : undefined;
}

/**
 * True when `conv` is a 2-D Conv that the general float kernel computes (group 1, not the 1x1 kernel): the
 * kernel the fused conv + pool call runs a block of output channels at a time.
 */
function isPoolFusableConv(graph: Graph, conv: Node): boolean {
  if (conv.op !== 'Conv' || !isDefaultDomain(conv) || conv.outputs.length !== 1) return false;
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || x.shape.length !== 4 || y.shape.length !== 4) return false;
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return false;
  if (attrInt(conv, 'group', 1) !== 1) return false;
  return !(w.shape[2] === 1 && w.shape[3] === 1);
}

/** The pool that can be fused after `producer` (a Conv, or its fused activation's output `out`), if any. */
export function fusablePool(graph: Graph, conv: Node, out: string, outputs: ReadonlySet<string>): Node | undefined {
  if (!isPoolFusableConv(graph, conv)) return undefined;
  const pool = soleReader(graph, out, outputs);
  if (!pool || !isDefaultDomain(pool) || (pool.op !== 'MaxPool' && pool.op !== 'AveragePool')) return undefined;
  if (pool.inputs[0] !== out || pool.outputs.length < 1 || pool.outputs.slice(1).some((o) => o !== '')) return undefined;
  const x = graph.tensors.get(out);
  const y = graph.tensors.get(pool.outputs[0]!);
  if (!x || !y || x.shape.length !== 4 || y.shape.length !== 4 || sizeOf(y.shape) === 0) return undefined;
  const scratch = Math.min(CONV_POOL_BLOCK, x.shape[1]!) * x.shape[2]! * x.shape[3]! * 4;
  // Only worth it when the scratch is smaller than the conv output it replaces.
  return scratch < sizeOf(x.shape) * 4 ? pool : undefined;
}

/** The steps of the graph, in its (topological) node order. */
export function buildSteps(graph: Graph, options: ScheduleOptions = {}): Step[] {
  const fuse = options.fuseActivations ?? true;
  const fusePools = options.fusePools ?? true;
  const outputs = new Set(graph.outputs);
  const fusedAway = new Set<Node>();
  const steps: Step[] = [];
  for (const node of graph.nodes) {
    if (fusedAway.has(node)) continue;
    const act = fuse ? fusableActivation(graph, node, outputs) : undefined;
    if (act) fusedAway.add(act);
    const step: Step = { index: steps.length, nodes: act ? [node, act] : [node] };
    if (act) step.activation = act;
    const pool = fusePools ? fusablePool(graph, node, (act ?? node).outputs[0] ?? '', outputs) : undefined;
    if (pool) {
      fusedAway.add(pool);
      const conv = graph.tensors.get((act ?? node).outputs[0]!)!.shape;
      step.nodes.push(pool);
      step.pool = pool;
      step.scratchBytes = Math.min(CONV_POOL_BLOCK, conv[1]!) * conv[2]! * conv[3]! * 4;
    }
    steps.push(step);
  }
  return steps;
}

/** How a Conv could write over its own input, and the scratch bytes that needs. */
export interface InPlaceConv {
  kind: 'depthwise' | 'pointwise';
  scratchBytes: number;
}

/** Pixels the in-place 1x1 kernel gathers per pass (its register block). */
export const POINTWISE_IN_PLACE_PIXELS = 4;

/**
 * Whether `conv` may run over its own input buffer, judged from shapes and attributes only (the planner also
 * requires the input to die at that step). Depthwise (group = C_in = C_out, stride 1, output shape = input
 * shape): output channel c reads input channel c only, so each plane is computed into a one-plane scratch and
 * copied back. Pointwise (1x1, stride 1, no padding, group 1, C_out <= C_in): output pixel p reads input pixel p
 * only and writes element p of each plane, so a few pixels at a time are gathered into a scratch of C_in values each.
 */
export function inPlaceConv(graph: Graph, conv: Node): InPlaceConv | undefined {
  if (conv.op !== 'Conv' || !isDefaultDomain(conv) || conv.outputs.length !== 1) return undefined;
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || x.shape.length !== 4 || y.shape.length !== 4 || w.shape.length !== 4) return undefined;
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return undefined;
  const strides = conv.attrs['strides'];
  if (Array.isArray(strides) && strides.some((s) => s !== 1)) return undefined;
  const group = attrInt(conv, 'group', 1);
  const [n, cIn, h, wd] = x.shape as [number, number, number, number];
  const cOut = y.shape[1]!;
  if (y.shape[0] !== n || y.shape[2] !== h || y.shape[3] !== wd || h * wd === 0) return undefined;
  if (group === cIn && cOut === cIn && w.shape[1] === 1) {
    return { kind: 'depthwise', scratchBytes: h * wd * 4 };
  }
  const pads = conv.attrs['pads'];
  const autoPad = conv.attrs['auto_pad'];
  const unpadded = (!Array.isArray(pads) || pads.every((p) => p === 0)) && (autoPad === undefined || autoPad === 'NOTSET' || autoPad === 'VALID');
  if (group === 1 && w.shape[2] === 1 && w.shape[3] === 1 && unpadded && cOut <= cIn) {
    return { kind: 'pointwise', scratchBytes: POINTWISE_IN_PLACE_PIXELS * cIn * 4 };
  }
  return undefined;
}
