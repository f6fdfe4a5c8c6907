// int8 reference of QRequantize (src/ir/int8.ts): int8 or int16 in, int8 or int16 out,
// y = clamp(requantize(x - zpX, multiplier, shift) + zpY, act_min, act_max).

import type { Graph, Node } from '../../ir/graph.js';
import { clampS32, requantize } from '../fixedpoint.js';
import { activationArray, activationValue, dimsOf, intOf, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

/** The kernel of one QRequantize node. */
export function prepareRequantize(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const zpX = zeroPointOf(x);
  const zpY = zeroPointOf(y);
  const multiplier = intOf(node, 'multiplier');
  const shift = intOf(node, 'shift');
  const actMin = intOf(node, 'act_min');
  const actMax = intOf(node, 'act_max');
  const outDims = dimsOf(y);
  return ([input]) => {
    const xs = input!.data as Int8Array | Int16Array;
    const out = activationArray(y, xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = clampS32((requantize(xs[i]! - zpX, multiplier, shift) + zpY) | 0, actMin, actMax);
    return [activationValue(outDims, out)];
  };
}
