// Resize (opsets 10..19) and Upsample (opsets 7..9): shape rules and float references.
// Separable: each resized axis maps every output index to a few weighted input taps, applied one axis at a time.

import { nodeError } from '../ir/diagnostics.js';
import type { DType, Node, TensorData } from '../ir/graph.js';
import { arrayFor, sizeOf } from '../ir/graph.js';
import { attrFloat, attrInt, attrInts, attrString, constantNumbers, normalizeAxis } from './attrs.js';
import { requireOperand } from './float-operands.js';
import { movementOp } from './movement.js';
import type { InputInfo, OpDef, Value } from './types.js';

type Known = InputInfo | Value;
type Mode = 'nearest' | 'linear' | 'cubic';
type CoordinateMode =
  'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn' | 'tf_crop_and_resize';
/** `legacy` is the rounding of Upsample and Resize-10: floor when enlarging an axis, ceil when shrinking it. */
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'legacy';

const COORDINATE_MODES: readonly CoordinateMode[] = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
];
const NEAREST_MODES: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Everything needed to resample: per axis the output size and the scale that maps coordinates. */
interface ResizePlan {
  mode: Mode;
  coordinateMode: CoordinateMode;
  nearestMode: NearestMode;
  cubicA: number;
  excludeOutside: boolean;
  extrapolationValue: number;
  inputShape: number[];
  outputShape: number[];
  scales: number[];
  roiStart: number[];
  roiEnd: number[];
}

/** Contents of an optional constant input; undefined when omitted or empty (an empty tensor marks "not given"). */
function constantInput(node: Node, inputs: readonly (Known | undefined)[], index: number, what: string): number[] | undefined {
  const input = inputs[index];
  if (!input) return undefined;
  if (sizeOf(input.shape) === 0) return undefined;
  return constantNumbers(node, input, index, what, 'export the model with constant folding, or give the output size as a constant');
}

/** Round half to even, as numpy does when the reference rounds sizes. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function readMode(node: Node, allowCubic: boolean): Mode {
  const mode = attrString(node, 'mode', 'nearest');
  if (mode === 'nearest' || mode === 'linear' || (mode === 'cubic' && allowCubic)) return mode;
  throw nodeError(
    'E_UNSUPPORTED',
    node,
    `mode "${mode}" is not supported; expected nearest, linear${allowCubic ? ' or cubic' : ''}`,
    'ONNX does not define this value for the operator: export the model again, or set the attribute to one listed',
  );
}

/** Scales or sizes per axis, expanded to every axis when Resize-18 lists only some `axes`. */
function expandToRank(
  node: Node,
  values: number[],
  what: string,
  axes: number[] | undefined,
  rank: number,
  fill: (axis: number) => number,
): number[] {
  const count = axes ? axes.length : rank;
  if (values.length !== count) {
    throw nodeError(
      'E_SHAPE',
      node,
      `${what} has ${values.length} values, expected ${count} (${axes ? 'one per listed axis' : 'one per input axis'})`,
    );
  }
  if (!axes) return values;
  const full = Array.from({ length: rank }, (_, axis) => fill(axis));
  axes.forEach((axis, i) => {
    full[axis] = values[i]!;
  });
  return full;
}

/** Interpolation settings; Upsample and Resize-10 know only nearest/linear on asymmetric coordinates. */
function readInterpolation(node: Node, opset: number, legacy: boolean): Pick<ResizePlan, 'mode' | 'coordinateMode' | 'nearestMode'> {
  const mode = readMode(node, !legacy);
  if (attrInt(node, 'antialias', 0) !== 0) {
    throw nodeError('E_UNSUPPORTED', node, 'antialias=1 is not supported', 'export without antialiasing (antialias=False)');
  }
  const coordinateMode = legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  if (!COORDINATE_MODES.includes(coordinateMode as CoordinateMode) || (coordinateMode === 'half_pixel_symmetric' && opset < 19)) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `coordinate_transformation_mode "${coordinateMode}" is not supported in opset ${opset}`,
      'use a coordinate_transformation_mode this opset defines, or export with a newer opset',
    );
  }
  const nearestMode = legacy ? 'legacy' : attrString(node, 'nearest_mode', 'round_prefer_floor');
  if (nearestMode !== 'legacy' && !NEAREST_MODES.includes(nearestMode as NearestMode)) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `nearest_mode "${nearestMode}" is not one of ${NEAREST_MODES.join(', ')}`,
      'ONNX does not define this value for the operator: export the model again, or set the attribute to one listed',
    );
  }
  return { mode, coordinateMode: coordinateMode as CoordinateMode, nearestMode: nearestMode as NearestMode };
}

