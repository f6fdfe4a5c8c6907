// Window geometry shared by Conv, ConvTranspose and the pooling operators: kernel, strides, dilations,
// explicit or automatic padding, and the output size they give. Used by shape inference and the float reference.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { attrInts, attrString } from './attrs.js';

/** The largest spatial rank the float reference handles (N, C, D, H, W). */
export const MAX_SPATIAL_RANK = 3;

/**
 * How a sliding window walks one tensor: every array has one entry per spatial axis
 * (the axes after N and C), in the model's own rank.
 */
export interface WindowGeometry {
  inputSize: number[];
  outputSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
}

/** A 1-D or 2-D window as 2-D numbers (1-D: height 1). */
export interface Window2d {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  dH: number;
  dW: number;
}

/** A 1-D or 2-D geometry as a Window2d (1-D: height 1, no padding, stride and dilation 1 on the height). */
export function to2d(g: WindowGeometry): Window2d {
  const two = g.inputSize.length === 2;
  const at = (values: number[], fill: number): [number, number] => (two ? [values[0]!, values[1]!] : [fill, values[0]!]);
  const [inH, inW] = at(g.inputSize, 1);
  const [outH, outW] = at(g.outputSize, 1);
  const [kH, kW] = at(g.kernel, 1);
  const [sH, sW] = at(g.strides, 1);
  const [dH, dW] = at(g.dilations, 1);
  const [padTop, padLeft] = at(g.padsBegin, 0);
  const [padBottom, padRight] = at(g.padsEnd, 0);
  return { inH, inW, outH, outW, kH, kW, sH, sW, padTop, padLeft, padBottom, padRight, dH, dW };
}

