// The float32 lowering table: ONNX operator -> the kernel calls that compute it (NCHW, templates/c/kernels).
// Code generation walks the memory plan's steps and asks this table for each; every operator the frontend can
// leave after folding has an entry, and anything else is reported at once as E_UNSUPPORTED.

import { EennError, nodeError } from '../ir/diagnostics.js';
import type { Graph, Tensor } from '../ir/graph.js';
import type { MemoryPlan } from '../partition/memory-plan.js';
import type { Step } from '../partition/schedule.js';
import type { ActivationRange, Lowering, LoweredStep, LowerContext } from './kernel-call.js';
import { lowerConv, lowerConvTranspose } from './lower/conv.js';
import { clipBounds, lowerBatchNorm, lowerBinary, lowerClip, lowerUnary, lowerVariadic, UNARY_OPS } from './lower/elementwise.js';
import { lowerAlias, lowerCast, lowerConcatNode, lowerMovement, lowerPad, lowerResize } from './lower/layout.js';
import { lowerGemm, lowerMatMul } from './lower/matmul.js';
import { lowerGlobalPool, lowerPool } from './lower/pool.js';
import { lowerReduce, lowerSoftmax, REDUCE_OPS } from './lower/reduce.js';

/** Operator -> lowering. */
export const FLOAT_LOWERINGS: ReadonlyMap<string, Lowering> = new Map<string, Lowering>([
  ['Conv', lowerConv],
  ['ConvTranspose', lowerConvTranspose],
  ['Gemm', lowerGemm],
  ['MatMul', lowerMatMul],
  ...['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Mod'].map((op): [string, Lowering] => [op, lowerBinary]),
  ...['Sum', 'Mean', 'Max', 'Min'].map((op): [string, Lowering] => [op, lowerVariadic]),
  ...UNARY_OPS.map((op): [string, Lowering] => [op, lowerUnary]),
  ['Clip', lowerClip],
  ['BatchNormalization', lowerBatchNorm],
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
  ...['Transpose', 'Slice', 'Gather', 'GatherElements', 'Split', 'Tile', 'Expand', 'DepthToSpace', 'SpaceToDepth']
    .map((op): [string, Lowering] => [op, lowerMovement]),
]);

/** The clamp of the activation fused into a step (Relu: [0, inf), Clip: its bounds). */
export function activationOf(graph: Graph, step: Step): ActivationRange {
  const act = step.activation;
  if (!act) return { min: -Infinity, max: Infinity };
  if (act.op === 'Relu') return { min: 0, max: Infinity, node: act };
  const [min, max] = clipBounds({ node: act, graph, opset: graph.opset });
  return { min, max, node: act };
}

/** A lowered step, with the node it came from. */
export interface LoweredGraphStep {
  step: Step;
  lowered: LoweredStep;
}

/**
 * Lower every step of the plan. Collects every node that cannot be lowered and throws one E_UNSUPPORTED
 * error listing them all (node name and operator).
 */
export function lowerGraph(graph: Graph, plan: MemoryPlan): LoweredGraphStep[] {
  const problems: string[] = [];
  const result: LoweredGraphStep[] = [];
  const sameStorage = (a: string, b: string): boolean => {
    const ia = plan.bufferOf.get(a);
    return ia !== undefined && ia === plan.bufferOf.get(b);
  };
  for (const step of plan.steps) {
    const node = step.nodes[0]!;
    try {
      const lowering = node.domain === '' || node.domain === 'ai.onnx' ? FLOAT_LOWERINGS.get(node.op) : undefined;
      if (!lowering) throw nodeError('E_UNSUPPORTED', node, `${node.op}${node.domain ? ` (domain ${node.domain})` : ''} has no float32 kernel`);
      const tensor = (name: string): Tensor | undefined => (name === '' ? undefined : graph.tensors.get(name));
      const outputs = node.outputs.map((o) => tensor(o)).filter((t): t is Tensor => t !== undefined);
      const last = step.nodes[step.nodes.length - 1]!;
      const result0 = tensor(last.outputs[0]!) ?? outputs[0]!;
      for (const t of [...node.inputs.map(tensor), ...outputs]) {
        if (t && !t.data && t.dtype !== 'float32') {
          throw nodeError('E_UNSUPPORTED', node, `tensor "${t.name}" is ${t.dtype}; the float32 code path handles float32 activations only`);
        }
      }
      const ctx: LowerContext = {
        graph, node, opset: graph.opset,
        inputs: node.inputs.map(tensor),
        outputs,
        result: result0,
        activation: activationOf(graph, step),
        step,
        sameStorage,
      };
      result.push({ step, lowered: lowering(ctx) });
    } catch (err) {
      if (!(err instanceof EennError) || err.code !== 'E_UNSUPPORTED') throw err;
      problems.push(`node "${node.name}" (${node.op}): ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `${problems.length} node${problems.length === 1 ? '' : 's'} cannot be compiled to float32 C`,
      details: problems,
      hint: 'run `eennc inspect` to see where they are; replace them in the model, or try --precision int8',
    });
  }
  return result;
}
