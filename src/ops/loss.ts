// Loss operators: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12/13).
//
// Both read scores [N, C] or [N, C, d1..dk] and integer targets [N] or [N, d1..dk] (int32 or int64), and an
// optional per-class weight [C]. Seen as scores [N, C, D] (D = d1 * .. * dk) and targets [N, D]:
//   loss[n][d] = -weight[t] * score[n][t][d]  with t = target[n][d]  (weight[t] = 1 without weights),
//   and 0 where t == ignore_index.
// SoftmaxCrossEntropyLoss first replaces the scores with their LogSoftmax along C (its optional second output).
// Reduction "none" gives loss with the targets' shape; "sum" its sum; "mean" its sum divided by the sum of the
// weights of the targets that are not ignored (their count without weights), as ONNX's reference computes it:
// a mean over targets that are all ignored is 0 / 0 = NaN.
// A target outside [0, C) that is not ignore_index has no defined loss (ONNX leaves it undefined): its loss, and
// the sum or mean over it, is NaN -- the C kernels (eenn_loss_f32.c) compute the same and never read outside
// the scores or weights.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Node } from '../ir/graph.js';
import { attrInt, attrString } from './attrs.js';
import { formatShape } from './broadcast.js';
import { checkType, newValue, requireInput } from './operands.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

const LATEST = 21;

export type LossReduction = 'none' | 'sum' | 'mean';

/** The layout of a loss node: scores seen as [N, C, D] and its attributes. */
export interface LossLayout {
  batch: number;
  classes: number;
  /** The product of the trailing axes d1..dk (1 when there are none). */
  inner: number;
  reduction: LossReduction;
  /** The target value whose loss is 0, or undefined when the node sets none. */
  ignoreIndex: number | undefined;
  /** The loss output's shape: the targets' for "none", a scalar otherwise. */
  lossShape: number[];
}

/** Checks the operands of a loss node against each other and reads its attributes. */
export function lossLayout(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): LossLayout {
  const scores = requireInput(node, inputs, 0);
  const target = requireInput(node, inputs, 1);
  const weight = inputs[2];
  const what = node.op === 'SoftmaxCrossEntropyLoss' ? ['scores', 'labels'] : ['input', 'target'];
  if (scores.shape.length < 2) {
    throw nodeError('E_SHAPE', node, `${what[0]} must have at least two axes [N, C, ...], got ${formatShape(scores.shape)}`);
  }
  const expected = [scores.shape[0]!, ...scores.shape.slice(2)];
  if (target.shape.join() !== expected.join()) {
    throw nodeError(
      'E_SHAPE',
      node,
      `${what[1]} of shape ${formatShape(target.shape)} do not match ${what[0]} ${formatShape(scores.shape)} (expected ${formatShape(expected)})`,
    );
  }
  const classes = scores.shape[1]!;
  if (weight && weight.shape.join() !== String(classes)) {
    throw nodeError('E_SHAPE', node, `weights must have shape [${classes}] (one per class), got ${formatShape(weight.shape)}`);
  }
  const reduction = attrString(node, 'reduction', 'mean');
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
    throw nodeError('E_GRAPH', node, `reduction "${reduction}" is not one of none, sum, mean`);
  }
  return {
    batch: scores.shape[0]!,
    classes,
    inner: sizeOf(scores.shape.slice(2)),
    reduction,
    ignoreIndex: attrInt(node, 'ignore_index'),
    lossShape: reduction === 'none' ? [...target.shape] : [],
  };
}

/**
 * The loss of log-probabilities `logProb` [N, C, D] (already negated-ready: loss = -weight * logProb[target]),
 * reduced as the layout says, into a value of `dtype`.
 */
