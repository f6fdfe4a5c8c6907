// The model's outputs as its file declares them, against the outputs of the graph a build computes: a build must
// not change an output's shape, nor (float32, whose outputs keep the model's types) its type. `eennc test` checks
// this before it compares values, since its reference is the built graph's own float form.

import type { Graph } from '../ir/graph.js';

/** An output whose built form differs from the model's declaration, said in words. */
export interface OutputChange {
  output: string;
  change: string;
}

/**
 * How the outputs of `built` differ from those `loaded` (the model as loadModel reads it) declares: a static dimension
 * of another size or another rank (unknown dimensions and undeclared shapes match anything), and with `sameTypes`
 * another element type.
 */
export function declaredOutputChanges(loaded: Graph, built: Graph, sameTypes: boolean): OutputChange[] {
  const changes: OutputChange[] = [];
  for (const name of loaded.outputs) {
    const declared = loaded.tensors.get(name);
    const actual = built.tensors.get(name);
    if (!declared || !actual) continue;
    if (sameTypes && declared.dtype !== actual.dtype) {
      changes.push({ output: name, change: `the model declares it ${declared.dtype}, the build computes ${actual.dtype}` });
      continue;
    }
    // A declaration without a shape reads as rank 0: only a declared shape of some rank is compared.
    if (declared.shape.length === 0) continue;
    const sameShape = declared.shape.length === actual.shape.length && declared.shape.every((d, i) => d < 0 || d === actual.shape[i]);
    if (!sameShape) {
      changes.push({
        output: name,
        change: `the model declares shape [${declared.shape.join(', ')}], the build computes [${actual.shape.join(', ')}]`,
      });
    }
  }
  return changes;
}
