// Multiply-accumulates of one node, float32 or int8 dialect: the one count the build report, model.c's comments,
// `eennc inspect` and the cost models use. Each operator states its own count (OpDef.macs); an int8 operator
// counts as its float counterpart.

import { sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { INT8_DOMAIN, type Int8Op } from '../ir/int8.js';
import { lookupOp } from './registry.js';
import type { InputInfo, OpDef, OutputInfo } from './types.js';

/** The float operator whose count an int8 operator shares. */
const MAC_COUNTERPARTS: Partial<Record<Int8Op, string>> = {
  QConv: 'Conv',
  QConvTranspose: 'ConvTranspose',
  QAdd: 'Add',
  QMul: 'Mul',
  QAveragePool: 'AveragePool',
  QSoftmax: 'Softmax',
};

/** `def`'s count for `node` given its inputs' and outputs' shapes; 0 when it has none or the shapes do not fit. */
export function macsOf(def: OpDef | undefined, node: Node, inputs: (InputInfo | undefined)[], outputs: OutputInfo[]): number {
  if (!def?.macs) return 0;
  try {
    return def.macs(node, inputs, outputs);
  } catch {
    return 0;
  }
}

/** Multiply-accumulates of one node of a float32 or int8 graph (QGemm: rows * K * N). */
export function nodeMacs(graph: Graph, node: Node): number {
  const info = (name: string) => (name === '' ? undefined : graph.tensors.get(name));
  const outputs = node.outputs.map(info).filter((t): t is Tensor => t !== undefined);
  if (node.domain !== INT8_DOMAIN) return macsOf(lookupOp(node.op, node.domain), node, node.inputs.map(info), outputs);
  if (node.op === 'QGemm') {
    const w = info(node.inputs[1] ?? '');
    return w && outputs[0] ? sizeOf(outputs[0].shape) * (w.shape[1] ?? 0) : 0;
  }
  const counterpart = MAC_COUNTERPARTS[node.op as Int8Op];
  return counterpart ? macsOf(lookupOp(counterpart), node, node.inputs.map(info), outputs) : 0;
}
