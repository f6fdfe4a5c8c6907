// The output stage of an arithmetic rewrite (Conv, ConvTranspose, Gemm, MatMul, Add, Sub, Mul): a Relu or Clip that
// follows is folded in as the clamp [act_min, act_max], and the output takes the activation's name and scale.

import { isDefaultDomain, type Node } from '../../ir/graph.js';
import type { ScaleZero } from '../../ir/int8.js';
import { graphClipBounds } from '../../ops/activation.js';
import { activationRangeS16, activationRangeS8, type FusedActivation } from '../quant-params.js';
import type { RewriteContext } from './context.js';

/** Producers an activation (Relu, Clip) is folded into: their output stage clamps. */
const FUSING_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul']);

export interface OutputStage {
  /** The int8 (or int16) output tensor (the fused activation's output when one was folded in). */
  name: string;
  dtype: 'int8' | 'int16';
  q: ScaleZero;
  actMin: number;
  actMax: number;
}

/**
 * Output tensor and clamp of an arithmetic node, with its fused activation folded in. `int16`: the node has an
 * int16 output form (QConv, QGemm), so an output to be held as int16 is, clamped in int16.
 */
export function outputStage(ctx: RewriteContext, node: Node, int16 = false): OutputStage {
  const { fused, activation, output } = fusedActivation(ctx, node);
  if (fused) ctx.fold(fused);
  const dtype = int16 && ctx.holdsInt16(output) ? 'int16' : 'int8';
  const q = dtype === 'int16' ? ctx.activationQuantS16(output) : ctx.activationQuant(output);
  const { actMin, actMax } = (dtype === 'int16' ? activationRangeS16 : activationRangeS8)(activation, q);
  ctx.addActivation(output, ctx.floatTensor(output).shape, q, dtype);
  return { name: output, dtype, q, actMin, actMax };
}

/** The Relu/Clip that follows `node` and can be folded into its output stage, if any. */
function fusedActivation(ctx: RewriteContext, node: Node): { fused?: Node; activation: FusedActivation; output: string } {
  const out = node.outputs[0]!;
  const readers = ctx.readersOf(out);
  const next = readers[0];
  if (
    !FUSING_PRODUCERS.has(node.op) ||
    readers.length !== 1 ||
    !next ||
    !isDefaultDomain(next) ||
    ctx.graph.outputs.includes(out) ||
    next.inputs[0] !== out
  ) {
    return { activation: { kind: 'none' }, output: out };
  }
  if (next.op === 'Relu') return { fused: next, activation: { kind: 'relu' }, output: next.outputs[0]! };
  if (next.op === 'Clip') {
    const bounds = graphClipBounds(ctx.graph, next);
    if (!bounds) return { activation: { kind: 'none' }, output: out };
    return { fused: next, activation: { kind: 'clip', min: bounds[0], max: bounds[1] }, output: next.outputs[0]! };
  }
  return { activation: { kind: 'none' }, output: out };
}
