// int8 reference of the elementwise operators of src/ir/int8.ts: QAdd (and Sub) and QMul with numpy broadcasting,
// QLut, and the float32 boundary Quantize / Dequantize.
// An int8 binary operator is a function of two bytes: it is tabulated once per node (65,536 entries, each computed
// with the formula of the contract through fixedpoint.ts), then every element is one lookup.

import type { Graph, Node } from '../../ir/graph.js';
import { intsAttr, scaleZeroOf } from '../../ir/int8.js';
import { broadcastOffsets } from '../../ops/broadcast.js';
import { dequantizeS8F32, quantizeF32S8, requantize, requantizeS8 } from '../fixedpoint.js';
import { countOf, dimsOf, int8Value, intOf, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

/** table[(a + 128) * 256 + (b + 128)] = fn(a, b) for every pair of int8 values. */
function tabulatePairs(fn: (a: number, b: number) => number): Int8Array {
  const table = new Int8Array(65536);
  for (let a = -128; a < 128; a++) {
    for (let b = -128; b < 128; b++) table[((a + 128) << 8) | (b + 128)] = fn(a, b);
  }
  return table;
}

/** A binary kernel: y[i] = table[a[ia], b[ib]] over the numpy broadcast of A and B to Y's shape. */
function binaryKernel(node: Node, graph: Graph, table: Int8Array): Int8Kernel {
  const a = tensorOfNode(graph, node, node.inputs[0]!);
  const b = tensorOfNode(graph, node, node.inputs[1]!);
  const outDims = dimsOf(tensorOfNode(graph, node, node.outputs[0]!));
  const size = countOf(outDims);
  const sameA = countOf(dimsOf(a)) === size;
  const sameB = countOf(dimsOf(b)) === size;
  const offsetsA = broadcastOffsets(dimsOf(a), outDims);
  const offsetsB = broadcastOffsets(dimsOf(b), outDims);
  return ([va, vb]) => {
    const xa = va!.data as Int8Array;
    const xb = vb!.data as Int8Array;
    const out = new Int8Array(size);
    if (sameA && sameB) {
      for (let i = 0; i < size; i++) out[i] = table[((xa[i]! + 128) << 8) | (xb[i]! + 128)]!;
    } else {
      for (let i = 0; i < size; i++) out[i] = table[((xa[offsetsA[i]!]! + 128) << 8) | (xb[offsetsB[i]!]! + 128)]!;
    }
    return [int8Value(outDims, out)];
  };
}

/**
 * QAdd: a' = requantize((a - zpA) << left_shift, input1_multiplier, input1_shift), b' likewise,
 * y = clamp(requantize(a' ± b', output_multiplier, output_shift) + zpY, act_min, act_max); ± is - with `subtract`.
 */
export function prepareAdd(node: Node, graph: Graph): Int8Kernel {
  const zpA = zeroPointOf(tensorOfNode(graph, node, node.inputs[0]!));
  const zpB = zeroPointOf(tensorOfNode(graph, node, node.inputs[1]!));
  const zpY = zeroPointOf(tensorOfNode(graph, node, node.outputs[0]!));
  const leftShift = intOf(node, 'left_shift');
  const [m1, s1, m2, s2] = ['input1_multiplier', 'input1_shift', 'input2_multiplier', 'input2_shift'].map((n) => intOf(node, n)) as [
    number,
    number,
    number,
    number,
  ];
  const [mOut, sOut, actMin, actMax] = ['output_multiplier', 'output_shift', 'act_min', 'act_max'].map((n) => intOf(node, n)) as [
    number,
    number,
    number,
    number,
  ];
  const subtract = intOf(node, 'subtract') !== 0;
  const table = tabulatePairs((a, b) => {
    const scaledA = requantize((a - zpA) << leftShift, m1, s1);
    const scaledB = requantize((b - zpB) << leftShift, m2, s2);
    const sum = subtract ? (scaledA - scaledB) | 0 : (scaledA + scaledB) | 0;
    return requantizeS8(sum, mOut, sOut, zpY, actMin, actMax);
  });
  return binaryKernel(node, graph, table);
}

/** QMul: y = clamp(requantize((a - zpA) * (b - zpB), output_multiplier, output_shift) + zpY, act_min, act_max). */
export function prepareMul(node: Node, graph: Graph): Int8Kernel {
  const zpA = zeroPointOf(tensorOfNode(graph, node, node.inputs[0]!));
  const zpB = zeroPointOf(tensorOfNode(graph, node, node.inputs[1]!));
  const zpY = zeroPointOf(tensorOfNode(graph, node, node.outputs[0]!));
  const [mOut, sOut, actMin, actMax] = ['output_multiplier', 'output_shift', 'act_min', 'act_max'].map((n) => intOf(node, n)) as [
    number,
    number,
    number,
    number,
  ];
  const table = tabulatePairs((a, b) => requantizeS8(Math.imul(a - zpA, b - zpB), mOut, sOut, zpY, actMin, actMax));
  return binaryKernel(node, graph, table);
}

/** QLut: y = table[x + 128]. */
export function prepareLut(node: Node, graph: Graph): Int8Kernel {
  const outDims = dimsOf(tensorOfNode(graph, node, node.outputs[0]!));
  const table = Int8Array.from(intsAttr(node, 'table'));
  if (table.length !== 256) throw new Error(`internal: QLut "${node.name}" has a table of ${table.length} entries`);
  return ([v]) => {
    const x = v!.data as Int8Array;
    const out = new Int8Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = table[x[i]! + 128]!;
    return [int8Value(outDims, out)];
  };
}

/** Quantize: float32 -> int8 with the output's scale and zero point (quantizeF32S8). */
export function prepareQuantize(node: Node, graph: Graph): Int8Kernel {
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const { scale, zeroPoint } = scaleZeroOf(y);
  const outDims = dimsOf(y);
  return ([v]) => {
    const x = v!.data as Float32Array;
    const out = new Int8Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = quantizeF32S8(x[i]!, scale, zeroPoint);
    return [int8Value(outDims, out)];
  };
}

/** Dequantize: int8 -> float32 with the input's scale and zero point (dequantizeS8F32). */
export function prepareDequantize(node: Node, graph: Graph): Int8Kernel {
  const { scale, zeroPoint } = scaleZeroOf(tensorOfNode(graph, node, node.inputs[0]!));
  const outDims = dimsOf(tensorOfNode(graph, node, node.outputs[0]!));
  return ([v]) => {
    const q = v!.data as Int8Array;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = dequantizeS8F32(q[i]!, scale, zeroPoint);
    return [{ shape: [...outDims], dtype: 'float32', data: out }];
  };
}
