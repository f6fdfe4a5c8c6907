// Lowers the steps of a float32 build whose runtime tensors are not all float32 (int64 indices, bool masks, uint8
// images, float64 values...) to the typed kernels (templates/c/kernels/eenn_*_typed.c, eenn_kernels_typed.h):
// movement on any element size, Cast, integer / bool / float64 element-wise operators, comparisons, Where,
// Gather on runtime indices, ArgMax / ArgMin. What they cannot compute exactly is refused with the reason.

import type { DType, Tensor } from '../../ir/graph.js';
import { sizeOf } from '../../ir/graph.js';
import { graphClipBounds } from '../../ops/activation.js';
import { attrInt, attrString, normalizeAxis } from '../../ops/attrs.js';
import { intArg, macroArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import type { Lowering, LoweredStep, LowerContext } from '../kernel-call.js';
import { sizeSuffix, TYPED_LAYOUT_SOURCE } from '../data-movement.js';
import { broadcastStrides, collapse, contiguousStrides, piecesOf } from '../strided.js';
import { binaryCalls } from './elementwise.js';
import { reduceWith, REDUCE_KERNELS, REDUCE_OPS } from './reduce.js';
import { input, unsupported } from './common.js';
import { lowerTypedAlias as lowerAlias, lowerTypedConcat, lowerTypedMove } from './layout.js';
import { lowerTrilu, lowerTypedCumSum } from './trilu-cumsum.js';

/** Kernel source files of the typed kernels. */
const TYPED_SOURCES = {
  cast: 'eenn_cast_typed.c',
  elementwise: 'eenn_elementwise_typed.c',
  reduce: 'eenn_reduce_typed.c',
  quantize: 'eenn_quantize_typed.c',
} as const;

/** The suffix of the typed kernels of each element type (eenn_kernels_typed.h). */
export const TYPE_SUFFIX: Record<DType, string> = {
  float32: 'f32',
  float64: 'f64',
  int64: 's64',
  int32: 's32',
  int16: 's16',
  int8: 's8',
  uint8: 'u8',
  uint16: 'u16',
  bool: 'b8',
};

const INTEGER: readonly DType[] = ['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16'];
const SIGNED: readonly DType[] = ['int64', 'int32', 'int16', 'int8', 'float64'];
const ARITHMETIC: readonly DType[] = [...INTEGER, 'float64'];
const ORDERED: readonly DType[] = ['float32', ...ARITHMETIC];
const ALL: readonly DType[] = [...ORDERED, 'bool'];

/** Refuse an element type a kernel family does not take. */
function requireType(ctx: LowerContext, t: Tensor, types: readonly DType[]): string {
  if (!types.includes(t.dtype)) {
    unsupported(
      ctx,
      `${ctx.node.op} of ${t.dtype} tensors has no kernel in the float32 code path (it takes ${types.join(', ')})`,
      'cast the tensor to a supported type in the model',
    );
  }
  return TYPE_SUFFIX[t.dtype];
}

/** Binary operator -> kernel name (without the type suffix) and the types it takes. */
const BINARY: Record<string, { name: (ctx: LowerContext) => string; types: readonly DType[] }> = {
  Add: { name: () => 'add', types: ARITHMETIC },
  Sub: { name: () => 'sub', types: ARITHMETIC },
  Mul: { name: () => 'mul', types: ARITHMETIC },
  Div: { name: () => 'div', types: ARITHMETIC },
  Mod: { name: (ctx) => (attrInt(ctx.node, 'fmod', 0) === 1 ? 'fmod' : 'mod'), types: INTEGER },
  BitwiseAnd: { name: () => 'bitwise_and', types: INTEGER },
  BitwiseOr: { name: () => 'bitwise_or', types: INTEGER },
  BitwiseXor: { name: () => 'bitwise_xor', types: INTEGER },
  BitShift: { name: (ctx) => (attrString(ctx.node, 'direction', '') === 'LEFT' ? 'shift_left' : 'shift_right'), types: ['uint8'] },
  Equal: { name: () => 'equal', types: ALL },
  Less: { name: () => 'less', types: ALL },
  Greater: { name: () => 'greater', types: ALL },
  LessOrEqual: { name: () => 'less_equal', types: ALL },
  GreaterOrEqual: { name: () => 'greater_equal', types: ALL },
  And: { name: () => 'and', types: ['bool'] },
  Or: { name: () => 'or', types: ['bool'] },
  Xor: { name: () => 'xor', types: ['bool'] },
};

function lowerTypedBinary(ctx: LowerContext): LoweredStep {
  const a = input(ctx, 0, 'A');
  const b = input(ctx, 1, 'B');
  const out = ctx.outputs[0]!;
  const kernel = BINARY[ctx.node.op]!;
  let types = kernel.types;
  // Mod fmod=1 also takes float64 (C fmod).
  if (ctx.node.op === 'Mod' && attrInt(ctx.node, 'fmod', 0) === 1) types = ARITHMETIC;
  const suffix = requireType(ctx, a, types);
  if (b.dtype !== a.dtype) unsupported(ctx, `${ctx.node.op} of ${a.dtype} and ${b.dtype} is not supported`);
  return { calls: binaryCalls(`eenn_${kernel.name(ctx)}_${suffix}`, a, b, out, 0, 0, TYPED_SOURCES.elementwise) };
}

/** Pow of a base and an exponent of float32, float64, int64 or int32 (any pair), the output of the base's type. */
function lowerTypedPow(ctx: LowerContext): LoweredStep {
  const a = input(ctx, 0, 'X');
  const b = input(ctx, 1, 'Y');
  const types: readonly DType[] = ['float32', 'float64', 'int64', 'int32'];
  const base = requireType(ctx, a, types);
  const exponent = requireType(ctx, b, types);
  return { calls: binaryCalls(`eenn_pow_${base}_${exponent}`, a, b, ctx.outputs[0]!, 0, 0, TYPED_SOURCES.elementwise) };
}

/** Sum / Max / Min of integer or float64 tensors: a chain of binary calls accumulating in the output. */
function lowerTypedVariadic(ctx: LowerContext): LoweredStep {
  const out = ctx.outputs[0]!;
  const parts = ctx.inputs.filter((t): t is Tensor => t !== undefined);
  if (parts.length < 2) return lowerAlias(ctx);
  const suffix = requireType(ctx, out, ARITHMETIC);
  if (ctx.node.op === 'Mean') unsupported(ctx, `Mean of ${out.dtype} tensors is not supported`);
  const first = parts.findIndex((p) => ctx.sameStorage(p.name, out.name));
  if (first > 0) parts.unshift(...parts.splice(first, 1));
  const fn = `eenn_${ctx.node.op === 'Sum' ? 'add' : ctx.node.op.toLowerCase()}_${suffix}`;
  const calls = binaryCalls(fn, parts[0]!, parts[1]!, out, 0, 0, TYPED_SOURCES.elementwise);
  for (const part of parts.slice(2)) calls.push(...binaryCalls(fn, out, part, out, 0, 0, TYPED_SOURCES.elementwise));
  return { calls };
}

/** Unary operator -> kernel name and the types it takes. */
const UNARY: Record<string, { name: string; types: readonly DType[] }> = {
  Neg: { name: 'neg', types: SIGNED },
  Abs: { name: 'abs', types: SIGNED },
  Sign: { name: 'sign', types: [...SIGNED, 'uint8', 'uint16'] },
  Not: { name: 'not', types: ['bool'] },
  BitwiseNot: { name: 'bitwise_not', types: INTEGER },
  IsNaN: { name: 'isnan', types: ['float32', 'float64'] },
  IsInf: { name: 'isinf', types: ['float32', 'float64'] },
};

function unaryCall(ctx: LowerContext, x: Tensor, fn: string, source: string, extra: KernelCall['args'] = []): LoweredStep {
  const size = sizeOf(x.shape);
  if (size === 0) return { calls: [] };
  return { calls: [{ fn, source, args: [tensorArg('input', x.name), tensorArg('output', ctx.result.name), intArg('size', size), ...extra] }] };
}

function lowerTypedUnary(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const kernel = UNARY[ctx.node.op]!;
  // Abs of an unsigned type is the identity.
  if (ctx.node.op === 'Abs' && (x.dtype === 'uint8' || x.dtype === 'uint16')) return lowerAlias(ctx);
  const suffix = requireType(ctx, x, kernel.types);
  const extra =
    ctx.node.op === 'IsInf'
      ? [intArg('detect_negative', attrInt(ctx.node, 'detect_negative', 1)), intArg('detect_positive', attrInt(ctx.node, 'detect_positive', 1))]
      : [];
  return unaryCall(ctx, x, `eenn_${kernel.name}_${suffix}`, TYPED_SOURCES.elementwise, extra);
}

/** Clip of an integer tensor with constant bounds (absent: the type's limits). */
function lowerTypedClip(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  const suffix = requireType(ctx, x, INTEGER);
  for (const i of [1, 2]) {
    const t = ctx.inputs[i];
    if (t && (!t.data || t.data.length !== 1)) unsupported(ctx, `Clip bound ${i === 1 ? 'min' : 'max'} must be a constant scalar for ${x.dtype} tensors`);
  }
  const [min, max] = graphClipBounds(ctx.graph, ctx.node) ?? unsupported(ctx, 'Clip bounds must be constant scalars');
  const { lo, hi, limits } = INTEGER_RANGE[x.dtype]!;
  // A bound at or beyond the type's limit is that limit (the C macro); the others are exact integers.
  const bound = (name: string, v: number): KernelArg => {
    if (v <= lo) return macroArg(name, limits[0]);
    if (v >= hi) return macroArg(name, limits[1]);
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) unsupported(ctx, `Clip bound ${v} of an ${x.dtype} tensor is not an integer within int32`);
    return intArg(name, v);
  };
  return { detail: `[${min}, ${max}]`, ...unaryCall(ctx, x, `eenn_clip_${suffix}`, TYPED_SOURCES.elementwise, [bound('min', min), bound('max', max)]) };
}

