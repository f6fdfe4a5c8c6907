// BatchNormalization in inference mode: shape rule and float reference. Layout [N, C, spatial...].
// Y = (X - mean) / sqrt(var + epsilon) * scale + B, with the running statistics given as inputs.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { sizeOf } from '../ir/graph.js';
import { attrInt, declaredFloat } from './attrs.js';
import { float32Data, requireOperand } from './float-operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

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

export const ops: OpDef[] = [batchNormalization];
