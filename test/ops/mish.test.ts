// Mish (opset 18): y = x * tanh(softplus(x)), from the reference to the float32 kernel and the int8 lookup table.

import { describeUnary } from './unary-end-to-end.js';

describeUnary({
  op: 'Mish',
  opset: 18,
  // x * tanh(log1p(exp(x))) in float64.
  known: [
    [-5, -0.033576237730161704],
    [-1, -0.30340146137410895],
    [0, 0],
    [0.5, 0.3752452113048951],
    [1, 0.8650983882673103],
    [3, 2.9865350049679575],
  ],
  lo: -6,
  hi: 6,
  kernel: 'eenn_mish_f32',
});
