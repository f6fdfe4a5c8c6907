// Contract of the float unary kernels (eenn_activation_f32.c: eenn_relu_f32, eenn_clip_f32, eenn_sigmoid_f32...):
// each output element from the input element at its own index, so a tile is a run of elements.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { lookupOp } from '../ops/registry.js';
import { ELEMENT_GRANULE } from './binary-runs.js';
import { NOTHING_OPTIONAL, type CallTiler, type KernelContract } from './contract.js';
import { intOf, sameTensor, tiler } from './tiles.js';

/** The kernels of eenn_activation_f32.c: (input, output, size, then the function's own parameters). */
const UNARY_F32_KERNELS = [
  ...['relu', 'clip', 'leaky_relu', 'thresholded_relu', 'sigmoid', 'tanh', 'hard_sigmoid', 'hard_swish', 'elu', 'selu'],
  ...['celu', 'softplus', 'softsign', 'mish', 'gelu', 'gelu_tanh', 'exp', 'log', 'sqrt', 'neg', 'abs', 'reciprocal'],
  ...['floor', 'ceil', 'round', 'erf', 'sign', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh'],
  ...['acosh', 'atanh'],
  ...['shrink'],
].map((name) => `eenn_${name}_f32`);

/** True for a float node lowered to one unary kernel: its definition names one (OpDef.unaryKernel), or Clip. */
function isFloatUnary(graph: Graph, node: Node): boolean {
  if (!isDefaultDomain(node) || graph.tensors.get(node.inputs[0] ?? '')?.dtype !== 'float32') return false;
  return node.op === 'Clip' || lookupOp(node.op, node.domain)?.unaryKernel !== undefined;
}

/**
 * Runs of elements of the flattened output (a unit of the 'rows' axis is one element); not a call written over its
 * own input tensor (a clamp the lowering adds after another kernel): a tile run again would read its own output.
 */
const UNARY_F32_RUNS: CallTiler = tiler(
  'rows',
  (args) => (sameTensor(args.call, 'input', 'output') ? undefined : intOf(args, 'size')),
  () => ELEMENT_GRANULE,
  (_args, begin, end) => ({ advance: { input: begin, output: begin }, set: { size: end - begin } }),
);

export const ACTIVATION_F32: KernelContract = {
  kernels: UNARY_F32_KERNELS,
  header: 'eenn_kernels_f32.h',
  computes: isFloatUnary,
  scratchBytes: () => 0,
  aliasing: { overlap: 'same', rule: 'the output may be the input: element i is written after it is read' },
  tiles: [{ axis: 'rows', reads: 'the same elements of the input' }],
  tiler: UNARY_F32_RUNS,
  ...NOTHING_OPTIONAL,
};
