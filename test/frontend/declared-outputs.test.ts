// A build's outputs against the model's declaration: another type (float32 builds) or another static shape is a
// change `eennc test` refuses; unknown dimensions and undeclared shapes match anything.

import { describe, expect, it } from 'vitest';
import { declaredOutputChanges } from '../../src/frontend/declared-outputs.js';
import type { DType, Graph } from '../../src/ir/graph.js';

function graphWithOutput(dtype: DType, shape: number[]): Graph {
  return { name: 'g', opset: 13, tensors: new Map([['y', { name: 'y', shape, dtype }]]), nodes: [], inputs: [], outputs: ['y'] };
}

describe('declaredOutputChanges', () => {
  it('finds an output whose type the build changed (a QuantizeLinear output computed as float)', () => {
    const changes = declaredOutputChanges(graphWithOutput('uint8', [6]), graphWithOutput('float32', [6]), true);
    expect(changes).toEqual([{ output: 'y', change: 'the model declares it uint8, the build computes float32' }]);
    // int8 builds change types on purpose (int8 or float32 outputs by --io): only the shape is compared.
    expect(declaredOutputChanges(graphWithOutput('uint8', [6]), graphWithOutput('int8', [6]), false)).toEqual([]);
  });

  it('finds another static shape or rank; unknown dimensions and undeclared shapes match', () => {
    expect(declaredOutputChanges(graphWithOutput('float32', [1, 10]), graphWithOutput('float32', [1, 5]), true)[0]!.change).toMatch(
      /declares shape \[1, 10\], the build computes \[1, 5\]/,
    );
    expect(declaredOutputChanges(graphWithOutput('float32', [10]), graphWithOutput('float32', [1, 10]), true)).toHaveLength(1);
    expect(declaredOutputChanges(graphWithOutput('float32', [-1, 10]), graphWithOutput('float32', [1, 10]), true)).toEqual([]);
    expect(declaredOutputChanges(graphWithOutput('float32', []), graphWithOutput('float32', [1, 10]), true)).toEqual([]);
  });
});
