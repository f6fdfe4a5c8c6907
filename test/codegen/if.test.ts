// If through the generated C (host gcc -Wall -Wextra -Werror): a model whose condition is a constant compiles to the
// kernels of the branch it takes alone, and computes what the reference computes.

import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel, runReference } from '../../src/frontend/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { buildGraph, randomFloats, scratchDir, writeScratch } from '../frontend/build-graph.js';
import { compareOutputs, runOnHost } from './host-run.js';

afterAll(() => rmSync(scratchDir(), { recursive: true, force: true }));

const X = [1, 8];

/** A branch computing `op`(x) (x from the enclosing graph) into `out`. */
function branch(op: string): Graph {
  const graph = buildGraph({ nodes: [[op, ['x'], ['out']]], outputs: ['out'] });
  graph.tensors.set('out', { name: 'out', dtype: 'float32', shape: X });
  return graph;
}

describe('If with a constant condition in float32 C', () => {
  it('runs the branch taken, only its kernel', async () => {
    const graph = buildGraph({
      opset: 13,
      inputs: { x: ['float32', X] },
      constants: { c: ['bool', [], [0]] },
      nodes: [
        ['If', ['c'], ['picked'], { then_branch: branch('Sigmoid'), else_branch: branch('Tanh') }],
        ['Relu', ['picked'], ['y']],
      ],
      outputs: ['y'],
    });
    graph.tensors.set('y', { name: 'y', dtype: 'float32', shape: X });
    const imported = importModel(writeScratch('if_constant.onnx', graph)).graph;
    const inputs = { x: { shape: X, dtype: 'float32' as const, data: randomFloats(8, 9) } };
    const [result] = await runOnHost([{ name: 'if_constant', graph: imported, inputs }]);
    expect(result!.status).toBe(0);
    const modelC = result!.emitted.files.get('model.c')!;
    expect(modelC).toContain('eenn_tanh_f32(');
    expect(modelC).not.toContain('eenn_sigmoid_f32(');
    const want = runReference(imported, inputs)['y']!.data as Float32Array;
    const check = compareOutputs(result!.outputs[0]!, want, 1e-6, 1e-7);
    expect(check.ok, `max error ${check.maxError}`).toBe(true);
  });
});
