// ONNX backend test cases prepared for code generation: the graph after the frontend (shapes from the test
// inputs, constants folded), its runtime inputs and expected outputs. Inputs a static build needs as constants
// (shapes, axes, scales given as graph inputs in these tests) are bound, as a deployed model has them.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { bindInputs } from '../../src/frontend/bind-inputs.js';
import { fold } from '../../src/frontend/fold.js';
import { loadModel } from '../../src/frontend/load.js';
import { decodeTensorProto, tensorFromProto } from '../../src/frontend/onnx-proto.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { ConformanceCase } from '../conformance/harness.js';

export interface PreparedCase {
  name: string;
  graph: Graph;
  /** Values of the graph's (remaining) runtime inputs. */
  inputs: Record<string, Value>;
  /** Expected outputs, in graph output order. */
  expected: Value[];
}

function readTensor(path: string): Value & { name: string } {
  return tensorFromProto(decodeTensorProto(readFileSync(path), path), { file: path, baseDir: path });
}

function numbered(dir: string, prefix: string): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'));
  return files.sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10)).map((f) => join(dir, f));
}

function frontend(graph: Graph, inputShapes: Record<string, number[]>): Graph {
  const shaped = inferGraphShapes(graph, { inputShapes }).graph;
  return inferGraphShapes(fold(shaped)).graph;
}

function needsConstants(err: unknown): boolean {
  return err instanceof EennError && (err.code === 'E_SHAPE' || err.code === 'E_UNSUPPORTED');
}

/**
 * The first data set of a case through the frontend; throws what the frontend throws. `accept` may reject a
 * graph (throwing E_SHAPE / E_UNSUPPORTED, e.g. a weight given as a graph input), so more inputs get bound.
 */
export function prepareCase(c: ConformanceCase, accept: (graph: Graph) => void = () => {}): PreparedCase {
  const loaded = loadModel(join(c.dir, 'model.onnx'));
  const set = join(c.dir, 'test_data_set_0');
  const given = numbered(set, 'input_').map(readTensor);
  const expected = numbered(set, 'output_').map(readTensor);
  const values: Record<string, Value> = {};
  given.forEach((v, i) => {
    const name = v.name && loaded.inputs.includes(v.name) ? v.name : loaded.inputs[i];
    if (name !== undefined) values[name] = { shape: v.shape, dtype: v.dtype, data: v.data };
  });
  const shapes = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.shape]));
  const attempts: (() => { graph: Graph; inputs: Record<string, Value> })[] = [
    () => ({ graph: frontend(loaded, shapes), inputs: values }),
    () => {
      const [first, ...rest] = loaded.inputs;
      if (first === undefined || rest.length === 0) throw new EennError({ code: 'E_SHAPE', message: 'nothing to bind' });
      const bound = bindInputs(loaded, Object.fromEntries(rest.map((n) => [n, values[n]!])));
      return { graph: frontend(bound, { [first]: shapes[first]! }), inputs: { [first]: values[first]! } };
    },
    () => ({ graph: frontend(bindInputs(loaded, values), {}), inputs: {} }),
  ];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const { graph, inputs } = attempt();
      accept(graph);
      return { name: c.name, graph, inputs, expected };
    } catch (err) {
      if (!needsConstants(err)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}
