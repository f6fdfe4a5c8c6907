// Gemm and MatMul: shape rules, float references and MAC counts for the fully connected layers.
// Gemm: Y = alpha * op(A) * op(B) + beta * C; MatMul: numpy matmul (1-D promotion, broadcast batch axes).

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { sizeOf, stridesOf } from '../ir/graph.js';
import { attrInt, declaredFloat } from './attrs.js';
import { float32Data, requireOperand } from './float-operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

type Shaped = Pick<InputInfo, 'shape' | 'dtype'>;

interface GemmPlan {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Shape of C as a [rows, cols] pair, each 1 (broadcast) or the full size; undefined without C. */
  c?: [number, number];
}

/** M, N, K and the transposes, from A, B and transA/transB (checked: both matrices, inner sizes equal). */
function gemmDims(node: Node, inputs: readonly (Shaped | undefined)[]): Omit<GemmPlan, 'c'> {
  const a = requireOperand(node, inputs, 0, 'A');
  const b = requireOperand(node, inputs, 1, 'B');
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw nodeError(
      'E_SHAPE',
      node,
      `A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}] must both be matrices (rank 2)`,
      'insert a Flatten before Gemm, or use MatMul for batched products',
    );
  }
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kB, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kB) {
    throw nodeError(
      'E_SHAPE',
      node,
      `inner dimensions differ: op(A) is [${m}, ${k}] and op(B) is [${kB}, ${n}] (transA=${+transA}, transB=${+transB})`,
    );
  }
  return { m, n, k, transA, transB };
}

function planGemm(node: Node, inputs: readonly (Shaped | undefined)[], opset: number): GemmPlan {
  const { m, n, k, transA, transB } = gemmDims(node, inputs);
  const cInput = inputs[2];
  if (!cInput) return { m, n, k, transA, transB };
  const cs = cInput.shape;
  const rows = cs.length === 2 ? cs[0]! : 1;
  const cols = cs.length >= 1 ? cs[cs.length - 1]! : 1;
  if (cs.length > 2 || (rows !== 1 && rows !== m) || (cols !== 1 && cols !== n)) {
    throw nodeError('E_SHAPE', node, `C has shape [${cs.join(', ')}], which does not broadcast to the output [${m}, ${n}]`);
  }
  // Before opset 7, C broadcasts only when the `broadcast` attribute says so.
  if (opset < 7 && attrInt(node, 'broadcast', 0) === 0 && (cs.length !== 2 || rows !== m || cols !== n)) {
    throw nodeError('E_SHAPE', node, `C has shape [${cs.join(', ')}], expected [${m}, ${n}] (broadcast=0 in opset ${opset})`);
  }
  return { m, n, k, transA, transB, c: [rows, cols] };
}

function evaluateGemm(node: Node, inputs: (Value | undefined)[], opset: number): Value[] {
  const plan = planGemm(node, inputs, opset);
  const { m, n, k } = plan;
  const a = float32Data(node, inputs[0]!, 'A');
  const b = float32Data(node, inputs[1]!, 'B');
  const c = inputs[2] ? float32Data(node, inputs[2], 'C') : undefined;
  const alpha = declaredFloat(gemm, node, 'alpha');
  const beta = declaredFloat(gemm, node, 'beta');
  // Element strides of op(A)[i, p] in the stored (possibly transposed) A.
  const [aRow, aCol] = plan.transA ? [1, m] : [k, 1];
  const y = new Float32Array(m * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    if (plan.transB) {
      // B is stored [N, K] (a PyTorch Linear weight): one contiguous dot product per output.
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[i * aRow + p * aCol]! * b[j * k + p]!;
        acc[j] = sum;
      }
    } else {
      // B is stored [K, N]: add row p of B, scaled by A[i, p], so B is read contiguously.
      for (let p = 0; p < k; p++) {
        const av = a[i * aRow + p * aCol]!;
        const bBase = p * n;
        for (let j = 0; j < n; j++) acc[j]! += av * b[bBase + j]!;
      }
    }
    for (let j = 0; j < n; j++) {
      let v = alpha * acc[j]!;
      if (c && plan.c) {
        const [rows, cols] = plan.c;
        v += beta * c[(rows === 1 ? 0 : i) * cols + (cols === 1 ? 0 : j)]!;
      }
      y[i * n + j] = v;
    }
  }
  return [{ shape: [m, n], dtype: 'float32', data: y }];
}

