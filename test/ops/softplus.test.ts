// Softplus: y = log(1 + exp(x)), from the reference to the float32 kernel and the int8 lookup table.

import { describeUnary } from './unary-end-to-end.js';

describeUnary({
  op: 'Softplus',
  opset: 1,
  // log1p(exp(x)) in float64.
  known: [
    [-5, 0.006715348489118068],
    [-1, 0.31326168751822286],
    [0, Math.LN2],
    [1, 1.3132616875182228],
    [3, 3.048587351573742],
  ],
  lo: -6,
  hi: 6,
  kernel: 'eenn_softplus_f32',
});
