// Every lowered operator, on small graphs built through the IR: generated C compiled with the host gcc
// (-O2 -Wall -Wextra -Werror -std=c99) and run, outputs compared with the float reference (runReference).
//
// Tolerance: rtol 1e-4, atol 1e-5. The reference accumulates sums in float64 and rounds once; the kernels
// accumulate in float32 in their own order (and libm's float functions are within an ulp or two of the
// double ones), so results differ by a few float32 ulps of the largest term. The sizes here keep that far
// below the tolerance.

import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runReference } from '../../src/frontend/reference.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { compareOutputs, randomValue, runOnHost, type HostCase, type HostResult } from './host-run.js';

const RTOL = 1e-4;
const ATOL = 1e-5;

interface Case {
  name: string;
  graph: Graph;
  inputs: Record<string, Value>;
  /** Kernel functions the generated model.c must call (checks the intended path was taken). */
  expectCalls?: string[];
}

const rand = seededRandom(2024);
const weights = (shape: number[], scale = 0.5): Float32Array => Float32Array.from({ length: sizeOf(shape) }, () => (rand() * 2 - 1) * scale);

const cases: Case[] = [];

/** A case with one model input `x` of `shape` (values in [lo, hi)), built by `body`. */
function add(
  name: string,
  shape: number[],
  body: (b: GraphBuilder, x: string) => string | string[],
  options: { lo?: number; hi?: number; opset?: number; expectCalls?: string[] } = {},
): void {
  const b = new GraphBuilder(name, options.opset ?? 17);
  const x = b.input('x', shape);
  const outs = body(b, x);
  for (const o of Array.isArray(outs) ? outs : [outs]) b.output(o);
  cases.push({
    name,
    graph: b.build(),
    inputs: { x: randomValue(shape, rand, options.lo ?? -1, options.hi ?? 1) },
    expectCalls: options.expectCalls,
  });
}

function conv(
  b: GraphBuilder,
  x: string,
  outC: number,
  kernel: number[],
  attrs: Record<string, number[] | number | string> = {},
  bias = true,
): string {
  const inC = b.tensors.get(x)!.shape[1]!;
  const group = typeof attrs.group === 'number' ? attrs.group : 1;
  const w = b.constant(`w${b.nodes.length}`, [outC, inC / group, ...kernel], weights([outC, inC / group, ...kernel]));
  const inputs = [x, w];
  if (bias) inputs.push(b.constant(`b${b.nodes.length}`, [outC], weights([outC])));
  return b.op('Conv', inputs, attrs);
}