/** The same geometry with exactly three spatial axes: leading axes of size 1 are added (a no-op window). */
interface VolumeGeometry {
  inputSize: [number, number, number];
  outputSize: [number, number, number];
  kernel: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  padsBegin: [number, number, number];
  padsEnd: [number, number, number];
}

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Read `auto_pad`, rejecting values the ONNX spec does not define. */
export function readAutoPad(node: Node): AutoPad {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER' && autoPad !== 'VALID') {
    throw nodeError('E_GRAPH', node, `auto_pad "${autoPad}" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  return autoPad;
}

/** A per-axis integer attribute (strides, dilations) of length `rank`, each value at least `min`. */
export function readAxisInts(node: Node, name: string, rank: number, fallback: number, min: number): number[] {
  const values = attrInts(node, name) ?? new Array<number>(rank).fill(fallback);
  if (values.length !== rank) {
    throw nodeError('E_SHAPE', node, `attribute "${name}" has ${values.length} values, expected ${rank} (one per spatial axis)`);
  }
  for (const v of values) {
    if (!Number.isInteger(v) || v < min) {
      throw nodeError('E_SHAPE', node, `attribute "${name}" must hold integers >= ${min}, got [${values.join(', ')}]`);
    }
  }
  return values;
}

/** Explicit `pads` ([x1_begin, x2_begin, ..., x1_end, x2_end, ...]) split into begin and end lists. */
export function readPads(node: Node, rank: number): { padsBegin: number[]; padsEnd: number[] } {
  const pads = attrInts(node, 'pads') ?? new Array<number>(2 * rank).fill(0);
  if (pads.length !== 2 * rank) {
    throw nodeError('E_SHAPE', node, `attribute "pads" has ${pads.length} values, expected ${2 * rank} (begin and end of each spatial axis)`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw nodeError('E_SHAPE', node, `attribute "pads" must hold non-negative integers, got [${pads.join(', ')}]`);
  }
  return { padsBegin: pads.slice(0, rank), padsEnd: pads.slice(rank) };
}

/** Extent of a dilated kernel: the distance from its first to its last tap, plus one. */
export function dilatedExtent(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/**
 * Geometry of a forward window (Conv, MaxPool, AveragePool) over `inputSize`.
 * Output size, per the ONNX spec:
 *   NOTSET: floor((in + pad_begin + pad_end - extent) / stride) + 1 (ceil instead of floor with ceil_mode);
 *   SAME_UPPER / SAME_LOWER: ceil(in / stride), the padding split with the odd element at the end / the beginning;
 *   VALID: no padding.
 * With ceil_mode a window that would start in the end padding is dropped (the rule PyTorch and onnxruntime apply).
 */
export function forwardWindow(
  node: Node,
  inputSize: readonly number[],
  kernel: readonly number[],
  options: { ceilMode?: boolean } = {},
): WindowGeometry {
  const rank = inputSize.length;
  const strides = readAxisInts(node, 'strides', rank, 1, 1);
  const dilations = readAxisInts(node, 'dilations', rank, 1, 1);
  const autoPad = readAutoPad(node);
  let padsBegin: number[];
  let padsEnd: number[];
  const outputSize = new Array<number>(rank);
  if (autoPad === 'NOTSET') {
    ({ padsBegin, padsEnd } = readPads(node, rank));
  } else {
    padsBegin = new Array<number>(rank).fill(0);
    padsEnd = new Array<number>(rank).fill(0);
  }
  for (let i = 0; i < rank; i++) {
    const extent = dilatedExtent(kernel[i]!, dilations[i]!);
    const input = inputSize[i]!;
    const stride = strides[i]!;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(input / stride);
      const total = Math.max(0, (out - 1) * stride + extent - input);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i]!;
      outputSize[i] = out;
      continue;
    }
    const span = input + padsBegin[i]! + padsEnd[i]! - extent;
    // With ceil_mode a window may run past the end (one output when span > -stride), as in onnxruntime and PyTorch.
    if (span < 0 && !(options.ceilMode && span > -stride)) {
      throw nodeError(
        'E_SHAPE',
        node,
        `spatial axis ${i} has size ${input} (padded ${input + padsBegin[i]! + padsEnd[i]!}), smaller than the kernel extent ${extent}`,
      );
    }
    let out = (options.ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
    if (options.ceilMode && (out - 1) * stride >= input + padsBegin[i]!) out--;
    outputSize[i] = out;
  }
  return { inputSize: [...inputSize], outputSize, kernel: [...kernel], strides, dilations, padsBegin, padsEnd };
}

/** Check the spatial rank is one the float reference handles. */
export function checkSpatialRank(node: Node, spatialRank: number): void {
  if (spatialRank < 1 || spatialRank > MAX_SPATIAL_RANK) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `${spatialRank} spatial axes are not supported (input rank ${spatialRank + 2}); expected 1 to ${MAX_SPATIAL_RANK} (N, C, then D, H, W)`,
      'reshape the tensor so that it has layout [N, C, W], [N, C, H, W] or [N, C, D, H, W]',
    );
  }
}

/**
 * A window promoted to three spatial axes (toVolume) as the named numbers of the reference loop nests: per axis
 * D, H, W the input and output sizes, the kernel (k), stride (s), dilation (d), begin pad (p) and end pad (e); and
 * the elements of one input plane, one output plane and one kernel.
 */
export interface VolumeAxes {
  inD: number;
  inH: number;
  inW: number;
  outD: number;
  outH: number;
  outW: number;
  kD: number;
  kH: number;
  kW: number;
  sD: number;
  sH: number;
  sW: number;
  dD: number;
  dH: number;
  dW: number;
  pD: number;
  pH: number;
  pW: number;
  eD: number;
  eH: number;
  eW: number;
  inPlane: number;
  outPlane: number;
  taps: number;
}

export function volumeAxes(window: WindowGeometry): VolumeAxes {
  const g = toVolume(window);
  const [inD, inH, inW] = g.inputSize;
  const [outD, outH, outW] = g.outputSize;
  const [kD, kH, kW] = g.kernel;
  const [sD, sH, sW] = g.strides;
  const [dD, dH, dW] = g.dilations;
  const [pD, pH, pW] = g.padsBegin;
  const [eD, eH, eW] = g.padsEnd;
  return {
    inD,
    inH,
    inW,
    outD,
    outH,
    outW,
    kD,
    kH,
    kW,
    sD,
    sH,
    sW,
    dD,
    dH,
    dW,
    pD,
    pH,
    pW,
    eD,
    eH,
    eW,
    inPlane: inD * inH * inW,
    outPlane: outD * outH * outW,
    taps: kD * kH * kW,
  };
}

/** Promote a 1-D or 2-D geometry to three spatial axes, so one loop nest serves every rank. */
function toVolume(g: WindowGeometry): VolumeGeometry {
  const lead = MAX_SPATIAL_RANK - g.inputSize.length;
  const grow = (values: readonly number[], fill: number): [number, number, number] => {
    const out = [...new Array<number>(lead).fill(fill), ...values];
    return [out[0]!, out[1]!, out[2]!];
  };
  return {
    inputSize: grow(g.inputSize, 1),
    outputSize: grow(g.outputSize, 1),
    kernel: grow(g.kernel, 1),
    strides: grow(g.strides, 1),
    dilations: grow(g.dilations, 1),
    padsBegin: grow(g.padsBegin, 0),
    padsEnd: grow(g.padsEnd, 0),
  };
}

/**
 * The range [first, last) of output positions `o` for which the input position
 * `o * stride - padBegin + tap` lies inside [0, inputSize). Lets inner loops run without bounds checks.
 */
export function validOutputRange(outputSize: number, inputSize: number, stride: number, padBegin: number, tap: number): [number, number] {
  const first = Math.max(0, Math.ceil((padBegin - tap) / stride));
  const last = Math.min(outputSize, Math.floor((inputSize - 1 + padBegin - tap) / stride) + 1);
  return [first, Math.max(first, last)];
}
