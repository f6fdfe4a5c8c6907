// Per-operator facts other stages ask by node: whether the operator's kernel may write over its input, and
// whether its int8 form is a lookup table. Read from the operators' definitions (registry.ts).

import type { Node } from '../ir/graph.js';

/**
 * Operators whose kernels may write their output over an input of the same size: element-wise ones (each
 * output element is computed from the input elements at the same index only), and Softmax / LogSoftmax /
 * Hardmax / BatchNormalization, whose kernels read each input element before writing the output at that same
 * index. The planner runs them in place when that input dies at this step; code generation must keep their
 * kernels free of `restrict` on those pointers.
 */
const IN_PLACE_OPS: ReadonlySet<string> = new Set([
  'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'PRelu',
  'Softplus', 'Softsign', 'ThresholdedRelu', 'Gelu', 'Mish',
  'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Erf', 'Sign',
  'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Sum', 'Mean',
  'Softmax', 'LogSoftmax', 'Hardmax', 'BatchNormalization', 'Mod',
]);

/** Elementwise functions of one activation that become a 256-entry lookup table (QLut) in int8. */
const LUT_OPS: ReadonlySet<string> = new Set([
  'Relu', 'Clip', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus',
  'Softsign', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Erf', 'Gelu', 'Mish', 'ThresholdedRelu', 'Sin', 'Cos',
  'Floor', 'Ceil', 'Round', 'Sign',
]);

/** Binary operators that become a lookup table in int8 when the other operand is a single constant value. */
const SCALAR_LUT_OPS: ReadonlySet<string> = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Max', 'Min']);

/** True when the float kernel of `node` (default domain) may write its output over an input of the same size. */
export function runsInPlace(node: Node): boolean {
  return IN_PLACE_OPS.has(node.op);
}

/** True when `node` (default domain), a function of its one activation input, becomes a QLut in int8. */
export function isLutOp(node: Node): boolean {
  return LUT_OPS.has(node.op);
}

/** True when `node` (default domain), binary with one single-value constant operand, becomes a QLut in int8. */
export function isScalarLutOp(node: Node): boolean {
  return SCALAR_LUT_OPS.has(node.op);
}
