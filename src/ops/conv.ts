// Conv and ConvTranspose: shape rules, float references and MAC counts (1-D, 2-D and 3-D, grouped and depthwise).
// Layouts follow ONNX: X [N, C, spatial...], W [M, C/group, kernel...] for Conv, [C, M/group, kernel...] for ConvTranspose.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { attrInt, attrInts } from './attrs.js';
import { float32Data, requireOperand } from './float-operands.js';
import {
  checkSpatialRank,
  dilatedExtent,
  forwardWindow,
  readAutoPad,
  readAxisInts,
  readPads,
  validOutputRange,
  volumeAxes,
  type VolumeAxes,
  type WindowGeometry,
} from './spatial.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

type Shaped = Pick<InputInfo, 'shape' | 'dtype'>;

/** Everything the Conv and ConvTranspose loops need, checked against the ONNX rules. */
interface ConvPlan {
  batch: number;
  inChannels: number;
  outChannels: number;
  group: number;
  window: WindowGeometry;
}

/** Common checks on X, W and B; returns the group count and the spatial rank. */
function checkConvOperands(node: Node, x: Shaped, w: Shaped, bias: Shaped | undefined, biasLength: (w: number[], group: number) => number) {
  if (x.shape.length < 3) {
    throw nodeError('E_SHAPE', node, `input X has shape [${x.shape.join(', ')}], expected rank >= 3 ([N, C, spatial...])`);
  }
  const spatialRank = x.shape.length - 2;
  checkSpatialRank(node, spatialRank);
  if (w.shape.length !== x.shape.length) {
    throw nodeError(
      'E_SHAPE',
      node,
      `weight W has shape [${w.shape.join(', ')}], expected rank ${x.shape.length} to match X [${x.shape.join(', ')}]`,
    );
  }
  const group = attrInt(node, 'group', 1);
  if (!Number.isInteger(group) || group < 1) throw nodeError('E_SHAPE', node, `attribute "group" must be >= 1, got ${group}`);
  const kernel = w.shape.slice(2);
  const declared = attrInts(node, 'kernel_shape');
  if (declared && (declared.length !== kernel.length || declared.some((k, i) => k !== kernel[i]))) {
    throw nodeError(
      'E_SHAPE',
      node,
      `attribute kernel_shape [${declared.join(', ')}] does not match the weight's spatial shape [${kernel.join(', ')}]`,
    );
  }
  if (bias) {
    const expected = biasLength(w.shape, group);
    if (bias.shape.length !== 1 || bias.shape[0] !== expected) {
      throw nodeError('E_SHAPE', node, `bias B has shape [${bias.shape.join(', ')}], expected [${expected}] (one per output channel)`);
    }
  }
  return { group, kernel, spatialRank };
}

function planConv(node: Node, inputs: readonly (Shaped | undefined)[]): ConvPlan {
  const x = requireOperand(node, inputs, 0, 'X');
  const w = requireOperand(node, inputs, 1, 'W');
  const { group, kernel } = checkConvOperands(node, x, w, inputs[2], (ws) => ws[0]!);
  const inChannels = x.shape[1]!;
  const outChannels = w.shape[0]!;
  if (inChannels % group !== 0 || w.shape[1]! * group !== inChannels) {
    throw nodeError(
      'E_SHAPE',
      node,
      `X has ${inChannels} channels but W [${w.shape.join(', ')}] with group=${group} expects ${w.shape[1]! * group} (W[1] * group)`,
    );
  }
  if (outChannels % group !== 0) {
    throw nodeError('E_SHAPE', node, `W has ${outChannels} output channels, not a multiple of group=${group}`);
  }
  const window = forwardWindow(node, x.shape.slice(2), kernel);
  return { batch: x.shape[0]!, inChannels, outChannels, group, window };
}

/**
 * Geometry of ConvTranspose, per the ONNX spec:
 *   out = stride * (in - 1) + output_padding + ((kernel - 1) * dilation + 1) - pad_begin - pad_end.
 * When output_shape is given (or auto_pad is SAME_*, which asks for out = in * stride), the total padding is
 * derived from it; SAME_UPPER puts the odd element at the end, every other mode at the beginning.
 */
