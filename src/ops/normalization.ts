// Normalizations: shape rules and float references.
// BatchNormalization in inference mode, layout [N, C, spatial...]: Y = (X - mean) / sqrt(var + epsilon) * scale + B,
// with the running statistics given as inputs. LayerNormalization and InstanceNormalization compute the mean
// and variance of each normalized row of X itself, MeanVarianceNormalization over any axes; LRN normalizes across
// a window of channels.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { attrInt, attrInts, declaredFloat, normalizeAxis } from './attrs.js';
import { broadcastOffsets } from './broadcast.js';
import { float32Data, requireOperand } from './float-operands.js';
import { checkType } from './operands.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

type Shaped = Pick<InputInfo, 'shape' | 'dtype'>;

const PARAMETER_NAMES = ['scale', 'B', 'input_mean', 'input_var'] as const;

/**
 * Training mode computes batch statistics and writes running statistics as extra outputs; a compiler
 * for inference has no use for either, so only the plain Y = f(X) form is accepted.
 */
function rejectTrainingMode(node: Node, opset: number): void {
  const extraOutputs = node.outputs.slice(1).filter((name) => name !== '').length;
  const training = opset >= 14 && attrInt(node, 'training_mode', 0) !== 0;
  if (training || extraOutputs > 0) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      'training-mode BatchNormalization (batch statistics, running mean/var outputs) is not supported; only inference mode is',
      'export the model in evaluation mode (model.eval() in PyTorch) so BatchNormalization has a single output',
    );
  }
}

/**
 * Checks X and the four parameter vectors. Each parameter has C elements ([C]); the pre-opset-9
 * `spatial=0` form, with one parameter per channel and spatial position ([C, D1, ...]), is accepted too.
 * Returns the number of parameter elements (C, or C * spatial size).
 */
function checkOperands(node: Node, inputs: readonly (Shaped | undefined)[], opset: number): number {
  const x = requireOperand(node, inputs, 0, 'X');
  if (x.shape.length < 2) {
    throw nodeError('E_SHAPE', node, `input X has shape [${x.shape.join(', ')}], expected rank >= 2 ([N, C, ...])`);
  }
  rejectTrainingMode(node, opset);
  const channels = x.shape[1]!;
  const perPosition = opset < 9 && attrInt(node, 'spatial', 1) === 0;
  const expected = perPosition ? x.shape.slice(1) : [channels];
  for (let i = 0; i < PARAMETER_NAMES.length; i++) {
    const p = requireOperand(node, inputs, i + 1, PARAMETER_NAMES[i]!);
    if (sizeOf(p.shape) !== sizeOf(expected) || (p.shape.length !== expected.length && p.shape.length !== 1)) {
      throw nodeError(
        'E_SHAPE',
        node,
        `${PARAMETER_NAMES[i]} has shape [${p.shape.join(', ')}], expected [${expected.join(', ')}] (X is [${x.shape.join(', ')}])`,
      );
    }
  }
  return sizeOf(expected);
}

function evaluateBatchNorm(node: Node, inputs: (Value | undefined)[], opset: number): Value[] {
  const parameters = checkOperands(node, inputs, opset);
  const xValue = inputs[0]!;
  const x = float32Data(node, xValue, 'X');
  const [scale, bias, mean, variance] = PARAMETER_NAMES.map((name, i) => float32Data(node, requireOperand(node, inputs, i + 1, name), name));
  const epsilon = declaredFloat(batchNormalization, node, 'epsilon');
  const channels = xValue.shape[1]!;
  const inner = sizeOf(xValue.shape.slice(2));
  // Per-parameter multiplier and offset, so each element costs one multiply-add: y = x * a + b.
  const multiplier = new Float64Array(parameters);
  const offset = new Float64Array(parameters);
  for (let p = 0; p < parameters; p++) {
    multiplier[p] = scale![p]! / Math.sqrt(variance![p]! + epsilon);
    offset[p] = bias![p]! - mean![p]! * multiplier[p]!;
  }
  const perPosition = parameters !== channels;
  const y = new Float32Array(x.length);
  const batch = xValue.shape[0]!;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const p = perPosition ? c * inner + i : c;
        y[base + i] = x[base + i]! * multiplier[p]! + offset[p]!;
      }
    }
  }
  return [{ shape: [...xValue.shape], dtype: 'float32', data: y }];
}

