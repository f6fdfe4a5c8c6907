// int16-input reference of QConv and QGemm (src/ir/int8.ts, "int16 activations"): int16 x int8 products summed
// with the int64 bias in 64-bit accumulators, then arm_nn_requantize_s64 (requantizeS64) to an int16 or int8 output.
//
// Exactness: each product is below 2^22 in magnitude and the bias an exact integer, so a double sums them exactly
// while the accumulator stays below 2^53 (2^31 products at the least): the C kernels' int64 accumulators, unwrapped.

import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { requantizeS64 } from '../fixedpoint.js';
import {
  activationArray,
  activationValue,
  countOf,
  dimsOf,
  intOf,
  outputRanges,
  outputStageOf,
  tensorOfNode,
  window2d,
  type Int8Kernel,
  type OutputStage,
} from './kernel.js';

/** A constant input's exact integer values as doubles (the int64 bias, the int8 weights), or zeros of `length`. */
function constantWide(graph: Graph, node: Node, index: number, length: number): Float64Array {
  const name = node.inputs[index];
  if (!name) return new Float64Array(length);
  const t = tensorOfNode(graph, node, name);
  if (!t.data) throw new Error(`internal: int8 node "${node.name}" (${node.op}) needs constant input ${index}`);
  return Float64Array.from(t.data as ArrayLike<number>);
}

/** The output stage of one 64-bit accumulator of channel `m`: requantizeS64, zero point, clamp. */
function outputS64(stage: OutputStage, m: number, acc: number): number {
  const y = requantizeS64(acc, stage.multipliers[m]!, stage.shifts[m]!) + stage.zeroPoint;
  const low = y > stage.actMin ? y : stage.actMin;
  return low < stage.actMax ? low : stage.actMax;
}

/** The output of node `node`: its tensor, for the element type. */
function outputTensor(graph: Graph, node: Node): Tensor {
  return tensorOfNode(graph, node, node.outputs[0]!);
}

/**
 * QConv with an int16 input (any group, 1-D or 2-D): acc = B[m] + sum over in-bounds taps x * w, one output plane
 * at a time, tap by tap over the output rows and columns that tap reads in bounds (int8/conv.ts's direct kernel).
 */
export function prepareConvS16(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = outputTensor(graph, node);
  const g = window2d(node, x, y);
  const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = g;
  const group = intOf(node, 'group');
  const [batch, inC] = dimsOf(x) as [number, number];
  const outC = dimsOf(tensorOfNode(graph, node, node.inputs[1]!))[0]!;
  const gIn = (inC / group) | 0;
  const gOut = (outC / group) | 0;
  const weights = constantWide(graph, node, 1, 0);
  const bias = constantWide(graph, node, 2, outC);
  const stage = outputStageOf(graph, node, outC);
  const outDims = dimsOf(y);
  const depth = gIn * kH * kW;
  const tapRows = outputRanges(outH, sH, padTop, kH, dH, inH);
  const tapColumns = outputRanges(outW, sW, padLeft, kW, dW, inW);
  const outPlane = outH * outW;
  const acc = new Float64Array(outPlane);
  return ([input]) => {
    const xs = input!.data as Int16Array;
    const out = activationArray(y, countOf(outDims));
    for (let b = 0; b < batch; b++) {
      for (let m = 0; m < outC; m++) {
        const firstChannel = ((m / gOut) | 0) * gIn;
        acc.fill(bias[m]!);
        for (let c = 0; c < gIn; c++) {
          const plane = (b * inC + firstChannel + c) * inH * inW;
          for (let ky = 0; ky < kH; ky++) {
            const oy0 = tapRows[2 * ky]!;
            const oy1 = tapRows[2 * ky + 1]!;
            for (let kx = 0; kx < kW; kx++) {
              const wv = weights[m * depth + (c * kH + ky) * kW + kx]!;
              if (wv === 0) continue;
              const ox0 = tapColumns[2 * kx]!;
              const ox1 = tapColumns[2 * kx + 1]!;
              for (let oy = oy0; oy < oy1; oy++) {
                const src = plane + (oy * sH - padTop + ky * dH) * inW - padLeft + kx * dW;
                const dst = oy * outW;
                for (let ox = ox0, at = src + ox0 * sW; ox < ox1; ox++, at += sW) acc[dst + ox]! += xs[at]! * wv;
              }
            }
          }
        }
        const base = (b * outC + m) * outPlane;
        for (let p = 0; p < outPlane; p++) out[base + p] = outputS64(stage, m, acc[p]!);
      }
    }
    return [activationValue(outDims, out)];
  };
}

/** QGemm with an int16 input: each row of K values against the [N, K] weights. */
export function prepareGemmS16(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = outputTensor(graph, node);
  const [n, k] = dimsOf(tensorOfNode(graph, node, node.inputs[1]!)) as [number, number];
  const rows = (countOf(dimsOf(x)) / k) | 0;
  const weights = constantWide(graph, node, 1, 0);
  const bias = constantWide(graph, node, 2, n);
  const stage = outputStageOf(graph, node, n);
  const outDims = dimsOf(y);
  return ([input]) => {
    const xs = input!.data as Int16Array;
    const out = activationArray(y, rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let acc = bias[j]!;
        for (let i = 0; i < k; i++) acc += xs[r * k + i]! * weights[j * k + i]!;
        out[r * n + j] = outputS64(stage, j, acc);
      }
    }
    return [activationValue(outDims, out)];
  };
}
