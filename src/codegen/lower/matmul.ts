// Lowers Gemm and MatMul: a fully connected kernel with packed weights when the right operand is a constant
// matrix, a strided matrix-product kernel otherwise (transposes and batch broadcasting without copies).

import { sizeOf } from '../../ir/graph.js';
import { attrInt } from '../../ops/attrs.js';
import { attributesOf } from '../../ops/facts.js';
import { constArg, floatArg, intArg, nullArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { activationArgs, type ActivationRange, type LoweredStep, type LowerContext } from '../kernel-call.js';
import { outputMajor, packOutputBlocks } from '../pack-weights.js';
import { broadcastStrides, collapse, contiguousStrides } from '../strided.js';
import { SOURCES, input } from './common.js';
import { binaryCalls, clampCalls, scalarOperand, type Operand } from './elementwise.js';

const NO_ACTIVATION: ActivationRange = { min: -Infinity, max: Infinity };

/** eenn_fc_f32 with weights W [n][k] (packed here). */
function fcCall(
  x: string,
  w: Float32Array,
  weightName: string,
  note: string,
  bias: KernelArg,
  out: string,
  rows: number,
  k: number,
  n: number,
  act: ActivationRange,
): KernelCall {
  return {
    fn: 'eenn_fc_f32',
    source: SOURCES.fc,
    args: [
      tensorArg('input', x),
      constArg('weights', { name: weightName, ctype: 'float', data: packOutputBlocks(w, n, 1, k), note }),
      bias,
      tensorArg('output', out),
      intArg('rows', rows),
      intArg('in_features', k),
      intArg('out_features', n),
      ...activationArgs(act),
    ],
  };
}

interface MatmulOperand {
  arg: KernelArg;
  batchStride: number;
  strideRow: number;
  strideCol: number;
}

function matmulCall(
  a: MatmulOperand,
  b: MatmulOperand,
  bias: KernelArg,
  out: KernelArg,
  batches: number,
  m: number,
  k: number,
  n: number,
  act: ActivationRange,
): KernelCall {
  return {
    fn: 'eenn_matmul_f32',
    source: SOURCES.fc,
    args: [
      a.arg,
      b.arg,
      bias,
      out,
      intArg('batches', batches),
      intArg('m', m),
      intArg('k', k),
      intArg('n', n),
      intArg('a_batch_stride', a.batchStride),
      intArg('a_stride_m', a.strideRow),
      intArg('a_stride_k', a.strideCol),
      intArg('b_batch_stride', b.batchStride),
      intArg('b_stride_k', b.strideRow),
      intArg('b_stride_n', b.strideCol),
      ...activationArgs(act),
    ],
  };
}

export function lowerGemm(ctx: LowerContext): LoweredStep {
  const a = input(ctx, 0, 'A');
  const b = input(ctx, 1, 'B');
  const c = ctx.inputs[2];
  const transA = attrInt(ctx.node, 'transA', 0) !== 0;
  const transB = attrInt(ctx.node, 'transB', 0) !== 0;
  const attrs = attributesOf(ctx.node);
  const alpha = attrs.float('alpha');
  const beta = attrs.float('beta');
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const n = transB ? b.shape[0]! : b.shape[1]!;
  const out: Operand = { name: ctx.result.name, shape: [m, n] };

  // C folds into the kernel's bias when it is a constant that repeats over rows ([n], [1, n] or a scalar).
  let bias: KernelArg = nullArg('bias');
  let addC: Operand | undefined;
  let scaledC: Operand | undefined;
  if (c && beta !== 0) {
    const rows = c.shape.length === 2 ? c.shape[0]! : 1;
    const cols = c.shape.length >= 1 ? c.shape[c.shape.length - 1]! : 1;
    if (c.data && rows === 1) {
      if (beta === 1 && cols === n) bias = tensorArg('bias', c.name);
      else {
        const data = new Float32Array(n);
        for (let j = 0; j < n; j++) data[j] = Math.fround(beta * Number(c.data[cols === 1 ? 0 : j]));
        bias = constArg('bias', { name: `${c.name}_bias`, ctype: 'float', data, note: `beta * "${c.name}" repeated to [${n}]` });
      }
    } else if (c.data) {
      const data = Float32Array.from(c.data as ArrayLike<number>, (v) => Math.fround(beta * v));
      addC = { name: `${c.name}_scaled`, shape: c.shape, array: { name: `${c.name}_scaled`, ctype: 'float', data, note: `beta * "${c.name}"` } };
      if (beta === 1) addC = c;
    } else if (beta === 1) {
      addC = c;
    } else {
      // A run-time C scaled by beta: added after the product by a kernel that scales it on the way.
      scaledC = c;
    }
  }
  const fusedAct = addC || scaledC ? NO_ACTIVATION : ctx.activation;
  const calls: KernelCall[] = [];
  if (b.data && !transA) {
    const w = outputMajor(Float32Array.from(b.data as ArrayLike<number>), k, n, transB, alpha);
    calls.push(
      fcCall(
        a.name,
        w,
        `${b.name}_packed`,
        `${alpha !== 1 ? `${alpha} * ` : ''}"${b.name}" as [${n}][${k}], rows interleaved in blocks of 4`,
        bias,
        out.name,
        m,
        k,
        n,
        fusedAct,
      ),
    );
  } else {
    let bArg: KernelArg = tensorArg('b', b.name);
    let scaleAfter = alpha !== 1;
    if (alpha !== 1 && b.data) {
      const data = Float32Array.from(b.data as ArrayLike<number>, (v) => Math.fround(alpha * v));
      bArg = constArg('b', { name: `${b.name}_scaled`, ctype: 'float', data, note: `${alpha} * "${b.name}"` });
      scaleAfter = false;
    }
    const aOp: MatmulOperand = { arg: tensorArg('a', a.name), batchStride: 0, strideRow: transA ? 1 : k, strideCol: transA ? m : 1 };
    const bOp: MatmulOperand = { arg: bArg, batchStride: 0, strideRow: transB ? 1 : n, strideCol: transB ? k : 1 };
    calls.push(
      matmulCall(aOp, bOp, scaleAfter ? nullArg('bias') : bias, tensorArg('output', out.name), 1, m, k, n, scaleAfter ? NO_ACTIVATION : fusedAct),
    );
    if (scaleAfter) {
      calls.push(...binaryCalls('eenn_mul_f32', out, scalarOperand(`${ctx.node.name}_alpha`, alpha, `alpha of Gemm "${ctx.node.name}"`), out));
      if (bias.kind !== 'null') {
        const biasOperand: Operand | undefined =
          bias.kind === 'tensor'
            ? { name: bias.tensor, shape: [n] }
            : bias.kind === 'const'
              ? { name: bias.array.name, shape: [n], array: bias.array }
              : undefined;
        if (biasOperand) calls.push(...binaryCalls('eenn_add_f32', out, biasOperand, out));
      }
      if (!addC && !scaledC) calls.push(...clampCalls(ctx, out));
    }
  }
  if (addC) {
    calls.push(...binaryCalls('eenn_add_f32', out, addC, out));
    calls.push(...clampCalls(ctx, out));
  }
  if (scaledC && m * n > 0) {
    const [strideM, strideN] = broadcastStrides(scaledC.shape, [m, n]);
    calls.push({
      fn: 'eenn_gemm_add_c_f32',
      source: SOURCES.fc,
      args: [
        tensorArg('c', scaledC.name),
        tensorArg('output', out.name),
        intArg('m', m),
        intArg('n', n),
        intArg('c_stride_m', strideM!),
        intArg('c_stride_n', strideN!),
        floatArg('beta', beta),
        ...activationArgs(ctx.activation),
      ],
    });
  }
  return {
    detail: `${transA ? 'A^T' : 'A'} x ${transB ? 'B^T' : 'B'}${alpha !== 1 ? `, alpha ${alpha}` : ''}${beta !== 1 ? `, beta ${beta}` : ''}`,
    calls,
  };
}

export function lowerMatMul(ctx: LowerContext): LoweredStep {
  const a = input(ctx, 0, 'A');
  const b = input(ctx, 1, 'B');
  const aShape = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const n = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const batch = pad(aBatch).map((d, i) => Math.max(d, pad(bBatch)[i]!));
  const out = ctx.result;

  // A constant right matrix shared by every row: a fully connected layer.
  if (b.data && bBatch.every((d) => d === 1)) {
    const w = outputMajor(Float32Array.from(b.data as ArrayLike<number>), k, n, false);
    const rows = sizeOf(batch) * m;
    return {
      detail: `${rows} row${rows === 1 ? '' : 's'} x [${k}] -> [${n}]`,
      calls: [
        fcCall(
          a.name,
          w,
          `${b.name}_packed`,
          `"${b.name}" as [${n}][${k}], rows interleaved in blocks of 4`,
          nullArg('bias'),
          out.name,
          rows,
          k,
          n,
          ctx.activation,
        ),
      ],
    };
  }
  // Batched product: batch axes merged where every operand walks them as one, the rest cut into calls.
  const space = collapse({
    dims: batch,
    strides: [
      broadcastStrides(aBatch, batch).map((s) => s * m * k),
      broadcastStrides(bBatch, batch).map((s) => s * k * n),
      contiguousStrides(batch).map((s) => s * m * n),
    ],
  });
  if (space.dims.includes(0) || m * n === 0) return { calls: [] };
  const inner = space.dims.length - 1;
  const outer = { dims: space.dims.slice(0, inner), strides: space.strides.map((s) => s.slice(0, inner)) };
  const pieces = inner === 0 ? [{ offsets: [0, 0, 0] }] : piecesOfAll(outer);
  const calls = pieces.map((piece) =>
    matmulCall(
      { arg: tensorArg('a', a.name, piece.offsets[0]!), batchStride: space.strides[0]![inner]!, strideRow: k, strideCol: 1 },
      { arg: tensorArg('b', b.name, piece.offsets[1]!), batchStride: space.strides[1]![inner]!, strideRow: n, strideCol: 1 },
      nullArg('bias'),
      tensorArg('output', out.name, piece.offsets[2]!),
      space.dims[inner]!,
      m,
      k,
      n,
      ctx.activation,
    ),
  );
  return { detail: `batch [${batch.join(', ')}], [${m}, ${k}] x [${k}, ${n}]`, calls };
}

/** Every index of a (small) outer space, with each operand's element offset. */
function piecesOfAll(space: { dims: number[]; strides: number[][] }): { offsets: number[] }[] {
  const result: { offsets: number[] }[] = [];
  const index = new Array<number>(space.dims.length).fill(0);
  for (let t = 0, total = sizeOf(space.dims); t < total; t++) {
    result.push({ offsets: space.strides.map((s) => index.reduce((acc, i, d) => acc + i * s[d]!, 0)) });
    for (let d = space.dims.length - 1; d >= 0; d--) {
      if (++index[d]! < space.dims[d]!) break;
      index[d] = 0;
    }
  }
  return result;
}
