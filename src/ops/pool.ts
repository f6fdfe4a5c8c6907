// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool: shape rules and float references (1-D, 2-D, 3-D).
// Layout [N, C, spatial...]; window geometry comes from spatial.ts, shared with Conv.

import { nodeError } from '../ir/diagnostics.js';
import type { DType, Node, TensorData } from '../ir/graph.js';
import { arrayFor, sizeOf } from '../ir/graph.js';
import { attrInt, attrInts } from './attrs.js';
import { requireOperand } from './float-operands.js';
import { checkSpatialRank, forwardWindow, volumeAxes, type WindowGeometry } from './spatial.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

type Shaped = Pick<InputInfo, 'shape' | 'dtype'>;

function requireX<T extends Shaped>(node: Node, inputs: readonly (T | undefined)[]): T {
  const x = requireOperand(node, inputs, 0, 'X');
  if (x.shape.length < 3) {
    throw nodeError('E_SHAPE', node, `input X has shape [${x.shape.join(', ')}], expected rank >= 3 ([N, C, spatial...])`);
  }
  return x;
}

function numericData(node: Node, value: Value): TensorData {
  if (value.dtype === 'bool' || value.dtype === 'int64') {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `X has dtype ${value.dtype}; pooling expects a float or 8-bit integer tensor`,
      'export the model in float32; eennc quantizes it to int8 itself (--calib)',
    );
  }
  return value.data;
}

/** Window geometry of a local pool; kernel_shape is required, one entry per spatial axis. */
function planPool(node: Node, x: Shaped): WindowGeometry {
  const spatialRank = x.shape.length - 2;
  checkSpatialRank(node, spatialRank);
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel || kernel.length !== spatialRank || kernel.some((k) => !Number.isInteger(k) || k < 1)) {
    throw nodeError(
      'E_SHAPE',
      node,
      `attribute kernel_shape ${kernel ? `[${kernel.join(', ')}]` : 'is missing; it'} must hold ${spatialRank} positive sizes (one per spatial axis of X [${x.shape.join(', ')}])`,
    );
  }
  return forwardWindow(node, x.shape.slice(2), kernel, { ceilMode: attrInt(node, 'ceil_mode', 0) !== 0 });
}

function pooledShape(x: Shaped, window: WindowGeometry): number[] {
  return [x.shape[0]!, x.shape[1]!, ...window.outputSize];
}

/** Taps of one window axis that land inside the input: [first tap, last tap) for output position `o`. */
function tapRange(o: number, stride: number, padBegin: number, dilation: number, kernel: number, input: number): [number, number] {
  const start = o * stride - padBegin;
  const first = Math.max(0, Math.ceil(-start / dilation));
  const last = Math.min(kernel, Math.floor((input - 1 - start) / dilation) + 1);
  return [first, Math.max(first, last)];
}

/** Taps of one window axis inside the padded input [-padBegin, input + padEnd): the count_include_pad divisor. */
function paddedTapCount(o: number, stride: number, padBegin: number, padEnd: number, dilation: number, kernel: number, input: number): number {
  const start = o * stride - padBegin;
  const first = Math.max(0, Math.ceil((-padBegin - start) / dilation));
  const last = Math.min(kernel, Math.floor((input + padEnd - 1 - start) / dilation) + 1);
  return Math.max(0, last - first);
}

type PoolKind = 'max' | 'average';

/**
 * One loop nest for both local pools. Max ignores padding (as if padded with -inf); average divides by the
 * taps inside the input, or with count_include_pad by the taps inside the padded input (taps that a
 * ceil_mode window puts beyond the end padding never count, as in onnxruntime).
 * With `indices`, MaxPool's second output gets the flat index of each maximum in X (row-major over
 * N, C and the spatial axes, or column-major over the spatial axes with storage_order=1).
 */