function negativeLogLikelihood(
  layout: LossLayout,
  logProb: ArrayLike<number>,
  target: ArrayLike<number>,
  weight: ArrayLike<number> | undefined,
  out: Value,
): void {
  const { batch, classes, inner, reduction, ignoreIndex } = layout;
  let sum = 0;
  let weightSum = 0;
  for (let n = 0; n < batch; n++) {
    for (let d = 0; d < inner; d++) {
      const at = n * inner + d;
      const t = target[at]!;
      let loss = 0;
      let w = 0;
      if (t !== ignoreIndex) {
        if (t >= 0 && t < classes) {
          w = weight ? weight[t]! : 1;
          loss = -w * logProb[(n * classes + t) * inner + d]!;
        } else {
          w = NaN;
          loss = NaN;
        }
      }
      if (reduction === 'none') out.data[at] = loss;
      sum += loss;
      weightSum += w;
    }
  }
  if (reduction === 'sum') out.data[0] = sum;
  if (reduction === 'mean') out.data[0] = sum / weightSum;
}

const nllLoss: OpDef = {
  op: 'NegativeLogLikelihoodLoss',
  opsets: [12, LATEST],
  inferShapes(node, inputs): OutputInfo[] {
    const scores = requireInput(node, inputs, 0);
    checkType(node, scores.dtype, ['float32', 'float64']);
    checkType(node, requireInput(node, inputs, 1).dtype, ['int64', 'int32'], 'target');
    if (inputs[2]) checkType(node, inputs[2].dtype, [scores.dtype], 'weight');
    return [{ shape: lossLayout(node, inputs).lossShape, dtype: scores.dtype }];
  },
  evaluate(node, inputs) {
    const scores = requireInput(node, inputs, 0);
    const layout = lossLayout(node, inputs);
    const loss = newValue(scores.dtype, layout.lossShape);
    negativeLogLikelihood(layout, scores.data, requireInput(node, inputs, 1).data, inputs[2]?.data, loss);
    return [loss];
  },
  macs: (_node, inputs) => sizeOf(inputs[1]?.shape ?? []),
};

/** True when a SoftmaxCrossEntropyLoss node asks for its optional second output, log_prob. */
export function hasLogProb(node: Node): boolean {
  return node.outputs.length > 1 && node.outputs[1] !== '';
}

const softmaxCrossEntropyLoss: OpDef = {
  op: 'SoftmaxCrossEntropyLoss',
  opsets: [12, LATEST],
  inferShapes(node, inputs): OutputInfo[] {
    const scores = requireInput(node, inputs, 0);
    checkType(node, scores.dtype, ['float32', 'float64']);
    checkType(node, requireInput(node, inputs, 1).dtype, ['int64', 'int32'], 'labels');
    if (inputs[2]) checkType(node, inputs[2].dtype, [scores.dtype], 'weights');
    const loss = { shape: lossLayout(node, inputs).lossShape, dtype: scores.dtype };
    return hasLogProb(node) ? [loss, { shape: [...scores.shape], dtype: scores.dtype }] : [loss];
  },
  evaluate(node, inputs) {
    const scores = requireInput(node, inputs, 0);
    const layout = lossLayout(node, inputs);
    const { batch, classes, inner } = layout;
    // LogSoftmax along C, in float64, rounded once to the scores' type.
    const logProb = newValue(scores.dtype, scores.shape);
    for (let n = 0; n < batch; n++) {
      for (let d = 0; d < inner; d++) {
        const base = n * classes * inner + d;
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, scores.data[base + c * inner]!);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(scores.data[base + c * inner]! - max);
        const logSum = Math.log(sum);
        for (let c = 0; c < classes; c++) logProb.data[base + c * inner] = scores.data[base + c * inner]! - max - logSum;
      }
    }
    const loss = newValue(scores.dtype, layout.lossShape);
    negativeLogLikelihood(layout, logProb.data, requireInput(node, inputs, 1).data, inputs[2]?.data, loss);
    return hasLogProb(node) ? [loss, logProb] : [loss];
  },
  // One exponential per score, one multiply per target.
  macs: (_node, inputs) => sizeOf(inputs[0]?.shape ?? []) + sizeOf(inputs[1]?.shape ?? []),
};

export const ops: OpDef[] = [nllLoss, softmaxCrossEntropyLoss];
