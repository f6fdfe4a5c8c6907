// Lowers layout operators: aliases (Reshape, Flatten, ...) that need no code unless storage differs, Cast to the
// same type, Concat, Pad, Resize / Upsample, and the data-movement operators lowered through their reference.

import { sizeOf, type DType } from '../../ir/graph.js';
import { attrFloat, attrInt, attrInts, attrString, intsFromAttrOrInput, normalizeAxis, numbersOf } from '../../ops/attrs.js';
import { constArg, floatArg, intArg, macroArg, tensorArg } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { lowerByProbe, lowerConcat, stridedCopyCalls } from '../data-movement.js';
import { resizeTables } from '../resize-taps.js';
import { contiguousStrides } from '../strided.js';
import { SOURCES, input, unsupported } from './common.js';

/** Reshape-like operators: nothing to do when the plan shares the bytes, a copy otherwise. */
export function lowerAlias(ctx: LowerContext): LoweredStep {
  return aliasOf(ctx, 'float32');
}

/** lowerAlias on tensors of any element type (the typed kernels move them by size). */
export function lowerTypedAlias(ctx: LowerContext): LoweredStep {
  return aliasOf(ctx, ctx.outputs[0]!.dtype);
}

function aliasOf(ctx: LowerContext, dtype: DType): LoweredStep {
  const x = input(ctx, 0, 'input');
  const out = ctx.outputs[0]!;
  if (ctx.node.op === 'Dropout' && ctx.node.outputs[1]) unsupported(ctx, 'Dropout with a mask output is not supported');
  const training = ctx.node.op === 'Dropout' ? ctx.inputs[2] : undefined;
  if (training && (!training.data || Number(training.data[0]) !== 0)) {
    unsupported(ctx, 'training-mode Dropout (training_mode true or computed at run time) is not supported; only inference is');
  }
  if (ctx.sameStorage(x.name, out.name)) return { detail: `shares the bytes of "${x.name}"`, calls: [] };
  return { calls: stridedCopyCalls(x.name, 0, out.name, 0, { dims: [sizeOf(out.shape)], strides: [[1], [1]] }, dtype) };
}

export function lowerCast(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  if (x.dtype !== ctx.outputs[0]!.dtype) unsupported(ctx, `Cast from ${x.dtype} to ${ctx.outputs[0]!.dtype} is not supported by the float kernels`);
  return lowerAlias(ctx);
}

export function lowerConcatNode(ctx: LowerContext): LoweredStep {
  return concatOf(ctx, 'float32');
}

/** lowerConcatNode on tensors of any element type. */
export function lowerTypedConcat(ctx: LowerContext): LoweredStep {
  return concatOf(ctx, ctx.outputs[0]!.dtype);
}

function concatOf(ctx: LowerContext, dtype: DType): LoweredStep {
  const rank = ctx.outputs[0]!.shape.length;
  const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 1), rank);
  return { detail: `axis ${axis}`, calls: lowerConcat(ctx, axis, dtype) };
}

export function lowerMovement(ctx: LowerContext): LoweredStep {
  return { calls: lowerByProbe(ctx) };
}

/** lowerMovement on tensors of any element type. */
export function lowerTypedMove(ctx: LowerContext): LoweredStep {
  return { calls: lowerByProbe(ctx, ctx.inputs[0]?.dtype ?? 'float32') };
}

const PAD_MODES: Record<string, string> = {
  constant: 'EENN_PAD_CONSTANT',
  reflect: 'EENN_PAD_REFLECT',
  edge: 'EENN_PAD_EDGE',
  wrap: 'EENN_PAD_WRAP',
};