// ---------------------------------------------------------------- convolutions
add('conv_3x3_pad_relu', [1, 3, 9, 11], (b, x) => b.op('Relu', [conv(b, x, 8, [3, 3], { pads: [1, 1, 1, 1] })]), {
  expectCalls: ['eenn_conv2d_f32'],
});
add('conv_stride_dilation_asym_pads', [1, 2, 13, 12], (b, x) => conv(b, x, 6, [3, 2], { strides: [2, 3], dilations: [2, 1], pads: [0, 1, 2, 0] }));
add('conv_groups', [2, 4, 7, 7], (b, x) => conv(b, x, 6, [3, 3], { group: 2, pads: [1, 0, 1, 0] }));
add('conv_same_upper_clip', [1, 3, 8, 8], (b, x) =>
  b.op('Clip', [conv(b, x, 5, [4, 4], { auto_pad: 'SAME_UPPER', strides: [2, 2] }), b.constant('lo', [], [0]), b.constant('hi', [], [0.3])]),
);
add('conv_depthwise_3x3', [1, 5, 10, 9], (b, x) => conv(b, x, 5, [3, 3], { group: 5, pads: [1, 1, 1, 1] }), {
  expectCalls: ['eenn_depthwise_conv2d_3x3_f32'],
});
add('conv_depthwise_3x3_tiny_asym', [1, 2, 2, 3], (b, x) => conv(b, x, 4, [3, 3], { group: 2, pads: [2, 0, 1, 2], strides: [1, 2] }));
add('conv_depthwise_multiplier_stride', [2, 3, 11, 10], (b, x) => conv(b, x, 6, [3, 3], { group: 3, strides: [2, 2], pads: [1, 1, 0, 0] }, false));
add('conv_depthwise_5x3_dilated', [1, 4, 12, 12], (b, x) => conv(b, x, 4, [5, 3], { group: 4, dilations: [2, 2], pads: [2, 1, 2, 1] }), {
  expectCalls: ['eenn_depthwise_conv2d_f32'],
});
// Low-memory convolutions: a pool fused after the conv (through a scratch of up to 4 planes), and depthwise /
// narrowing 1x1 convs written over an intermediate input that dies there.
add(
  'conv_relu_maxpool_fused',
  [1, 3, 10, 9],
  (b, x) => b.op('MaxPool', [b.op('Relu', [conv(b, x, 6, [3, 3], { pads: [1, 1, 1, 1] })])], { kernel_shape: [2, 2], strides: [2, 2] }),
  { expectCalls: ['eenn_conv2d_pool_f32'] },
);
add(
  'conv_avgpool_fused_batches',
  [2, 2, 9, 9],
  (b, x) =>
    b.op('AveragePool', [conv(b, x, 9, [3, 2], { strides: [1, 2] }, false)], {
      kernel_shape: [3, 2],
      strides: [2, 1],
      pads: [1, 0, 1, 1],
      ceil_mode: 1,
    }),
  { expectCalls: ['eenn_conv2d_pool_f32'] },
);
add('conv_depthwise_in_place', [2, 6, 7, 5], (b, x) => b.op('Relu', [conv(b, b.op('Relu', [x]), 6, [3, 3], { group: 6, pads: [1, 1, 1, 1] })]), {
  expectCalls: ['eenn_depthwise_conv2d_in_place_f32'],
});
add(
  'conv_depthwise_5x3_dilated_in_place',
  [1, 4, 9, 8],
  (b, x) => conv(b, b.op('Sigmoid', [x]), 4, [5, 3], { group: 4, dilations: [2, 1], pads: [4, 1, 4, 1] }),
  { expectCalls: ['eenn_depthwise_conv2d_in_place_f32'] },
);
add('conv_1x1_narrowing_in_place', [2, 11, 5, 3], (b, x) => b.op('Sigmoid', [b.op('Relu', [conv(b, b.op('Tanh', [x]), 6, [1, 1])])]), {
  expectCalls: ['eenn_conv2d_1x1_in_place_f32'],
});
add('conv_1x1_square_in_place', [1, 8, 3, 3], (b, x) => conv(b, b.op('Tanh', [x]), 8, [1, 1], {}, false), {
  expectCalls: ['eenn_conv2d_1x1_in_place_f32'],
});
add('conv_1x1', [2, 5, 3, 5], (b, x) => b.op('Relu', [conv(b, x, 7, [1, 1])]), { expectCalls: ['eenn_conv2d_1x1_f32'] });
add('conv_1x1_strided', [1, 4, 6, 6], (b, x) => conv(b, x, 4, [1, 1], { strides: [2, 2] }), { expectCalls: ['eenn_conv2d_f32'] });
add('conv_1d', [1, 3, 20], (b, x) => conv(b, x, 9, [5], { pads: [2, 1], strides: [2] }));
add('conv_large_channels', [1, 16, 6, 6], (b, x) => conv(b, x, 12, [3, 3], { pads: [1, 1, 1, 1] }));
add(
  'conv_transpose_2d',
  [1, 4, 5, 4],
  (b, x) =>
    b.op('ConvTranspose', [x, b.constant('wt', [4, 3, 3, 3], weights([4, 3, 3, 3])), b.constant('bt', [6], weights([6]))], {
      strides: [2, 2],
      pads: [1, 1, 0, 1],
      output_padding: [1, 0],
      group: 2,
    }),
  { expectCalls: ['eenn_conv_transpose2d_f32'] },
);
add('conv_transpose_1d_relu', [1, 2, 7], (b, x) =>
  b.op('Relu', [b.op('ConvTranspose', [x, b.constant('wt', [2, 3, 4], weights([2, 3, 4]))], { strides: [3], dilations: [2] })]),
);
add('conv_transpose_output_shape', [1, 2, 3, 3], (b, x) =>
  b.op('ConvTranspose', [x, b.constant('wt', [2, 2, 3, 3], weights([2, 2, 3, 3]))], { strides: [2, 2], output_shape: [6, 7] }),
);