/** Shapes of a numpy matmul: the 1-D promotions undone in `output`, batch axes broadcast. */
interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  batch: number[];
  /** For each broadcast batch axis, the element stride of A's / B's matrices (0 where broadcast). */
  aBatchStrides: number[];
  bBatchStrides: number[];
  output: number[];
}

function planMatMul(node: Node, inputs: readonly (Shaped | undefined)[]): MatMulPlan {
  const aIn = requireOperand(node, inputs, 0, 'A').shape;
  const bIn = requireOperand(node, inputs, 1, 'B').shape;
  if (aIn.length === 0 || bIn.length === 0) throw nodeError('E_SHAPE', node, 'MatMul operands must have rank >= 1, got a scalar');
  const a = aIn.length === 1 ? [1, aIn[0]!] : aIn;
  const b = bIn.length === 1 ? [bIn[0]!, 1] : bIn;
  const m = a[a.length - 2]!;
  const k = a[a.length - 1]!;
  const n = b[b.length - 1]!;
  if (b[b.length - 2] !== k) {
    throw nodeError(
      'E_SHAPE',
      node,
      `inner dimensions differ: A [${aIn.join(', ')}] has ${k} columns, B [${bIn.join(', ')}] has ${b[b.length - 2]} rows`,
    );
  }
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  const aBatchStrides: number[] = [];
  const bBatchStrides: number[] = [];
  const aStrides = stridesOf(aBatch).map((s) => s * m * k);
  const bStrides = stridesOf(bBatch).map((s) => s * k * n);
  for (let i = 0; i < rank; i++) {
    const ai = i - (rank - aBatch.length);
    const bi = i - (rank - bBatch.length);
    const da = ai >= 0 ? aBatch[ai]! : 1;
    const db = bi >= 0 ? bBatch[bi]! : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw nodeError('E_SHAPE', node, `batch axes of A [${aIn.join(', ')}] and B [${bIn.join(', ')}] do not broadcast (${da} vs ${db})`);
    }
    batch.push(Math.max(da, db));
    aBatchStrides.push(da === 1 ? 0 : aStrides[ai]!);
    bBatchStrides.push(db === 1 ? 0 : bStrides[bi]!);
  }
  const output = [...batch];
  if (aIn.length > 1) output.push(m);
  if (bIn.length > 1) output.push(n);
  return { m, n, k, batch, aBatchStrides, bBatchStrides, output };
}

function evaluateMatMul(node: Node, inputs: (Value | undefined)[]): Value[] {
  const plan = planMatMul(node, inputs);
  const { m, n, k, batch } = plan;
  const a = float32Data(node, inputs[0]!, 'A');
  const b = float32Data(node, inputs[1]!, 'B');
  const count = sizeOf(batch);
  const y = new Float32Array(count * m * n);
  const acc = new Float64Array(n);
  const index = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < count; t++) {
    let aBase = 0;
    let bBase = 0;
    for (let d = 0; d < batch.length; d++) {
      aBase += index[d]! * plan.aBatchStrides[d]!;
      bBase += index[d]! * plan.bBatchStrides[d]!;
    }
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[aBase + i * k + p]!;
        const bRow = bBase + p * n;
        for (let j = 0; j < n; j++) acc[j]! += av * b[bRow + j]!;
      }
      y.set(acc, (t * m + i) * n);
    }
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++index[d]! < batch[d]!) break;
      index[d] = 0;
    }
  }
  return [{ shape: plan.output, dtype: 'float32', data: y }];
}

const gemm: OpDef = {
  op: 'Gemm',
  opsets: [1, 22],
  attributes: { alpha: 1, beta: 1 },
  inferShapes(node, inputs, opset) {
    const plan = planGemm(node, inputs, opset);
    return [{ shape: [plan.m, plan.n], dtype: requireOperand(node, inputs, 0, 'A').dtype }];
  },
  evaluate(node, inputs, opset) {
    return evaluateGemm(node, inputs, opset);
  },
  /** M * N * K. */
  macs(node, inputs) {
    const { m, n, k } = gemmDims(node, inputs);
    return m * n * k;
  },
};

export const ops: OpDef[] = [
  gemm,
  {
    op: 'MatMul',
    opsets: [1, 22],
    inferShapes(node, inputs) {
      return [{ shape: planMatMul(node, inputs).output, dtype: requireOperand(node, inputs, 0, 'A').dtype }];
    },
    evaluate(node, inputs) {
      return evaluateMatMul(node, inputs);
    },
    /** Batch * M * N * K. */
    macs(node, inputs) {
      const { m, n, k, batch } = planMatMul(node, inputs);
      return sizeOf(batch) * m * n * k;
    },
  },
];
