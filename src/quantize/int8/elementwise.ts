// int8 reference of the elementwise operators of src/ir/int8.ts: QAdd (and Sub), QMul with numpy broadcasting,
// QLut, and the float boundary Quantize / Dequantize.

import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { intAttr, intsAttr, scaleZeroOf } from '../../ir/int8.js';
import { broadcastOffsets } from '../../ops/broadcast.js';
import { clampS32, dequantizeS8F32, quantizeF32S8, requantize } from '../fixedpoint.js';
import { int8Value, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

export function prepareAdd(node: Node, graph: Graph): Int8Kernel {
  const a = tensorOfNode(graph, node, node.inputs[0]!);
  const b = tensorOfNode(graph, node, node.inputs[1]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const offsetsA = broadcastOffsets(a.shape, y.shape);
  const offsetsB = broadcastOffsets(b.shape, y.shape);
  const [zpA, zpB, zpY] = [zeroPointOf(a), zeroPointOf(b), zeroPointOf(y)];
  const leftShift = intAttr(node, 'left_shift');
  const [m1, s1] = [intAttr(node, 'input1_multiplier'), intAttr(node, 'input1_shift')];
  const [m2, s2] = [intAttr(node, 'input2_multiplier'), intAttr(node, 'input2_shift')];
  const [mOut, sOut] = [intAttr(node, 'output_multiplier'), intAttr(node, 'output_shift')];
  const [actMin, actMax] = [intAttr(node, 'act_min'), intAttr(node, 'act_max')];
  const subtract = intAttr(node, 'subtract') !== 0;
  return ([va, vb]) => {
    const xa = va!.data as Int8Array;
    const xb = vb!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    for (let i = 0; i < out.length; i++) {
      const sa = requantize((xa[offsetsA[i]!]! - zpA) << leftShift, m1, s1);
      const sb = requantize((xb[offsetsB[i]!]! - zpB) << leftShift, m2, s2);
      const sum = subtract ? (sa - sb) | 0 : (sa + sb) | 0;
      out[i] = clampS32((requantize(sum, mOut, sOut) + zpY) | 0, actMin, actMax);
    }
    return [int8Value(y.shape, out)];
  };
}

export function prepareMul(node: Node, graph: Graph): Int8Kernel {
  const a = tensorOfNode(graph, node, node.inputs[0]!);
  const b = tensorOfNode(graph, node, node.inputs[1]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const offsetsA = broadcastOffsets(a.shape, y.shape);
  const offsetsB = broadcastOffsets(b.shape, y.shape);
  const [zpA, zpB, zpY] = [zeroPointOf(a), zeroPointOf(b), zeroPointOf(y)];
  const [mOut, sOut] = [intAttr(node, 'output_multiplier'), intAttr(node, 'output_shift')];
  const [actMin, actMax] = [intAttr(node, 'act_min'), intAttr(node, 'act_max')];
  return ([va, vb]) => {
    const xa = va!.data as Int8Array;
    const xb = vb!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    for (let i = 0; i < out.length; i++) {
      const product = Math.imul(xa[offsetsA[i]!]! - zpA, xb[offsetsB[i]!]! - zpB);
      out[i] = clampS32((requantize(product, mOut, sOut) + zpY) | 0, actMin, actMax);
    }
    return [int8Value(y.shape, out)];
  };
}

export function prepareLut(node: Node, graph: Graph): Int8Kernel {
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const table = Int8Array.from(intsAttr(node, 'table'));
  if (table.length !== 256) throw new Error(`internal: QLut "${node.name}" has a table of ${table.length} entries`);
  return ([v]) => {
    const x = v!.data as Int8Array;
    const out = new Int8Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = table[x[i]! + 128]!;
    return [int8Value(y.shape, out)];
  };
}

export function prepareQuantize(node: Node, graph: Graph): Int8Kernel {
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const { scale, zeroPoint } = scaleZeroOf(y);
  return ([v]) => {
    const x = v!.data as Float32Array;
    const out = new Int8Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = quantizeF32S8(x[i]!, scale, zeroPoint);
    return [int8Value(y.shape, out)];
  };
}

export function prepareDequantize(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const { scale, zeroPoint } = scaleZeroOf(x);
  return ([v]) => {
    const q = v!.data as Int8Array;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = dequantizeS8F32(q[i]!, scale, zeroPoint);
    return [{ shape: [...y.shape], dtype: 'float32', data: out }];
  };
}
