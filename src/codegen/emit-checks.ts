// Codegen: what emitModel refuses before any work: options that are not a precision or a C identifier, and a
// model whose inputs and outputs its code path cannot pass through eenn_run().

import { EennError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/graph.js';

/** The emitter's options as given; returns the symbol prefix to use (`eenn` by default). */
export function checkEmitOptions(options: { precision: string; symbolPrefix?: string }): string {
  if (options.precision !== 'float32' && options.precision !== 'int8') {
    throw new EennError({
      code: 'E_USAGE',
      message: `precision ${String(options.precision)} is not one of float32, int8`,
      hint: 'give --precision int8 or --precision float32',
    });
  }
  const prefix = options.symbolPrefix ?? 'eenn';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(prefix))
    throw new EennError({
      code: 'E_USAGE',
      message: `symbol prefix "${prefix}" is not a C identifier`,
      hint: 'use letters, digits and _, starting with a letter',
    });
  return prefix;
}

/**
 * The model has inputs and outputs, of a type its code path passes through eenn_run(): any element type for the
 * float32 path (model.h names its C type); int8 with one scale and zero point (documented in model.h), or float32,
 * for the int8 path.
 */
export function checkModelIo(graph: Graph, precision: 'float32' | 'int8'): void {
  if (graph.inputs.length === 0 || graph.outputs.length === 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `the model has ${graph.inputs.length === 0 ? 'no runtime input (every value folded to a constant)' : 'no output'}; there is nothing to compile`,
      hint: 'export the model with its real inputs (not folded into constants) and at least one output',
    });
  }
  for (const name of [...graph.inputs, ...graph.outputs]) {
    const t = graph.tensors.get(name)!;
    const what = `model ${graph.inputs.includes(name) ? 'input' : 'output'} "${name}"`;
    if (precision === 'int8') {
      if (t.dtype !== 'int8' && t.dtype !== 'float32') {
        throw new EennError({
          code: 'E_UNSUPPORTED',
          message: `${what} is ${t.dtype}; the int8 code path takes int8 or float32 inputs and outputs`,
          hint: 'export the model with float32 inputs and outputs (a cast inside the model is fine)',
        });
      }
      if (t.dtype === 'int8' && (!t.quant || t.quant.scale.length !== 1 || t.quant.zeroPoint.length !== 1)) {
        throw new EennError({
          code: 'E_UNSUPPORTED',
          message: `${what} is int8 without one scale and zero point`,
          hint: 'quantize the model with eennc (--precision int8)',
        });
      }
    }
  }
}