/** The limits of each integer type, as numbers and as the C macros of <stdint.h>. */
const INTEGER_RANGE: Partial<Record<DType, { lo: number; hi: number; limits: [string, string] }>> = {
  int64: { lo: -(2 ** 63), hi: 2 ** 63 - 1, limits: ['INT64_MIN', 'INT64_MAX'] },
  int32: { lo: -(2 ** 31), hi: 2 ** 31 - 1, limits: ['INT32_MIN', 'INT32_MAX'] },
  int16: { lo: -32768, hi: 32767, limits: ['INT16_MIN', 'INT16_MAX'] },
  int8: { lo: -128, hi: 127, limits: ['INT8_MIN', 'INT8_MAX'] },
  uint8: { lo: 0, hi: 255, limits: ['0', 'UINT8_MAX'] },
  uint16: { lo: 0, hi: 65535, limits: ['0', 'UINT16_MAX'] },
};

function lowerTypedCast(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'input');
  const out = ctx.outputs[0]!;
  if (x.dtype === out.dtype || (x.dtype === 'bool' && out.dtype === 'uint8')) return lowerAlias(ctx);
  const from = requireType(ctx, x, ALL);
  const to = requireType(ctx, out, ALL);
  return { detail: `${x.dtype} to ${out.dtype}`, ...unaryCall(ctx, x, `eenn_cast_${from}_${to}`, TYPED_SOURCES.cast) };
}

