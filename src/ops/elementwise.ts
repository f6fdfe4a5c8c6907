// Elementwise arithmetic: Add, Sub, Mul, Div, Pow, Mod with numpy broadcasting, the variadic Max, Min,
// Sum, Mean, comparisons and logic, and unary math (Sqrt, Exp, Log, Erf, Neg, Abs, Reciprocal, rounding, trigonometry).
// Integer types work too, since exported shape subgraphs compute with int64.
// MACs: one per output element (each add, multiply, compare or exp counts as one operation).

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type DType, type Node } from '../ir/graph.js';
import { attrInt } from './attrs.js';
import { broadcastShapes, mapBinary } from './broadcast.js';
import { binaryOp, unaryOp } from './pointwise.js';
import { checkSameType, checkType, isIntegerType, newValue, ALL_TYPES, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef, Value } from './types.js';

const LATEST = 21;
const BOOL: readonly DType[] = ['bool'];

/** Integer division truncates toward zero (C semantics, as onnxruntime); division by zero gives 0. */
function divide(_node: Node, dtype: DType): (x: number, y: number) => number {
  if (isIntegerType(dtype)) return (x, y) => (y === 0 ? 0 : Math.trunc(x / y));
  return (x, y) => x / y;
}

/** int32 products wrap like C; others are exact in float64 (int64 up to 2^53). */
function multiply(_node: Node, dtype: DType): (x: number, y: number) => number {
  return dtype === 'int32' ? Math.imul : (x, y) => x * y;
}

/** Pow: the result takes the base's type; an integer result is truncated (as a C cast of pow()). */
function power(_node: Node, dtype: DType): (x: number, y: number) => number {
  return isIntegerType(dtype) ? (x, y) => Math.trunc(x ** y) : (x, y) => x ** y;
}

/**
 * Mod: with `fmod=0` (integers only) the remainder takes the divisor's sign, as Python's %; with
 * `fmod=1` it takes the dividend's sign, as C fmod (JavaScript's %).
 */
function modulo(node: Node, dtype: DType): (x: number, y: number) => number {
  const cStyle = attrInt(node, 'fmod', 0) === 1;
  if (!cStyle && !isIntegerType(dtype)) throw nodeError('E_GRAPH', node, 'fmod must be 1 for floating-point inputs');
  if (cStyle) return (x, y) => (isIntegerType(dtype) && y === 0 ? 0 : x % y);
  return (x, y) => {
    if (y === 0) return 0;
    const r = x % y;
    return r !== 0 && r < 0 !== y < 0 ? r + y : r;
  };
}

/** Round half to even, as onnxruntime's std::nearbyint in the default rounding mode. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * The error function to about 1e-13 (far below float32 resolution): the Maclaurin series below
 * |x| = 3, and 1 - erfc(x) from erfc's asymptotic series above, where erfc(x) < 2.3e-5.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (ax < 3) {
    // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) ~ exp(-x^2) / (x sqrt(pi)) * sum (-1)^n (2n-1)!! / (2x^2)^n, truncated at its smallest term.
  const inv = 1 / (2 * ax * ax);
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 12; n++) {
    const next = -term * (2 * n - 1) * inv;
    if (Math.abs(next) >= Math.abs(term)) break;
    term = next;
    sum += term;
  }
  const erfc = (Math.exp(-ax * ax) / (ax * Math.sqrt(Math.PI))) * sum;
  return Math.sign(x) * (1 - erfc);
}

/**
 * A variadic operator (Max, Min, Sum, Mean) folded pairwise over its inputs with broadcasting;
 * `finish` maps the folded value once more (Mean divides by the input count).
 */
function variadicOp(
  op: string,
  types: readonly DType[],
  facts: Pick<OpDef, 'int8'>,
  combine: (x: number, y: number) => number,
  finish?: (x: number, count: number) => number,
): OpDef {
  const present = (inputs: readonly (InputInfo | Value | undefined)[]) => inputs.filter((i) => i !== undefined);
  return {
    op,
    opsets: [1, LATEST],
    // The kernels combine the inputs pairwise into the output, element by element.
    inPlace: true,
    ...facts,
    inferShapes(node, inputs) {
      const args = present(inputs) as InputInfo[];
      if (args.length === 0) throw nodeError('E_GRAPH', node, 'needs at least one input');
      const dtype = checkSameType(node, args);
      checkType(node, dtype, types);
      return [
        {
          shape: broadcastShapes(
            node,
            args.map((a) => a.shape),
          ),
          dtype,
        },
      ];
    },
    evaluate(node, inputs) {
      const args = present(inputs) as Value[];
      const dtype = args[0]!.dtype;
      let acc: Value = { ...args[0]!, data: args[0]!.data.slice() };
      for (const next of args.slice(1)) {
        const shape = broadcastShapes(node, [acc.shape, next.shape]);
        const out = newValue(dtype, shape);
        mapBinary(out.data, shape, acc.data, acc.shape, next.data, next.shape, combine);
        acc = out;
      }
      if (finish) {
        const data = acc.data;
        for (let i = 0; i < data.length; i++) data[i] = finish(data[i]!, args.length);
      }
      return [acc];
    },
    macs: (_node, inputs, outputs) => Math.max(1, present(inputs).length - 1) * sizeOf(outputs[0]!.shape),
  };
}

