// Lowers element-wise operators: binary with broadcasting (Add, Sub, Mul, Div, Pow, Max, Min, PRelu), their
// variadic forms (Sum, Mean, Max, Min), unary math and activations, and inference BatchNormalization.

import { sizeOf, type Tensor } from '../../ir/graph.js';
import { graphClipBounds } from '../../ops/activation.js';
import { attrInt, declaredAttributes } from '../../ops/attrs.js';
import { attributesOf } from '../../ops/facts.js';
import { lookupOp, supportedOps } from '../../ops/registry.js';
import { constArg, floatArg, intArg, optionalTensorArg, tensorArg, type ConstArray, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { type LoweredStep, type LowerContext } from '../kernel-call.js';
import { stridedCopyCalls } from '../data-movement.js';
import { broadcastStrides, collapse, contiguousStrides, piecesOf } from '../strided.js';
import { constantFloats, elementwiseCalls, input, SOURCES, unsupported } from './common.js';

/** A binary operand: a graph tensor, or a constant array derived by the compiler. */
export interface Operand {
  name: string;
  shape: readonly number[];
  array?: ConstArray;
}

function operandArg(param: string, operand: Operand, offset: number): KernelArg {
  return operand.array ? { kind: 'const', name: param, array: operand.array, offset } : tensorArg(param, operand.name, offset);
}

/** Kernel function of each binary operator. */
export const BINARY_KERNELS: Record<string, string> = {
  Add: 'eenn_add_f32',
  Sub: 'eenn_sub_f32',
  Mul: 'eenn_mul_f32',
  Div: 'eenn_div_f32',
  Pow: 'eenn_pow_f32',
  Max: 'eenn_max_f32',
  Min: 'eenn_min_f32',
  PRelu: 'eenn_prelu_f32',
  Mod: 'eenn_mod_f32',
};

/** Calls of a binary kernel: output (contiguous, shape out.shape) = a OP b, both broadcast to it. */
export function binaryCalls(fn: string, a: Operand, b: Operand, out: Operand, aOffset = 0, bOffset = 0, source: string = SOURCES.elementwise): KernelCall[] {
  const space = collapse({
    dims: [...out.shape],
    strides: [broadcastStrides(a.shape, out.shape), broadcastStrides(b.shape, out.shape), contiguousStrides(out.shape)],
  });
  if (space.dims.includes(0)) return [];
  return piecesOf(space).map((piece) => ({
    fn,
    source,
    args: [
      operandArg('a', a, aOffset + piece.offsets[0]!),
      operandArg('b', b, bOffset + piece.offsets[1]!),
      tensorArg('output', out.name, piece.offsets[2]!),
      ...piece.dims.map((d, k) => intArg(`d${k}`, d)),
      ...piece.strides[0]!.map((s, k) => intArg(`a_s${k}`, s)),
      ...piece.strides[1]!.map((s, k) => intArg(`b_s${k}`, s)),
    ],
  }));
}

/** A clip of the whole tensor in place, for activations that could not be fused into the kernel itself. */
export function clampCalls(ctx: LowerContext, tensor: Operand): KernelCall[] {
  const { min, max } = ctx.activation;
  if (min === -Infinity && max === Infinity) return [];
  return [
    {
      fn: 'eenn_clip_f32',
      source: SOURCES.activation,
      args: [
        tensorArg('input', tensor.name),
        tensorArg('output', tensor.name),
        intArg('size', sizeOf(tensor.shape)),
        floatArg('min', min),
        floatArg('max', max),
      ],
    },
  ];
}

/** A scalar constant as a one-element array operand. */
export function scalarOperand(name: string, value: number, note: string): Operand {
  return { name, shape: [1], array: { name, ctype: 'float', data: Float32Array.of(value), note } };
}

export function lowerBinary(ctx: LowerContext): LoweredStep {
  const a = input(ctx, 0, 'A');
  let b = input(ctx, 1, 'B');
  const out = ctx.outputs[0]!;
  if (ctx.node.op === 'PRelu' && ctx.opset < 7 && b.shape.length === 1 && b.shape[0]! > 1 && a.shape[1] === b.shape[0]) {
    // Opset 6 PRelu: a per-channel slope of C values against [N, C, ...].
    b = { ...b, shape: [b.shape[0]!, ...new Array<number>(a.shape.length - 2).fill(1)] };
  }
  if (ctx.node.op === 'Mod' && attrInt(ctx.node, 'fmod', 0) !== 1) unsupported(ctx, 'Mod of floats needs fmod=1');
  return { calls: binaryCalls(BINARY_KERNELS[ctx.node.op]!, a, b, out) };
}

/** Sum / Mean / Max / Min of any number of inputs: a chain of binary calls accumulating in the output. */
export function lowerVariadic(ctx: LowerContext): LoweredStep {
  const out = ctx.outputs[0]!;
  const parts = ctx.inputs.filter((t): t is Tensor => t !== undefined);
  if (parts.length === 0) unsupported(ctx, 'no inputs');
  // Start with the input the output overwrites (in place), so it is read before anything is written.
  const first = parts.findIndex((p) => ctx.sameStorage(p.name, out.name));
  if (first > 0) parts.unshift(...parts.splice(first, 1));
  const fn = ctx.node.op === 'Max' ? 'eenn_max_f32' : ctx.node.op === 'Min' ? 'eenn_min_f32' : 'eenn_add_f32';
  const calls: KernelCall[] = [];
  if (parts.length === 1) {
    if (!ctx.sameStorage(parts[0]!.name, out.name)) {
      calls.push(
        ...stridedCopyCalls(parts[0]!.name, 0, out.name, 0, {
          dims: [...out.shape],
          strides: [broadcastStrides(parts[0]!.shape, out.shape), contiguousStrides(out.shape)],
        }),
      );
    }
  } else {
    calls.push(...binaryCalls(fn, parts[0]!, parts[1]!, out));
    for (const part of parts.slice(2)) calls.push(...binaryCalls(fn, out, part, out));
  }
  if (ctx.node.op === 'Mean' && parts.length > 1) {
    const count = scalarOperand(`${out.name}_count`, parts.length, `number of inputs of Mean "${ctx.node.name}"`);
    calls.push(...binaryCalls('eenn_div_f32', out, count, out));
  }
  return { calls };
}

/** Operators lowered to one unary kernel call: those whose definition names a float kernel (OpDef.unaryKernel). */
export const UNARY_OPS: readonly string[] = supportedOps()
  .filter((def) => def.unaryKernel && !def.domain)
  .map((def) => def.op);

export function lowerUnary(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const def = lookupOp(ctx.node.op, ctx.node.domain);
  const kernel = def?.unaryKernel;
  if (!def || !kernel) throw new Error(`internal: ${ctx.node.op} has no unary kernel`);
  if (sizeOf(x.shape) === 0) return { calls: [] };
  const attrs = declaredAttributes(def, ctx.node);
  const params = (kernel.params ?? []).map((name): [string, number] => [name, attrs.float(name)]);
  return {
    detail: params.map(([k, v]) => `${k} ${v}`).join(', ') || undefined,
    calls: elementwiseCalls(
      ctx,
      x,
      typeof kernel.fn === 'string' ? kernel.fn : kernel.fn(attrs),
      SOURCES.activation,
      params.map(([k, v]) => floatArg(k, v)),
    ),
  };
}

export function lowerClip(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  const constant = graphClipBounds(ctx.graph, ctx.node);
  if (constant) {
    const [min, max] = constant;
    return {
      detail: `[${min}, ${max}]`,
      calls: elementwiseCalls(ctx, x, 'eenn_clip_f32', SOURCES.activation, [floatArg('min', min), floatArg('max', max)]),
    };
  }
  // A bound computed at run time (opset 11+: inputs 1 and 2): the kernel reads both bounds from memory, a
  // constant one from its array; an absent one is NULL (unbounded).
  const [min, max] = [1, 2].map((i) => ctx.inputs[i]);
  for (const [bound, what] of [
    [min, 'min'],
    [max, 'max'],
  ] as const) {
    if (bound && sizeOf(bound.shape) !== 1)
      unsupported(ctx, `Clip bound ${what} ("${bound.name}") must hold one value, it has shape [${bound.shape.join(', ')}]`);
  }
  const describe = (bound: Tensor | undefined, fallback: string) =>
    bound ? (bound.data ? String(Number(bound.data[0])) : `"${bound.name}"`) : fallback;
  return {
    detail: `[${describe(min, '-inf')}, ${describe(max, 'inf')}], read at run time`,
    calls: elementwiseCalls(ctx, x, 'eenn_clip_bounds_f32', SOURCES.activation, [optionalTensorArg('min', min), optionalTensorArg('max', max)]),
  };
}

/** Inference BatchNormalization not folded into a convolution: y = x * scale[c] + shift[c]. */
export function lowerBatchNorm(ctx: LowerContext): LoweredStep {
  const x = input(ctx, 0, 'X');
  if (ctx.node.outputs.filter((o) => o !== '').length > 1 || (ctx.opset >= 14 && attrInt(ctx.node, 'training_mode', 0) !== 0)) {
    unsupported(ctx, 'training-mode BatchNormalization is not supported');
  }
  const channels = x.shape[1] ?? 1;
  const parameters = [1, 2, 3, 4].map((i) => input(ctx, i, ['scale', 'B', 'mean', 'var'][i - 1]!));
  if (parameters.some((p) => sizeOf(p.shape) !== channels)) unsupported(ctx, 'per-position (spatial=0) BatchNormalization is not supported');
  const epsilon = attributesOf(ctx.node).float('epsilon');
  const shape = [intArg('outer', x.shape[0] ?? 1), intArg('channels', channels), intArg('inner', sizeOf(x.shape.slice(2)))];
  if (sizeOf(x.shape) === 0) return { detail: `epsilon ${epsilon}`, calls: [] };
  if (parameters.some((p) => !p.data)) {
    // A parameter computed at run time: the kernel applies the formula itself, nothing folds.
    const [scale, bias, mean, variance] = parameters;
    return {
      detail: `epsilon ${epsilon}, parameters read at run time`,
      calls: [
        {
          fn: 'eenn_batch_norm_f32',
          source: SOURCES.elementwise,
          args: [
            tensorArg('input', x.name),
            tensorArg('output', ctx.result.name),
            ...shape,
            tensorArg('scale', scale!.name),
            tensorArg('bias', bias!.name),
            tensorArg('mean', mean!.name),
            tensorArg('var', variance!.name),
            floatArg('epsilon', epsilon),
          ],
        },
      ],
    };
  }
  const [gamma, beta, mean, variance] = parameters.map((p) => constantFloats(ctx, p, 'BatchNormalization parameter'));
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = gamma![c]! / Math.sqrt(variance![c]! + epsilon);
    scale[c] = s;
    shift[c] = beta![c]! - mean![c]! * s;
  }
  const base = ctx.node.inputs[1] || ctx.node.name;
  return {
    detail: `epsilon ${epsilon}`,
    calls: [
      {
        fn: 'eenn_channel_affine_f32',
        source: SOURCES.elementwise,
        args: [
          tensorArg('input', x.name),
          tensorArg('output', ctx.result.name),
          ...shape,
          constArg('scale', { name: `${base}_bn_scale`, ctype: 'float', data: scale, note: 'gamma / sqrt(var + epsilon) per channel' }),
          constArg('shift', { name: `${base}_bn_shift`, ctype: 'float', data: shift, note: 'beta - mean * scale per channel' }),
        ],
      },
    ],
  };
}
