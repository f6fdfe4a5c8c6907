// The float32 lowering table: ONNX operator -> the kernel calls that compute it (NCHW, templates/c/kernels).
// Code generation walks the memory plan's steps and asks this table for each; every operator the frontend can
// leave after folding has an entry, and anything else is reported at once as E_UNSUPPORTED.

import { nodeError } from '../ir/diagnostics.js';
import { isDefaultDomain, type Graph } from '../ir/graph.js';
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
import { lowerGemm, lowerMatMul } from './lower/matmul.js';
import { lowerGlobalPool, lowerPool } from './lower/pool.js';
import { lowerReduce, lowerSoftmax, REDUCE_OPS } from './lower/reduce.js';
import { lowerCumSum, lowerTrilu } from './lower/trilu-cumsum.js';

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
  ['Trilu', lowerTrilu],
  ['CumSum', lowerCumSum],
  ['MaxPool', lowerPool],
  ['AveragePool', lowerPool],
  ['GlobalAveragePool', lowerGlobalPool],
  ['GlobalMaxPool', lowerGlobalPool],
  ['Softmax', lowerSoftmax],
  ['LogSoftmax', lowerSoftmax],
  ['Hardmax', lowerSoftmax],
  ...REDUCE_OPS.map((op): [string, Lowering] => [op, lowerReduce]),
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

/** The float32 lowering table, for lowerSteps. */
const FLOAT_TABLE: LoweringTable = {
  precision: 'float32',
  loweringOf: (node) => (isDefaultDomain(node) ? FLOAT_LOWERINGS.get(node.op) : undefined),
  checkStep(step, inputs, outputs) {
    for (const t of [...inputs, ...outputs]) {
      if (t && !t.data && t.dtype !== 'float32') {
        throw nodeError(
          'E_UNSUPPORTED',
          step.nodes[0]!,
          `tensor "${t.name}" is ${t.dtype}; the float32 code path handles float32 activations only`,
          'export the model with float32 tensors, or build with --precision int8 if the model carries its own quantization',
        );
      }
    }
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
