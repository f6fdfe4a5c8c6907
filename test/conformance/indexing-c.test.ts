// The loss and indexing operators through the generated C with their indices fed at run time (int64 model
// inputs): each case is written as an ONNX backend case (model.onnx, test_data_set_0 with the reference's outputs)
// and run by the conformance harness (test/conformance/c-harness.ts): float32 build for the host, gcc, every input
// fed at run time.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arrayFor, sizeOf, type AttrValue, type DType } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { encodeTensor, tensorToProto } from '../../src/frontend/onnx-proto.js';
import { runReference } from '../../src/frontend/reference.js';
import { saveModel } from '../../src/frontend/save.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { runCaseThroughC } from './c-harness.js';

const root = mkdtempSync(join(tmpdir(), 'eennc-indexing-c-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const rand = seededRandom(5);

function value(dtype: DType, shape: number[], values?: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  if (values) data.set(values);
  else for (let i = 0; i < data.length; i++) data[i] = rand() * 4 - 2;
  return { dtype, shape, data };
}

/**
 * Writes one case: node `op` over the model inputs `inputs` (name -> value) and constants, its outputs the model's,
 * the expected outputs from the float reference. Returns the case for the harness.
 */
function writeCase(
  name: string,
  op: string,
  inputs: Record<string, Value>,
  constants: Record<string, Value>,
  order: string[],
  attrs: Record<string, AttrValue>,
  options: { outputs?: number; opset?: number } = {},
) {
  const b = new GraphBuilder(name, options.opset ?? 18);
  for (const [n, v] of Object.entries(inputs)) b.input(n, v.shape, v.dtype);
  for (const [n, v] of Object.entries(constants)) b.constant(n, v.shape, v.data, v.dtype);
  for (const o of b.node(op, order, attrs, options.outputs ?? 1)) b.output(o);
  const graph = b.build();
  const dir = join(root, name);
  const set = join(dir, 'test_data_set_0');
  mkdirSync(set, { recursive: true });
  saveModel(graph, join(dir, 'model.onnx'));
  graph.inputs.forEach((n, i) => {
    const v = inputs[n]!;
    writeFileSync(join(set, `input_${i}.pb`), encodeTensor(tensorToProto(n, v.shape, v.dtype, v.data)));
  });
  const expected = runReference(graph, inputs);
  graph.outputs.forEach((n, i) => {
    const v = expected[n]!;
    writeFileSync(join(set, `output_${i}.pb`), encodeTensor(tensorToProto(n, v.shape, v.dtype, v.data)));
  });
  return { suite: 'indexing', name, dir };
}

const cases = [
  writeCase(
    'nll_mean_weight_ii',
    'NegativeLogLikelihoodLoss',
    { x: value('float32', [3, 4, 2]), target: value('int64', [3, 2], [0, 3, -1, 2, 1, -1]), weight: value('float32', [4], [1, 0.5, 2, 3]) },
    {},
    ['x', 'target', 'weight'],
    { ignore_index: -1 },
  ),
  writeCase(
    'sce_none_log_prob',
    'SoftmaxCrossEntropyLoss',
    { x: value('float32', [2, 5]), y: value('int64', [2], [4, 0]) },
    {},
    ['x', 'y'],
    { reduction: 'none' },
    { outputs: 2 },
  ),
  writeCase(
    'gather_nd',
    'GatherND',
    { data: value('float32', [2, 3, 2]), indices: value('int64', [2, 2], [1, -1, 0, 1]) },
    {},
    ['data', 'indices'],
    {},
  ),
  // A constant int32 table read in its own type.
  writeCase(
    'gather_nd_int32_table',
    'GatherND',
    { indices: value('int64', [3, 1], [2, 0, -1]) },
    { table: value('int32', [3, 2], [10, -11, 20, 21, 300000, -7]) },
    ['table', 'indices'],
    {},
  ),
  writeCase(
    'scatter_nd_add',
    'ScatterND',
    { data: value('float32', [4, 2]), indices: value('int64', [3, 1], [1, 3, 1]), updates: value('float32', [3, 2]) },
    {},
    ['data', 'indices', 'updates'],
    { reduction: 'add' },
  ),
  writeCase(
    'scatter_elements_max',
    'ScatterElements',
    { data: value('float32', [2, 4]), indices: value('int64', [2, 2], [3, 0, -1, 1]), updates: value('float32', [2, 2]) },
    {},
    ['data', 'indices', 'updates'],
    { axis: 1, reduction: 'max' },
  ),
  writeCase(
    'one_hot',
    'OneHot',
    { indices: value('int64', [2, 2], [0, -1, 2, 5]), values: value('float32', [2], [0, 3]) },
    { depth: value('int64', [], [3]) },
    ['indices', 'depth', 'values'],
    { axis: 0 },
    { opset: 11 },
  ),
  writeCase(
    'top_k',
    'TopK',
    { x: value('float32', [3, 5], [1, 3, 3, 2, 0, 5, 4, 3, 2, 1, -1, -1, -1, -1, -2]) },
    { k: value('int64', [1], [3]) },
    ['x', 'k'],
    {},
    {
      outputs: 2,
      opset: 11,
    },
  ),
];

describe('loss and indexing operators through the generated C, indices at run time', () => {
  for (const c of cases) {
    it(
      c.name,
      async () => {
        const outcome = await runCaseThroughC(c);
        expect(outcome).toMatchObject({ status: 'pass' });
      },
      60_000,
    );
  }
});
