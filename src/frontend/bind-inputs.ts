// Turns chosen graph inputs into constants with given values (e.g. shape or axes inputs that a model takes at
// run time but that a static build needs as constants). A pure Graph → Graph pass, run before shape inference.

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../ops/types.js';

export function bindInputs(graph: Graph, values: Record<string, Value>): Graph {
  const tensors = new Map(graph.tensors);
  for (const [name, value] of Object.entries(values)) {
    const t = tensors.get(name);
    if (!t || !graph.inputs.includes(name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `cannot bind "${name}": it is not an input of the model`,
        hint: `the model's inputs are: ${graph.inputs.join(', ')}`,
      });
    }
    if (t.dtype !== value.dtype) {
      throw new EennError({
        code: 'E_DATA',
        message: `input "${name}" is ${t.dtype}, the bound value is ${value.dtype}`,
        hint: `give the input as ${t.dtype}`,
      });
    }
    tensors.set(name, { name, shape: [...value.shape], dtype: value.dtype, data: value.data });
  }
  return { ...graph, tensors, inputs: graph.inputs.filter((n) => !(n in values)) };
}
