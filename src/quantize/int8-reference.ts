// The int8 reference interpreter: runs a quantized graph (src/ir/int8.ts) with exactly the integer arithmetic of the
// C kernels (fixedpoint.ts mirrors eenn_fixedpoint.h), so QEMU's outputs must equal its outputs bit for bit.
// `eennc test`, the accuracy report and the benchmarks run it; the kernels of each operator family are in int8/.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN, INT8_OPS, INT8_PASSTHROUGH_OPS, type Int8Op } from '../ir/int8.js';
import { lastReadBy, runNodes, type RunNodesOptions } from '../ops/run-nodes.js';
import type { Value } from '../ops/types.js';
import { prepareConv, prepareConvTranspose } from './int8/conv.js';
import { prepareAdd, prepareDequantize, prepareLut, prepareMul, prepareQuantize } from './int8/elementwise.js';
import { prepareGemm } from './int8/gemm.js';
import type { Int8Kernel, PrepareKernel } from './int8/kernel.js';
import { preparePassthrough } from './int8/passthrough.js';
import { prepareAveragePool, prepareSoftmax } from './int8/pool.js';
import { prepareLayerNorm, prepareReduce } from './int8/reduce.js';
import { prepareRequantize } from './int8/requantize.js';
import { prepareResize } from './int8/resize.js';

export type Int8ReferenceOptions = RunNodesOptions;

const KERNELS: Record<Int8Op, PrepareKernel> = {
  QConv: prepareConv,
  QConvTranspose: prepareConvTranspose,
  QGemm: prepareGemm,
  QAdd: prepareAdd,
  QMul: prepareMul,
  QAveragePool: prepareAveragePool,
  QSoftmax: prepareSoftmax,
  QLut: prepareLut,
  QResize: prepareResize,
  QRequantize: prepareRequantize,
  QReduce: prepareReduce,
  QLayerNorm: prepareLayerNorm,
  Quantize: prepareQuantize,
  Dequantize: prepareDequantize,
};

const INT8_OP_NAMES: ReadonlySet<string> = new Set(INT8_OPS);

interface RunPlan {
  steps: { node: Node; kernel: Int8Kernel }[];
  /** The graph's constant tensors as Values (weights, shapes, int8 operands), made once. */
  constants: Map<string, Value>;
  /** For each step, the tensors it reads for the last time or writes without a reader (freed unless kept). */
  lastReadBy: string[][];
}

const plans = new WeakMap<Graph, RunPlan>();

function prepare(node: Node, graph: Graph): Int8Kernel {
  if (node.domain === INT8_DOMAIN && INT8_OP_NAMES.has(node.op)) return KERNELS[node.op as Int8Op](node, graph);
  if (isDefaultDomain(node) && INT8_PASSTHROUGH_OPS.has(node.op)) return preparePassthrough(node, graph);
  throw new Error(`internal: the quantized graph holds ${node.domain || 'ai.onnx'}.${node.op} ("${node.name}"), which has no int8 form`);
}

/** Kernels and tensor lifetimes, computed once per graph (the interpreter runs many samples). */
function planRun(graph: Graph): RunPlan {
  const cached = plans.get(graph);
  if (cached) return cached;
  const steps = graph.nodes.map((node) => ({ node, kernel: prepare(node, graph) }));
  const constants = new Map<string, Value>();
  for (const [name, t] of graph.tensors) if (t.data) constants.set(name, { shape: t.shape, dtype: t.dtype, data: t.data });
  const plan = { steps, constants, lastReadBy: lastReadBy(graph) };
  plans.set(graph, plan);
  return plan;
}

/** Run a quantized graph once; inputs by graph input name (int8 Values, or float32 where the input is float32). */
export function runInt8Reference(graph: Graph, inputs: Record<string, Value>, options: Int8ReferenceOptions = {}): Record<string, Value> {
  const plan = planRun(graph);
  const checked = new Map(graph.inputs.map((name): [string, Value] => [name, checkInput(graph, name, inputs[name])]));
  // The tensors the exits decide on are kept beside the outputs, so that exitTaken (src/exits/) can read them.
  const decisions = new Set(graph.exits?.decisions.map((d) => d.tensor));
  const kept: Record<string, Value> = {};
  const onTensor =
    decisions.size === 0
      ? options.onTensor
      : (name: string, value: Value) => {
          if (decisions.has(name)) kept[name] = value;
          options.onTensor?.(name, value);
        };
  const result = runNodes(
    graph,
    plan,
    checked,
    ({ kernel }, args) => kernel(args),
    (name) => plan.constants.get(name),
    { ...options, onTensor },
  );
  return decisions.size === 0 ? result : { ...kept, ...result };
}

function checkInput(graph: Graph, name: string, value: Value | undefined): Value {
  const t = graph.tensors.get(name);
  if (!value || !t) throw new Error(`internal: no value for graph input "${name}"`);
  if (value.dtype !== t.dtype || value.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`internal: input "${name}" must be ${t.dtype} [${t.shape.join(', ')}], got ${value.dtype} with ${value.data.length} values`);
  }
  return value;
}