/** Where scales, sizes and roi live: Upsample-7 attribute, Upsample-9 / Resize-10 input 1, Resize-11+ inputs 1 to 3. */
function readTargets(node: Node, inputs: readonly (Known | undefined)[], opset: number, legacy: boolean) {
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: number[] | undefined;
  if (node.op === 'Upsample' && opset < 9) {
    const attr = node.attrs.scales;
    if (!Array.isArray(attr) || attr.some((v) => typeof v !== 'number')) {
      throw nodeError('E_GRAPH', node, 'attribute "scales" (a list of floats) is required');
    }
    scales = attr as number[];
  } else if (legacy) {
    scales = constantInput(node, inputs, 1, 'scales');
  } else {
    roi = constantInput(node, inputs, 1, 'roi');
    scales = constantInput(node, inputs, 2, 'scales');
    sizes = constantInput(node, inputs, 3, 'sizes');
  }
  if ((scales === undefined) === (sizes === undefined)) {
    throw nodeError('E_GRAPH', node, 'exactly one of scales and sizes must be given');
  }
  return { scales, sizes, roi };
}

/**
 * Output shape and per-axis scales. From scales: out = floor(in * scale). From sizes: the sizes, with
 * scale = out / in, unless keep_aspect_ratio_policy (opset 18) picks one scale for every resized axis.
 */
function resolveOutput(
  node: Node,
  inputShape: number[],
  axes: number[] | undefined,
  opset: number,
  given: { scales?: number[]; sizes?: number[] },
): { scales: number[]; outputShape: number[] } {
  const rank = inputShape.length;
  if (given.scales) {
    const scales = expandToRank(node, given.scales, 'scales', axes, rank, () => 1);
    if (scales.some((v) => !(v > 0))) throw nodeError('E_SHAPE', node, `scales must be positive, got [${scales.join(', ')}]`);
    return { scales, outputShape: inputShape.map((d, i) => Math.floor(d * scales[i]!)) };
  }
  const sizes = expandToRank(node, given.sizes!, 'sizes', axes, rank, (axis) => inputShape[axis]!);
  if (sizes.some((d) => !Number.isInteger(d) || d < 0)) {
    throw nodeError('E_SHAPE', node, `sizes [${sizes.join(', ')}] must be non-negative integers`);
  }
  const policy = opset >= 18 ? attrString(node, 'keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (policy === 'stretch') return { scales: sizes.map((d, i) => d / inputShape[i]!), outputShape: sizes };
  if (policy !== 'not_larger' && policy !== 'not_smaller') {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `keep_aspect_ratio_policy "${policy}" is not one of stretch, not_larger, not_smaller`,
      'ONNX does not define this value for the operator: export the model again, or set the attribute to one listed',
    );
  }
  const resized = axes ?? inputShape.map((_, i) => i);
  const ratios = resized.map((axis) => sizes[axis]! / inputShape[axis]!);
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  const scales = inputShape.map(() => 1);
  const outputShape = [...inputShape];
  for (const axis of resized) {
    scales[axis] = scale;
    outputShape[axis] = roundHalfEven(scale * inputShape[axis]!);
  }
  return { scales, outputShape };
}

function planResize(node: Node, inputs: readonly (Known | undefined)[], opset: number): ResizePlan {
  const x = requireOperand(node, inputs, 0, 'X');
  const inputShape = [...x.shape];
  const rank = inputShape.length;
  const legacy = node.op === 'Upsample' || opset < 11;
  const interpolation = readInterpolation(node, opset, legacy);
  const rawAxes = opset >= 18 ? attrInts(node, 'axes') : undefined;
  const axes = rawAxes?.map((a) => normalizeAxis(node, a, rank));
  const targets = readTargets(node, inputs, opset, legacy);
  const { scales, outputShape } = resolveOutput(node, inputShape, axes, opset, targets);

  const roiStart = inputShape.map(() => 0);
  const roiEnd = inputShape.map(() => 1);
  const roi = targets.roi;
  if (roi && interpolation.coordinateMode === 'tf_crop_and_resize') {
    const count = axes ? axes.length : rank;
    if (roi.length !== 2 * count) throw nodeError('E_SHAPE', node, `roi has ${roi.length} values, expected ${2 * count}`);
    (axes ?? inputShape.map((_, i) => i)).forEach((axis, i) => {
      roiStart[axis] = roi[i]!;
      roiEnd[axis] = roi[i + count]!;
    });
  }
  return {
    ...interpolation,
    cubicA: attrFloat(node, 'cubic_coeff_a', -0.75),
    excludeOutside: attrInt(node, 'exclude_outside', 0) !== 0,
    extrapolationValue: attrFloat(node, 'extrapolation_value', 0),
    inputShape,
    outputShape,
    scales,
    roiStart,
    roiEnd,
  };
}

