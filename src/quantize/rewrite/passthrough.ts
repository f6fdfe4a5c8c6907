// Operators that only move or select values (INT8_PASSTHROUGH_OPS of src/ir/int8.ts; int8 reference in
// ../int8/passthrough.ts) stay as they are on int8 tensors with their input's scale and zero point. Concat
// requantizes its inputs to its output's scale; Pad pads with the quantized pad value (real zero: the zero point).
// A Resize that interpolates goes to resize.ts. INT16_PASSTHROUGH_OPS keep an int16 input int16.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { INT16_PASSTHROUGH_OPS, type ScaleZero } from '../../ir/int8.js';
import { attrFloat, attrString, numbersOf } from '../../ops/attrs.js';
import { quantizeF32S8 } from '../fixedpoint.js';
import { addInt8Constant, constantFloats, type RewriteContext } from './context.js';
import { requantizedTo } from './elementwise.js';
import { resize } from './resize.js';

export function passthrough(ctx: RewriteContext, node: Node): void {
  const activations = node.inputs.filter((n) => n !== '' && !ctx.floatTensor(n).data);
  if (activations.length === 0) throw nodeError('E_UNSUPPORTED', node, 'has no activation input');
  if ((node.op === 'Resize' || node.op === 'Upsample') && attrString(node, 'mode', 'nearest') !== 'nearest') return resize(ctx, node);
  if (node.op === 'MaxPool' && node.outputs.length > 1 && node.outputs[1])
    throw nodeError('E_UNSUPPORTED', node, 'int8 MaxPool does not produce Indices');
  let q: ScaleZero;
  let inputs: string[];
  let dtype: 'int8' | 'int16' = 'int8';
  if (node.op === 'Concat') {
    q = ctx.activationQuant(node.outputs[0]!);
    inputs = node.inputs.map((n) => (ctx.floatTensor(n).data ? concatConstant(ctx, node, n, q) : requantizedTo(ctx, node, n, q)));
  } else if (INT16_PASSTHROUGH_OPS.has(node.op) && activations.length === 1) {
    // One activation input, which these operators read as int16 where it is held so.
    const x = ctx.wideActivation(node, activations[0]!);
    q = x.q;
    dtype = x.tensor.dtype === 'int16' ? 'int16' : 'int8';
    inputs = node.inputs.map((n) => (n === activations[0] ? x.tensor.name : ctx.keepConstant(n)));
  } else {
    q = ctx.activation(node, activations[0]!).q;
    inputs = node.inputs.map((n, index) => {
      if (n === '' || !ctx.floatTensor(n).data) return n === '' ? n : ctx.activation(node, n).tensor.name;
      if (node.op === 'Pad' && index === 2) return padValue(ctx, n, q);
      return ctx.keepConstant(n);
    });
  }
  const attrs = { ...node.attrs };
  if (node.op === 'Pad' && attrString(node, 'mode', 'constant') === 'constant') {
    // Real zero padding is the zero point in int8.
    if (ctx.graph.opset < 11) {
      attrs['value'] = quantizeF32S8(attrFloat(node, 'value', 0), q.scale, q.zeroPoint);
    } else if (!inputs[2]) {
      while (inputs.length < 3) inputs.push('');
      inputs[2] = addInt8Constant(ctx, `${node.name}_pad_value`, [], Int8Array.of(q.zeroPoint), q);
    }
  }
  const outputs = node.outputs.map((o) => {
    if (o === '') return o;
    ctx.addActivation(o, ctx.floatTensor(o).shape, q, dtype);
    return o;
  });
  ctx.addNode({ ...node, inputs, outputs, attrs });
}

/** Pad's constant value (input 2) quantized to the padded tensor's scale. */
function padValue(ctx: RewriteContext, name: string, q: ScaleZero): string {
  const v = numbersOf(ctx.floatTensor(name).data!)[0] ?? 0;
  return addInt8Constant(ctx, `${name}_int8`, [], Int8Array.of(quantizeF32S8(v, q.scale, q.zeroPoint)), q);
}

/** A constant input of Concat quantized to the output's scale. */
function concatConstant(ctx: RewriteContext, node: Node, name: string, q: ScaleZero): string {
  const t = ctx.floatTensor(name);
  const data = constantFloats(ctx, node, name, 'operand');
  return addInt8Constant(
    ctx,
    `${name}_int8`,
    [...t.shape],
    Int8Array.from(data, (v) => quantizeF32S8(v, q.scale, q.zeroPoint)),
    q,
  );
}
