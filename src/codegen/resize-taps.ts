// Resize / Upsample sampling tables for eenn_resize_f32: for each output row and column, the input indices it
// reads and their weights. Follows the ONNX Resize rules exactly as src/ops/resize.ts (the float reference) does,
// coordinate by coordinate in float32; the codegen tests run both on the same models to keep them in step.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Node } from '../ir/graph.js';
import { attrFloat, attrInt, attrString, normalizeAxis, numbersOf } from '../ops/attrs.js';
import type { LowerContext } from './kernel-call.js';

type Mode = 'nearest' | 'linear' | 'cubic';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'legacy';

export interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
  /** True when the axis is copied unchanged. */
  identity: boolean;
}

export interface ResizeTables {
  mode: Mode;
  axes: AxisTaps[];
}

const f32 = Math.fround;

function constantInput(ctx: LowerContext, index: number, what: string): number[] | undefined {
  const t = ctx.inputs[index];
  if (!t || sizeOf(t.shape) === 0) return undefined;
  if (!t.data) throw nodeError('E_UNSUPPORTED', ctx.node, `input ${index} ("${what}") must be a constant to compile Resize`);
  return numbersOf(t.data);
}

/** Per-axis scales of the resize (as the reference derives them from scales or sizes). */
function readScales(ctx: LowerContext, node: Node, inputShape: number[], legacy: boolean): { scales: number[]; roi?: number[]; axes?: number[] } {
  const rank = inputShape.length;
  const rawAxes = ctx.opset >= 18 ? node.attrs.axes : undefined;
  const axes = Array.isArray(rawAxes) ? (rawAxes as number[]).map((a) => normalizeAxis(node, a, rank)) : undefined;
  const expand = (values: number[], fill: (axis: number) => number): number[] => {
    if (!axes) return values;
    const full = Array.from({ length: rank }, (_, a) => fill(a));
    axes.forEach((a, i) => { full[a] = values[i]!; });
    return full;
  };
  if (node.op === 'Upsample' && ctx.opset < 9) return { scales: node.attrs.scales as number[] };
  if (legacy) return { scales: constantInput(ctx, 1, 'scales')! };
  const roi = constantInput(ctx, 1, 'roi');
  const scalesGiven = constantInput(ctx, 2, 'scales');
  if (scalesGiven) return { scales: expand(scalesGiven, () => 1), roi, axes };
  const sizes = expand(constantInput(ctx, 3, 'sizes')!, (a) => inputShape[a]!);
  const policy = ctx.opset >= 18 ? attrString(node, 'keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (policy === 'stretch') return { scales: sizes.map((s, i) => s / inputShape[i]!), roi, axes };
  const resized = axes ?? inputShape.map((_, i) => i);
  const ratios = resized.map((a) => sizes[a]! / inputShape[a]!);
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  const scales = inputShape.map(() => 1);
  for (const a of resized) scales[a] = scale;
  return { scales, roi, axes };
}

/** The sampling tables of every axis of a Resize / Upsample node. */
export function resizeTables(ctx: LowerContext): ResizeTables {
  const { node } = ctx;
  const x = ctx.inputs[0]!;
  const inputShape = x.shape;
  const outputShape = ctx.outputs[0]!.shape;
  const rank = inputShape.length;
  const legacy = node.op === 'Upsample' || ctx.opset < 11;
  const mode = attrString(node, 'mode', 'nearest') as Mode;
  const coordinateMode = legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearestMode = (legacy ? 'legacy' : attrString(node, 'nearest_mode', 'round_prefer_floor')) as NearestMode;
  const cubicA = attrFloat(node, 'cubic_coeff_a', -0.75);
  const excludeOutside = attrInt(node, 'exclude_outside', 0) !== 0;
  const { scales, roi, axes } = readScales(ctx, node, inputShape, legacy);
  const roiStart = inputShape.map(() => 0);
  const roiEnd = inputShape.map(() => 1);
  if (roi && coordinateMode === 'tf_crop_and_resize') {
    const count = axes ? axes.length : rank;
    (axes ?? inputShape.map((_, i) => i)).forEach((a, i) => {
      roiStart[a] = roi[i]!;
      roiEnd[a] = roi[i + count]!;
    });
  }

  const coordinate = (axis: number, o: number): number => {
    const scale = f32(scales[axis]!);
    const inLength = inputShape[axis]!;
    const outLength = f32(scale * inLength);
    const halfPixel = f32(f32(f32(o + 0.5) / scale) - 0.5);
    switch (coordinateMode) {
      case 'half_pixel': return halfPixel;
      case 'half_pixel_symmetric': {
        const adjustment = f32(outputShape[axis]! / outLength);
        const offset = f32(f32(inLength / 2) * f32(1 - adjustment));
        return f32(f32(offset + f32(f32(o + 0.5) / scale)) - 0.5);
      }
      case 'pytorch_half_pixel': return outputShape[axis]! > 1 ? halfPixel : 0;
      case 'align_corners': return outLength === 1 ? 0 : f32(f32(o * (inLength - 1)) / f32(outLength - 1));
      case 'asymmetric': return f32(o / scale);
      case 'tf_half_pixel_for_nn': return f32(f32(o + 0.5) / scale);
      case 'tf_crop_and_resize': {
        const start = f32(roiStart[axis]!);
        const end = f32(roiEnd[axis]!);
        return outLength === 1
          ? f32(f32(f32(end - start) * (inLength - 1)) / 2 + f32(start * (inLength - 1)))
          : f32(f32(f32(o * f32(end - start)) * (inLength - 1)) / f32(outLength - 1) + f32(start * (inLength - 1)));
      }
      default:
        throw nodeError('E_UNSUPPORTED', node, `coordinate_transformation_mode "${coordinateMode}" is not supported`);
    }
  };
  const nearest = (v: number, scale: number): number => {
    switch (nearestMode) {
      case 'round_prefer_floor': return Math.ceil(v - 0.5);
      case 'round_prefer_ceil': return Math.floor(v + 0.5);
      case 'floor': return Math.floor(v);
      case 'ceil': return Math.ceil(v);
      case 'legacy': return scale < 1 ? Math.ceil(v) : Math.floor(v);
    }
  };
  const cubicWeight = (d: number): number => {
    const ad = Math.abs(d);
    if (ad <= 1) return ((cubicA + 2) * ad - (cubicA + 3)) * ad * ad + 1;
    if (ad < 2) return ((cubicA * ad - 5 * cubicA) * ad + 8 * cubicA) * ad - 4 * cubicA;
    return 0;
  };

  const tables = inputShape.map((inLength, axis): AxisTaps => {
    const outLength = outputShape[axis]!;
    const taps = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
    const index = new Int32Array(outLength * taps);
    const weight = new Float64Array(outLength * taps);
    const clamp = (i: number): number => Math.min(Math.max(i, 0), inLength - 1);
    for (let o = 0; o < outLength; o++) {
      const v = coordinate(axis, o);
      const at = o * taps;
      if (coordinateMode === 'tf_crop_and_resize' && (v < 0 || v > inLength - 1)) {
        throw nodeError('E_UNSUPPORTED', node, 'tf_crop_and_resize with samples outside the input (extrapolation) is not supported');
      }
      if (mode === 'nearest') {
        index[at] = clamp(nearest(v, scales[axis]!));
        weight[at] = 1;
      } else if (mode === 'linear') {
        const c = Math.min(Math.max(v, 0), inLength - 1);
        const i0 = Math.floor(c);
        const t = c - i0;
        index[at] = i0;
        index[at + 1] = Math.min(i0 + 1, inLength - 1);
        weight[at] = 1 - t;
        weight[at + 1] = t;
      } else {
        const base = Math.floor(v);
        const t = v - base;
        const w = [cubicWeight(t + 1), cubicWeight(t), cubicWeight(1 - t), cubicWeight(2 - t)];
        let total = 0;
        for (let k = 0; k < 4; k++) {
          const i = base - 1 + k;
          const wk = excludeOutside && (i < 0 || i >= inLength) ? 0 : w[k]!;
          index[at + k] = clamp(i);
          weight[at + k] = wk;
          total += wk;
        }
        if (excludeOutside) for (let k = 0; k < 4; k++) weight[at + k] /= total;
      }
    }
    let identity = inLength === outLength;
    for (let o = 0; o < outLength && identity; o++) {
      for (let t = 0; t < taps; t++) {
        const w = weight[o * taps + t]!;
        if (w !== 0 && (index[o * taps + t] !== o || w !== 1)) { identity = false; break; }
      }
    }
    return { taps, index, weight: Float32Array.from(weight), identity };
  });
  return { mode, axes: tables };
}
