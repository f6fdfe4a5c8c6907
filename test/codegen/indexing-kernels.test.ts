// The loss and indexing kernels (eenn_loss_f32.c, eenn_indexing_f32.c) on small graphs whose indices are constants
// (passed to the kernels as int64 arrays): generated C built with the host gcc (-Wall -Wextra -Werror) and run,
// outputs compared with the float reference, and the clamp of out-of-range indices checked by hand.

import { beforeAll, describe, expect, it } from 'vitest';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runReference } from '../../src/frontend/reference.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { compareOutputs, randomValue, runOnHost, type HostResult } from './host-run.js';

const RTOL = 1e-4;
const ATOL = 1e-5;

interface Case {
  name: string;
  graph: Graph;
  inputs: Record<string, Value>;
  /** The kernel model.c must call. */
  fn: string;
  /** Checked by hand below instead of against the reference (indices the reference refuses). */
  handChecked?: boolean;
}

const rand = seededRandom(77);
const cases: Case[] = [];

/**
 * A case with model input `x` of `shape` and one node `op` over x and constant operands (name -> [shape, values,
 * dtype]); outputs: the node's first `outputs` outputs.
 */
function add(
  name: string,
  fn: string,
  shape: number[],
  op: string,
  operands: ([number[], number[], 'int64' | 'int32' | 'float32'] | 'x' | '')[],
  attrs: Record<string, AttrValue> = {},
  options: { outputs?: number; opset?: number; handChecked?: boolean } = {},
): void {
  const b = new GraphBuilder(name, options.opset ?? 17);
  const x = b.input('x', shape);
  const inputs = operands.map((o, i) =>
    o === 'x' ? x : o === '' ? '' : b.constant(`c${i}`, o[0], o[2] === 'float32' ? o[1] : Float64Array.from(o[1]), o[2]),
  );
  const outs = b.node(op, inputs, attrs, options.outputs ?? 1);
  for (const o of outs) b.output(o);
  cases.push({ name, graph: b.build(), inputs: { x: randomValue(shape, rand, -2, 2) }, fn, handChecked: options.handChecked });
}

// ---------------------------------------------------------------- losses
const targets = [2, 0, 4, 1, 1, 3];
add('nll_none', 'eenn_nll_loss_f32', [6, 5], 'NegativeLogLikelihoodLoss', ['x', [[6], targets, 'int64']], { reduction: 'none' });
add(
  'nll_sum_weight',
  'eenn_nll_loss_f32',
  [6, 5],
  'NegativeLogLikelihoodLoss',
  ['x', [[6], targets, 'int64'], [[5], [0.5, 1, 2, 0.25, 3], 'float32']],
  {
    reduction: 'sum',
  },
);
add(
  'nll_mean_weight_ii',
  'eenn_nll_loss_f32',
  [2, 5, 3],
  'NegativeLogLikelihoodLoss',
  ['x', [[2, 3], targets, 'int64'], [[5], [0.5, 1, 2, 0.25, 3], 'float32']],
  {
    reduction: 'mean',
    ignore_index: 1,
  },
);
add(
  'nll_mean_negative_ii_4d',
  'eenn_nll_loss_f32',
  [2, 3, 2, 2],
  'NegativeLogLikelihoodLoss',
  ['x', [[2, 2, 2], [0, -1, 2, 1, -1, 0, 2, 2], 'int32']],
  {
    ignore_index: -1,
  },
);
add('nll_out_of_range_target_is_nan', 'eenn_nll_loss_f32', [3, 4], 'NegativeLogLikelihoodLoss', ['x', [[3], [1, 7, -3], 'int64']], {
  reduction: 'none',
});
add(
  'sce_mean_log_prob',
  'eenn_softmax_cross_entropy_loss_f32',
  [2, 5, 3],
  'SoftmaxCrossEntropyLoss',
  ['x', [[2, 3], targets, 'int64']],
  {},
  { outputs: 2 },
);
add(
  'sce_none_weight_ii',
  'eenn_softmax_cross_entropy_loss_f32',
  [6, 5],
  'SoftmaxCrossEntropyLoss',
  ['x', [[6], targets, 'int64'], [[5], [1, 2, 3, 4, 5], 'float32']],
  {
    reduction: 'none',
    ignore_index: 4,
  },
);
add('sce_sum_all_ignored_mean_nan', 'eenn_softmax_cross_entropy_loss_f32', [2, 3], 'SoftmaxCrossEntropyLoss', ['x', [[2], [1, 1], 'int64']], {
  ignore_index: 1,
});

// ---------------------------------------------------------------- GatherND
add('gather_nd_pairs', 'eenn_gather_nd', [2, 3, 4], 'GatherND', ['x', [[3, 2], [1, 2, 0, -1, -2, 0], 'int64']]);
add('gather_nd_slices', 'eenn_gather_nd', [2, 3, 4], 'GatherND', ['x', [[2, 1, 1], [1, 0], 'int64']]);
add('gather_nd_batch_dims', 'eenn_gather_nd', [2, 3, 4], 'GatherND', ['x', [[2, 2, 2], [0, 1, 2, 3, 1, 0, 0, 3], 'int64']], { batch_dims: 1 });
// Out of range: index 5 of an axis of 2 clamps to 1, -9 of 3 to 0.
add('gather_nd_clamps', 'eenn_gather_nd', [2, 3], 'GatherND', ['x', [[1, 2], [5, -9], 'int64']], {}, { handChecked: true });