add(
  'conv_3d_groups_dilated',
  [1, 4, 5, 6, 5],
  (b, x) => b.op('Relu', [conv(b, x, 6, [2, 3, 2], { group: 2, pads: [1, 1, 0, 0, 1, 1], dilations: [2, 1, 1], strides: [1, 2, 1] })]),
  { expectCalls: ['eenn_conv3d_f32'] },
);
add(
  'conv_transpose_3d',
  [1, 2, 3, 3, 2],
  (b, x) =>
    b.op('ConvTranspose', [x, b.constant('wt', [2, 3, 2, 3, 2], weights([2, 3, 2, 3, 2])), b.constant('bt', [3], weights([3]))], {
      strides: [2, 1, 2],
      pads: [0, 1, 0, 1, 0, 1],
    }),
  { expectCalls: ['eenn_conv_transpose3d_f32'] },
);
// ---------------------------------------------------------------- fully connected and matrix products
add(
  'gemm_transb_bias_relu',
  [3, 10],
  (b, x) => b.op('Relu', [b.op('Gemm', [x, b.constant('w', [7, 10], weights([7, 10])), b.constant('c', [7], weights([7]))], { transB: 1 })]),
  { expectCalls: ['eenn_fc_f32'] },
);
add('gemm_alpha_beta_matrix_c', [2, 6], (b, x) =>
  b.op('Gemm', [x, b.constant('w', [6, 5], weights([6, 5])), b.constant('c', [2, 5], weights([2, 5]))], { alpha: 0.5, beta: 2 }),
);
add(
  'gemm_trans_a_scalar_c',
  [6, 3],
  (b, x) => b.op('Gemm', [x, b.constant('w', [6, 4], weights([6, 4])), b.constant('c', [], [0.25])], { transA: 1 }),
  { expectCalls: ['eenn_matmul_f32'] },
);
add('gemm_runtime_b', [4, 4], (b, x) => b.op('Gemm', [x, b.op('Sigmoid', [x]), b.op('Neg', [x])], { transB: 1, alpha: 1.5 }));
add('gemm_no_bias_column_c', [3, 5], (b, x) =>
  b.op('Gemm', [x, b.constant('w', [5, 9], weights([5, 9])), b.constant('c', [3, 1], weights([3, 1]))], {}),
);
add('gemm_matrix_c_relu', [3, 4], (b, x) =>
  b.op('Relu', [b.op('Gemm', [x, b.constant('w', [4, 5], weights([4, 5])), b.constant('c', [3, 5], weights([3, 5]))], { beta: 0.5 })]),
);
add('gemm_runtime_b_alpha_bias_clip', [4, 4], (b, x) =>
  b.op('Clip', [
    b.op('Gemm', [x, b.op('Tanh', [x]), b.constant('c', [4], weights([4]))], { alpha: 2 }),
    b.constant('lo', [], [-0.1]),
    b.constant('hi', [], [0.2]),
  ]),
);
add('matmul_const_b', [2, 3, 5], (b, x) => b.op('MatMul', [x, b.constant('w', [5, 7], weights([5, 7]))]), { expectCalls: ['eenn_fc_f32'] });
add('matmul_batched_broadcast', [2, 1, 4, 5], (b, x) =>
  b.op('MatMul', [
    x,
    b.op('Tanh', [
      b.op('Reshape', [
        b.op('Slice', [
          b.op('Concat', [x, x, x], { axis: 1 }),
          b.constant('s0', [1], [0], 'int64'),
          b.constant('s1', [1], [1], 'int64'),
          b.constant('s2', [1], [0], 'int64'),
        ]),
        b.constant('shape', [3], [3, 5, 4], 'int64'),
      ]),
    ]),
  ]),
);
add('matmul_vector_operands', [6], (b, x) => b.op('MatMul', [x, b.constant('w', [6], weights([6]))]));
add('matmul_vector_left_relu', [4], (b, x) => b.op('Relu', [b.op('MatMul', [x, b.constant('w', [2, 4, 3], weights([2, 4, 3]))])]));

