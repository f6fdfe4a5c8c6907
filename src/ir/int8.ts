// The int8 dialect of the IR: what the quantize stage writes and what the int8 reference and the int8 code
// generator read. A quantized graph is an ordinary Graph whose activations are int8 tensors with per-tensor
// `quant` (real = scale * (q - zeroPoint)) and whose arithmetic nodes are operators of the `eenn.int8` domain
// below, each carrying every integer parameter its kernel needs as attributes (computed once, at compile time).
//
// Operators that only move or select values (Reshape, Transpose, MaxPool, Concat, Pad, nearest Resize...) stay
// in the default ONNX domain and run on int8 tensors unchanged; the quantize stage guarantees that their
// inputs and outputs share one scale and zero point (inserting a QLut requantization where they would not).
//
// Arithmetic of every eenn.int8 operator (C and TypeScript must agree bit for bit):
//
// QConv       inputs [X, W, B?]: X int8; W int8 constant, ONNX layout [M, C/group, k...], quant per channel
//             (axis 0, zeroPoint 0); B int32 constant [M] with scale sX * sW[m]. ONNX Conv attributes
//             (kernel_shape, strides, pads, dilations, group: all explicit, 1-D or 2-D) plus `multiplier`,
//             `shift` (one per output channel), `act_min`, `act_max`.
//               acc = B[m] + sum over in-bounds taps (x - zpX) * w        (padded taps add nothing)
//               y   = clamp(requantize(acc, multiplier[m], shift[m]) + zpY, act_min, act_max)
// QConvTranspose  as QConv with ONNX ConvTranspose attributes (explicit pads, strides, dilations, group,
//             output_padding) and W in ONNX layout [C, M/group, k...] (quant per output channel: M scales).
// QGemm       inputs [X, W, B?]: X int8 [rows, K] (any rank: leading dimensions are rows, the last is K);
//             W int8 constant [N, K] (per channel axis 0); B int32 [N]. Attributes multiplier[N], shift[N],
//             act_min, act_max. Output [rows, N] (leading dimensions kept). Same arithmetic as QConv.
// QAdd        inputs [A, B] int8 (either may be an int8 constant), numpy broadcasting. Attributes of AddParamsS8
//             (src/quantize/fixedpoint.ts): input1_multiplier, input1_shift, input2_multiplier, input2_shift,
//             left_shift, output_multiplier, output_shift, act_min, act_max, and `subtract` (0 or 1: Sub).
//               a' = requantize((a - zpA) << left_shift, input1_multiplier, input1_shift)   (b' likewise)
//               y  = clamp(requantize(a' ± b', output_multiplier, output_shift) + zpY, act_min, act_max)
// QMul        inputs [A, B] int8, broadcasting. Attributes output_multiplier, output_shift, act_min, act_max.
//               y = clamp(requantize((a - zpA) * (b - zpB), output_multiplier, output_shift) + zpY, ...)
// QAveragePool  input X; output has X's scale and zero point. Attributes kernel_shape, strides, pads,
//             count_include_pad, act_min, act_max (GlobalAveragePool: the whole plane, no pads).
//               sum = sum of in-bounds x (+ zpX for each padded tap when count_include_pad); count = taps counted
//               y = clamp(roundingDivideS32(sum, count), act_min, act_max)
// QSoftmax    input X, softmax along attribute `axis`: the last axis, or one followed only by axes of size 1, so
//             that each row of shape[axis] values is contiguous (other axes are refused by the quantize stage).
//             Output scale 1/256, zero point -128. Attribute `table`: 256 int32 values,
//             table[d] = round(exp(-sX * d) * 2^16) for d = max(row) - x in [0, 255].
//               sum = sum over the row of table[max - x];  y = clamp((table[max - x] * 256 + sum / 2) / sum - 128)
//             (unsigned integer division, rounding half up).
// QResize    linear or cubic Resize of X [N, C, (H,) W] on its spatial axes (linear: Y has X's scale and zero
//             point; cubic, which overshoots, has its own). Attributes per spatial axis a in (h, w) (1-D: w only):
//             `taps_a` T, `index_a` (out_a * T input positions), `weight_a` (out_a * T weights in Q10, each
//             output's summing to 1024); `output_multiplier`, `output_shift` for sX / (sY 2^20).
//               acc = sum_i sum_j weight_h[oy T + i] weight_w[ox T + j] (x[index_h[oy T + i]][index_w[ox T + j]] - zpX)
//               y   = clamp(requantize(acc, output_multiplier, output_shift) + zpY)
// QReduce    input X int8, ReduceSum or ReduceMean over the axes `axes` (any set, non-negative, sorted) of X, with
//             `keepdims` (0 or 1). Attributes `multiplier`, `shift` for sX / sY (a sum) or sX / (sY * count) (a mean,
//             count = the elements folded into one output), act_min, act_max.
//               acc = sum over the reduced elements of (x - zpX)                   (int32)
//               y   = clamp(requantize(acc, multiplier, shift) + zpY, act_min, act_max)
//             (ReduceMax and ReduceMin select values: they pass through, below.)
// QLayerNorm  input X int8; LayerNormalization over rows of `row_size` contiguous values (the axes `axis`.. of X),
//             Scale and B folded into per-element attributes, i = position in the row modulo their count P:
//             `multiplier` [P] (sign: that of Scale[i]) and `shift` [P] for |Scale[i]| / (sY 2^20), `bias` [P] =
//             round(B[i] / sY); `epsilon_q` = round(row_size^2 epsilon / sX^2) (int32); act_min, act_max.
//               d_i = x_i - zpX;  S = sum d_i;  W = row_size * sum d_i^2 - S^2          (int64, = row_size^2 var)
//               D = W + epsilon_q; k = the even shift with D << k in [2^60, 2^62); R = isqrt(D << k) (floor)
//               inv = floor((2^61 - 1) / R);  c_i = row_size * d_i - S
//               z_i = (c_i * inv + 2^(40 - k/2)) >> (41 - k/2)  (int64; z = (x - mean) / sqrt(var + eps) in Q20;
//                     0 when D = 0)
//               y_i = clamp(requantize(sign_i z_i, |multiplier_i|, shift_i) + bias_i + zpY, act_min, act_max)
// QLut        input X int8 -> output int8 through attribute `table`: 256 int8 values, y = table[x + 128]. Every
//             unary function (Sigmoid, Tanh, Relu, Clip, LeakyRelu, HardSwish, ...) and every change of scale
//             (requantization before Concat) becomes one.
// QRequantize  input X int8 or int16 -> output Y int8 or int16 (a change of scale or of width: where an int16
//             tensor meets an operator without an int16 form, and back). Attributes `multiplier`, `shift` for
//             sX / sY (quantizeMultiplier), act_min, act_max (the output type's limits).
//               y = clamp(requantize(x - zpX, multiplier, shift) + zpY, act_min, act_max)
//
// int16 activations (--int16-layers; the CMSIS-NN s16 scheme): a tensor the quantize stage holds as int16 has
// dtype 'int16', a per-tensor scale and zero point 0 (symmetric: scale = max|range| / 32767, q in
// [-32767, 32767]). Only QConv (any group), QGemm, QRequantize and the passthrough operators MaxPool,
// GlobalMaxPool, Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout read or write int16; any other
// reader of an int16 tensor reads it through a QRequantize to int8, and a model output is never int16.
//   QConv / QGemm with X int16: W int8 as above; B int64 constant [M] (Float64Array, exact) with scale sX * sW[m];
//             the accumulator is 64-bit and the requantization CMSIS-NN's arm_nn_requantize_s64:
//               acc = B[m] + sum over in-bounds taps x * w                       (64-bit; padded taps add nothing)
//               r   = multiplier[m] < 0x7FFF0000 ? (multiplier[m] + 2^15) >> 16 : 0x7FFF     (a Q15 multiplier)
//               y   = clamp(((acc * r) >> (14 - shift[m])) + 1) >> 1) + zpY, act_min, act_max)
//             (arithmetic shifts of 64-bit values; 14 - shift >= 0 since shift <= 14 is required of such a layer.)
//   QConv / QGemm with X int8 and Y int16: the int8 arithmetic above with zpY = 0 and act_min/act_max within
//             [-32768, 32767].
// Quantize    input float32 -> int8 with the output's scale and zero point: quantizeF32S8 (fixedpoint.ts).
// Dequantize  input int8 -> float32 with the input's scale and zero point: dequantizeS8F32.

