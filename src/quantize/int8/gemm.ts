// int8 reference of QGemm (src/ir/int8.ts): rows of K int8 values against [N, K] per-channel weights.

import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { applyStage, constantInts, int8Value, outputStageOf, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

export function prepareGemm(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const w = tensorOfNode(graph, node, node.inputs[1]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const [n, k] = w.shape as [number, number];
  const rows = sizeOf(x.shape) / k;
  const weights = constantInts(graph, node, 1);
  const bias = constantInts(graph, node, 2, n);
  const stage = outputStageOf(graph, node);
  const zpX = zeroPointOf(x);
  const row = new Int32Array(k);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < k; i++) row[i] = xs[r * k + i]! - zpX;
      for (let j = 0; j < n; j++) {
        let acc = bias[j]!;
        const base = j * k;
        for (let i = 0; i < k; i++) acc += row[i]! * weights[base + i]!;
        out[r * n + j] = applyStage(acc, stage, j);
      }
    }
    return [int8Value(y.shape, out)];
  };
}
