// Activations: Relu, LeakyRelu, PRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Selu, Celu,
// Softplus, Softsign, ThresholdedRelu, Mish, Gelu, Shrink. Shape and type pass through; the float reference is per element.
// Each definition states its facts (kernel, in place, int8 form, attribute defaults); MACs: one per output element.

import { nodeError } from '../ir/diagnostics.js';
import type { Graph, Node } from '../ir/graph.js';
import { declaredFloat } from './attrs.js';
import { broadcastsTo, formatShape, mapBinary } from './broadcast.js';
import { erf } from './elementwise.js';
import { perOutputElement, unaryOp } from './pointwise.js';
import { checkType, newValue, requireInput, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

const LATEST = 21;

/**
 * Clip's bounds: attributes before opset 11, optional inputs 1 and 2 from opset 11; an absent bound is unbounded.
 * Undefined when a bound is an input that is not a constant scalar (known only at run time). The one reading of
 * Clip's bounds: the reference, the lowering, the quantizer and the planner's fusion all ask here.
 */
export function clipBounds(node: Node, inputs: readonly (Pick<InputInfo, 'data'> | undefined)[], opset: number): [number, number] | undefined {
  if (opset < 11) return [declaredFloat(clip, node, 'min'), declaredFloat(clip, node, 'max')];
  const bound = (input: Pick<InputInfo, 'data'> | undefined, fallback: number): number | undefined => {
    if (!input) return fallback;
    return input.data?.length === 1 ? Number(input.data[0]) : undefined;
  };
  const min = bound(inputs[1], -Infinity);
  const max = bound(inputs[2], Infinity);
  return min === undefined || max === undefined ? undefined : [min, max];
}

/** Clip's bounds in `graph` (clipBounds over its tensors); undefined when one is computed at run time. */
export function graphClipBounds(graph: Graph, node: Node): [number, number] | undefined {
  // A bound named but not in the graph has no known value: not constant, rather than absent.
  return clipBounds(
    node,
    node.inputs.map((name) => (name ? (graph.tensors.get(name) ?? {}) : undefined)),
    graph.opset,
  );
}

/**
 * The output clamp [min, max] a fused activation applies: a Relu [0, inf), a Clip its bounds (which must be
 * constant: fusion checks it), none (undefined) nothing.
 */
export function clampRange(graph: Graph, activation: Node | undefined): [number, number] {
  if (!activation) return [-Infinity, Infinity];
  if (activation.op === 'Relu') return [0, Infinity];
  const bounds = graphClipBounds(graph, activation);
  if (!bounds) throw new Error(`internal: the bounds of Clip ${activation.name} are not constant`);
  return bounds;
}

const clip: OpDef = {
  op: 'Clip',
  opsets: [1, LATEST],
  attributes: { min: -Infinity, max: Infinity },
  inPlace: true,
  int8: 'lut',
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
    const bounds = clipBounds(node, inputs, opset);
    if (!bounds) throw nodeError('E_SHAPE', node, 'min and max must hold one value each');
    const [lo, hi] = bounds;
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
  inPlace: true,
  int8: 'scalar-lut',
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

/** Gelu's forms by its attribute `approximate`: exact (erf), or the tanh approximation; undefined for another. */
const GELU: ReadonlyMap<string, { fn: string; f: (x: number) => number }> = new Map([
  ['none', { fn: 'eenn_gelu_f32', f: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)) }],
  ['tanh', { fn: 'eenn_gelu_tanh_f32', f: (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))) }],
]);

/** log(1 + e^x) without overflow for large x. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export const ops: OpDef[] = [
  unaryOp('Relu', [1, LATEST], { types: NUMERIC_TYPES, kernel: { fn: 'eenn_relu_f32' }, int8: 'lut', make: () => (x) => (x > 0 ? x : 0) }),
  unaryOp('LeakyRelu', [1, LATEST], {
    attributes: { alpha: 0.01 },
    kernel: { fn: 'eenn_leaky_relu_f32', params: ['alpha'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      return (x) => (x >= 0 ? x : alpha * x);
    },
  }),
  prelu,
  clip,
  unaryOp('Sigmoid', [1, LATEST], { kernel: { fn: 'eenn_sigmoid_f32' }, int8: 'lut', make: () => (x) => 1 / (1 + Math.exp(-x)) }),
  unaryOp('Tanh', [1, LATEST], { kernel: { fn: 'eenn_tanh_f32' }, int8: 'lut', make: () => Math.tanh }),
  unaryOp('HardSigmoid', [1, LATEST], {
    attributes: { alpha: 0.2, beta: 0.5 },
    kernel: { fn: 'eenn_hard_sigmoid_f32', params: ['alpha', 'beta'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      const beta = attrs.float('beta');
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    },
  }),
  unaryOp('HardSwish', [14, LATEST], {
    kernel: { fn: 'eenn_hard_swish_f32' },
    int8: 'lut',
    make: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  }),
  unaryOp('Elu', [1, LATEST], {
    attributes: { alpha: 1 },
    kernel: { fn: 'eenn_elu_f32', params: ['alpha'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
    },
  }),
  unaryOp('Selu', [1, LATEST], {
    attributes: { alpha: SELU_ALPHA, gamma: SELU_GAMMA },
    kernel: { fn: 'eenn_selu_f32', params: ['alpha', 'gamma'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      const gamma = attrs.float('gamma');
      return (x) => (x > 0 ? gamma * x : gamma * alpha * (Math.exp(x) - 1));
    },
  }),
  unaryOp('Celu', [12, LATEST], {
    attributes: { alpha: 1 },
    kernel: { fn: 'eenn_celu_f32', params: ['alpha'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      return (x) => Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
    },
  }),
  unaryOp('Softplus', [1, LATEST], { kernel: { fn: 'eenn_softplus_f32' }, int8: 'lut', make: () => softplus }),
  unaryOp('Softsign', [1, LATEST], { kernel: { fn: 'eenn_softsign_f32' }, int8: 'lut', make: () => (x) => x / (1 + Math.abs(x)) }),
  unaryOp('Gelu', [20, LATEST], {
    attributes: { approximate: 'none' },
    // Shape inference has checked `approximate` (make below).
    kernel: { fn: (attrs) => GELU.get(attrs.string('approximate'))!.fn },
    int8: 'lut',
    make: (node, attrs) => {
      const approximate = attrs.string('approximate');
      const form = GELU.get(approximate);
      if (!form) throw nodeError('E_GRAPH', node, `approximate must be "none" or "tanh", not "${approximate}"`);
      return form.f;
    },
  }),
  unaryOp('Mish', [18, LATEST], { kernel: { fn: 'eenn_mish_f32' }, int8: 'lut', make: () => (x) => x * Math.tanh(softplus(x)) }),
  unaryOp('Shrink', [9, LATEST], {
    types: NUMERIC_TYPES,
    attributes: { lambd: 0.5, bias: 0 },
    kernel: { fn: 'eenn_shrink_f32', params: ['lambd', 'bias'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const lambd = attrs.float('lambd');
      const bias = attrs.float('bias');
      return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
    },
  }),
  unaryOp('ThresholdedRelu', [10, LATEST], {
    attributes: { alpha: 1 },
    kernel: { fn: 'eenn_thresholded_relu_f32', params: ['alpha'] },
    int8: 'lut',
    make: (_node, attrs) => {
      const alpha = attrs.float('alpha');
      return (x) => (x > alpha ? x : 0);
    },
  }),
];