import type { Node, Tensor } from './graph.js';

/** Domain of the int8 operators. */
export const INT8_DOMAIN = 'eenn.int8';

export const INT8_OPS = [
  'QConv',
  'QConvTranspose',
  'QGemm',
  'QAdd',
  'QMul',
  'QAveragePool',
  'QSoftmax',
  'QLut',
  'QResize',
  'QRequantize',
  'QReduce',
  'QLayerNorm',
  'Quantize',
  'Dequantize',
] as const;

/** Fraction bits of QLayerNorm's normalized values z (Q20). */
export const LAYER_NORM_FRACTION_BITS = 20;

/** Fraction bits of QResize's sampling weights (Q10: 1024 is 1). */
export const RESIZE_WEIGHT_BITS = 10;
export type Int8Op = (typeof INT8_OPS)[number];

/**
 * Default-domain operators that run unchanged on int8 tensors sharing one scale and zero point: they only move,
 * select or compare values. Pad's constant value is an int8 constant; Resize/Upsample are nearest-neighbour.
 */
export const INT8_PASSTHROUGH_OPS: ReadonlySet<string> = new Set([
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Dropout',
  'Transpose',
  'Slice',
  'Gather',
  'Split',
  'Tile',
  'Expand',
  'DepthToSpace',
  'SpaceToDepth',
  'Concat',
  'Pad',
  'Resize',
  'Upsample',
  'MaxPool',
  'GlobalMaxPool',
  'ReduceMax',
  'ReduceMin',
]);
// (Resize and Upsample pass through in mode "nearest"; linear and cubic ones become QResize.)