const f32 = Math.fround;

/**
 * Position in the input axis that output index `x` maps to (ONNX Resize, coordinate_transformation_mode).
 * Computed in float32 step by step as onnxruntime does, since nearest rounding is decided on exact ties
 * (e.g. 3.5 / 0.7f is 5 in float32 but not in float64). The resized length is `scale * in` (a real number),
 * as in the ONNX reference.
 */
function originalCoordinate(plan: ResizePlan, axis: number, x: number): number {
  const scale = f32(plan.scales[axis]!);
  const inLength = plan.inputShape[axis]!;
  const outLength = f32(scale * inLength);
  const halfPixel = f32(f32(f32(x + 0.5) / scale) - 0.5);
  switch (plan.coordinateMode) {
    case 'half_pixel':
      return halfPixel;
    case 'half_pixel_symmetric': {
      const adjustment = f32(plan.outputShape[axis]! / outLength);
      const offset = f32(f32(inLength / 2) * f32(1 - adjustment));
      return f32(f32(offset + f32(f32(x + 0.5) / scale)) - 0.5);
    }
    case 'pytorch_half_pixel':
      return plan.outputShape[axis]! > 1 ? halfPixel : 0;
    case 'align_corners':
      return outLength === 1 ? 0 : f32(f32(x * (inLength - 1)) / f32(outLength - 1));
    case 'asymmetric':
      return f32(x / scale);
    case 'tf_half_pixel_for_nn':
      return f32(f32(x + 0.5) / scale);
    case 'tf_crop_and_resize': {
      const start = f32(plan.roiStart[axis]!);
      const end = f32(plan.roiEnd[axis]!);
      return outLength === 1
        ? f32(f32(f32(end - start) * (inLength - 1)) / 2 + f32(start * (inLength - 1)))
        : f32(f32(f32(x * f32(end - start)) * (inLength - 1)) / f32(outLength - 1) + f32(start * (inLength - 1)));
    }
  }
}

function nearestIndex(mode: NearestMode, v: number, scale: number): number {
  switch (mode) {
    case 'round_prefer_floor':
      return Math.ceil(v - 0.5);
    case 'round_prefer_ceil':
      return Math.floor(v + 0.5);
    case 'floor':
      return Math.floor(v);
    case 'ceil':
      return Math.ceil(v);
    case 'legacy':
      return scale < 1 ? Math.ceil(v) : Math.floor(v);
  }
}

/** Keys cubic convolution weights for taps at offsets -1, 0, 1, 2 from floor(v), with `t = v - floor(v)`. */
function cubicWeights(t: number, a: number, out: Float64Array): void {
  const w = (d: number): number => {
    const ad = Math.abs(d);
    if (ad <= 1) return ((a + 2) * ad - (a + 3)) * ad * ad + 1;
    if (ad < 2) return ((a * ad - 5 * a) * ad + 8 * a) * ad - 4 * a;
    return 0;
  };
  out[0] = w(t + 1);
  out[1] = w(t);
  out[2] = w(1 - t);
  out[3] = w(2 - t);
}

/** For one axis: each output index reads `taps` input indices with weights; `outside` marks extrapolated outputs. */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
  outside: Uint8Array;
}

function axisTaps(plan: ResizePlan, axis: number): AxisTaps {
  const inLength = plan.inputShape[axis]!;
  const outLength = plan.outputShape[axis]!;
  const taps = plan.mode === 'nearest' ? 1 : plan.mode === 'linear' ? 2 : 4;
  const index = new Int32Array(outLength * taps);
  const weight = new Float64Array(outLength * taps);
  const outside = new Uint8Array(outLength);
  const cubic = new Float64Array(4);
  const clamp = (i: number): number => Math.min(Math.max(i, 0), inLength - 1);
  for (let o = 0; o < outLength; o++) {
    const v = originalCoordinate(plan, axis, o);
    const at = o * taps;
    if (plan.coordinateMode === 'tf_crop_and_resize' && (v < 0 || v > inLength - 1)) {
      outside[o] = 1;
      continue;
    }
    if (plan.mode === 'nearest') {
      index[at] = clamp(nearestIndex(plan.nearestMode, v, plan.scales[axis]!));
      weight[at] = 1;
    } else if (plan.mode === 'linear') {
      const c = Math.min(Math.max(v, 0), inLength - 1);
      const i0 = Math.floor(c);
      const t = c - i0;
      index[at] = i0;
      index[at + 1] = Math.min(i0 + 1, inLength - 1);
      weight[at] = 1 - t;
      weight[at + 1] = t;
    } else {
      const base = Math.floor(v);
      cubicWeights(v - base, plan.cubicA, cubic);
      let total = 0;
      for (let t = 0; t < 4; t++) {
        const i = base - 1 + t;
        const w = plan.excludeOutside && (i < 0 || i >= inLength) ? 0 : cubic[t]!;
        index[at + t] = clamp(i);
        weight[at + t] = w;
        total += w;
      }
      if (plan.excludeOutside) for (let t = 0; t < 4; t++) weight[at + t]! /= total;
    }
  }
  return { taps, index, weight, outside };
}