/** A comparison or logic operator producing bool (1/0) from two broadcast operands of one type. */
function comparison(op: string, first: number, test: (x: number, y: number) => boolean, types = ALL_TYPES): OpDef {
  return binaryOp(op, [first, LATEST], {
    types,
    outType: () => 'bool',
    make: () => (x, y) => (test(x, y) ? 1 : 0),
  });
}

export const ops: OpDef[] = [
  binaryOp('Add', [1, LATEST], { inPlace: true, int8: 'scalar-lut', make: () => (x, y) => x + y }),
  binaryOp('Sub', [1, LATEST], { inPlace: true, int8: 'scalar-lut', make: () => (x, y) => x - y }),
  binaryOp('Mul', [1, LATEST], { inPlace: true, int8: 'scalar-lut', make: multiply }),
  binaryOp('Div', [1, LATEST], { inPlace: true, int8: 'scalar-lut', make: divide }),
  binaryOp('Pow', [1, LATEST], { sameType: false, inPlace: true, int8: 'scalar-lut', make: power }),
  variadicOp('Max', NUMERIC_TYPES, { int8: 'scalar-lut' }, (x, y) => (x >= y || Number.isNaN(x) ? x : y)),
  variadicOp('Min', NUMERIC_TYPES, { int8: 'scalar-lut' }, (x, y) => (x <= y || Number.isNaN(x) ? x : y)),
  variadicOp('Sum', NUMERIC_TYPES, {}, (x, y) => x + y),
  variadicOp(
    'Mean',
    ['float32', 'float64'],
    {},
    (x, y) => x + y,
    (x, n) => x / n,
  ),
  comparison('Equal', 1, (x, y) => x === y),
  comparison('Greater', 1, (x, y) => x > y),
  comparison('Less', 1, (x, y) => x < y),
  comparison('GreaterOrEqual', 12, (x, y) => x >= y),
  comparison('LessOrEqual', 12, (x, y) => x <= y),
  comparison('And', 1, (x, y) => x !== 0 && y !== 0, BOOL),
  comparison('Or', 1, (x, y) => x !== 0 || y !== 0, BOOL),
  comparison('Xor', 1, (x, y) => (x !== 0) !== (y !== 0), BOOL),
  unaryOp('Not', [1, LATEST], { types: BOOL, make: () => (x) => (x !== 0 ? 0 : 1) }),
  binaryOp('Mod', [10, LATEST], { inPlace: true, make: modulo }),
  unaryOp('Sqrt', [1, LATEST], { kernel: { fn: 'eenn_sqrt_f32' }, int8: 'lut', make: () => Math.sqrt }),
  unaryOp('Exp', [1, LATEST], { kernel: { fn: 'eenn_exp_f32' }, int8: 'lut', make: () => Math.exp }),
  unaryOp('Log', [1, LATEST], { kernel: { fn: 'eenn_log_f32' }, int8: 'lut', make: () => Math.log }),
  unaryOp('Reciprocal', [1, LATEST], { kernel: { fn: 'eenn_reciprocal_f32' }, int8: 'lut', make: () => (x) => 1 / x }),
  unaryOp('Floor', [1, LATEST], { kernel: { fn: 'eenn_floor_f32' }, int8: 'lut', make: () => Math.floor }),
  unaryOp('Ceil', [1, LATEST], { kernel: { fn: 'eenn_ceil_f32' }, int8: 'lut', make: () => Math.ceil }),
  unaryOp('Round', [11, LATEST], { kernel: { fn: 'eenn_round_f32' }, int8: 'lut', make: () => roundHalfEven }),
  unaryOp('Erf', [9, LATEST], { kernel: { fn: 'eenn_erf_f32' }, int8: 'lut', make: () => erf }),
  // Sin and Cos are tabulated in int8; the others of the family have no int8 form yet.
  ...(['Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh'] as const).map((name) => {
    const f = Math[name.toLowerCase() as Lowercase<typeof name>];
    const int8 = name === 'Sin' || name === 'Cos' ? { int8: 'lut' as const } : {};
    return unaryOp(name, [7, LATEST], { kernel: { fn: `eenn_${name.toLowerCase()}_f32` }, ...int8, make: () => f });
  }),
  unaryOp('Neg', [1, LATEST], { types: NUMERIC_TYPES, kernel: { fn: 'eenn_neg_f32' }, int8: 'lut', make: () => (x) => -x }),
  unaryOp('Abs', [1, LATEST], { types: NUMERIC_TYPES, kernel: { fn: 'eenn_abs_f32' }, int8: 'lut', make: () => Math.abs }),
  unaryOp('Sign', [9, LATEST], { types: NUMERIC_TYPES, kernel: { fn: 'eenn_sign_f32' }, int8: 'lut', make: () => Math.sign }),
  unaryOp('IsNaN', [9, LATEST], { outType: 'bool', make: () => (x) => (Number.isNaN(x) ? 1 : 0) }),
  unaryOp('IsInf', [10, LATEST], {
    outType: 'bool',
    make: (node) => {
      const negative = attrInt(node, 'detect_negative', 1) === 1;
      const positive = attrInt(node, 'detect_positive', 1) === 1;
      return (x) => ((x === Infinity && positive) || (x === -Infinity && negative) ? 1 : 0);
    },
  }),
];