/** Where(condition, X, Y) of any element type: condition ? X : Y, the three broadcast to the output. */
function lowerWhere(ctx: LowerContext): LoweredStep {
  const [c, x, y] = [0, 1, 2].map((i) => input(ctx, i, ['condition', 'X', 'Y'][i]!)) as [Tensor, Tensor, Tensor];
  const out = ctx.outputs[0]!;
  const space = collapse({
    dims: [...out.shape],
    strides: [broadcastStrides(c.shape, out.shape), broadcastStrides(x.shape, out.shape), broadcastStrides(y.shape, out.shape), contiguousStrides(out.shape)],
  });
  if (space.dims.includes(0)) return { calls: [] };
  return {
    calls: piecesOf(space).map((piece) => ({
      fn: `eenn_where_${sizeSuffix(out.dtype)}`,
      source: TYPED_LAYOUT_SOURCE,
      args: [
        tensorArg('condition', c.name, piece.offsets[0]!),
        tensorArg('x', x.name, piece.offsets[1]!),
        tensorArg('y', y.name, piece.offsets[2]!),
        tensorArg('output', out.name, piece.offsets[3]!),
        ...piece.dims.map((d, k) => intArg(`d${k}`, d)),
        ...piece.strides[0]!.map((s, k) => intArg(`c_s${k}`, s)),
        ...piece.strides[1]!.map((s, k) => intArg(`x_s${k}`, s)),
        ...piece.strides[2]!.map((s, k) => intArg(`y_s${k}`, s)),
      ],
    })),
  };
}

