// Resize lowering tables: per axis, the input indices and weights each output reads. The sampling rules are the
// operator's own (src/ops/resize.ts resizeTaps), so the C reads exactly what the reference reads.

import { nodeError } from '../ir/diagnostics.js';
import { resizeTaps } from '../ops/resize.js';
import type { LowerContext } from './kernel-call.js';

export interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
  /** True when the axis is copied unchanged. */
  identity: boolean;
}

export interface ResizeTables {
  mode: 'nearest' | 'linear' | 'cubic';
  axes: AxisTaps[];
}

export function resizeTables(ctx: LowerContext): ResizeTables {
  const { mode, axes } = resizeTaps(ctx.node, ctx.inputs, ctx.opset);
  return {
    mode,
    axes: axes.map((axis) => {
      if (axis.outside.some((flag) => flag !== 0)) {
        throw nodeError(
          'E_UNSUPPORTED',
          ctx.node,
          'tf_crop_and_resize with samples outside the input (extrapolation) is not supported',
          'use a crop box inside the image, or another coordinate_transformation_mode',
        );
      }
      return { taps: axis.taps, index: axis.index, weight: Float32Array.from(axis.weight), identity: axis.identity };
    }),
  };
}
