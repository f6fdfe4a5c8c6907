// A second, deliberately plain int8 interpreter, written straight from the formulas of src/ir/int8.ts (one loop
// nest per operator, no precomputation), to cross-check the optimized reference of src/quantize/int8-reference.ts.
// Passthrough operators run through their float reference on the int8 values (they only move values).

import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import { sizeOf, stridesOf } from '../../src/ir/graph.js';
import { INT8_DOMAIN, intAttr, intsAttr } from '../../src/ir/int8.js';
import { convTransposeWindow } from '../../src/ops/conv.js';
import { lookupOp } from '../../src/ops/registry.js';
import { forwardWindow } from '../../src/ops/spatial.js';
import type { Value } from '../../src/ops/types.js';
import {
  addS8,
  clampS32,
  clampS8,
  dequantizeS8F32,
  mulS8,
  quantizeF32S8,
  requantizeS8,
  roundingDivideS32,
  requantize,
} from '../../src/quantize/fixedpoint.js';

const zp = (t: Tensor) => t.quant!.zeroPoint[0]!;

/** [height, width] of a 2-D window's sizes, or [lead, width] of a 1-D one. */
const heightWidth = (two: boolean, sizes: readonly number[], lead: number): [number, number] => (two ? [sizes[0]!, sizes[1]!] : [lead, sizes[0]!]);

/** Every tensor's value after running the graph on `inputs`. */
export function expectedInt8(graph: Graph, inputs: Record<string, Value>): Map<string, Value> {
  const env = new Map<string, Value>();
  for (const [name, t] of graph.tensors) if (t.data) env.set(name, { shape: t.shape, dtype: t.dtype, data: t.data });
  for (const [name, v] of Object.entries(inputs)) env.set(name, v);
  for (const node of graph.nodes) {
    const outs = node.domain === INT8_DOMAIN ? [int8Op(graph, node, env)] : passthrough(graph, node, env);
    node.outputs.forEach((o, i) => {
      if (o !== '') env.set(o, outs[i]!);
    });
  }
  return env;
}

function passthrough(graph: Graph, node: Node, env: Map<string, Value>): Value[] {
  const args = node.inputs.map((n) => {
    if (n === '') return undefined;
    const v = env.get(n)!;
    return v.dtype === 'int8' ? { shape: v.shape, dtype: 'float32' as const, data: Float32Array.from(v.data as Int8Array) } : v;
  });
  return lookupOp(node.op)!
    .evaluate(node, args, graph.opset)
    .map((v, i) => {
      const t = graph.tensors.get(node.outputs[i]!);
      return t?.dtype === 'int8' ? { shape: v.shape, dtype: 'int8', data: Int8Array.from(v.data as ArrayLike<number>) } : v;
    });
}