const batchNormalization: OpDef = {
  op: 'BatchNormalization',
  opsets: [6, 22],
  attributes: { epsilon: 1e-5 },
  // y[i] = x[i] * scale[c] + shift[c]: each element read before it is written.
  inPlace: true,
  inferShapes(node, inputs, opset) {
    checkOperands(node, inputs, opset);
    const x = inputs[0]!;
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs, opset) {
    return evaluateBatchNorm(node, inputs, opset);
  },
  /** Reports 0: BatchNormalization has no weight multiply-accumulates (and is usually folded into Conv). */
  macs: () => 0,
};

// ---------------------------------------------------------------- LayerNormalization, InstanceNormalization

/**
 * The statistics of one row of `length` values starting at `base` (stride 1): the mean and 1 / sqrt(variance +
 * epsilon), in float64 (the variance is the mean of the squared deviations from the mean, two passes).
 */
function rowStatistics(x: ArrayLike<number>, base: number, length: number, epsilon: number): { mean: number; invStdDev: number } {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += x[base + i]!;
  const mean = sum / length;
  let squares = 0;
  for (let i = 0; i < length; i++) {
    const d = x[base + i]! - mean;
    squares += d * d;
  }
  return { mean, invStdDev: 1 / Math.sqrt(squares / length + epsilon) };
}

/** The shape `shape` with its leading 1s dropped (how a parameter broadcasts onto the normalized axes). */
function withoutLeadingOnes(shape: readonly number[]): number[] {
  const first = shape.findIndex((d) => d !== 1);
  return first < 0 ? [] : shape.slice(first);
}

/**
 * Checks that a LayerNormalization parameter (Scale or B) broadcasts onto the normalized shape the way its
 * kernel reads it: its shape, leading 1s dropped, is a suffix of the normalized shape, so element i of a row
 * reads parameter i mod size.
 */
function checkRowParameter(node: Node, what: string, shape: readonly number[], normalized: readonly number[]): void {
  const own = withoutLeadingOnes(shape);
  const suffix = normalized.slice(normalized.length - own.length);
  if (own.length > normalized.length || own.some((d, i) => d !== suffix[i])) {
    throw nodeError(
      'E_SHAPE',
      node,
      `${what} has shape [${shape.join(', ')}], which does not broadcast onto the normalized shape [${normalized.join(', ')}]`,
    );
  }
}

/** Rows, row length and statistics shape of a LayerNormalization node (also read by its lowering). */
export function layerNormLayout(node: Node, inputs: readonly (Shaped | undefined)[]) {
  const x = requireOperand(node, inputs, 0, 'X');
  const rank = x.shape.length;
  if (rank < 1) throw nodeError('E_SHAPE', node, 'input X is a scalar; LayerNormalization needs rank >= 1');
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), rank);
  const normalized = x.shape.slice(axis);
  checkRowParameter(node, 'Scale', requireOperand(node, inputs, 1, 'Scale').shape, normalized);
  const bias = inputs[2];
  if (bias) checkRowParameter(node, 'B', bias.shape, normalized);
  const stash = attrInt(node, 'stash_type', 1);
  if (stash !== 1) {
    throw nodeError('E_UNSUPPORTED', node, `stash_type ${stash} is not supported; the statistics are computed in float32 (stash_type 1)`);
  }
  return {
    axis,
    rows: sizeOf(x.shape.slice(0, axis)),
    length: sizeOf(normalized),
    statShape: x.shape.map((d, i) => (i < axis ? d : 1)),
  };
}

function evaluateLayerNorm(node: Node, inputs: (Value | undefined)[]): Value[] {
  const layout = layerNormLayout(node, inputs);
  const xValue = inputs[0]!;
  const x = float32Data(node, xValue, 'X');
  const scale = float32Data(node, inputs[1]!, 'Scale');
  const bias = inputs[2] ? float32Data(node, inputs[2], 'B') : undefined;
  const epsilon = declaredFloat(layerNormalization, node, 'epsilon');
  const { rows, length } = layout;
  const y = new Float32Array(x.length);
  const means = new Float32Array(rows);
  const invStdDevs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * length;
    const { mean, invStdDev } = rowStatistics(x, base, length, epsilon);
    means[r] = mean;
    invStdDevs[r] = invStdDev;
    for (let i = 0; i < length; i++) {
      const normalized = (x[base + i]! - mean) * invStdDev;
      y[base + i] = normalized * scale[i % scale.length]! + (bias ? bias[i % bias.length]! : 0);
    }
  }
  return [
    { shape: [...xValue.shape], dtype: 'float32', data: y },
    { shape: layout.statShape, dtype: 'float32', data: means },
    { shape: [...layout.statShape], dtype: 'float32', data: invStdDevs },
  ].slice(0, Math.max(1, node.outputs.length)) as Value[];
}