// ---------------------------------------------------------------- element-wise
add('add_broadcast', [2, 3, 4, 5], (b, x) => b.op('Add', [x, b.constant('k', [3, 1, 5], weights([3, 1, 5]))]), { expectCalls: ['eenn_add_f32'] });
add('sub_scalar_left', [3, 7], (b, x) => b.op('Sub', [b.constant('k', [], [0.5]), x]));
add('mul_channels', [2, 4, 3, 3], (b, x) => b.op('Mul', [b.constant('k', [1, 4, 1, 1], weights([1, 4, 1, 1])), x]));
add('div_runtime', [2, 5], (b, x) => b.op('Div', [x, b.op('Add', [b.op('Abs', [x]), b.constant('one', [], [1])])]));
add('pow_positive', [4, 4], (b, x) => b.op('Pow', [x, b.constant('e', [4], [0.5, 2, 3, -1.5])]), { lo: 0.1, hi: 2 });
add('max_min_broadcast', [3, 1, 4], (b, x) =>
  b.op('Min', [b.op('Max', [x, b.constant('k', [2, 1], [0.1, -0.2])]), b.constant('m', [4], [0.5, 0.2, 0.9, 0.0])]),
);
add('high_rank_broadcast', [2, 2, 3, 2, 3, 2], (b, x) => b.op('Add', [x, b.constant('k', [2, 1, 3, 1, 3, 1], weights([2, 1, 3, 1, 3, 1]))]));
add('sum_three', [2, 3], (b, x) => b.op('Sum', [x, b.op('Exp', [x]), b.constant('k', [3], [1, 2, 3])]));
add('mean_three', [4], (b, x) => b.op('Mean', [b.op('Neg', [x]), x, b.op('Sin', [x])]));
add('max_three_min_one', [3, 2], (b, x) => [b.op('Max', [x, b.constant('k', [2], [0.1, -0.1]), b.op('Cos', [x])]), b.op('Min', [x])]);
add('prelu_channel_slope', [1, 3, 4, 4], (b, x) => b.op('PRelu', [x, b.constant('slope', [3, 1, 1], [0.1, 0.2, 0.3])]));
add('batchnorm_standalone', [2, 3, 4], (b, x) =>
  b.op(
    'BatchNormalization',
    [
      b.op('Sigmoid', [x]),
      b.constant('g', [3], [1, 2, 0.5]),
      b.constant('be', [3], [0, 0.1, -0.2]),
      b.constant('mu', [3], [0.5, 0.4, 0.6]),
      b.constant('var', [3], [0.1, 0.2, 0.3]),
    ],
    { epsilon: 1e-3 },
  ),
);

