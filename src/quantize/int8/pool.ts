// int8 reference of QAveragePool and QSoftmax (src/ir/int8.ts).

import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { intAttr, intsAttr } from '../../ir/int8.js';
import { clampS32, clampS8, roundingDivideS32 } from '../fixedpoint.js';
import { int8Value, tensorOfNode, window2d, zeroPointOf, type Int8Kernel } from './kernel.js';

export function prepareAveragePool(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const g = window2d(node, x.shape.slice(2), y.shape.slice(2));
  const includePad = intAttr(node, 'count_include_pad') !== 0;
  const [actMin, actMax] = [intAttr(node, 'act_min'), intAttr(node, 'act_max')];
  const zpX = zeroPointOf(x);
  const planes = x.shape[0]! * x.shape[1]!;
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    let at = 0;
    for (let p = 0; p < planes; p++) {
      const base = p * g.inH * g.inW;
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < g.kH; ky++) {
            const iy = oy * g.sH - g.padTop + ky;
            for (let kx = 0; kx < g.kW; kx++) {
              const ix = ox * g.sW - g.padLeft + kx;
              if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW) {
                sum += xs[base + iy * g.inW + ix]!;
                count++;
              } else if (includePad && iy >= -g.padTop && iy < g.inH + g.padBottom && ix >= -g.padLeft && ix < g.inW + g.padRight) {
                sum += zpX; // real zero
                count++;
              }
            }
          }
          out[at++] = clampS32(roundingDivideS32(sum, count), actMin, actMax);
        }
      }
    }
    return [int8Value(y.shape, out)];
  };
}

export function prepareSoftmax(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const table = Int32Array.from(intsAttr(node, 'table'));
  const axisAttr = node.attrs['axis'];
  const axis = typeof axisAttr === 'number' ? (axisAttr < 0 ? axisAttr + x.shape.length : axisAttr) : x.shape.length - 1;
  const row = x.shape[axis] ?? 1;
  return ([v]) => {
    const xs = v!.data as Int8Array;
    const out = new Int8Array(xs.length);
    for (let r = 0; r < xs.length; r += row) {
      let max = -128;
      for (let i = 0; i < row; i++) if (xs[r + i]! > max) max = xs[r + i]!;
      let sum = 0;
      for (let i = 0; i < row; i++) sum += table[max - xs[r + i]!]!;
      const half = Math.floor(sum / 2);
      for (let i = 0; i < row; i++) out[r + i] = clampS8(Math.floor((table[max - xs[r + i]!]! * 256 + half) / sum) - 128);
    }
    return [int8Value(y.shape, out)];
  };
}