/** Pad: pads per axis (attribute or input, opset 18 axes), negative pads crop, then eenn_pad_f32 on <= 4 dims. */
export function lowerPad(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'data');
  const rank = x.shape.length;
  const mode = attrString(ctx.node, 'mode', 'constant');
  if (!PAD_MODES[mode]) unsupported(ctx, `pad mode "${mode}" is not supported`);
  const raw =
    ctx.opset < 2 && ctx.node.attrs.paddings !== undefined
      ? attrInts(ctx.node, 'paddings')!
      : intsFromAttrOrInput(ctx.node, 'pads', ctx.opset >= 11 ? ctx.inputs : [], 1)!;
  let pads = raw;
  const axesInput = ctx.opset >= 18 ? ctx.inputs[3] : undefined;
  if (axesInput) {
    if (!axesInput.data) unsupported(ctx, 'Pad axes must be a constant');
    const axes = numbersOf(axesInput.data).map((a) => normalizeAxis(ctx.node, a, rank));
    pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((axis, i) => {
      pads[axis] = raw[i]!;
      pads[axis + rank] = raw[i + axes.length]!;
    });
  }
  let value = 0;
  if (ctx.opset < 11) value = attrFloat(ctx.node, 'value', 0);
  else if (ctx.inputs[2] && sizeOf(ctx.inputs[2].shape) > 0) {
    if (!ctx.inputs[2].data) unsupported(ctx, 'the Pad constant_value must be a constant');
    value = Number(ctx.inputs[2].data[0]);
  }
  // Negative pads crop: move the input pointer and shrink the axis.
  const strides = contiguousStrides(x.shape);
  let offset = 0;
  const kept: number[] = [];
  const begin: number[] = [];
  for (let a = 0; a < rank; a++) {
    const cropBegin = Math.max(0, -pads[a]!);
    const cropEnd = Math.max(0, -pads[a + rank]!);
    offset += cropBegin * strides[a]!;
    kept.push(x.shape[a]! - cropBegin - cropEnd);
    begin.push(Math.max(0, pads[a]!));
  }
  const outShape = ctx.outputs[0]!.shape;
  // Merge leading axes without padding into one, so ranks above 4 usually fit.
  let dims = kept.map((d, a) => ({ inD: d, stride: strides[a]!, outD: outShape[a]!, begin: begin[a]! }));
  while (dims.length > 4) {
    const [first, second] = dims;
    const contiguous = first!.stride === second!.stride * second!.inD && first!.inD === first!.outD && second!.inD === second!.outD;
    if (!contiguous) unsupported(ctx, `Pad of a rank-${rank} tensor is not supported (at most 4 padded axes)`);
    dims = [{ inD: first!.inD * second!.inD, stride: second!.stride, outD: first!.outD * second!.outD, begin: 0 }, ...dims.slice(2)];
  }
  while (dims.length < 4) dims.unshift({ inD: 1, stride: 0, outD: 1, begin: 0 });
  if (sizeOf(outShape) === 0) return { calls: [] };
  return {
    detail: `mode ${mode}, pads [${pads.join(', ')}]${value !== 0 ? `, value ${value}` : ''}`,
    calls: [
      {
        fn: 'eenn_pad_f32',
        source: SOURCES.layout,
        args: [
          tensorArg('input', x.name, offset),
          tensorArg('output', ctx.result.name),
          ...dims.map((d, i) => intArg(`in_d${i}`, d.inD)),
          ...dims.map((d, i) => intArg(`in_s${i}`, d.stride)),
          ...dims.map((d, i) => intArg(`out_d${i}`, d.outD)),
          ...dims.map((d, i) => intArg(`begin_${i}`, d.begin)),
          macroArg('mode', PAD_MODES[mode]!),
          floatArg('value', value),
        ],
      },
    ],
  };
}

export function lowerResize(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const rank = x.shape.length;
  const out = ctx.outputs[0]!;
  if (rank < 2) unsupported(ctx, 'Resize of a tensor with fewer than 2 axes is not supported');
  const tables = resizeTables(ctx);
  tables.axes.forEach((axis, i) => {
    if (i < rank - 2 && !axis.identity) unsupported(ctx, `Resize of axis ${i} is not supported (only the last two axes)`);
  });
  const [ty, tx] = [tables.axes[rank - 2]!, tables.axes[rank - 1]!];
  const channels = sizeOf(x.shape.slice(0, -2));
  const [inH, inW] = [x.shape[rank - 2]!, x.shape[rank - 1]!];
  const [outH, outW] = [out.shape[rank - 2]!, out.shape[rank - 1]!];
  const name = ctx.node.name;
  const index = (which: string, data: Int32Array, taps: number) =>
    constArg(`${which}_index`, {
      name: `${name}_${which}_index`,
      ctype: 'int32_t',
      data,
      note: `input ${which === 'y' ? 'rows' : 'columns'} read by each output ${which === 'y' ? 'row' : 'column'} (${taps} per output)`,
    });
  const weight = (which: string, data: Float32Array) =>
    constArg(`${which}_weight`, {
      name: `${name}_${which}_weight`,
      ctype: 'float',
      data,
      note: `weight of each input ${which === 'y' ? 'row' : 'column'} read`,
    });
  const head = [
    tensorArg('input', x.name),
    tensorArg('output', ctx.result.name),
    intArg('channels', channels),
    intArg('in_h', inH),
    intArg('in_w', inW),
    intArg('out_h', outH),
    intArg('out_w', outW),
  ];
  if (sizeOf(out.shape) === 0) return { calls: [] };
  if (tables.mode === 'nearest') {
    return {
      detail: `nearest, [${inH}, ${inW}] -> [${outH}, ${outW}]`,
      calls: [{ fn: 'eenn_resize_nearest_f32', source: SOURCES.layout, args: [...head, index('y', ty.index, 1), index('x', tx.index, 1)] }],
    };
  }
  return {
    detail: `${tables.mode}, [${inH}, ${inW}] -> [${outH}, ${outW}]`,
    calls: [
      {
        fn: 'eenn_resize_f32',
        source: SOURCES.layout,
        args: [
          ...head,
          intArg('taps_y', ty.taps),
          index('y', ty.index, ty.taps),
          weight('y', ty.weight),
          intArg('taps_x', tx.taps),
          index('x', tx.index, tx.taps),
          weight('x', tx.weight),
        ],
      },
    ],
  };
}