function planConvTranspose(node: Node, inputs: readonly (Shaped | undefined)[]): ConvPlan {
  const x = requireOperand(node, inputs, 0, 'X');
  const w = requireOperand(node, inputs, 1, 'W');
  const { group, kernel, spatialRank } = checkConvOperands(node, x, w, inputs[2], (ws, g) => ws[1]! * g);
  const inChannels = x.shape[1]!;
  if (w.shape[0] !== inChannels || inChannels % group !== 0) {
    throw nodeError(
      'E_SHAPE',
      node,
      `X has ${inChannels} channels but W [${w.shape.join(', ')}] expects ${w.shape[0]} (W[0]), divisible by group=${group}`,
    );
  }
  const inputSize = x.shape.slice(2);
  const strides = readAxisInts(node, 'strides', spatialRank, 1, 1);
  const dilations = readAxisInts(node, 'dilations', spatialRank, 1, 1);
  const outputPadding = readAxisInts(node, 'output_padding', spatialRank, 0, 0);
  const autoPad = readAutoPad(node);
  let requested = attrInts(node, 'output_shape');
  if (requested && requested.length === spatialRank + 2) requested = requested.slice(2);
  if (requested && requested.length !== spatialRank) {
    throw nodeError('E_SHAPE', node, `attribute output_shape [${requested.join(', ')}] must give ${spatialRank} spatial sizes`);
  }
  const { padsBegin, padsEnd } =
    autoPad === 'NOTSET'
      ? readPads(node, spatialRank)
      : { padsBegin: new Array<number>(spatialRank).fill(0), padsEnd: new Array<number>(spatialRank).fill(0) };
  const outputSize = new Array<number>(spatialRank);
  for (let i = 0; i < spatialRank; i++) {
    const full = strides[i]! * (inputSize[i]! - 1) + outputPadding[i]! + dilatedExtent(kernel[i]!, dilations[i]!);
    let target: number | undefined = requested?.[i];
    if (target === undefined && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) target = inputSize[i]! * strides[i]!;
    if (target !== undefined) {
      // A target larger than the full extent leaves its last positions to the bias alone (as onnxruntime does).
      const total = Math.max(0, full - target);
      const half = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      padsEnd[i] = full - target - padsBegin[i]!;
    }
    outputSize[i] = full - padsBegin[i]! - padsEnd[i]!;
    if (outputSize[i]! < 1) {
      throw nodeError('E_SHAPE', node, `spatial axis ${i} would have output size ${outputSize[i]}; check pads and strides`);
    }
  }
  const window: WindowGeometry = { inputSize, outputSize, kernel, strides, dilations, padsBegin, padsEnd };
  return { batch: x.shape[0]!, inChannels, outChannels: w.shape[1]! * group, group, window };
}

/** The window geometry of a ConvTranspose node (pads resolved from output_shape / auto_pad), for codegen. */
export function convTransposeWindow(node: Node, x: Shaped, w: Shaped): WindowGeometry {
  return planConvTranspose(node, [x, w]).window;
}

function outputInfo(plan: ConvPlan, dtype: Shaped['dtype']): OutputInfo {
  return { shape: [plan.batch, plan.outChannels, ...plan.window.outputSize], dtype };
}

/**
 * Adds one (input channel, output channel) pair of a convolution into `acc`, one kernel tap at a time. The loops scan
 * positions `a` and pair each with b = a * stride - pad_begin + tap * dilation, keeping only the runs where b lies
 * inside the other tensor, so the innermost loop needs no bounds check. Conv gathers (a: output, b: input, read with
 * stride); ConvTranspose scatters (a: input, b: output, written with stride).
 */
