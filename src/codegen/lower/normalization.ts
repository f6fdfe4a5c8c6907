// Lowers LayerNormalization (rows of the normalized axes, with the optional Mean and InvStdDev outputs) and
// InstanceNormalization (one row per (n, c) plane) to eenn_normalization_f32.c.

import { sizeOf } from '../../ir/graph.js';
import { attributesOf } from '../../ops/facts.js';
import { instanceNormLayout, layerNormLayout } from '../../ops/normalization.js';
import { floatArg, intArg, nullArg, optionalTensorArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { SOURCES, input } from './common.js';

export function lowerLayerNorm(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const scale = input(ctx, 1, 'Scale');
  const bias = ctx.inputs[2];
  // Shape checks (Scale and B cover trailing axes of the row; stash_type 1) are the operator's own.
  const { axis, rows, length } = layerNormLayout(ctx.node, ctx.inputs);
  const epsilon = attributesOf(ctx.node).float('epsilon');
  // The optional outputs, by position: Mean and InvStdDev.
  const statistic = (index: number, name: string) => {
    const output = ctx.node.outputs[index];
    const tensor = output ? ctx.outputs.find((t) => t?.name === output) : undefined;
    return tensor ? tensorArg(name, tensor.name) : nullArg(name);
  };
  return {
    detail: `axis ${axis}: ${rows} rows of ${length}, epsilon ${epsilon}`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: 'eenn_layer_norm_f32',
              source: SOURCES.normalization,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('rows', rows),
                intArg('row_size', length),
                tensorArg('scale', scale.name),
                intArg('scale_size', sizeOf(scale.shape)),
                optionalTensorArg('bias', bias),
                intArg('bias_size', bias ? sizeOf(bias.shape) : 1),
                floatArg('epsilon', epsilon),
                statistic(1, 'mean'),
                statistic(2, 'inv_std_dev'),
              ],
            },
          ],
  };
}

export function lowerInstanceNorm(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  const scale = input(ctx, 1, 'scale');
  const bias = input(ctx, 2, 'B');
  const { channels, length } = instanceNormLayout(ctx.node, ctx.inputs);
  const epsilon = attributesOf(ctx.node).float('epsilon');
  return {
    detail: `${channels} channels, planes of ${length}, epsilon ${epsilon}`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: 'eenn_instance_norm_f32',
              source: SOURCES.normalization,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('batch', x.shape[0]!),
                intArg('channels', channels),
                intArg('plane_size', length),
                tensorArg('scale', scale.name),
                tensorArg('bias', bias.name),
                floatArg('epsilon', epsilon),
              ],
            },
          ],
  };
}
