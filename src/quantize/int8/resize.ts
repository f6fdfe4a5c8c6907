// int8 reference of QResize (src/ir/int8.ts): linear/cubic sampling with Q10 weights, then one requantization.

import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { intAttr, intsAttr, RESIZE_WEIGHT_BITS } from '../../ir/int8.js';
import { clampS8, requantize } from '../fixedpoint.js';
import { int8Value, tensorOfNode, zeroPointOf, type Int8Kernel } from './kernel.js';

/** The taps of one axis; an axis the node does not name (1-D: h) is one tap of weight 1 at the same position. */
function axisOf(node: Node, name: 'h' | 'w', out: number): { taps: number; index: Int32Array; weight: Int32Array } {
  if (node.attrs[`taps_${name}`] === undefined) {
    return { taps: 1, index: Int32Array.from({ length: out }, (_, o) => o), weight: new Int32Array(out).fill(1 << RESIZE_WEIGHT_BITS) };
  }
  return {
    taps: intAttr(node, `taps_${name}`),
    index: Int32Array.from(intsAttr(node, `index_${name}`)),
    weight: Int32Array.from(intsAttr(node, `weight_${name}`)),
  };
}

export function prepareResize(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const four = x.shape.length === 4;
  const [inH, inW] = four ? [x.shape[2]!, x.shape[3]!] : [1, x.shape[2]!];
  const [outH, outW] = four ? [y.shape[2]!, y.shape[3]!] : [1, y.shape[2]!];
  const h = axisOf(node, 'h', outH);
  const w = axisOf(node, 'w', outW);
  const planes = x.shape[0]! * x.shape[1]!;
  const zp = zeroPointOf(x);
  const zpY = zeroPointOf(y);
  const [multiplier, shift] = [intAttr(node, 'output_multiplier'), intAttr(node, 'output_shift')];
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    for (let p = 0; p < planes; p++) {
      const inBase = p * inH * inW;
      const outBase = p * outH * outW;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let acc = 0;
          for (let i = 0; i < h.taps; i++) {
            const wy = h.weight[oy * h.taps + i]!;
            const row = inBase + h.index[oy * h.taps + i]! * inW;
            for (let j = 0; j < w.taps; j++) {
              acc += wy * w.weight[ox * w.taps + j]! * (xs[row + w.index[ox * w.taps + j]!]! - zp);
            }
          }
          out[outBase + oy * outW + ox] = clampS8(requantize(acc | 0, multiplier, shift) + zpY);
        }
      }
    }
    return [int8Value(y.shape, out)];
  };
}
