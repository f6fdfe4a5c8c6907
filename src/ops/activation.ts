// Activations: Relu, LeakyRelu, PRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Selu, Celu,
// Softplus, Softsign, ThresholdedRelu. Shape and type pass through; the float reference is per element.
// MACs: one per output element.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { attrFloat } from './attrs.js';
import { broadcastsTo, formatShape, mapBinary } from './broadcast.js';
import { perOutputElement, unaryOp } from './pointwise.js';
import { checkType, constantScalar, newValue, requireInput, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

const LATEST = 21;

/** Clip's bounds: attributes before opset 11, optional inputs 1 and 2 from opset 11; absent means unbounded. */
function clipBounds(node: Node, inputs: readonly (Value | undefined)[], opset: number): [number, number] {
  if (opset < 11) return [attrFloat(node, 'min', -Infinity), attrFloat(node, 'max', Infinity)];
  const bound = (input: Value | undefined, fallback: number, what: string) =>
    (input ? constantScalar(node, input, what) : fallback);
  return [bound(inputs[1], -Infinity, 'min'), bound(inputs[2], Infinity, 'max')];
}

const clip: OpDef = {
  op: 'Clip',
  opsets: [1, LATEST],
  inferShapes(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    checkType(node, x.dtype, opset < 12 ? ['float32', 'float64'] : NUMERIC_TYPES);
    for (const bound of [inputs[1], inputs[2]]) {
      if (bound && (bound.dtype !== x.dtype || bound.shape.some((d) => d !== 1))) {
        throw nodeError('E_SHAPE', node, `min and max must be ${x.dtype} scalars, got ${bound.dtype} ${formatShape(bound.shape)}`);
      }
    }
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    const [lo, hi] = clipBounds(node, inputs, opset);
    const y = newValue(x.dtype, x.shape);
    // min(max(x, lo), hi): when lo > hi every output is hi, as the ONNX spec states.
    for (let i = 0; i < x.data.length; i++) y.data[i] = Math.min(Math.max(x.data[i]!, lo), hi);
    return [y];
  },
  macs: perOutputElement,
};

/**
 * PRelu's slope shape as read against X. From opset 7 the slope broadcasts to X (numpy, one way).
 * Before, PyTorch exported a per-channel slope as a 1-D tensor of C values for X of [N, C, ...].
 */
function slopeShape(node: Node, x: InputInfo | Value, slope: InputInfo | Value, opset: number): number[] {
  let shape = [...slope.shape];
  if (opset < 7 && shape.length === 1 && shape[0]! > 1 && x.shape.length >= 2 && x.shape[1] === shape[0]) {
    shape = [shape[0]!, ...new Array<number>(x.shape.length - 2).fill(1)];
  }
  if (!broadcastsTo(shape, x.shape)) {
    throw nodeError('E_SHAPE', node, `slope of shape ${formatShape(slope.shape)} does not broadcast to X of shape ${formatShape(x.shape)}`);
  }
  return shape;
}

const prelu: OpDef = {
  op: 'PRelu',
  opsets: [1, LATEST],
  inferShapes(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    const slope = requireInput(node, inputs, 1);
    checkType(node, x.dtype, NUMERIC_TYPES);
    slopeShape(node, x, slope, opset);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  evaluate(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    const slope = requireInput(node, inputs, 1);
    const y = newValue(x.dtype, x.shape);
    mapBinary(y.data, y.shape, x.data, x.shape, slope.data, slopeShape(node, x, slope, opset), (v, s) => (v < 0 ? v * s : v));
    return [y];
  },
  macs: perOutputElement,
};

/** The SELU constants of the ONNX spec (float32 values of alpha and gamma). */
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** log(1 + e^x) without overflow for large x. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export const ops: OpDef[] = [
  unaryOp('Relu', [1, LATEST], { types: NUMERIC_TYPES, make: () => (x) => (x > 0 ? x : 0) }),
  unaryOp('LeakyRelu', [1, LATEST], {
    make: (node) => { const alpha = attrFloat(node, 'alpha', 0.01); return (x) => (x >= 0 ? x : alpha * x); },
  }),
  prelu,
  clip,
  unaryOp('Sigmoid', [1, LATEST], { make: () => (x) => 1 / (1 + Math.exp(-x)) }),
  unaryOp('Tanh', [1, LATEST], { make: () => Math.tanh }),
  unaryOp('HardSigmoid', [1, LATEST], {
    make: (node) => {
      const alpha = attrFloat(node, 'alpha', 0.2);
      const beta = attrFloat(node, 'beta', 0.5);
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    },
  }),
  unaryOp('HardSwish', [14, LATEST], { make: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)) }),
  unaryOp('Elu', [1, LATEST], {
    make: (node) => { const alpha = attrFloat(node, 'alpha', 1); return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1)); },
  }),
  unaryOp('Selu', [1, LATEST], {
    make: (node) => {
      const alpha = attrFloat(node, 'alpha', SELU_ALPHA);
      const gamma = attrFloat(node, 'gamma', SELU_GAMMA);
      return (x) => (x > 0 ? gamma * x : gamma * alpha * (Math.exp(x) - 1));
    },
  }),
  unaryOp('Celu', [12, LATEST], {
    make: (node) => {
      const alpha = attrFloat(node, 'alpha', 1);
      return (x) => Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
    },
  }),
  unaryOp('Softplus', [1, LATEST], { make: () => softplus }),
  unaryOp('Softsign', [1, LATEST], { make: () => (x) => x / (1 + Math.abs(x)) }),
  unaryOp('ThresholdedRelu', [10, LATEST], {
    make: (node) => { const alpha = attrFloat(node, 'alpha', 1); return (x) => (x > alpha ? x : 0); },
  }),
];
