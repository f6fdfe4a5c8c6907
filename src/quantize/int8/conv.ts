// int8 reference of QConv and QConvTranspose (src/ir/int8.ts): int32 accumulators, per-channel requantization.
// QConv accumulates one output plane at a time, one (input channel, tap) pair after another over the output
// positions whose input is in bounds, so the inner loop is a plain multiply-add over a row.

import { sizeOf, type Graph, type Node } from '../../ir/graph.js';
import { intAttr } from '../../ir/int8.js';
import {
  applyStage, constantInts, int8Value, outputStageOf, tensorOfNode, window2d, zeroPointOf, type Int8Kernel,
} from './kernel.js';

/** The output positions [first, last) along one axis whose tap `k` reads inside the input. */
function validRange(out: number, stride: number, pad: number, tapOffset: number, input: number): [number, number] {
  // in = o * stride - pad + tapOffset must lie in [0, input)
  const first = Math.max(0, Math.ceil((pad - tapOffset) / stride));
  const last = Math.min(out, Math.floor((input - 1 + pad - tapOffset) / stride) + 1);
  return [first, Math.max(first, last)];
}

export function prepareConv(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const w = tensorOfNode(graph, node, node.inputs[1]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const g = window2d(node, x.shape.slice(2), y.shape.slice(2));
  const group = intAttr(node, 'group');
  const [batch, inC] = x.shape as [number, number];
  const outC = w.shape[0]!;
  const gIn = inC / group;
  const gOut = outC / group;
  const weights = constantInts(graph, node, 1);
  const bias = constantInts(graph, node, 2, outC);
  const stage = outputStageOf(graph, node);
  const zpX = zeroPointOf(x);
  const inPlane = g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  // Per tap: the valid output rectangle and the input offset of its first position.
  const taps: { ky: number; kx: number; oy0: number; oy1: number; ox0: number; ox1: number }[] = [];
  for (let ky = 0; ky < g.kH; ky++) {
    const [oy0, oy1] = validRange(g.outH, g.sH, g.padTop, ky * g.dH, g.inH);
    for (let kx = 0; kx < g.kW; kx++) {
      const [ox0, ox1] = validRange(g.outW, g.sW, g.padLeft, kx * g.dW, g.inW);
      taps.push({ ky, kx, oy0, oy1, ox0, ox1 });
    }
  }
  const kSize = g.kH * g.kW;
  const acc = new Int32Array(outPlane);
  const shifted = new Int32Array(inC * inPlane);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    for (let b = 0; b < batch; b++) {
      const xBase = b * inC * inPlane;
      for (let i = 0; i < inC * inPlane; i++) shifted[i] = xs[xBase + i]! - zpX;
      for (let m = 0; m < outC; m++) {
        acc.fill(bias[m]!);
        const grp = Math.floor(m / gOut);
        for (let c = 0; c < gIn; c++) {
          const plane = (grp * gIn + c) * inPlane;
          const wBase = (m * gIn + c) * kSize;
          for (let t = 0; t < taps.length; t++) {
            const tap = taps[t]!;
            const wv = weights[wBase + tap.ky * g.kW + tap.kx]!;
            if (wv === 0) continue;
            for (let oy = tap.oy0; oy < tap.oy1; oy++) {
              const row = plane + (oy * g.sH - g.padTop + tap.ky * g.dH) * g.inW - g.padLeft + tap.kx * g.dW;
              const outRow = oy * g.outW;
              for (let ox = tap.ox0; ox < tap.ox1; ox++) acc[outRow + ox]! += shifted[row + ox * g.sW]! * wv;
            }
          }
        }
        const outBase = (b * outC + m) * outPlane;
        for (let p = 0; p < outPlane; p++) out[outBase + p] = applyStage(acc[p]!, stage, m);
      }
    }
    return [int8Value(y.shape, out)];
  };
}

export function prepareConvTranspose(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const w = tensorOfNode(graph, node, node.inputs[1]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const g = window2d(node, x.shape.slice(2), y.shape.slice(2));
  const group = intAttr(node, 'group');
  const [batch, inC] = x.shape as [number, number];
  const outC = y.shape[1]!;
  const gIn = inC / group;
  const gOut = outC / group;
  const weights = constantInts(graph, node, 1);
  const bias = constantInts(graph, node, 2, outC);
  const stage = outputStageOf(graph, node);
  const zpX = zeroPointOf(x);
  const outPlane = g.outH * g.outW;
  const kSize = g.kH * g.kW;
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = new Int8Array(sizeOf(y.shape));
    const acc = new Int32Array(outC * outPlane);
    for (let b = 0; b < batch; b++) {
      for (let m = 0; m < outC; m++) acc.fill(bias[m]!, m * outPlane, (m + 1) * outPlane);
      for (let c = 0; c < inC; c++) {
        const grp = Math.floor(c / gIn);
        for (let iy = 0; iy < g.inH; iy++) {
          for (let ix = 0; ix < g.inW; ix++) {
            const xv = xs[((b * inC + c) * g.inH + iy) * g.inW + ix]! - zpX;
            if (xv === 0) continue;
            for (let mm = 0; mm < gOut; mm++) {
              const m = grp * gOut + mm;
              const wBase = (c * gOut + mm) * kSize;
              for (let ky = 0; ky < g.kH; ky++) {
                const oy = iy * g.sH - g.padTop + ky * g.dH;
                if (oy < 0 || oy >= g.outH) continue;
                for (let kx = 0; kx < g.kW; kx++) {
                  const ox = ix * g.sW - g.padLeft + kx * g.dW;
                  if (ox < 0 || ox >= g.outW) continue;
                  acc[m * outPlane + oy * g.outW + ox]! += xv * weights[wBase + ky * g.kW + kx]!;
                }
              }
            }
          }
        }
      }
      for (let m = 0; m < outC; m++) {
        for (let p = 0; p < outPlane; p++) out[(b * outC + m) * outPlane + p] = applyStage(acc[m * outPlane + p]!, stage, m);
      }
    }
    return [int8Value(y.shape, out)];
  };
}
