// Gelu (opset 20): exact, 0.5 * x * (1 + erf(x / sqrt(2))), and with approximate = "tanh", from the reference to the
// float32 kernels and the int8 lookup tables; another value of approximate is refused.

import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import { lookupOp } from '../../src/ops/registry.js';
import { describeUnary } from './unary-end-to-end.js';

describeUnary({
  op: 'Gelu',
  opset: 20,
  // 0.5 * x * (1 + erf(x / sqrt(2))) in float64.
  known: [
    [-3, -0.00404969409489031],
    [-1, -0.15865525393145707],
    [0, 0],
    [0.5, 0.34573123063700656],
    [1, 0.8413447460685429],
    [3, 2.99595030590511],
  ],
  lo: -5,
  hi: 5,
  kernel: 'eenn_gelu_f32',
});

describeUnary({
  op: 'Gelu',
  opset: 20,
  attrs: { approximate: 'tanh' },
  // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) in float64.
  known: [
    [-3, -0.0036373920817729943],
    [-1, -0.15880800939172324],
    [0, 0],
    [0.5, 0.34571400982514394],
    [1, 0.8411919906082768],
    [3, 2.996362607918227],
  ],
  lo: -5,
  hi: 5,
  kernel: 'eenn_gelu_tanh_f32',
});

describe('Gelu attributes', () => {
  it('refuses an approximation other than none and tanh at shape inference', () => {
    const node: Node = { name: 'g', op: 'Gelu', domain: '', inputs: ['x'], outputs: ['y'], attrs: { approximate: 'fast' } };
    expect(() => lookupOp('Gelu')!.inferShapes(node, [{ name: 'x', shape: [4], dtype: 'float32' }], 20)).toThrow(
      /approximate must be "none" or "tanh"/,
    );
  });
});