/**
 * LayerNormalization (opset 17): each row of X over the axes `axis`.. is normalized to mean 0 and variance 1,
 * then scaled and shifted element by element: Y = (X - mean) / sqrt(var + epsilon) * Scale + B. The optional
 * outputs Mean and InvStdDev hold each row's mean and 1 / sqrt(var + epsilon), with the normalized axes kept as 1s.
 */
const layerNormalization: OpDef = {
  op: 'LayerNormalization',
  opsets: [17, 22],
  attributes: { epsilon: 1e-5 },
  inferShapes(node, inputs) {
    const layout = layerNormLayout(node, inputs);
    const x = inputs[0]!;
    checkType(node, x.dtype, ['float32']);
    const outputs: OutputInfo[] = [
      { shape: [...x.shape], dtype: x.dtype },
      { shape: layout.statShape, dtype: 'float32' },
      { shape: [...layout.statShape], dtype: 'float32' },
    ];
    return outputs.slice(0, Math.max(1, node.outputs.length));
  },
  evaluate(node, inputs) {
    return evaluateLayerNorm(node, inputs);
  },
  /** Two multiply-adds per element (the variance and the scale). */
  macs: (_node, inputs) => 2 * sizeOf(inputs[0]?.shape ?? []),
};

/** InstanceNormalization: each (n, c) plane of X [N, C, ...] normalized on its own, then scale[c] and B[c] applied. */
export function instanceNormLayout(node: Node, inputs: readonly (Shaped | undefined)[]) {
  const x = requireOperand(node, inputs, 0, 'input');
  if (x.shape.length < 3) {
    throw nodeError('E_SHAPE', node, `input has shape [${x.shape.join(', ')}], expected rank >= 3 ([N, C, D1, ...])`);
  }
  const channels = x.shape[1]!;
  for (const [index, what] of [
    [1, 'scale'],
    [2, 'B'],
  ] as const) {
    const p = requireOperand(node, inputs, index, what);
    if (sizeOf(p.shape) !== channels) {
      throw nodeError('E_SHAPE', node, `${what} has shape [${p.shape.join(', ')}], expected [${channels}] (input is [${x.shape.join(', ')}])`);
    }
  }
  return { channels, planes: x.shape[0]! * channels, length: sizeOf(x.shape.slice(2)) };
}

const instanceNormalization: OpDef = {
  op: 'InstanceNormalization',
  opsets: [6, 22],
  attributes: { epsilon: 1e-5 },
  inferShapes(node, inputs) {
    instanceNormLayout(node, inputs);
    const x = inputs[0]!;
    checkType(node, x.dtype, ['float32']);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const { channels, planes, length } = instanceNormLayout(node, inputs);
    const xValue = inputs[0]!;
    const x = float32Data(node, xValue, 'input');
    const scale = float32Data(node, inputs[1]!, 'scale');
    const bias = float32Data(node, inputs[2]!, 'B');
    const epsilon = declaredFloat(instanceNormalization, node, 'epsilon');
    const y = new Float32Array(x.length);
    for (let p = 0; p < planes; p++) {
      const base = p * length;
      const c = p % channels;
      const { mean, invStdDev } = rowStatistics(x, base, length, epsilon);
      for (let i = 0; i < length; i++) y[base + i] = (x[base + i]! - mean) * invStdDev * scale[c]! + bias[c]!;
    }
    return [{ shape: [...xValue.shape], dtype: 'float32', data: y }];
  },
  macs: (_node, inputs) => 2 * sizeOf(inputs[0]?.shape ?? []),
};

// ---------------------------------------------------------------- MeanVarianceNormalization, LRN

/** The axes MeanVarianceNormalization normalizes over (default [0, 2, 3]), sorted and non-negative. */
export function mvnAxes(node: Node, rank: number): number[] {
  const axes = attrInts(node, 'axes') ?? [0, 2, 3];
  const normalized = [...new Set(axes.map((a) => normalizeAxis(node, a, rank)))];
  if (normalized.length !== axes.length) throw nodeError('E_SHAPE', node, `axes [${axes.join(', ')}] repeat an axis`);
  return normalized.sort((a, b) => a - b);
}