/** Gather: on constant indices through the reference (lowerTypedMove); on runtime int64 / int32 indices a gather kernel. */
function lowerTypedGather(ctx: LowerContext): LoweredStep {
  const indices = input(ctx, 1, 'indices');
  if (indices.data) return lowerTypedMove(ctx);
  const data = input(ctx, 0, 'data');
  const out = ctx.outputs[0]!;
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') unsupported(ctx, `Gather indices of type ${indices.dtype} are not supported`);
  const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), data.shape.length);
  if (sizeOf(out.shape) === 0) return { calls: [] };
  const axisSize = data.shape[axis]!;
  if (axisSize === 0) unsupported(ctx, 'Gather from an empty axis');
  return {
    detail: `axis ${axis}, indices at run time (clamped into [0, ${axisSize}))`,
    calls: [
      {
        fn: `eenn_gather_${sizeSuffix(data.dtype)}_${TYPE_SUFFIX[indices.dtype]}`,
        source: TYPED_LAYOUT_SOURCE,
        args: [
          tensorArg('data', data.name),
          tensorArg('indices', indices.name),
          tensorArg('output', out.name),
          intArg('outer', sizeOf(data.shape.slice(0, axis))),
          intArg('axis_size', axisSize),
          intArg('inner', sizeOf(data.shape.slice(axis + 1))),
          intArg('count', sizeOf(indices.shape)),
        ],
      },
    ],
  };
}

/** GatherElements on runtime int64 / int32 indices (on constant ones through the reference), rank <= 4. */
function lowerTypedGatherElements(ctx: LowerContext): LoweredStep {
  const indices = input(ctx, 1, 'indices');
  if (indices.data) return lowerTypedMove(ctx);
  const data = input(ctx, 0, 'data');
  const out = ctx.outputs[0]!;
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') unsupported(ctx, `GatherElements indices of type ${indices.dtype} are not supported`);
  const rank = data.shape.length;
  if (rank > 4) unsupported(ctx, `GatherElements of a rank-${rank} tensor on runtime indices is not supported (at most 4 axes)`);
  const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), rank);
  if (sizeOf(out.shape) === 0) return { calls: [] };
  const axisSize = data.shape[axis]!;
  if (axisSize === 0) unsupported(ctx, 'GatherElements from an empty axis');
  const pad = 4 - rank;
  const dims = [...new Array<number>(pad).fill(1), ...indices.shape];
  const strides = [...new Array<number>(pad).fill(0), ...contiguousStrides(data.shape)];
  return {
    detail: `axis ${axis}, indices at run time (clamped into [0, ${axisSize}))`,
    calls: [
      {
        fn: `eenn_gather_elements_${sizeSuffix(data.dtype)}_${TYPE_SUFFIX[indices.dtype]}`,
        source: TYPED_LAYOUT_SOURCE,
        args: [
          tensorArg('data', data.name),
          tensorArg('indices', indices.name),
          tensorArg('output', out.name),
          ...dims.map((d, k) => intArg(`d${k}`, d)),
          ...strides.map((st, k) => intArg(`s${k}`, st)),
          intArg('axis', axis + pad),
          intArg('axis_size', axisSize),
        ],
      },
    ],
  };
}

