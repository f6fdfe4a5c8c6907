// Elementwise operators (int8 reference in ../int8/elementwise.ts): Add and Sub become QAdd, Mul and Div by a
// constant QMul, each with a fused Relu or Clip; any function of one activation (an activation function, or a
// binary operator with a single-value constant) becomes QLut, its float operator tabulated over the 256 inputs.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import type { ScaleZero } from '../../ir/int8.js';
import { lookupOp } from '../../ops/registry.js';
import type { Value } from '../../ops/types.js';
import { quantizeF32S8, type AddParamsS8, type MulParamsS8 } from '../fixedpoint.js';
import { addParams, mulParams } from '../multiplier.js';
import { chooseQuantParams } from '../quant-params.js';
import { addInt8Constant, constantFloats, int8Node, type RewriteContext } from './context.js';
import { outputStage } from './output-stage.js';

/** An int8 operand of Add/Mul and its quantization. */
interface Operand {
  name: string;
  q: ScaleZero;
}

/** The real value of each int8 input -128..127 under `q`, as float32. */
function dequantizedGrid(q: ScaleZero): Float32Array {
  const grid = new Float32Array(256);
  for (let i = 0; i < 256; i++) grid[i] = Math.fround(q.scale * (i - 128 - q.zeroPoint));
  return grid;
}

/** An int8 operand of Add/Mul: an activation, or a constant quantized per tensor over its own range. */
function operand(ctx: RewriteContext, node: Node, name: string): Operand {
  const t = ctx.floatTensor(name);
  if (!t.data) {
    const a = ctx.activation(node, name);
    return { name: a.tensor.name, q: a.q };
  }
  return constantOperand(ctx, name, t.shape, constantFloats(ctx, node, name, 'operand'));
}

/** A constant operand quantized per tensor over its own range. */
function constantOperand(ctx: RewriteContext, name: string, shape: number[], data: Float32Array): Operand {
  let min = 0;
  let max = 0;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const q = chooseQuantParams({ min, max }, name);
  const values = Int8Array.from(data, (v) => quantizeF32S8(v, q.scale, q.zeroPoint));
  return { name: addInt8Constant(ctx, `${name}_int8`, [...shape], values, q), q };
}

/** Add, Sub, Mul of two operands, and Div by a constant (a Mul by its reciprocal). */
export function binary(ctx: RewriteContext, node: Node): void {
  const [aName, bName] = node.inputs as [string, string];
  const a = operand(ctx, node, aName);
  let b: Operand;
  if (node.op === 'Div') {
    if (!ctx.floatTensor(bName).data) throw nodeError('E_UNSUPPORTED', node, 'int8 Div needs a constant divisor');
    const reciprocal = Float32Array.from(constantFloats(ctx, node, bName, 'divisor'), (v) => 1 / v);
    b = constantOperand(ctx, `${bName}_reciprocal`, ctx.floatTensor(bName).shape, reciprocal);
  } else {
    b = operand(ctx, node, bName);
  }
  const out = outputStage(ctx, node);
  if (node.op === 'Add' || node.op === 'Sub') {
    const p = addParams(a.q, b.q, out.q, out.actMin, out.actMax, node.name);
    ctx.addNode(int8Node('QAdd', node.name, [a.name, b.name], [out.name], qAddAttrs(p, node.op === 'Sub')));
    return;
  }
  const p = mulParams(a.q, b.q, out.q, out.actMin, out.actMax, node.name);
  ctx.addNode(int8Node('QMul', node.name, [a.name, b.name], [out.name], qMulAttrs(p)));
}

/** The attributes of a QMul (src/ir/int8.ts) from its parameters: the output multiplier and shift, then the clamp. */
export function qMulAttrs(p: MulParamsS8): Record<string, number> {
  return { output_multiplier: p.outputMultiplier, output_shift: p.outputShift, act_min: p.actMin, act_max: p.actMax };
}

/** The attributes of a QAdd (src/ir/int8.ts) from its parameters; `subtract` makes it a - b. */
export function qAddAttrs(p: AddParamsS8, subtract: boolean): Record<string, number> {
  return {
    input1_multiplier: p.input1Multiplier,
    input1_shift: p.input1Shift,
    input2_multiplier: p.input2Multiplier,
    input2_shift: p.input2Shift,
    left_shift: p.leftShift,
    ...qMulAttrs(p),
    subtract: subtract ? 1 : 0,
  };
}

/** Any elementwise function of one int8 activation: tabulate the float operator over all 256 inputs. */
export function lut(ctx: RewriteContext, node: Node): void {
  const xName = node.inputs.find((n) => n !== '' && !ctx.floatTensor(n).data)!;
  const x = ctx.activation(node, xName);
  const out = node.outputs[0]!;
  const q = ctx.activationQuant(out);
  const def = lookupOp(node.op, node.domain);
  if (!def) throw nodeError('E_UNSUPPORTED', node, `${node.op} is not a known operator`);
  const grid = dequantizedGrid(x.q);
  const args = node.inputs.map((name): Value | undefined => {
    if (name === '') return undefined;
    if (name === xName) return { shape: [256], dtype: 'float32', data: grid };
    const t = ctx.floatTensor(name);
    return { shape: t.shape.length === 0 ? [] : t.shape.map(() => 1), dtype: t.dtype, data: t.data! };
  });
  const [result] = def.evaluate(node, args, ctx.graph.opset);
  if (!result || result.data.length !== 256) throw nodeError('E_UNSUPPORTED', node, `${node.op} is not elementwise over one input`);
  const table = Array.from(result.data as ArrayLike<number>, (v) => quantizeF32S8(Number(v), q.scale, q.zeroPoint));
  ctx.addActivation(out, ctx.floatTensor(out).shape, q);
  ctx.addNode(int8Node('QLut', node.name, [x.tensor.name], [out], { table }));
}

/** Activation `name` requantized to `q` through a table (an input of `node`), or itself when it already has `q`. */
export function requantizedTo(ctx: RewriteContext, node: Node, name: string, q: ScaleZero): string {
  const x = ctx.activation(node, name);
  if (x.q.scale === q.scale && x.q.zeroPoint === q.zeroPoint) return x.tensor.name;
  const out = ctx.freshName(`${x.tensor.name}_rescaled`);
  const table = Array.from(dequantizedGrid(x.q), (v) => quantizeF32S8(v, q.scale, q.zeroPoint));
  ctx.addActivation(out, x.tensor.shape, q);
  ctx.addNode(int8Node('QLut', `${node.name}_rescale_${x.tensor.name}`, [x.tensor.name], [out], { table }));
  return out;
}