function accumulateTaps(acc: Float64Array, x: Float32Array, xBase: number, w: Float32Array, wBase: number, v: VolumeAxes, transposed: boolean): void {
  const { kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW } = v;
  const [aD, aH, aW] = transposed ? [v.inD, v.inH, v.inW] : [v.outD, v.outH, v.outW];
  const [bD, bH, bW] = transposed ? [v.outD, v.outH, v.outW] : [v.inD, v.inH, v.inW];
  for (let kd = 0; kd < kD; kd++) {
    const [adFirst, adLast] = validOutputRange(aD, bD, sD, pD, kd * dD);
    for (let kh = 0; kh < kH; kh++) {
      const [ahFirst, ahLast] = validOutputRange(aH, bH, sH, pH, kh * dH);
      for (let kw = 0; kw < kW; kw++) {
        const [awFirst, awLast] = validOutputRange(aW, bW, sW, pW, kw * dW);
        const weight = w[wBase + (kd * kH + kh) * kW + kw]!;
        for (let ad = adFirst; ad < adLast; ad++) {
          const bd = ad * sD - pD + kd * dD;
          for (let ah = ahFirst; ah < ahLast; ah++) {
            const bh = ah * sH - pH + kh * dH;
            const aRow = (ad * aH + ah) * aW;
            const bRow = (bd * bH + bh) * bW - pW + kw * dW;
            if (transposed) {
              for (let aw = awFirst; aw < awLast; aw++) acc[bRow + aw * sW]! += weight * x[xBase + aRow + aw]!;
            } else {
              for (let aw = awFirst; aw < awLast; aw++) acc[aRow + aw]! += weight * x[xBase + bRow + aw * sW]!;
            }
          }
        }
      }
    }
  }
}

/**
 * The float reference of Conv (direct: each output gathers its window) and ConvTranspose (each input scatters into
 * the output). Each (image, output channel) plane of Y is accumulated in float64 from the bias, one (input channel,
 * kernel tap) pair at a time, and rounded once into Y.
 */
function evaluateConvolution(node: Node, inputs: (Value | undefined)[], plan: ConvPlan, transposed: boolean): Value[] {
  const x = float32Data(node, inputs[0]!, 'X');
  const w = float32Data(node, inputs[1]!, 'W');
  const bias = inputs[2] ? float32Data(node, inputs[2], 'B') : undefined;
  const axes = volumeAxes(plan.window);
  const groupIn = plan.inChannels / plan.group;
  const groupOut = plan.outChannels / plan.group;
  const y = new Float32Array(plan.batch * plan.outChannels * axes.outPlane);
  const acc = new Float64Array(axes.outPlane);
  for (let n = 0; n < plan.batch; n++) {
    for (let oc = 0; oc < plan.outChannels; oc++) {
      acc.fill(bias ? bias[oc]! : 0);
      const group = Math.floor(oc / groupOut);
      for (let icg = 0; icg < groupIn; icg++) {
        const ic = group * groupIn + icg;
        // W is [M, C/group, kernel...] for Conv, [C, M/group, kernel...] for ConvTranspose.
        const wBase = (transposed ? ic * groupOut + (oc - group * groupOut) : oc * groupIn + icg) * axes.taps;
        accumulateTaps(acc, x, (n * plan.inChannels + ic) * axes.inPlane, w, wBase, axes, transposed);
      }
      y.set(acc, (n * plan.outChannels + oc) * axes.outPlane);
    }
  }
  return [{ shape: [plan.batch, plan.outChannels, ...plan.window.outputSize], dtype: 'float32', data: y }];
}

/** Conv or ConvTranspose: its plan gives the output shape and drives the reference. */
function convolutionOp(op: string, transposed: boolean, macs: NonNullable<OpDef['macs']>): OpDef {
  const plan = transposed ? planConvTranspose : planConv;
  return {
    op,
    opsets: [1, 22],
    inferShapes: (node, inputs) => [outputInfo(plan(node, inputs), requireOperand(node, inputs, 0, 'X').dtype)],
    evaluate: (node, inputs) => evaluateConvolution(node, inputs, plan(node, inputs), transposed),
    macs,
  };
}

export const ops: OpDef[] = [
  // Output elements * (C_in / group) * kernel area: one MAC per weight tap per output element.
  convolutionOp('Conv', false, (node, inputs, outputs) => sizeOf(outputs[0]!.shape) * sizeOf(requireOperand(node, inputs, 1, 'W').shape.slice(1))),
  // Input elements * (C_out / group) * kernel area: one MAC per weight tap per input element (padding included).
  convolutionOp(
    'ConvTranspose',
    true,
    (node, inputs) => sizeOf(requireOperand(node, inputs, 0, 'X').shape) * sizeOf(requireOperand(node, inputs, 1, 'W').shape.slice(1)),
  ),
];
