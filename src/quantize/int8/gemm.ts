// int8 reference of QGemm (src/ir/int8.ts): rows of K offset int8 values (every leading dimension of X is a row)
// against [N, K] per-channel weights, through the packed multiply of packed-gemm.ts (an int16 X: wide.ts).

import type { Graph, Node } from '../../ir/graph.js';
import {
  activationArray,
  activationValue,
  constantInts,
  countOf,
  dimsOf,
  outputStageOf,
  requantizeChannel,
  shiftInput,
  tensorOfNode,
  zeroPointOf,
  type Int8Kernel,
} from './kernel.js';
import { multiplyPacked, packWeights } from './packed-gemm.js';
import { prepareGemmS16 } from './wide.js';

export function prepareGemm(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  if (x.dtype === 'int16') return prepareGemmS16(node, graph);
  const [n, k] = dimsOf(tensorOfNode(graph, node, node.inputs[1]!)) as [number, number];
  const rows = (countOf(dimsOf(x)) / k) | 0;
  const packed = packWeights(constantInts(graph, node, 1), 0, n, k);
  const bias = constantInts(graph, node, 2, n);
  const stage = outputStageOf(graph, node, n);
  const zpX = zeroPointOf(x);
  const outDims = dimsOf(y);
  const shifted = new Int32Array(rows * k);
  const acc = new Int32Array(rows * n);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    shiftInput(xs, 0, zpX, shifted);
    // acc[j * rows + r]: weight row j against input row r; the output is [rows, n].
    multiplyPacked(packed, shifted, rows, acc);
    const out = activationArray(y, rows * n);
    for (let j = 0; j < n; j++) requantizeChannel(stage, j, bias[j]!, acc, j * rows, rows, out, j, n);
    return [activationValue(outDims, out)];
  };
}
