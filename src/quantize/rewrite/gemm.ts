// Gemm and MatMul with a constant 2-D weight become QGemm (src/ir/int8.ts; int8 reference in ../int8/gemm.ts): a
// fully connected layer with [N, K] per-row weights (alpha folded in), an int32 bias (beta folded in) and a fused
// Relu or Clip as the clamp; int16 in and out where the tensors are held so (int64 bias for an int16 input).

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { attributesOf } from '../../ops/facts.js';
import type { PerChannelWeights } from '../quant-params.js';
import { constantFloats, int8Node, type RewriteContext } from './context.js';
import { outputStage } from './output-stage.js';
import { addBias, addWeights, channelWeights, requantAttrs } from './weights.js';

/** A fully connected layer from a float weight matrix laid out [N, K] (already scaled), or the model's own int8 form of it. */
function fullyConnected(
  ctx: RewriteContext,
  node: Node,
  xName: string,
  wName: string,
  wNK: Float32Array,
  n: number,
  k: number,
  bias?: Float32Array,
  own?: PerChannelWeights,
): void {
  const x = ctx.wideActivation(node, xName);
  if (x.tensor.shape[x.tensor.shape.length - 1] !== k)
    throw nodeError('E_UNSUPPORTED', node, `int8 fully connected needs the input's last axis to be K = ${k}`);
  const w = channelWeights(node, wName, wNK, [n, k], 0, own);
  const out = outputStage(ctx, node, true);
  const biasName = addBias(ctx, node, bias ? `${node.name}_bias` : undefined, n, x, w, bias ?? new Float32Array(n));
  ctx.addNode(
    int8Node('QGemm', node.name, [x.tensor.name, addWeights(ctx, wName, [n, k], w), biasName], [out.name], {
      ...requantAttrs(x, w, out.q.scale, node),
      act_min: out.actMin,
      act_max: out.actMax,
    }),
  );
}

/** The model's own int8 weights of a [K, N] matrix, transposed to the [N, K] rows of a fully connected layer. */
function transposedOverride(
  weights: ReadonlyMap<string, PerChannelWeights> | undefined,
  name: string,
  k: number,
  n: number,
): PerChannelWeights | undefined {
  const own = weights?.get(name);
  if (!own || own.q.length !== n * k) return undefined;
  if (own.scales.length !== 1 && (own.axis !== 1 || own.scales.length !== n)) return undefined;
  const q = new Int8Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) q[o * k + i] = own.q[i * n + o]!;
  const scales = own.scales.length === 1 ? new Float32Array(n).fill(own.scales[0]!) : own.scales;
  return { q, scales, axis: 0 };
}

/** The fully connected layer a Gemm is: weights alpha * op(B) as [N, K] rows, and the model's own int8 form of them (kept only when alpha is 1). */
export function gemmWeights(
  node: Node,
  b: Float32Array,
  bShape: readonly number[],
  overrides: ReadonlyMap<string, PerChannelWeights> | undefined,
): { w: Float32Array; n: number; k: number; own: PerChannelWeights | undefined } {
  const bName = node.inputs[1]!;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const alpha = attributesOf(node).float('alpha');
  const [rows, cols] = bShape as [number, number];
  const n = transB ? rows : cols;
  const k = transB ? cols : rows;
  const w = new Float32Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * b[transB ? o * k + i : i * n + o]!;
  const own = alpha !== 1 ? undefined : transB ? overrides?.get(bName) : transposedOverride(overrides, bName, k, n);
  return { w, n, k, own };
}

export function gemm(ctx: RewriteContext, node: Node): void {
  if (attrInt(node, 'transA', 0) !== 0) throw nodeError('E_UNSUPPORTED', node, 'int8 Gemm needs transA = 0');
  const bName = node.inputs[1]!;
  const b = constantFloats(ctx, node, bName, 'weight');
  const { w, n, k, own } = gemmWeights(node, b, ctx.floatTensor(bName).shape, ctx.overrides?.weights);
  const beta = attributesOf(node).float('beta');
  let bias: Float32Array | undefined;
  const cName = node.inputs[2];
  if (cName) {
    const c = constantFloats(ctx, node, cName, 'bias');
    const cShape = ctx.floatTensor(cName).shape;
    if (c.length !== 1 && c.length !== n)
      throw nodeError('E_UNSUPPORTED', node, `int8 Gemm needs a bias of N = ${n} values (or one), not shape [${cShape.join(', ')}]`);
    bias = Float32Array.from({ length: n }, (_, o) => beta * c[c.length === 1 ? 0 : o]!);
  }
  fullyConnected(ctx, node, node.inputs[0]!, bName, w, n, k, bias, own);
}

export function matMul(ctx: RewriteContext, node: Node): void {
  const bName = node.inputs[1]!;
  const bTensor = ctx.floatTensor(bName);
  if (!bTensor.data || bTensor.shape.length !== 2) {
    throw nodeError('E_UNSUPPORTED', node, 'int8 MatMul needs a constant 2-D second operand (a fully connected layer)');
  }
  const b = constantFloats(ctx, node, bName, 'weight');
  const [k, n] = bTensor.shape as [number, number];
  const w = new Float32Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = b[i * n + o]!;
  fullyConnected(ctx, node, node.inputs[0]!, bName, w, n, k, undefined, transposedOverride(ctx.overrides?.weights, bName, k, n));
}