function evaluatePool(node: Node, inputs: (Value | undefined)[], kind: PoolKind, withIndices: boolean): Value[] {
  const xValue = requireX(node, inputs);
  const x = numericData(node, xValue);
  const window = planPool(node, xValue);
  const { inD, inH, inW, outD, outH, outW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, eD, eH, eW, inPlane, outPlane } = volumeAxes(window);
  const countPad = attrInt(node, 'count_include_pad', 0) !== 0;
  const columnMajor = attrInt(node, 'storage_order', 0) !== 0;
  const planes = xValue.shape[0]! * xValue.shape[1]!;
  const outShape = pooledShape(xValue, window);
  const y = arrayFor(kind === 'max' ? xValue.dtype : 'float32', planes * outPlane);
  const indices = withIndices ? new Float64Array(planes * outPlane) : undefined;
  for (let plane = 0; plane < planes; plane++) {
    const xBase = plane * inPlane;
    let o = plane * outPlane;
    for (let od = 0; od < outD; od++) {
      const [fd, ld] = tapRange(od, sD, pD, dD, kD, inD);
      const cd = paddedTapCount(od, sD, pD, eD, dD, kD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const [fh, lh] = tapRange(oh, sH, pH, dH, kH, inH);
        const ch = paddedTapCount(oh, sH, pH, eH, dH, kH, inH);
        for (let ow = 0; ow < outW; ow++, o++) {
          const [fw, lw] = tapRange(ow, sW, pW, dW, kW, inW);
          let best = -Infinity;
          let bestAt = -1;
          let sum = 0;
          for (let kd = fd; kd < ld; kd++) {
            const id = od * sD - pD + kd * dD;
            for (let kh = fh; kh < lh; kh++) {
              const ih = oh * sH - pH + kh * dH;
              const row = (id * inH + ih) * inW;
              for (let kw = fw; kw < lw; kw++) {
                const at = row + ow * sW - pW + kw * dW;
                const v = x[xBase + at]!;
                if (kind === 'average') sum += v;
                else if (v > best) {
                  best = v;
                  bestAt = at;
                }
              }
            }
          }
          if (kind === 'average') {
            const inside = (ld - fd) * (lh - fh) * (lw - fw);
            const count = countPad ? cd * ch * paddedTapCount(ow, sW, pW, eW, dW, kW, inW) : inside;
            y[o] = count > 0 ? sum / count : 0;
          } else {
            y[o] = best;
            if (indices) {
              let flat = bestAt;
              if (columnMajor && bestAt >= 0) {
                const w = bestAt % inW;
                const h = Math.floor(bestAt / inW) % inH;
                const d = Math.floor(bestAt / (inW * inH));
                flat = (w * inH + h) * inD + d;
              }
              indices[o] = xBase + flat;
            }
          }
        }
      }
    }
  }
  const outputs: Value[] = [{ shape: outShape, dtype: kind === 'max' ? xValue.dtype : 'float32', data: y }];
  if (indices) outputs.push({ shape: outShape, dtype: 'int64', data: indices });
  return outputs;
}

/** Global pools reduce every spatial axis to 1: [N, C, 1, ..., 1]. */
function globalShape(x: Shaped): number[] {
  return [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
}

function evaluateGlobalPool(node: Node, inputs: (Value | undefined)[], kind: PoolKind): Value[] {
  const xValue = requireX(node, inputs);
  const x = numericData(node, xValue);
  const planes = xValue.shape[0]! * xValue.shape[1]!;
  const plane = sizeOf(xValue.shape.slice(2));
  const dtype: DType = kind === 'max' ? xValue.dtype : 'float32';
  const y = arrayFor(dtype, planes);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    let best = -Infinity;
    for (let i = p * plane, end = i + plane; i < end; i++) {
      const v = x[i]!;
      sum += v;
      if (v > best) best = v;
    }
    y[p] = kind === 'max' ? best : sum / plane;
  }
  return [{ shape: globalShape(xValue), dtype, data: y }];
}

function rejectAverageNonFloat(node: Node, x: Shaped): void {
  if (x.dtype !== 'float32') {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `X has dtype ${x.dtype}; average pooling is implemented for float32 only`,
      'export the model in float32; eennc quantizes it to int8 itself (--calib)',
    );
  }
}

/**
 * A pool with one output: Y of `shape` and X's type (float32 only for an average), computed by `evaluate`.
 * MACs: pools multiply nothing by weights, so every pool reports 0 (their adds and compares are not MACs).
 */
function poolOp(
  op: string,
  kind: PoolKind,
  shape: (node: Node, x: Shaped) => number[],
  evaluate: (node: Node, inputs: (Value | undefined)[]) => Value[],
): OpDef {
  return {
    op,
    opsets: [1, 22],
    inferShapes(node, inputs) {
      const x = requireX(node, inputs);
      if (kind === 'average') rejectAverageNonFloat(node, x);
      return [{ shape: shape(node, x), dtype: x.dtype }];
    },
    evaluate(node, inputs) {
      if (kind === 'average') rejectAverageNonFloat(node, requireX(node, inputs));
      return evaluate(node, inputs);
    },
    macs: () => 0,
  };
}

export const ops: OpDef[] = [
  {
    op: 'MaxPool',
    opsets: [1, 22],
    inferShapes(node, inputs): OutputInfo[] {
      const x = requireX(node, inputs);
      const shape = pooledShape(x, planPool(node, x));
      const outputs: OutputInfo[] = [{ shape, dtype: x.dtype }];
      if (node.outputs.length > 1 && node.outputs[1] !== '') outputs.push({ shape, dtype: 'int64' });
      return outputs;
    },
    evaluate(node, inputs) {
      return evaluatePool(node, inputs, 'max', node.outputs.length > 1 && node.outputs[1] !== '');
    },
    macs: () => 0,
  },
  poolOp(
    'AveragePool',
    'average',
    (node, x) => pooledShape(x, planPool(node, x)),
    (node, inputs) => evaluatePool(node, inputs, 'average', false),
  ),
  poolOp(
    'GlobalAveragePool',
    'average',
    (_node, x) => globalShape(x),
    (node, inputs) => evaluateGlobalPool(node, inputs, 'average'),
  ),
  poolOp(
    'GlobalMaxPool',
    'max',
    (_node, x) => globalShape(x),
    (node, inputs) => evaluateGlobalPool(node, inputs, 'max'),
  ),
];
