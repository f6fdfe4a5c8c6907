// Lowers Trilu to the kernel of its element size (eenn_trilu_typed.c: it only keeps or zeroes elements, so float32 is
// its 32-bit case), which reads k from memory; and CumSum to its float32 kernel (eenn_cumsum_f32.c, a constant axis)
// or, for other element types or an axis computed at run time, to eenn_cumsum_typed.c.

import { sizeOf, type DType } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { cumSumAxis, cumSumSpace } from '../../ops/cumsum.js';
import { triluDiagonal, triluMatrices } from '../../ops/trilu.js';
import { constArg, intArg, optionalTensorArg, tensorArg } from '../../kernels/call.js';
import { sizeSuffix } from '../data-movement.js';
import type { LoweredStep, LowerContext } from '../kernel-call.js';
import { input, SOURCES, unsupported } from './common.js';

/** Trilu of any element type (float32 included), k constant or computed at run time: the kernel of its element size
 * reads k itself. */
export function lowerTrilu(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  const { batches, rows, cols } = triluMatrices(ctx.node, x.shape);
  const k = ctx.inputs[1];
  triluDiagonal(ctx.node, k);
  const upper = attrInt(ctx.node, 'upper', 1) !== 0;
  return {
    detail: `${upper ? 'upper' : 'lower'} triangle, diagonal ${k ? (k.data ? String(Number(k.data[0])) : `"${k.name}" read at run time`) : 0}`,
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: `eenn_trilu_${sizeSuffix(x.dtype)}`,
              source: SOURCES.triluTyped,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('batches', batches),
                intArg('rows', rows),
                intArg('cols', cols),
                optionalTensorArg('k', k),
                intArg('upper', upper ? 1 : 0),
              ],
            },
          ],
  };
}

export function lowerCumSum(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'x');
  const axisInput = input(ctx, 1, 'axis');
  const axis = cumSumAxis(ctx.node, axisInput, x.shape.length);
  if (axis === undefined) {
    unsupported(ctx, `axis ("${axisInput.name}") is computed at run time; the float32 kernel takes a constant axis`, 'make axis a constant');
  }
  const { outer, length, inner } = cumSumSpace(x.shape, axis);
  const exclusive = attrInt(ctx.node, 'exclusive', 0) !== 0;
  const reverse = attrInt(ctx.node, 'reverse', 0) !== 0;
  const flags = [exclusive ? 'exclusive' : '', reverse ? 'reverse' : ''].filter((f) => f !== '');
  return {
    detail: [`axis ${axis}`, ...flags].join(', '),
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: 'eenn_cumsum_f32',
              source: SOURCES.cumsum,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                intArg('outer', outer),
                intArg('length', length),
                intArg('inner', inner),
                intArg('exclusive', exclusive ? 1 : 0),
                intArg('reverse', reverse ? 1 : 0),
              ],
            },
          ],
  };
}

/** The typed CumSum kernels' suffixes: of the element types they sum, and of the axis types they read. */
const CUMSUM_TYPES: Partial<Record<DType, string>> = { float32: 'f32', float64: 'f64', int64: 's64', int32: 's32' };
const AXIS_TYPES: Partial<Record<DType, string>> = { int64: 's64', int32: 's32' };

/** CumSum of float32, float64, int64 or int32, its axis constant or computed at run time: the kernel reads the axis. */
export function lowerTypedCumSum(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'x');
  const axis = input(ctx, 1, 'axis');
  const type = CUMSUM_TYPES[x.dtype];
  if (!type) unsupported(ctx, `CumSum of ${x.dtype} has no kernel (float32, float64, int64 and int32 have)`, 'cast the tensor to one of those types');
  const axisType = AXIS_TYPES[axis.dtype]!;
  const known = cumSumAxis(ctx.node, axis, x.shape.length);
  const exclusive = attrInt(ctx.node, 'exclusive', 0) !== 0;
  const reverse = attrInt(ctx.node, 'reverse', 0) !== 0;
  const flags = [exclusive ? 'exclusive' : '', reverse ? 'reverse' : ''].filter((f) => f !== '');
  return {
    detail: [known === undefined ? `axis "${axis.name}" read at run time` : `axis ${known}`, ...flags].join(', '),
    calls:
      sizeOf(x.shape) === 0
        ? []
        : [
            {
              fn: `eenn_cumsum_${type}_${axisType}`,
              source: SOURCES.cumsumTyped,
              args: [
                tensorArg('input', x.name),
                tensorArg('output', ctx.result.name),
                constArg('dims', {
                  name: `${ctx.node.name}_dims`,
                  ctype: 'int32_t',
                  data: Int32Array.from(x.shape),
                  note: `the dimensions of "${x.name}"`,
                }),
                intArg('rank', x.shape.length),
                tensorArg('axis', axis.name),
                intArg('exclusive', exclusive ? 1 : 0),
                intArg('reverse', reverse ? 1 : 0),
              ],
            },
          ],
  };
}
