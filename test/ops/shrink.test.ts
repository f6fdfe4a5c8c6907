// Shrink (opset 9): x < -lambd ? x + bias : (x > lambd ? x - bias : 0), from the reference to the float32 kernel and
// the int8 lookup table, with the default attributes and with both set.

import { describeUnary } from './unary-end-to-end.js';

describeUnary({
  op: 'Shrink',
  opset: 9,
  // lambd 0.5, bias 0: hard shrink.
  known: [
    [-2, -2],
    [-0.5, 0],
    [0.25, 0],
    [0.75, 0.75],
  ],
  lo: -2,
  hi: 2,
  kernel: 'eenn_shrink_f32',
});

describeUnary({
  op: 'Shrink',
  opset: 9,
  attrs: { lambd: 1.5, bias: 1.5 },
  // Soft shrink: the values beyond +-1.5 move 1.5 towards 0.
  known: [
    [-3, -1.5],
    [-1.5, 0],
    [1, 0],
    [2, 0.5],
  ],
  lo: -4,
  hi: 4,
  kernel: 'eenn_shrink_f32',
});
