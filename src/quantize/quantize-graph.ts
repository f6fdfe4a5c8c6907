// The quantize stage: a shaped, folded float graph plus calibrated ranges (or the model's own scales) become a
// graph of the int8 dialect (src/ir/int8.ts): int8 activations with per-tensor scales, per-channel int8
// weights, int32 biases, and every requantization parameter computed here, once, as node attributes.
// This driver walks the nodes and hands each to the rewrite of its family (rewrite/*.ts, beside the int8
// reference kernels of int8/*.ts); a node with no int8 form is listed, and all of them are reported at once.
//
// Tensor names are kept: the int8 tensor "x" holds the quantized value of the float tensor "x", so per-layer
// error can be measured by name. Fused activations (Conv + Relu) take the name of the activation's output.

import { EennError, nodeError } from '../ir/diagnostics.js';
import { isDefaultDomain, sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_PASSTHROUGH_OPS } from '../ir/int8.js';
import { isLutOp, isScalarLutOp } from '../ops/facts.js';
import type { Range } from './calibrate.js';
import type { QuantOverrides } from './overrides.js';
import { Int8GraphBuilder } from './rewrite/builder.js';
import type { Rewrite, RewriteContext } from './rewrite/context.js';
import { conv, convTranspose } from './rewrite/conv.js';
import { binary, lut } from './rewrite/elementwise.js';
import { gemm, matMul } from './rewrite/gemm.js';
import { passthrough } from './rewrite/passthrough.js';
import { layerNorm, reduce } from './rewrite/normalization.js';
import { averagePool, reduceMean, softmax } from './rewrite/pool.js';

export interface QuantizeOptions {
  /** Calibrated real range of every float activation tensor (graph inputs included). */
  ranges: ReadonlyMap<string, Range>;
  /** Scales the model states itself (QDQ import); they win over calibration. */
  overrides?: QuantOverrides;
  /** 'int8': the model's inputs and outputs are int8 (default); 'float32': quantize and dequantize in the model. */
  io?: 'int8' | 'float32';
  /** Float activation tensors held as int16 (symmetric, the CMSIS-NN s16 scheme; src/ir/int8.ts); default none. */
  int16?: ReadonlySet<string>;
}

/** Operators with a rewrite of their own; the others become tables, int8 arithmetic or pass through. */
const REWRITES: ReadonlyMap<string, Rewrite> = new Map([
  ['Conv', conv],
  ['ConvTranspose', convTranspose],
  ['Gemm', gemm],
  ['MatMul', matMul],
  ['AveragePool', averagePool],
  ['GlobalAveragePool', averagePool],
  ['ReduceMean', reduceMean],
  ['ReduceSum', reduce],
  ['LayerNormalization', layerNorm],
  ['Softmax', softmax],
]);

/** Binary operators with int8 arithmetic of their own (QAdd, QMul) where they are not a table (one single-value constant). */
const BINARY_OPS: ReadonlySet<string> = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Quantize `graph`; throws one E_UNSUPPORTED error listing every node that has no int8 form. */
export function quantizeGraph(graph: Graph, options: QuantizeOptions): Graph {
  const ctx = new Int8GraphBuilder(graph, options);
  const problems: string[] = [];
  for (const name of graph.inputs) {
    const problem = ctx.addInput(name);
    if (problem) problems.push(problem);
  }
  // Tensors downstream of a node that cannot be quantized: their readers are not listed again.
  const unquantized = new Set<string>();
  for (const node of graph.nodes) {
    if (ctx.isFolded(node)) continue;
    if (node.inputs.some((name) => unquantized.has(name))) {
      for (const name of node.outputs) unquantized.add(name);
      continue;
    }
    try {
      rewrite(ctx, node);
    } catch (err) {
      if (!(err instanceof EennError) || err.code !== 'E_UNSUPPORTED') throw err;
      problems.push(`node "${node.name}" (${node.op}): ${err.message}`);
      for (const name of node.outputs) unquantized.add(name);
    }
  }
  if (problems.length > 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `${problems.length} node${problems.length === 1 ? '' : 's'} cannot be quantized to int8`,
      details: problems,
      hint: 'build with --precision float32, or replace these operators in the model',
    });
  }
  return ctx.finish();
}

/** Hands `node` to the rewrite of its family; E_UNSUPPORTED when it has none. */
function rewrite(ctx: RewriteContext, node: Node): void {
  if (!isDefaultDomain(node)) throw nodeError('E_UNSUPPORTED', node, `operator ${node.domain}.${node.op} has no int8 form`);
  const activationInputs = node.inputs.filter((n) => n !== '' && !ctx.floatTensor(n).data);
  const own = REWRITES.get(node.op);
  if (own) return own(ctx, node);
  if (
    isScalarLutOp(node) &&
    activationInputs.length === 1 &&
    node.inputs.length === 2 &&
    node.inputs.every((n) => n === activationInputs[0] || sizeOf(ctx.floatTensor(n).shape) === 1)
  ) {
    return lut(ctx, node);
  }
  if (BINARY_OPS.has(node.op)) return binary(ctx, node);
  if (isLutOp(node) && activationInputs.length === 1 && node.inputs[0] === activationInputs[0]) return lut(ctx, node);
  if (INT8_PASSTHROUGH_OPS.has(node.op)) return passthrough(ctx, node);
  throw nodeError('E_UNSUPPORTED', node, `${node.op} has no int8 kernel`);
}