const unary: [string, Record<string, number>, number, number][] = [
  ['Relu', {}, -1, 1],
  ['LeakyRelu', { alpha: 0.2 }, -1, 1],
  ['ThresholdedRelu', { alpha: 0.3 }, -1, 1],
  ['Sigmoid', {}, -8, 8],
  ['Tanh', {}, -3, 3],
  ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, -4, 4],
  ['HardSwish', {}, -5, 5],
  ['Elu', { alpha: 0.7 }, -3, 3],
  ['Selu', {}, -3, 3],
  ['Celu', { alpha: 1.3 }, -3, 3],
  ['Softplus', {}, -20, 20],
  ['Softsign', {}, -5, 5],
  ['Exp', {}, -5, 5],
  ['Log', {}, 0.01, 10],
  ['Sqrt', {}, 0, 10],
  ['Neg', {}, -1, 1],
  ['Abs', {}, -1, 1],
  ['Reciprocal', {}, 0.5, 4],
  ['Floor', {}, -4, 4],
  ['Ceil', {}, -4, 4],
  ['Erf', {}, -3, 3],
  ['Sign', {}, -1, 1],
  ['Sin', {}, -4, 4],
  ['Cos', {}, -4, 4],
  ['Tan', {}, -1.2, 1.2],
  ['Asin', {}, -0.99, 0.99],
  ['Acos', {}, -0.99, 0.99],
  ['Atan', {}, -5, 5],
  ['Sinh', {}, -3, 3],
  ['Cosh', {}, -3, 3],
  ['Asinh', {}, -5, 5],
  ['Acosh', {}, 1, 5],
  ['Atanh', {}, -0.9, 0.9],
];
for (const [op, attrs, lo, hi] of unary) add(`unary_${op.toLowerCase()}`, [3, 17], (b, x) => b.op(op, [x], attrs), { lo, hi });
add(
  'round_half_even',
  [12],
  (b, x) => b.op('Round', [b.op('Mul', [b.op('Floor', [b.op('Mul', [x, b.constant('k', [], [8])])]), b.constant('h', [], [0.5])])]),
  { lo: -3, hi: 3 },
);
add('clip_bounds', [2, 9], (b, x) => b.op('Clip', [x, b.constant('lo', [], [-0.2]), b.constant('hi', [], [0.4])]));
add('clip_opset6', [2, 9], (b, x) => b.op('Clip', [x], { min: -0.5, max: 0.1 }), { opset: 9 });

// ---------------------------------------------------------------- pooling
add('maxpool_3x3_s2_pad', [1, 3, 9, 10], (b, x) => b.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
add('maxpool_ceil_dilated', [2, 2, 10, 9], (b, x) =>
  b.op('MaxPool', [x], { kernel_shape: [2, 3], strides: [3, 2], dilations: [2, 1], ceil_mode: 1 }),
);
add('maxpool_1d', [1, 4, 15], (b, x) => b.op('MaxPool', [x], { kernel_shape: [4], strides: [3], pads: [1, 2] }));
add('avgpool_pads_exclude', [1, 3, 8, 7], (b, x) => b.op('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
add('avgpool_pads_include_ceil', [1, 2, 8, 7], (b, x) =>
  b.op('AveragePool', [x], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], count_include_pad: 1, ceil_mode: 1 }),
);
add(
  'maxpool_3d',
  [1, 2, 5, 6, 7],
  (b, x) => b.op('MaxPool', [x], { kernel_shape: [2, 3, 3], strides: [2, 2, 2], pads: [0, 1, 1, 1, 1, 1], ceil_mode: 1 }),
  { expectCalls: ['eenn_pool3d_f32'] },
);
add('avgpool_3d_include_pad', [2, 1, 4, 5, 5], (b, x) =>
  b.op('AveragePool', [x], { kernel_shape: [3, 2, 3], strides: [1, 2, 2], pads: [1, 0, 1, 1, 1, 0], count_include_pad: 1 }),
);
add('global_pools', [2, 3, 5, 4], (b, x) => [b.op('GlobalAveragePool', [x]), b.op('GlobalMaxPool', [x])]);

// ---------------------------------------------------------------- softmax and reductions
add('softmax_opset11_axis1', [2, 3, 4], (b, x) => b.op('Softmax', [x], { axis: 1 }), { opset: 11, lo: -5, hi: 5 });
add('softmax_axis1', [2, 3, 4], (b, x) => b.op('Softmax', [x], { axis: 1 }), { lo: -5, hi: 5 });
add('log_softmax_last', [3, 6], (b, x) => b.op('LogSoftmax', [x], {}), { lo: -5, hi: 5 });
add('reduce_mean_spatial', [2, 3, 4, 5], (b, x) => b.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 }));
add('reduce_max_channel_nokeep', [2, 3, 4], (b, x) => b.op('ReduceMax', [x], { axes: [1], keepdims: 0 }));
add('reduce_sum_all_opset13', [3, 4], (b, x) => b.op('ReduceSum', [x], { keepdims: 0 }), { opset: 13 });
add('reduce_sum_axes_input', [2, 3, 4, 2], (b, x) => b.op('ReduceSum', [x, b.constant('axes', [2], [0, 2], 'int64')], { keepdims: 1 }), {
  opset: 13,
});
for (const op of ['ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp']) {
  add(`${op.toLowerCase()}_axes`, [3, 4, 5], (b, x) => b.op(op, [x], { axes: [0, 2], keepdims: 0 }), { opset: 13 });
}
add('reduce_log_sum', [3, 4], (b, x) => b.op('ReduceLogSum', [x], { axes: [1] }), { opset: 13, lo: 0.1, hi: 2 });