/** Movement operators of any element type: through the reference on constant indices (lowerTypedMove). */
function lowerTypedMovement(ctx: LowerContext): LoweredStep {
  for (let i = 1; i < ctx.inputs.length; i++) {
    const t = ctx.inputs[i];
    if (t && !t.data) unsupported(ctx, `input ${i} ("${t.name}") of ${ctx.node.op} must be a constant to compile it`);
  }
  return lowerTypedMove(ctx);
}

/** ArgMax / ArgMin along one axis, int64 indices out. */
function lowerArg(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'data');
  const suffix = requireType(ctx, x, ORDERED);
  const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), x.shape.length);
  const selectLast = attrInt(ctx.node, 'select_last_index', 0);
  if (sizeOf(ctx.outputs[0]!.shape) === 0) return { calls: [] };
  if (x.shape[axis] === 0) unsupported(ctx, `${ctx.node.op} over an empty axis`);
  return {
    detail: `axis ${axis}${selectLast ? ', last of equal' : ''}`,
    calls: [
      {
        fn: `eenn_${ctx.node.op.toLowerCase()}_${suffix}`,
        source: TYPED_SOURCES.reduce,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          intArg('outer', sizeOf(x.shape.slice(0, axis))),
          intArg('axis_size', x.shape[axis]!),
          intArg('inner', sizeOf(x.shape.slice(axis + 1))),
          intArg('select_last', selectLast),
        ],
      },
    ],
  };
}

/**
 * QuantizeLinear (float32 -> int8 / uint8) and DequantizeLinear (int8 / uint8 / int32 -> float32), per tensor or
 * per axis, with the scale and zero point constants or computed at run time (eenn_quantize_typed.c).
 */
function lowerQuantizeLinear(ctx: LowerContext): LoweredStep {
  const quantize = ctx.node.op === 'QuantizeLinear';
  const x = input(ctx, 0, 'x');
  const scale = input(ctx, 1, 'scale');
  const zeroPoint = ctx.inputs[2];
  const out = ctx.outputs[0]!;
  const integer = quantize ? out : x;
  const types: readonly DType[] = quantize ? ['int8', 'uint8'] : ['int8', 'uint8', 'int32'];
  const suffix = requireType(ctx, integer, types);
  if ((quantize ? x : out).dtype !== 'float32') unsupported(ctx, `${ctx.node.op} of ${x.dtype} to ${out.dtype} is not supported (float32 only)`);
  if (scale.dtype !== 'float32') unsupported(ctx, `the scale is ${scale.dtype}; only float32 scales are supported`);
  if (scale.shape.length > 1) unsupported(ctx, `the scale has rank ${scale.shape.length} (blocked quantization is not supported)`);
  if (typeof ctx.node.attrs.block_size === 'number' && ctx.node.attrs.block_size > 0) unsupported(ctx, 'blocked quantization is not supported');
  if (zeroPoint && zeroPoint.dtype !== integer.dtype) unsupported(ctx, `the zero point is ${zeroPoint.dtype}, the quantized tensor ${integer.dtype}`);
  const channels = sizeOf(scale.shape);
  let outer = 1;
  let inner = sizeOf(x.shape);
  let detail = 'per tensor';
  if (channels !== 1) {
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 1), x.shape.length);
    if (x.shape[axis] !== channels) unsupported(ctx, `the input has ${x.shape[axis]} channels along axis ${axis} but ${channels} scales`);
    outer = sizeOf(x.shape.slice(0, axis));
    inner = sizeOf(x.shape.slice(axis + 1));
    detail = `per axis ${axis}`;
  }
  if (sizeOf(x.shape) === 0) return { calls: [] };
  return {
    detail,
    calls: [
      {
        fn: quantize ? `eenn_quantize_linear_f32_${suffix}` : `eenn_dequantize_linear_${suffix}_f32`,
        source: TYPED_SOURCES.quantize,
        args: [
          tensorArg('input', x.name),
          tensorArg('scale', scale.name),
          zeroPoint && sizeOf(zeroPoint.shape) > 0 ? tensorArg('zero_point', zeroPoint.name) : { kind: 'null', name: 'zero_point' },
          tensorArg('output', out.name),
          intArg('outer', outer),
          intArg('channels', channels),
          intArg('inner', inner),
        ],
      },
    ],
  };
}