/** True when the taps copy the axis unchanged (same length, each output reads only its own index). */
function isIdentity(axis: AxisTaps, inLength: number, outLength: number): boolean {
  if (inLength !== outLength) return false;
  for (let o = 0; o < outLength; o++) {
    if (axis.outside[o]) return false;
    for (let t = 0; t < axis.taps; t++) {
      const w = axis.weight[o * axis.taps + t]!;
      if (w !== 0 && (axis.index[o * axis.taps + t] !== o || w !== 1)) return false;
    }
  }
  return true;
}

/** Resample one axis of `x` (shape `shape`) to `outLength`, returning the new float64 data. */
function resampleAxis(x: Float64Array, shape: number[], axis: number, outLength: number, taps: AxisTaps, extrapolation: number): Float64Array {
  const outer = sizeOf(shape.slice(0, axis));
  const inLength = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const y = new Float64Array(outer * outLength * inner);
  for (let b = 0; b < outer; b++) {
    for (let o = 0; o < outLength; o++) {
      const yBase = (b * outLength + o) * inner;
      if (taps.outside[o]) {
        y.fill(extrapolation, yBase, yBase + inner);
        continue;
      }
      for (let t = 0; t < taps.taps; t++) {
        const w = taps.weight[o * taps.taps + t]!;
        if (w === 0) continue;
        const xBase = (b * inLength + taps.index[o * taps.taps + t]!) * inner;
        for (let i = 0; i < inner; i++) y[yBase + i]! += w * x[xBase + i]!;
      }
    }
  }
  return y;
}

/** Per-axis sampling taps of a Resize/Upsample node, exactly as the reference resamples (codegen builds its tables from these). */
export interface ResizeTaps {
  mode: Mode;
  axes: (AxisTaps & { identity: boolean })[];
}

export function resizeTaps(node: Node, inputs: readonly (Known | undefined)[], opset: number): ResizeTaps {
  const plan = planResize(node, inputs, opset);
  return {
    mode: plan.mode,
    axes: plan.inputShape.map((inLength, axis) => {
      const taps = axisTaps(plan, axis);
      return { ...taps, identity: isIdentity(taps, inLength, plan.outputShape[axis]!) };
    }),
  };
}

function evaluateResize(node: Node, inputs: readonly (Value | undefined)[], opset: number): Value {
  const plan = planResize(node, inputs, opset);
  const xValue = inputs[0]!;
  if (xValue.dtype !== 'float32' && plan.mode !== 'nearest') {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `${plan.mode} resize of dtype ${xValue.dtype} is not supported; expected float32`,
      'export the model in float32; eennc quantizes it to int8 itself (--calib)',
    );
  }
  let shape = [...plan.inputShape];
  let data: Float64Array = Float64Array.from(xValue.data as ArrayLike<number>);
  for (let axis = 0; axis < shape.length; axis++) {
    const taps = axisTaps(plan, axis);
    if (isIdentity(taps, shape[axis]!, plan.outputShape[axis]!)) continue;
    data = resampleAxis(data, shape, axis, plan.outputShape[axis]!, taps, plan.extrapolationValue);
    shape[axis] = plan.outputShape[axis]!;
  }
  shape = plan.outputShape;
  const dtype: DType = xValue.dtype;
  const out: TensorData = arrayFor(dtype, data.length);
  out.set(data);
  return { shape: [...shape], dtype, data: out };
}

// No MACs are counted: interpolation weights are not learned parameters.
const resizeDef = (op: 'Resize' | 'Upsample', opsets: [number, number]): OpDef =>
  movementOp(
    op,
    opsets,
    (node, inputs, opset) => planResize(node, inputs, opset).outputShape,
    (node, _x, _shape, inputs, opset) => evaluateResize(node, inputs, opset),
  );

export const ops: OpDef[] = [resizeDef('Resize', [10, 22]), resizeDef('Upsample', [7, 9])];