/** The passthrough operators that also run on int16 tensors (int16 activations, above); their output keeps the input's type. */
export const INT16_PASSTHROUGH_OPS: ReadonlySet<string> = new Set([
  'MaxPool',
  'GlobalMaxPool',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Dropout',
]);

/** Scale and zero point of a per-tensor quantized tensor. */
export interface ScaleZero {
  scale: number;
  zeroPoint: number;
}

/** The per-tensor scale and zero point of an int8 activation (or of a per-tensor constant). */
export function scaleZeroOf(t: Tensor): ScaleZero {
  const q = t.quant;
  if (!q || q.scale.length !== 1 || q.zeroPoint.length !== 1) {
    throw new Error(`internal: tensor "${t.name}" has no per-tensor quantization`);
  }
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
}

/** Per-tensor quant params for the IR. */
export function perTensorQuant(scale: number, zeroPoint: number): NonNullable<Tensor['quant']> {
  return { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zeroPoint) };
}

/** An integer attribute that must be present. */
export function intAttr(node: Node, name: string): number {
  const v = node.attrs[name];
  if (typeof v !== 'number') throw new Error(`internal: int8 node "${node.name}" (${node.op}) lacks attribute ${name}`);
  return v;
}

/** An integer-list attribute that must be present. */
export function intsAttr(node: Node, name: string): number[] {
  const v = node.attrs[name];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new Error(`internal: int8 node "${node.name}" (${node.op}) lacks attribute ${name}`);
  }
  return v as number[];
}