/** Reductions in the element type: every Reduce* of float64; ReduceSum, Max, Min, Prod of integers (wrapping). */
function lowerTypedReduce(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'data');
  const integerOps = ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd'];
  const suffix = requireType(ctx, x, integerOps.includes(ctx.node.op) ? ARITHMETIC : ['float64']);
  if (ctx.outputs[0]!.dtype !== x.dtype) unsupported(ctx, `${ctx.node.op} from ${x.dtype} to ${ctx.outputs[0]!.dtype} is not supported`);
  return reduceWith(ctx, REDUCE_KERNELS[ctx.node.op]!.replace(/_f32$/, `_${suffix}`), TYPED_SOURCES.reduce, x.dtype);
}

/** The lowering of each operator on tensors that are not all float32 (lower-float.ts picks it for such steps). */
export const TYPED_LOWERINGS: ReadonlyMap<string, Lowering> = new Map<string, Lowering>([
  ...['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'].map((op): [string, Lowering] => [op, lowerAlias]),
  ['Concat', lowerTypedConcat],
  ['Cast', lowerTypedCast],
  ['CastLike', lowerTypedCast],
  ['Gather', lowerTypedGather],
  ['GatherElements', lowerTypedGatherElements],
  ...['Transpose', 'Slice', 'Split', 'Tile', 'Expand', 'DepthToSpace', 'SpaceToDepth'].map((op): [string, Lowering] => [
    op,
    lowerTypedMovement,
  ]),
  ['Where', lowerWhere],
  ...Object.keys(BINARY).map((op): [string, Lowering] => [op, lowerTypedBinary]),
  ['Pow', lowerTypedPow],
  ...['Sum', 'Max', 'Min', 'Mean'].map((op): [string, Lowering] => [op, lowerTypedVariadic]),
  ...Object.keys(UNARY).map((op): [string, Lowering] => [op, lowerTypedUnary]),
  ['Clip', lowerTypedClip],
  ['ArgMax', lowerArg],
  ['ArgMin', lowerArg],
  ...REDUCE_OPS.map((op): [string, Lowering] => [op, lowerTypedReduce]),
  ['QuantizeLinear', lowerQuantizeLinear],
  ['DequantizeLinear', lowerQuantizeLinear],
  ['Trilu', lowerTrilu],
  ['CumSum', lowerTypedCumSum],
]);

/** Marks the tensor arguments of typed kernel calls as read in their own C type (constants included). */
export function storedArgs(step: LoweredStep): LoweredStep {
  return {
    ...step,
    calls: step.calls.map((call) =>
      call.source.endsWith('_typed.c') ? { ...call, args: call.args.map((a) => (a.kind === 'tensor' ? { ...a, stored: true } : a)) } : call,
    ),
  };
}
