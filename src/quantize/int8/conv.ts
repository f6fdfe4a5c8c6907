// int8 reference of QConv and QConvTranspose (src/ir/int8.ts): int32 accumulators, per-channel requantization.
// QConv gathers the offset input patches of a band of output rows (padded taps hold 0, so they add nothing) and
// multiplies them with each group's packed weights (packed-gemm.ts); groups of fewer than 4 output channels
// (depthwise) accumulate directly, tap by tap over the output rows. QConvTranspose scatters each input value.

import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { prepareConvS16 } from './wide.js';
import {
  activationArray,
  activationValue,
  constantInts,
  dimsOf,
  int8Value,
  intOf,
  outputRanges,
  outputStageOf,
  requantizeChannel,
  shiftInput,
  tapRanges,
  tensorOfNode,
  window2d,
  zeroPointOf,
  type Int8Kernel,
  type OutputStage,
} from './kernel.js';
import type { Window2d } from '../../ops/spatial.js';
import { multiplyPacked, packWeights, type PackedWeights } from './packed-gemm.js';

/** Most patch values gathered at once: bounds the scratch memory of large convolutions. */
const PATCH_BUDGET = 1 << 20;

/**
 * Writes the patches of output rows [oy0, oy1) of one group into `patches`: one row of `depth` values per output
 * position, in the weights' order (channel, kernel row, kernel column), read from `shifted` (x - zpX of one batch
 * item). Each tap copies the in-bounds run of an output row (a strided column of the patch matrix); the rest is 0.
 */
function gatherPatches(
  shifted: Int32Array,
  firstChannel: number,
  channels: number,
  g: Window2d,
  rowTaps: Int32Array,
  tapColumns: Int32Array,
  oy0: number,
  oy1: number,
  patches: Int32Array,
): void {
  const { inH, inW, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = g;
  const depth = channels * kH * kW;
  patches.fill(0, 0, (oy1 - oy0) * outW * depth);
  for (let oy = oy0; oy < oy1; oy++) {
    const ky0 = rowTaps[2 * oy]!;
    const ky1 = rowTaps[2 * oy + 1]!;
    const rowPatch = (oy - oy0) * outW * depth;
    for (let c = 0; c < channels; c++) {
      const plane = (firstChannel + c) * inH * inW;
      for (let ky = ky0; ky < ky1; ky++) {
        const row = plane + (oy * sH - padTop + ky * dH) * inW - padLeft;
        for (let kx = 0; kx < kW; kx++) {
          const ox0 = tapColumns[2 * kx]!;
          const ox1 = tapColumns[2 * kx + 1]!;
          let at = rowPatch + ox0 * depth + (c * kH + ky) * kW + kx;
          for (let ox = ox0, src = row + ox0 * sW + kx * dW; ox < ox1; ox++, src += sW, at += depth) patches[at] = shifted[src]!;
        }
      }
    }
  }
}

/**
 * acc[accAt + p] for every output position p of the plane: one output channel (weights from `wBase`, `channels`
 * input channels from `firstChannel`), one tap at a time over the output rows and columns that tap reads in bounds.
 */
function accumulateDirect(
  shifted: Int32Array,
  firstChannel: number,
  channels: number,
  g: Window2d,
  tapRows: Int32Array,
  tapColumns: Int32Array,
  weights: Int32Array,
  wBase: number,
  acc: Int32Array,
  accAt: number,
): void {
  const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = g;
  acc.fill(0, accAt, accAt + outH * outW);
  for (let c = 0; c < channels; c++) {
    const plane = (firstChannel + c) * inH * inW;
    for (let ky = 0; ky < kH; ky++) {
      const oy0 = tapRows[2 * ky]!;
      const oy1 = tapRows[2 * ky + 1]!;
      for (let kx = 0; kx < kW; kx++) {
        const wv = weights[wBase + (c * kH + ky) * kW + kx]!;
        if (wv === 0) continue;
        const ox0 = tapColumns[2 * kx]!;
        const ox1 = tapColumns[2 * kx + 1]!;
        for (let oy = oy0; oy < oy1; oy++) {
          const src = plane + (oy * sH - padTop + ky * dH) * inW - padLeft + kx * dW;
          const dst = accAt + oy * outW;
          for (let ox = ox0, at = src + ox0 * sW; ox < ox1; ox++, at += sW) acc[dst + ox]! += shifted[at]! * wv;
        }
      }
    }
  }
}

/** What both QConv kernels need, read once from the node. */
interface ConvSetup {
  g: Window2d;
  batch: number;
  inC: number;
  outC: number;
  group: number;
  gIn: number;
  gOut: number;
  /** Weights per output channel: gIn * kH * kW. */
  depth: number;
  weights: Int32Array;
  bias: Int32Array;
  stage: OutputStage;
  zpX: number;
  outDims: number[];
  /** The output tensor (int8, or int16: QConv with an int16 output). */
  y: Tensor;
}

export function prepareConv(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  if (x.dtype === 'int16') return prepareConvS16(node, graph);
  const g = window2d(node, x, y);
  const group = intOf(node, 'group');
  const [batch, inC] = dimsOf(x) as [number, number];
  const outC = dimsOf(tensorOfNode(graph, node, node.inputs[1]!))[0]!;
  const gIn = (inC / group) | 0;
  const gOut = (outC / group) | 0;
  const setup: ConvSetup = {
    g,
    batch,
    inC,
    outC,
    group,
    gIn,
    gOut,
    depth: gIn * g.kH * g.kW,
    weights: constantInts(graph, node, 1),
    bias: constantInts(graph, node, 2, outC),
    stage: outputStageOf(graph, node, outC),
    zpX: zeroPointOf(x),
    outDims: dimsOf(y),
    y,
  };
  // Groups of 4 output channels or more multiply gathered patches; smaller ones (depthwise) accumulate directly.
  // Two closures, so that the JIT specializes each on its own.
  return gOut >= 4 ? packedConvKernel(setup) : directConvKernel(setup);
}

function packedConvKernel(setup: ConvSetup): Int8Kernel {
  const { g, batch, inC, outC, group, gIn, gOut, depth, bias, stage, zpX, outDims, y } = setup;
  const packed: PackedWeights[] = [];
  for (let grp = 0; grp < group; grp++) packed.push(packWeights(setup.weights, grp * gOut * depth, gOut, depth));
  const rowTaps = tapRanges(g.outH, g.sH, g.padTop, g.kH, g.dH, 0, g.inH);
  const tapColumns = outputRanges(g.outW, g.sW, g.padLeft, g.kW, g.dW, g.inW);
  const inSize = inC * g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  const bandRows = Math.max(1, Math.min(g.outH, Math.floor(PATCH_BUDGET / Math.max(1, g.outW * depth))));
  const shifted = new Int32Array(inSize);
  const patches = new Int32Array(bandRows * g.outW * depth);
  const acc = new Int32Array(gOut * bandRows * g.outW);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = activationArray(y, batch * outC * outPlane);
    for (let b = 0; b < batch; b++) {
      shiftInput(xs, b * inSize, zpX, shifted);
      for (let oy0 = 0; oy0 < g.outH; oy0 += bandRows) {
        const oy1 = Math.min(g.outH, oy0 + bandRows);
        const count = (oy1 - oy0) * g.outW;
        for (let grp = 0; grp < group; grp++) {
          gatherPatches(shifted, grp * gIn, gIn, g, rowTaps, tapColumns, oy0, oy1, patches);
          multiplyPacked(packed[grp]!, patches, count, acc);
          for (let mm = 0; mm < gOut; mm++) {
            const m = grp * gOut + mm;
            requantizeChannel(stage, m, bias[m]!, acc, mm * count, count, out, (b * outC + m) * outPlane + oy0 * g.outW, 1);
          }
        }
      }
    }
    return [activationValue(outDims, out)];
  };
}

