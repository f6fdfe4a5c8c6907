// The float32 lowering table: ONNX operator -> the kernel calls that compute it (NCHW, templates/c/kernels).
// Code generation walks the memory plan's steps and asks this table for each; every operator the frontend can
// leave after folding has an entry, and anything else is reported at once as E_UNSUPPORTED.

import { nodeError } from '../ir/diagnostics.js';
import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { clampRange } from '../ops/activation.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import type { Step } from '../schedule/schedule.js';
import type { ActivationRange, Lowering } from './kernel-call.js';
import { lowerSteps, type LoweredGraphStep, type LoweringTable } from './lower-steps.js';
export type { LoweredGraphStep } from './lower-steps.js';
import { lowerConv, lowerConvTranspose } from './lower/conv.js';
import { lowerConvPair } from './lower/conv-pair.js';
import { lowerBatchNorm, lowerBinary, lowerClip, lowerUnary, lowerVariadic, UNARY_OPS } from './lower/elementwise.js';
import { lowerAlias, lowerCast, lowerConcatNode, lowerMovement, lowerPad, lowerResize } from './lower/layout.js';
import { INDEX_OPS, lowerGatherNd, lowerLoss, lowerOneHot, lowerScatterElements, lowerScatterNd, lowerTopK } from './lower/indexing.js';
import { lowerGemm, lowerMatMul } from './lower/matmul.js';
import { lowerGlobalPool, lowerPool } from './lower/pool.js';
import { lowerInstanceNorm, lowerLayerNorm, lowerLrn, lowerMvn } from './lower/normalization.js';
import { lowerReduce, lowerSoftmax, REDUCE_OPS } from './lower/reduce.js';
import { lowerRecurrent, readsInt32Operand } from './lower/recurrent.js';
import { lowerCumSum } from './lower/trilu-cumsum.js';
import { storedArgs, TYPED_LOWERINGS } from './lower/typed.js';

/** Operator -> lowering. */
export const FLOAT_LOWERINGS: ReadonlyMap<string, Lowering> = new Map<string, Lowering>([
  // A Conv that starts a fused pair (schedule.ts: fusableConvPair) lowers the whole pair.
  ['Conv', (ctx) => (ctx.step.convPair ? lowerConvPair(ctx) : lowerConv(ctx))],
  ['ConvTranspose', lowerConvTranspose],
  ['Gemm', lowerGemm],
  ['MatMul', lowerMatMul],
  ...['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Mod'].map((op): [string, Lowering] => [op, lowerBinary]),
  ...['Sum', 'Mean', 'Max', 'Min'].map((op): [string, Lowering] => [op, lowerVariadic]),
  ...UNARY_OPS.map((op): [string, Lowering] => [op, lowerUnary]),
  ['Clip', lowerClip],
  ['BatchNormalization', lowerBatchNorm],
  ['CumSum', lowerCumSum],
  ['LayerNormalization', lowerLayerNorm],
  ['InstanceNormalization', lowerInstanceNorm],
  ['MeanVarianceNormalization', lowerMvn],
  ['LRN', lowerLrn],
  ['MaxPool', lowerPool],
  ['AveragePool', lowerPool],
  ['GlobalAveragePool', lowerGlobalPool],
  ['GlobalMaxPool', lowerGlobalPool],
  ['Softmax', lowerSoftmax],
  ['LogSoftmax', lowerSoftmax],
  ['Hardmax', lowerSoftmax],
  ...REDUCE_OPS.map((op): [string, Lowering] => [op, lowerReduce]),
  ...['LSTM', 'GRU', 'RNN'].map((op): [string, Lowering] => [op, lowerRecurrent]),
  ['NegativeLogLikelihoodLoss', lowerLoss],
  ['SoftmaxCrossEntropyLoss', lowerLoss],
  ['GatherND', lowerGatherNd],
  ['ScatterND', lowerScatterNd],
  ['ScatterElements', lowerScatterElements],
  ['Scatter', lowerScatterElements],
  ['OneHot', lowerOneHot],
  ['TopK', lowerTopK],
  ...['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'].map((op): [string, Lowering] => [op, lowerAlias]),
  ['Cast', lowerCast],
  ['CastLike', lowerCast],
  ['Concat', lowerConcatNode],
  ['Pad', lowerPad],
  ['Resize', lowerResize],
  ['Upsample', lowerResize],
  ...['Transpose', 'Slice', 'Gather', 'GatherElements', 'Split', 'Tile', 'Expand', 'DepthToSpace', 'SpaceToDepth'].map((op): [string, Lowering] => [
    op,
    lowerMovement,
  ]),
]);

/** The clamp of the activation fused into a step (Relu: [0, inf), Clip: its bounds). */
export function activationOf(graph: Graph, step: Step): ActivationRange {
  const act = step.activation;
  const [min, max] = clampRange(graph, act);
  return act ? { min, max, node: act } : { min, max };
}

/**
 * The lowering of a node: the float one (FLOAT_LOWERINGS) when every runtime tensor of the step is float32, else
 * the typed one (lower/typed.ts: integer, bool and float64 tensors), or E_UNSUPPORTED naming the tensor.
 */
function loweringOf(node: Node): Lowering | undefined {
  if (!isDefaultDomain(node)) return undefined;
  const float = FLOAT_LOWERINGS.get(node.op);
  const typed = TYPED_LOWERINGS.get(node.op);
  if (!float && !typed) return undefined;
  // The loss and indexing operators read their integer indices themselves and refuse other element types.
  if (float && INDEX_OPS.has(node.op)) return float;
  return (ctx) => {
    // Recurrent layers read their int32 sequence_lens themselves (readsInt32Operand).
    const runtime = [...ctx.inputs.filter((_, i) => !readsInt32Operand(node, i)), ...ctx.outputs];
    const other = runtime.find((t) => t && !t.data && t.dtype !== 'float32');
    if (!other && float) return float(ctx);
    if (!typed) {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `tensor "${other!.name}" is ${other!.dtype}; the float32 code path computes ${node.op} on float32 tensors only`,
        'export the model with float32 tensors here, or build with --precision int8 if the model carries its own quantization',
      );
    }
    return storedArgs(typed(ctx));
  };
}

/** The float32 lowering table, for lowerSteps. */
const FLOAT_TABLE: LoweringTable = {
  precision: 'float32',
  loweringOf,
  checkStep() {
    // Each lowering checks the element types it takes (loweringOf).
  },
  activationOf,
  // A fused activation (Relu, Clip) writes the step's result.
  resultOf: (step, outputs, tensor) => tensor(step.nodes[step.nodes.length - 1]!.outputs[0]!) ?? outputs[0]!,
  hint: 'run `eennc inspect` to see where they are; replace them in the model, or try --precision int8',
};

/**
 * Lower every step of the plan. Collects every node that cannot be lowered and throws one E_UNSUPPORTED
 * error listing them all (node name and operator).
 */
export function lowerGraph(graph: Graph, plan: MemoryPlan): LoweredGraphStep[] {
  return lowerSteps(graph, plan, FLOAT_TABLE);
}