function int8Op(graph: Graph, node: Node, env: Map<string, Value>): Value {
  const t = (i: number) => graph.tensors.get(node.inputs[i]!)!;
  const v = (i: number) => env.get(node.inputs[i]!)!.data as ArrayLike<number>;
  const out = graph.tensors.get(node.outputs[0]!)!;
  const y = new Int8Array(sizeOf(out.shape));
  const result: Value = { shape: out.shape, dtype: 'int8', data: y };
  const stage = (acc: number, c: number) =>
    requantizeS8(acc, intsAttr(node, 'multiplier')[c]!, intsAttr(node, 'shift')[c]!, zp(out), intAttr(node, 'act_min'), intAttr(node, 'act_max'));
  switch (node.op) {
    case 'QConv': {
      const [x, w] = [t(0), t(1)];
      const g = forwardWindow(node, x.shape.slice(2), w.shape.slice(2));
      const two = g.kernel.length === 2;
      const [inH, inW] = heightWidth(two, g.inputSize, 1);
      const [outH, outW] = heightWidth(two, g.outputSize, 1);
      const [kH, kW] = heightWidth(two, g.kernel, 1);
      const [sH, sW] = heightWidth(two, g.strides, 1);
      const [dH, dW] = heightWidth(two, g.dilations, 1);
      const [pT, pL] = heightWidth(two, g.padsBegin, 0);
      const group = intAttr(node, 'group');
      const [n, inC] = x.shape as [number, number];
      const outC = w.shape[0]!;
      const gIn = inC / group;
      const gOut = outC / group;
      let at = 0;
      for (let b = 0; b < n; b++)
        for (let m = 0; m < outC; m++)
          for (let oy = 0; oy < outH; oy++)
            for (let ox = 0; ox < outW; ox++) {
              let acc = node.inputs[2] ? v(2)[m]! : 0;
              const grp = Math.floor(m / gOut);
              for (let c = 0; c < gIn; c++)
                for (let ky = 0; ky < kH; ky++)
                  for (let kx = 0; kx < kW; kx++) {
                    const iy = oy * sH - pT + ky * dH;
                    const ix = ox * sW - pL + kx * dW;
                    if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                    const xv = v(0)[((b * inC + grp * gIn + c) * inH + iy) * inW + ix]!;
                    acc += (xv - zp(x)) * v(1)[((m * gIn + c) * kH + ky) * kW + kx]!;
                  }
              y[at++] = stage(acc, m);
            }
      return result;
    }
    case 'QConvTranspose': {
      const [x, w] = [t(0), t(1)];
      const g = convTransposeWindow(node, x, w);
      const two = g.kernel.length === 2;
      const [inH, inW] = heightWidth(two, g.inputSize, 1);
      const [outH, outW] = [out.shape.length === 4 ? out.shape[2]! : 1, out.shape[out.shape.length - 1]!];
      const [kH, kW] = heightWidth(two, g.kernel, 1);
      const [sH, sW] = heightWidth(two, g.strides, 1);
      const [dH, dW] = heightWidth(two, g.dilations, 1);
      const [pT, pL] = heightWidth(two, g.padsBegin, 0);
      const [n, inC] = x.shape as [number, number];
      const outC = out.shape[1]!;
      const acc = new Float64Array(n * outC * outH * outW);
      for (let b = 0; b < n; b++)
        for (let m = 0; m < outC; m++) acc.fill(node.inputs[2] ? v(2)[m]! : 0, (b * outC + m) * outH * outW, (b * outC + m + 1) * outH * outW);
      // W is [inC, outC / group, k...]: input channel c of group g feeds output channels g * outC / group + j.
      const group = intAttr(node, 'group');
      const [gIn, gOut] = [inC / group, outC / group];
      for (let b = 0; b < n; b++)
        for (let c = 0; c < inC; c++)
          for (let iy = 0; iy < inH; iy++)
            for (let ix = 0; ix < inW; ix++) {
              const xv = v(0)[((b * inC + c) * inH + iy) * inW + ix]! - zp(x);
              for (let j = 0; j < gOut; j++)
                for (let ky = 0; ky < kH; ky++)
                  for (let kx = 0; kx < kW; kx++) {
                    const m = Math.floor(c / gIn) * gOut + j;
                    const oy = iy * sH - pT + ky * dH;
                    const ox = ix * sW - pL + kx * dW;
                    if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                    acc[((b * outC + m) * outH + oy) * outW + ox]! += xv * v(1)[((c * gOut + j) * kH + ky) * kW + kx]!;
                  }
            }
      for (let i = 0; i < acc.length; i++) y[i] = stage(acc[i]!, Math.floor(i / (outH * outW)) % outC);
      return result;
    }
    case 'QGemm': {
      const [x, w] = [t(0), t(1)];
      const [nOut, k] = w.shape as [number, number];
      const rows = sizeOf(x.shape) / k;
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < nOut; j++) {
          let acc = node.inputs[2] ? v(2)[j]! : 0;
          for (let p = 0; p < k; p++) acc += (v(0)[r * k + p]! - zp(x)) * v(1)[j * k + p]!;
          y[r * nOut + j] = stage(acc, j);
        }
      return result;
    }
    case 'QMul': {
      const [a, b] = [t(0), t(1)];
      const p = {
        input1Offset: -zp(a),
        input2Offset: -zp(b),
        outputOffset: zp(out),
        outputMultiplier: intAttr(node, 'output_multiplier'),
        outputShift: intAttr(node, 'output_shift'),
        actMin: intAttr(node, 'act_min'),
        actMax: intAttr(node, 'act_max'),
      };
      const [ia, ib] = [broadcastIndex(a.shape, out.shape), broadcastIndex(b.shape, out.shape)];
      for (let i = 0; i < y.length; i++) y[i] = mulS8(v(0)[ia[i]!]!, v(1)[ib[i]!]!, p);
      return result;
    }
    case 'QAdd': {
      const [a, b] = [t(0), t(1)];
      const p = {
        input1Offset: -zp(a),
        input1Multiplier: intAttr(node, 'input1_multiplier'),
        input1Shift: intAttr(node, 'input1_shift'),
        input2Offset: -zp(b),
        input2Multiplier: intAttr(node, 'input2_multiplier'),
        input2Shift: intAttr(node, 'input2_shift'),
        leftShift: intAttr(node, 'left_shift'),
        outputOffset: zp(out),
        outputMultiplier: intAttr(node, 'output_multiplier'),
        outputShift: intAttr(node, 'output_shift'),
        actMin: intAttr(node, 'act_min'),
        actMax: intAttr(node, 'act_max'),
      };
      const [ia, ib] = [broadcastIndex(a.shape, out.shape), broadcastIndex(b.shape, out.shape)];
      for (let i = 0; i < y.length; i++) {
        const [va, vb] = [v(0)[ia[i]!]!, v(1)[ib[i]!]!];
        if (intAttr(node, 'subtract') === 0) {
          y[i] = addS8(va, vb, p);
        } else {
          const a2 = requantize((va - zp(a)) << p.leftShift, p.input1Multiplier, p.input1Shift);
          const b2 = requantize((vb - zp(b)) << p.leftShift, p.input2Multiplier, p.input2Shift);
          y[i] = requantizeS8((a2 - b2) | 0, p.outputMultiplier, p.outputShift, p.outputOffset, p.actMin, p.actMax);
        }
      }
      return result;
    }
    case 'QAveragePool': {
      const x = t(0);
      const g = forwardWindow(node, x.shape.slice(2), intsAttr(node, 'kernel_shape'));
      const two = g.kernel.length === 2;
      const [inH, inW] = heightWidth(two, g.inputSize, 1);
      const [outH, outW] = heightWidth(two, g.outputSize, 1);
      const [kH, kW] = heightWidth(two, g.kernel, 1);
      const [sH, sW] = heightWidth(two, g.strides, 1);
      const [pT, pL] = heightWidth(two, g.padsBegin, 0);
      const [pB, pR] = heightWidth(two, g.padsEnd, 0);
      const includePad = intAttr(node, 'count_include_pad') !== 0;
      let at = 0;
      for (let c = 0; c < x.shape[0]! * x.shape[1]!; c++)
        for (let oy = 0; oy < outH; oy++)
          for (let ox = 0; ox < outW; ox++) {
            let sum = 0;
            let count = 0;
            for (let ky = 0; ky < kH; ky++)
              for (let kx = 0; kx < kW; kx++) {
                const iy = oy * sH - pT + ky;
                const ix = ox * sW - pL + kx;
                if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
                  sum += v(0)[(c * inH + iy) * inW + ix]!;
                  count++;
                } else if (includePad && iy >= -pT && iy < inH + pB && ix >= -pL && ix < inW + pR) {
                  sum += zp(x);
                  count++;
                }
              }
            y[at++] = clampS32(roundingDivideS32(sum, count), intAttr(node, 'act_min'), intAttr(node, 'act_max'));
          }
      return result;
    }
    case 'QSoftmax': {
      const x = t(0);
      const table = intsAttr(node, 'table');
      // Rows along `axis`: the last axis, or one followed only by axes of size 1 (so rows are contiguous).
      const axis = typeof node.attrs['axis'] === 'number' ? (node.attrs['axis'] + x.shape.length) % x.shape.length : x.shape.length - 1;
      const row = x.shape[axis]!;
      for (let r = 0; r < y.length / row; r++) {
        let max = -128;
        for (let i = 0; i < row; i++) max = Math.max(max, v(0)[r * row + i]!);
        let sum = 0;
        for (let i = 0; i < row; i++) sum += table[max - v(0)[r * row + i]!]!;
        for (let i = 0; i < row; i++)
          y[r * row + i] = clampS8(Math.floor((table[max - v(0)[r * row + i]!]! * 256 + Math.floor(sum / 2)) / sum) - 128);
      }
      return result;
    }
    case 'QLut': {
      const table = intsAttr(node, 'table');
      for (let i = 0; i < y.length; i++) y[i] = table[v(0)[i]! + 128]!;
      return result;
    }
    case 'Quantize': {
      for (let i = 0; i < y.length; i++) y[i] = quantizeF32S8(v(0)[i]!, out.quant!.scale[0]!, zp(out));
      return result;
    }
    case 'Dequantize': {
      const x = t(0);
      const f = Float32Array.from(v(0), (q) => dequantizeS8F32(q, x.quant!.scale[0]!, zp(x)));
      return { shape: out.shape, dtype: 'float32', data: f };
    }
  }
  throw new Error(`no expected arithmetic for ${node.op}`);
}

/** For each output element (row-major over outShape), the flat index of the broadcast input element. */
function broadcastIndex(shape: number[], outShape: number[]): Int32Array {
  const strides = stridesOf(shape);
  const lead = outShape.length - shape.length;
  const index = new Int32Array(sizeOf(outShape));
  const outStrides = stridesOf(outShape);
  for (let i = 0; i < index.length; i++) {
    let at = 0;
    for (let d = 0; d < outShape.length; d++) {
      const j = d - lead;
      if (j < 0 || shape[j] === 1) continue;
      at += (Math.floor(i / outStrides[d]!) % outShape[d]!) * strides[j]!;
    }
    index[i] = at;
  }
  return index;
}