function directConvKernel(setup: ConvSetup): Int8Kernel {
  const { g, batch, inC, outC, gIn, gOut, depth, weights, bias, stage, zpX, outDims, y } = setup;
  const tapRows = outputRanges(g.outH, g.sH, g.padTop, g.kH, g.dH, g.inH);
  const tapColumns = outputRanges(g.outW, g.sW, g.padLeft, g.kW, g.dW, g.inW);
  const inSize = inC * g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  const shifted = new Int32Array(inSize);
  const acc = new Int32Array(outPlane);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = activationArray(y, batch * outC * outPlane);
    for (let b = 0; b < batch; b++) {
      shiftInput(xs, b * inSize, zpX, shifted);
      for (let m = 0; m < outC; m++) {
        const firstChannel = ((m / gOut) | 0) * gIn;
        accumulateDirect(shifted, firstChannel, gIn, g, tapRows, tapColumns, weights, m * depth, acc, 0);
        requantizeChannel(stage, m, bias[m]!, acc, 0, outPlane, out, (b * outC + m) * outPlane, 1);
      }
    }
    return [activationValue(outDims, out)];
  };
}

export function prepareConvTranspose(node: Node, graph: Graph): Int8Kernel {
  const x = tensorOfNode(graph, node, node.inputs[0]!);
  const y = tensorOfNode(graph, node, node.outputs[0]!);
  const g = window2d(node, x, y);
  const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = g;
  const group = intOf(node, 'group');
  const [batch, inC] = dimsOf(x) as [number, number];
  const outDims = dimsOf(y);
  const outC = outDims[1]!;
  const gIn = (inC / group) | 0;
  const gOut = (outC / group) | 0;
  const weights = constantInts(graph, node, 1);
  const bias = constantInts(graph, node, 2, outC);
  const stage = outputStageOf(graph, node, outC);
  const zpX = zeroPointOf(x);
  const outPlane = outH * outW;
  const kSize = kH * kW;
  const acc = new Int32Array(outC * outPlane);
  return ([input]) => {
    const xs = input!.data as Int8Array;
    const out = new Int8Array(batch * outC * outPlane);
    for (let b = 0; b < batch; b++) {
      acc.fill(0);
      for (let c = 0; c < inC; c++) {
        const grp = (c / gIn) | 0;
        const plane = (b * inC + c) * inH * inW;
        for (let iy = 0; iy < inH; iy++) {
          for (let ix = 0; ix < inW; ix++) {
            const xv = xs[plane + iy * inW + ix]! - zpX;
            if (xv === 0) continue;
            for (let mm = 0; mm < gOut; mm++) {
              const outBase = (grp * gOut + mm) * outPlane;
              const wBase = (c * gOut + mm) * kSize;
              for (let ky = 0; ky < kH; ky++) {
                const oy = iy * sH - padTop + ky * dH;
                if (oy < 0 || oy >= outH) continue;
                for (let kx = 0; kx < kW; kx++) {
                  const ox = ix * sW - padLeft + kx * dW;
                  if (ox >= 0 && ox < outW) acc[outBase + oy * outW + ox]! += xv * weights[wBase + ky * kW + kx]!;
                }
              }
            }
          }
        }
      }
      for (let m = 0; m < outC; m++) requantizeChannel(stage, m, bias[m]!, acc, m * outPlane, outPlane, out, (b * outC + m) * outPlane, 1);
    }
    return [int8Value(outDims, out)];
  };
}
