// Lowers LayerNormalization (rows of the normalized axes, with the optional Mean and InvStdDev outputs),
// InstanceNormalization (one row per (n, c) plane), MeanVarianceNormalization (any axes, in the strided layout of
// the reductions) and LRN to eenn_normalization_f32.c.

import { sizeOf } from '../../ir/graph.js';
import { attributesOf } from '../../ops/facts.js';
import { instanceNormLayout, layerNormLayout, lrnWindow, mvnAxes, MVN_EPSILON } from '../../ops/normalization.js';
import { floatArg, intArg, nullArg, optionalTensorArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { SOURCES, input } from './common.js';
import { reduceRunArgs } from './reduce.js';

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

export function lowerMvn(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const axes = mvnAxes(ctx.node, x.shape.length);
  return {
    detail: `axes [${axes.join(', ')}]`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: 'eenn_mvn_f32',
              source: SOURCES.normalization,
              args: [tensorArg('input', x.name), tensorArg('output', ctx.result.name), ...reduceRunArgs(ctx, x.shape, new Set(axes)), floatArg('epsilon', MVN_EPSILON)],
            },
          ],
  };
}

export function lowerLrn(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const { size, before, after } = lrnWindow(ctx.node);
  const attrs = attributesOf(ctx.node);
  return {
    detail: `size ${size}`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: 'eenn_lrn_f32',
              source: SOURCES.normalization,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('batch', x.shape[0]!),
                intArg('channels', x.shape[1]!),
                intArg('inner', sizeOf(x.shape.slice(2))),
                intArg('before', before),
                intArg('after', after),
                floatArg('alpha_over_size', attrs.float('alpha') / size),
                floatArg('beta', attrs.float('beta')),
                floatArg('bias', attrs.float('bias')),
              ],
            },
          ],
  };
}