// ---------------------------------------------------------------- data movement
add('transpose_nhwc', [2, 3, 4, 5], (b, x) => b.op('Transpose', [x], { perm: [0, 2, 3, 1] }), { expectCalls: ['eenn_strided_copy_f32'] });
add('transpose_6d', [2, 3, 2, 2, 3, 2], (b, x) => b.op('Transpose', [x], { perm: [5, 3, 1, 0, 2, 4] }));
add('slice_negative_step', [4, 10], (b, x) =>
  b.op('Slice', [
    x,
    b.constant('st', [2], [3, -2], 'int64'),
    b.constant('en', [2], [0, 1], 'int64'),
    b.constant('ax', [2], [0, 1], 'int64'),
    b.constant('sp', [2], [-1, -3], 'int64'),
  ]),
);
add('gather_indices', [3, 5, 2], (b, x) => b.op('Gather', [x, b.constant('idx', [4], [4, 0, -1, 2], 'int64')], { axis: 1 }), {
  expectCalls: ['eenn_gather_rows_f32'],
});
add('gather_scalar_index', [3, 5], (b, x) => b.op('Gather', [x, b.constant('idx', [], [1], 'int64')], { axis: 0 }));
add('gather_elements', [3, 3], (b, x) => b.op('GatherElements', [x, b.constant('idx', [2, 3], [2, 0, 1, 1, 2, 0], 'int64')], { axis: 0 }));
add('split_three', [2, 9], (b, x) => b.node('Split', [x, b.constant('sp', [3], [2, 3, 4], 'int64')], { axis: 1 }, 3));
add('tile', [2, 3], (b, x) => b.op('Tile', [x, b.constant('rep', [2], [2, 3], 'int64')]));
add('expand', [3, 1], (b, x) => b.op('Expand', [x, b.constant('shape', [3], [2, 3, 4], 'int64')]));
add('depth_to_space_dcr', [1, 8, 2, 3], (b, x) => b.op('DepthToSpace', [x], { blocksize: 2 }));
add('depth_to_space_crd', [1, 8, 2, 3], (b, x) => b.op('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' }));
add('space_to_depth', [1, 2, 4, 6], (b, x) => b.op('SpaceToDepth', [x], { blocksize: 2 }));
add('concat_with_constant', [2, 3, 4], (b, x) => b.op('Concat', [x, b.constant('k', [2, 2, 4], weights([2, 2, 4])), b.op('Neg', [x])], { axis: 1 }));
add('pad_constant', [1, 2, 3, 4], (b, x) => b.op('Pad', [x, b.constant('p', [8], [0, 0, 1, 2, 0, 1, 2, -1], 'int64'), b.constant('v', [], [0.5])]));
add('pad_reflect', [1, 2, 4, 5], (b, x) => b.op('Pad', [x, b.constant('p', [8], [0, 0, 2, 3, 0, 0, 3, 1], 'int64')], { mode: 'reflect' }));
add('pad_edge_crop', [2, 5, 6], (b, x) => b.op('Pad', [x, b.constant('p', [6], [0, -1, 2, 0, 2, -2], 'int64')], { mode: 'edge' }));
add('pad_wrap', [3, 4], (b, x) => b.op('Pad', [x, b.constant('p', [4], [1, 3, 2, 2], 'int64')], { mode: 'wrap' }), { opset: 19 });
add('resize_nearest_scales', [1, 2, 3, 4], (b, x) => b.op('Resize', [x, '', b.constant('sc', [4], [1, 1, 2, 1.5])], { mode: 'nearest' }), {
  expectCalls: ['eenn_resize_nearest_f32'],
});
add('resize_linear_half_pixel', [1, 2, 4, 5], (b, x) =>
  b.op('Resize', [x, '', '', b.constant('sz', [4], [1, 2, 7, 3], 'int64')], { mode: 'linear' }),
);
add('resize_linear_align_corners', [2, 1, 3, 3], (b, x) =>
  b.op('Resize', [x, '', b.constant('sc', [4], [1, 1, 2, 2])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }),
);
add('resize_cubic', [1, 1, 5, 4], (b, x) => b.op('Resize', [x, '', b.constant('sc', [4], [1, 1, 1.6, 0.75])], { mode: 'cubic' }));
add('resize_cubic_exclude_asym', [1, 1, 4, 4], (b, x) =>
  b.op('Resize', [x, '', b.constant('sc', [4], [1, 1, 2, 2])], {
    mode: 'cubic',
    exclude_outside: 1,
    cubic_coeff_a: -0.5,
    coordinate_transformation_mode: 'asymmetric',
  }),
);
add('upsample_opset9', [1, 2, 2, 3], (b, x) => b.op('Upsample', [x, b.constant('sc', [4], [1, 1, 2, 3])], { mode: 'nearest' }), { opset: 9 });

