// A plain model of the int16 activations' arithmetic, written straight from the header of src/ir/int8.ts ("int16
// activations", QRequantize), independent of the compiler's reference: one loop nest per layer, the 64-bit
// requantization in BigInt. The int16 code generation tests compare the C kernels with it bit for bit.

import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import { INT8_DOMAIN, intAttr, intsAttr } from '../../src/ir/int8.js';
import { lookupOp } from '../../src/ops/registry.js';
import { forwardWindow } from '../../src/ops/spatial.js';
import type { Value } from '../../src/ops/types.js';
import { requantize } from '../../src/quantize/fixedpoint.js';

/** CMSIS-NN's arm_nn_requantize_s64 as the specification writes it, in exact integers. */
export function requantizeS64Spec(acc: bigint, multiplier: number, shift: number): bigint {
  if (shift > 14) throw new Error(`shift ${shift} > 14`);
  const reduced = multiplier < 0x7fff0000 ? Math.floor((multiplier + 2 ** 15) / 2 ** 16) : 0x7fff;
  return (((acc * BigInt(reduced)) >> BigInt(14 - shift)) + 1n) >> 1n; // BigInt >> floors: an arithmetic shift
}

const zp = (t: Tensor) => t.quant!.zeroPoint[0]!;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** An int8 or int16 value array of a tensor's type. */
function typed(t: Tensor, length: number): Int8Array | Int16Array {
  if (t.dtype === 'int16') return new Int16Array(length);
  if (t.dtype === 'int8') return new Int8Array(length);
  throw new Error(`"${t.name}" is ${t.dtype}`);
}

/** The accumulators of a QConv or QGemm (bias included; x - zpX times w over in-bounds taps) and each one's channel. */
export function layerAccumulators(graph: Graph, node: Node, env: Map<string, Value>): { acc: number[]; channel: number[] } {
  const x = graph.tensors.get(node.inputs[0]!)!;
  const w = graph.tensors.get(node.inputs[1]!)!;
  const xs = env.get(x.name)!.data as ArrayLike<number>;
  const ws = w.data as ArrayLike<number>;
  const bias = node.inputs[2] ? (graph.tensors.get(node.inputs[2])!.data as ArrayLike<number>) : undefined;
  const acc: number[] = [];
  const channel: number[] = [];
  if (node.op === 'QGemm') {
    const [n, k] = w.shape as [number, number];
    const rows = sizeOf(x.shape) / k;
    for (let r = 0; r < rows; r++)
      for (let m = 0; m < n; m++) {
        let sum = bias ? bias[m]! : 0;
        for (let i = 0; i < k; i++) sum += (xs[r * k + i]! - zp(x)) * ws[m * k + i]!;
        acc.push(sum);
        channel.push(m);
      }
    return { acc, channel };
  }
  const g = forwardWindow(node, x.shape.slice(2), w.shape.slice(2));
  const two = g.kernel.length === 2;
  const pick = (values: readonly number[], lead: number): [number, number] => (two ? [values[0]!, values[1]!] : [lead, values[0]!]);
  const [inH, inW] = pick(g.inputSize, 1);
  const [outH, outW] = pick(g.outputSize, 1);
  const [kH, kW] = pick(g.kernel, 1);
  const [sH, sW] = pick(g.strides, 1);
  const [dH, dW] = pick(g.dilations, 1);
  const [pT, pL] = pick(g.padsBegin, 0);
  const group = intAttr(node, 'group');
  const [batches, inC] = x.shape as [number, number];
  const outC = w.shape[0]!;
  const [gIn, gOut] = [inC / group, outC / group];
  for (let b = 0; b < batches; b++)
    for (let m = 0; m < outC; m++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let sum = bias ? bias[m]! : 0;
          const grp = Math.floor(m / gOut);
          for (let c = 0; c < gIn; c++)
            for (let ky = 0; ky < kH; ky++)
              for (let kx = 0; kx < kW; kx++) {
                const iy = oy * sH - pT + ky * dH;
                const ix = ox * sW - pL + kx * dW;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                sum += (xs[((b * inC + grp * gIn + c) * inH + iy) * inW + ix]! - zp(x)) * ws[((m * gIn + c) * kH + ky) * kW + kx]!;
              }
          acc.push(sum);
          channel.push(m);
        }
  return { acc, channel };
}

/** One int8-dialect node with int16 tensors (QConv, QGemm, QRequantize), as the specification says. */
function int16Op(graph: Graph, node: Node, env: Map<string, Value>): Value {
  const x = graph.tensors.get(node.inputs[0]!)!;
  const out = graph.tensors.get(node.outputs[0]!)!;
  const [lo, hi] = [intAttr(node, 'act_min'), intAttr(node, 'act_max')];
  if (node.op === 'QRequantize') {
    const xs = env.get(x.name)!.data as ArrayLike<number>;
    const y = typed(out, xs.length);
    const [m, s] = [intAttr(node, 'multiplier'), intAttr(node, 'shift')];
    for (let i = 0; i < xs.length; i++) y[i] = clamp(requantize(xs[i]! - zp(x), m, s) + zp(out), lo, hi);
    return { shape: out.shape, dtype: out.dtype, data: y };
  }
  if (node.op !== 'QConv' && node.op !== 'QGemm') throw new Error(`no int16 model of ${node.op}`);
  const { acc, channel } = layerAccumulators(graph, node, env);
  const [ms, ss] = [intsAttr(node, 'multiplier'), intsAttr(node, 'shift')];
  const y = typed(out, acc.length);
  acc.forEach((a, i) => {
    const c = channel[i]!;
    const value = x.dtype === 'int16' ? Number(requantizeS64Spec(BigInt(a), ms[c]!, ss[c]!)) + zp(out) : requantize(a, ms[c]!, ss[c]!) + zp(out);
    y[i] = clamp(value, lo, hi);
  });
  return { shape: out.shape, dtype: out.dtype, data: y };
}

/** A passthrough operator on int8 or int16 values: its float reference on the integers, which it only moves. */
function passthrough(graph: Graph, node: Node, env: Map<string, Value>): Value[] {
  const args = node.inputs.map((n) => {
    if (n === '') return undefined;
    const t = graph.tensors.get(n)!;
    const v: Value = env.get(n) ?? { shape: t.shape, dtype: t.dtype, data: t.data! };
    return v.dtype === 'int8' || v.dtype === 'int16'
      ? { shape: v.shape, dtype: 'float32' as const, data: Float32Array.from(v.data as ArrayLike<number>) }
      : v;
  });
  return lookupOp(node.op)!
    .evaluate(node, args, graph.opset)
    .map((v, i) => {
      const t = graph.tensors.get(node.outputs[i]!)!;
      if (t.dtype !== 'int8' && t.dtype !== 'int16') return v;
      const data = typed(t, v.data.length);
      data.set(v.data as ArrayLike<number>);
      return { shape: v.shape, dtype: t.dtype, data };
    });
}

/** Run one node on `env`, adding its outputs. */
export function runNode(graph: Graph, node: Node, env: Map<string, Value>): void {
  const outs = node.domain === INT8_DOMAIN ? [int16Op(graph, node, env)] : passthrough(graph, node, env);
  node.outputs.forEach((o, i) => {
    if (o !== '') env.set(o, outs[i]!);
  });
}

/** Every tensor's value after running the graph (in node order) on `inputs`. */
export function expectedInt16(graph: Graph, inputs: Record<string, Value>): Map<string, Value> {
  const env = new Map<string, Value>(Object.entries(inputs));
  for (const node of graph.nodes) runNode(graph, node, env);
  return env;
}