/** Added to the standard deviation by MeanVarianceNormalization (the Epsilon of its ONNX function). */
export const MVN_EPSILON = 1e-9;

/**
 * MeanVarianceNormalization: Y = (X - mean) / (sqrt(variance) + 1e-9) over the axes `axes`, as the operator's ONNX
 * function computes it (the epsilon added to the standard deviation, not to the variance).
 */
const meanVarianceNormalization: OpDef = {
  op: 'MeanVarianceNormalization',
  opsets: [9, 22],
  inferShapes(node, inputs) {
    const x = requireOperand(node, inputs, 0, 'X');
    checkType(node, x.dtype, ['float32']);
    mvnAxes(node, x.shape.length);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const xValue = requireOperand(node, inputs, 0, 'X');
    const x = float32Data(node, xValue, 'X');
    const axes = new Set(mvnAxes(node, xValue.shape.length));
    const kept = xValue.shape.map((d, i) => (axes.has(i) ? 1 : d));
    const slots = broadcastOffsets(kept, xValue.shape);
    const groups = sizeOf(kept);
    const count = x.length / Math.max(1, groups);
    const mean = new Float64Array(groups);
    for (let i = 0; i < x.length; i++) mean[slots[i]!] = mean[slots[i]!]! + x[i]!;
    for (let g = 0; g < groups; g++) mean[g] = mean[g]! / count;
    const squares = new Float64Array(groups);
    for (let i = 0; i < x.length; i++) squares[slots[i]!] = squares[slots[i]!]! + (x[i]! - mean[slots[i]!]!) ** 2;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const g = slots[i]!;
      y[i] = (x[i]! - mean[g]!) / (Math.sqrt(squares[g]! / count) + MVN_EPSILON);
    }
    return [{ shape: [...xValue.shape], dtype: 'float32', data: y }];
  },
  macs: (_node, inputs) => 2 * sizeOf(inputs[0]?.shape ?? []),
};

/** The channel window of LRN: `size` channels, floor((size - 1) / 2) before the centre and the rest after it. */
export function lrnWindow(node: Node): { size: number; before: number; after: number } {
  const size = attrInt(node, 'size');
  if (size === undefined || size < 1) throw nodeError('E_GRAPH', node, 'attribute "size" (a positive window of channels) is required');
  const before = Math.floor((size - 1) / 2);
  return { size, before, after: size - 1 - before };
}

/** LRN across channels of X [N, C, ...]: y = x / (bias + alpha / size * sum of x^2 over the window)^beta. */
const lrn: OpDef = {
  op: 'LRN',
  opsets: [1, 22],
  attributes: { alpha: 0.0001, beta: 0.75, bias: 1 },
  inferShapes(node, inputs) {
    const x = requireOperand(node, inputs, 0, 'X');
    checkType(node, x.dtype, ['float32']);
    if (x.shape.length < 2) throw nodeError('E_SHAPE', node, `input X has shape [${x.shape.join(', ')}], expected rank >= 2 ([N, C, ...])`);
    lrnWindow(node);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs) {
    const xValue = requireOperand(node, inputs, 0, 'X');
    const x = float32Data(node, xValue, 'X');
    const { size, before, after } = lrnWindow(node);
    const alpha = declaredFloat(lrn, node, 'alpha');
    const beta = declaredFloat(lrn, node, 'beta');
    const bias = declaredFloat(lrn, node, 'bias');
    const channels = xValue.shape[1]!;
    const inner = sizeOf(xValue.shape.slice(2));
    const batch = xValue.shape[0]!;
    const y = new Float32Array(x.length);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < inner; i++) {
          let sum = 0;
          for (let k = Math.max(0, c - before); k <= Math.min(channels - 1, c + after); k++) sum += x[(n * channels + k) * inner + i]! ** 2;
          const at = (n * channels + c) * inner + i;
          y[at] = x[at]! / Math.pow(bias + (alpha / size) * sum, beta);
        }
      }
    }
    return [{ shape: [...xValue.shape], dtype: 'float32', data: y }];
  },
  macs: (node, inputs) => lrnWindow(node).size * sizeOf(inputs[0]?.shape ?? []),
};

export const ops: OpDef[] = [batchNormalization, layerNormalization, instanceNormalization, meanVarianceNormalization, lrn];
