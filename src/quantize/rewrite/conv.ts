// Conv and ConvTranspose become QConv and QConvTranspose (src/ir/int8.ts; int8 reference in ../int8/conv.ts):
// per-output-channel weights, an int32 bias, the window as attributes and a fused Relu or Clip as the clamp. A QConv
// reads and writes int16 where the tensors are held so (int64 bias for an int16 input); QConvTranspose is int8 only.

import { nodeError } from '../../ir/diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { convTransposeWindow } from '../../ops/conv.js';
import { forwardWindow, type WindowGeometry } from '../../ops/spatial.js';
import { constantFloats, int8Node, type RewriteContext } from './context.js';
import { outputStage } from './output-stage.js';
import { addBias, addWeights, channelWeights, requantAttrs } from './weights.js';

function windowAttrs(g: WindowGeometry): Node['attrs'] {
  return {
    kernel_shape: [...g.kernel],
    strides: [...g.strides],
    dilations: [...g.dilations],
    pads: [...g.padsBegin, ...g.padsEnd],
  };
}

export function conv(ctx: RewriteContext, node: Node): void {
  const x = ctx.wideActivation(node, node.inputs[0]!);
  const wName = node.inputs[1]!;
  const wTensor = ctx.floatTensor(wName);
  const spatial = x.tensor.shape.length - 2;
  if (spatial < 1 || spatial > 2) throw nodeError('E_UNSUPPORTED', node, `int8 Conv handles 1-D and 2-D convolutions, not ${spatial}-D`);
  const wData = constantFloats(ctx, node, wName, 'weight');
  const group = attrInt(node, 'group', 1);
  const geometry = forwardWindow(node, x.tensor.shape.slice(2), wTensor.shape.slice(2));
  const w = channelWeights(node, wName, wData, wTensor.shape, 0, ctx.overrides?.weights.get(wName));
  const out = outputStage(ctx, node, true);
  const bias = addBias(ctx, node, node.inputs[2] || undefined, wTensor.shape[0]!, x, w);
  ctx.addNode(
    int8Node('QConv', node.name, [x.tensor.name, addWeights(ctx, wName, wTensor.shape, w), bias], [out.name], {
      ...windowAttrs(geometry),
      group,
      ...requantAttrs(x, w, out.q.scale, node),
      act_min: out.actMin,
      act_max: out.actMax,
    }),
  );
}

export function convTranspose(ctx: RewriteContext, node: Node): void {
  const x = ctx.activation(node, node.inputs[0]!);
  const wName = node.inputs[1]!;
  const wTensor = ctx.floatTensor(wName);
  const spatial = x.tensor.shape.length - 2;
  if (spatial < 1 || spatial > 2) throw nodeError('E_UNSUPPORTED', node, `int8 ConvTranspose handles 1-D and 2-D, not ${spatial}-D`);
  const group = attrInt(node, 'group', 1);
  if (group !== 1) throw nodeError('E_UNSUPPORTED', node, `int8 ConvTranspose handles group 1, not ${group}`);
  const wData = constantFloats(ctx, node, wName, 'weight');
  const geometry = convTransposeWindow(node, x.tensor, wTensor);
  const w = channelWeights(node, wName, wData, wTensor.shape, 1, ctx.overrides?.weights.get(wName));
  const out = outputStage(ctx, node);
  const outputPadding = (node.attrs['output_padding'] as number[] | undefined) ?? new Array<number>(spatial).fill(0);
  const bias = addBias(ctx, node, node.inputs[2] || undefined, wTensor.shape[1]!, x, w);
  ctx.addNode(
    int8Node('QConvTranspose', node.name, [x.tensor.name, addWeights(ctx, wName, wTensor.shape, w), bias], [out.name], {
      ...windowAttrs(geometry),
      group,
      output_padding: [...outputPadding],
      ...requantAttrs(x, w, out.q.scale, node),
      act_min: out.actMin,
      act_max: out.actMax,
    }),
  );
}