// ---------------------------------------------------------------- aliases and storage corner cases
add('reshape_chain_in_arena', [2, 6], (b, x) =>
  b.op('Relu', [
    b.op('Squeeze', [
      b.op('Unsqueeze', [b.op('Flatten', [b.op('Exp', [x])], { axis: 0 }), b.constant('ax', [1], [0], 'int64')]),
      b.constant('ax2', [1], [0], 'int64'),
    ]),
  ]),
);
add('reshape_input_to_output', [2, 3], (b, x) => b.op('Reshape', [x, b.constant('shape', [1], [6], 'int64')]), { expectCalls: ['eenn_copy_f32'] });
add('identity_dropout_output', [4], (b, x) => b.op('Dropout', [b.op('Identity', [b.op('Sigmoid', [x])])]));
add('input_is_output_too', [3], (b, x) => [b.op('Tanh', [x]), x]);
add('same_output_twice', [3], (b, x) => {
  const t = b.op('Exp', [x]);
  return [t, t];
});

let results: Map<string, HostResult>;

beforeAll(async () => {
  const hostCases: HostCase[] = cases.map((c) => ({ name: c.name, graph: c.graph, inputs: c.inputs }));
  results = new Map((await runOnHost(hostCases)).map((r) => [r.name, r]));
}, 240_000);

describe('float32 kernels against the float reference (host gcc)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = results.get(c.name)!;
      expect(result.status).toBe(0);
      const expected = runReference(c.graph, c.inputs);
      c.graph.outputs.forEach((name, i) => {
        const check = compareOutputs(result.outputs[i]!, expected[name]!.data as ArrayLike<number>, RTOL, ATOL);
        expect(check.ok, `output "${name}": max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
      });
      const modelC = result.emitted.files.get('model.c')!;
      for (const fn of c.expectCalls ?? []) expect(modelC).toContain(`${fn}(`);
    });
  }
});