// ---------------------------------------------------------------- scatters
const updates = (shape: number[]): [number[], number[], 'float32'] => [
  shape,
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
  'float32',
];
add('scatter_nd_none', 'eenn_scatter_nd_f32', [4, 3], 'ScatterND', ['x', [[2, 1], [2, 0], 'int64'], updates([2, 3])]);
add('scatter_nd_add_repeated', 'eenn_scatter_nd_f32', [4, 3], 'ScatterND', ['x', [[3, 2], [1, 1, -3, 1, 3, 2], 'int64'], updates([3])], {
  reduction: 'add',
});
add('scatter_nd_mul', 'eenn_scatter_nd_f32', [2, 2, 3], 'ScatterND', ['x', [[1, 2], [1, 0], 'int64'], updates([1, 3])], { reduction: 'mul' });
add(
  'scatter_nd_max',
  'eenn_scatter_nd_f32',
  [4, 3],
  'ScatterND',
  ['x', [[2, 1], [3, 0], 'int64'], updates([2, 3])],
  { reduction: 'max' },
  { opset: 18 },
);
add('scatter_elements_axis0', 'eenn_scatter_elements_f32', [3, 3], 'ScatterElements', ['x', [[2, 3], [1, 0, 2, 0, 2, 1], 'int64'], updates([2, 3])]);
add(
  'scatter_elements_axis1_negative',
  'eenn_scatter_elements_f32',
  [2, 5],
  'ScatterElements',
  ['x', [[2, 2], [1, -1, 0, -2], 'int64'], updates([2, 2])],
  { axis: 1 },
);
add('scatter_elements_add_duplicates', 'eenn_scatter_elements_f32', [1, 5], 'ScatterElements', ['x', [[1, 3], [1, 1, 4], 'int64'], updates([1, 3])], {
  axis: 1,
  reduction: 'add',
});
add(
  'scatter_elements_min',
  'eenn_scatter_elements_f32',
  [2, 4],
  'ScatterElements',
  ['x', [[2, 2], [0, 3, 3, 3], 'int64'], [[2, 2], [-5, 0.5, 7, -1], 'float32']],
  {
    axis: 1,
    reduction: 'min',
  },
  { opset: 18 },
);
// Indices shorter than data on the other axes too.
add(
  'scatter_elements_small_indices',
  'eenn_scatter_elements_f32',
  [3, 4, 2],
  'ScatterElements',
  ['x', [[2, 2, 1], [3, -1, 0, 2], 'int64'], updates([2, 2, 1])],
  {
    axis: 1,
  },
);
add(
  'scatter_elements_small_indices_axis0_mul',
  'eenn_scatter_elements_f32',
  [3, 4],
  'ScatterElements',
  ['x', [[2, 3], [2, 0, 2, 2, 1, 0], 'int64'], updates([2, 3])],
  {
    reduction: 'mul',
  },
);
add('scatter_deprecated', 'eenn_scatter_elements_f32', [3, 3], 'Scatter', ['x', [[1, 3], [2, 0, 1], 'int64'], updates([1, 3])], {}, { opset: 10 });

// ---------------------------------------------------------------- OneHot
{
  const b = new GraphBuilder('one_hot_values_input', 11);
  const values = b.input('x', [2]);
  const depth = b.constant('depth', [], [4]);
  const indices = b.constant('indices', [2, 3], Float64Array.from([0, 3, -1, -4, 7, 2]), 'int64');
  b.output(b.op('OneHot', [indices, depth, values], { axis: 1 }));
  cases.push({
    name: 'one_hot_values_input',
    graph: b.build(),
    inputs: { x: { shape: [2], dtype: 'float32', data: Float32Array.from([-1, 5]) } },
    fn: 'eenn_one_hot_f32',
  });
}

let results: Map<string, HostResult>;

beforeAll(async () => {
  results = new Map((await runOnHost(cases.map((c) => ({ name: c.name, graph: c.graph, inputs: c.inputs })))).map((r) => [r.name, r]));
}, 120_000);

describe('loss and indexing kernels against the float reference (host gcc)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = results.get(c.name)!;
      expect(result.status).toBe(0);
      expect(result.emitted.files.get('model.c')!).toContain(`${c.fn}(`);
      if (c.handChecked) return;
      const expected = runReference(c.graph, c.inputs);
      c.graph.outputs.forEach((name, i) => {
        const check = compareOutputs(result.outputs[i]!, expected[name]!.data as ArrayLike<number>, RTOL, ATOL);
        expect(check.ok, `output "${name}": max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
      });
    });
  }

  it('clamps an out-of-range index to the nearest element of its axis', () => {
    const c = cases.find((k) => k.name === 'gather_nd_clamps')!;
    const x = c.inputs.x!.data;
    // data [2, 3], index (5, -9) -> (1, 0).
    expect(Array.from(results.get(c.name)!.outputs[0]!)).toEqual([x[3]]);
  });

  it('gives NaN for a target outside the classes and for a mean over ignored targets only', () => {
    const nll = results.get('nll_out_of_range_target_is_nan')!.outputs[0]!;
    expect(Number.isNaN(nll[0]!)).toBe(false);
    expect(Number.isNaN(nll[1]!)).toBe(true);
    expect(Number.isNaN(nll[2]!)).toBe(true);
    expect(Number.isNaN(results.get('sce_sum_all_ignored_mean_nan')!.outputs[0]![0]!)).toBe(true);
  });
});
