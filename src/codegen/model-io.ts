// Codegen: the model's inputs and outputs as model.h documents them (name, type, shape, layout, bytes, int8 scale
// and zero point), and the copies eenn_run ends with for outputs whose tensor is stored somewhere else.

import { sizeOf, type Graph } from '../ir/graph.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import { tensorBytes } from '../schedule/memory-plan.js';
import { commentText, formatFloat, formatInt, formatShape, stringLiteral } from './c-format.js';
import { CTYPE_OF } from './constants.js';
import type { TensorStorage } from './storage.js';
import { copyKernel } from './data-movement.js';

/** A model input or output as the templates describe it; `used`: eenn_run reads or writes it. */
export interface ModelIo {
  index: number;
  name: string;
  nameLiteral: string;
  dtype: string;
  ctype: string;
  shape: string;
  shapeList: string;
  rank: number;
  layout: string;
  size: number;
  bytes: number;
  used: boolean;
  quantized: boolean;
  scale: string;
  zeroPoint: string;
  quantNote: string;
}

/** A copy of a tensor stored elsewhere into model output `index`: `fn(source, dest, size)`. */
export interface OutputCopy {
  fn: string;
  source: string;
  /** The C expression of the output written: `output_<index>`, or its area in an intermittent build. */
  dest: string;
  index: number;
  size: string;
  name: string;
}

/** The inputs (or outputs) `names` of the model, `used` the indices the code reads (or writes). */
export function modelIo(graph: Graph, names: string[], used: Set<number>): ModelIo[] {
  return names.map((name, index) => {
    const t = graph.tensors.get(name)!;
    const quant = t.dtype === 'int8' ? t.quant! : undefined;
    return {
      index,
      name: commentText(name),
      nameLiteral: stringLiteral(name),
      dtype: t.dtype,
      ctype: CTYPE_OF[t.dtype],
      shape: formatShape(t.shape),
      shapeList: t.shape.length ? t.shape.join(', ') : '1',
      rank: t.shape.length,
      layout: layoutOf(t.shape),
      size: sizeOf(t.shape),
      bytes: tensorBytes(t),
      used: used.has(index),
      quantized: quant !== undefined,
      scale: quant ? formatFloat(quant.scale[0]!) : '',
      zeroPoint: quant ? formatInt(quant.zeroPoint[0]!) : '',
      quantNote: quant ? `, scale ${formatFloat(quant.scale[0]!)}, zero point ${quant.zeroPoint[0]!}` : '',
    };
  });
}

function layoutOf(shape: readonly number[]): string {
  if (shape.length === 4) return 'NCHW';
  if (shape.length === 3) return 'NCW';
  if (shape.length === 2) return '[N, features]';
  return 'row-major';
}

/**
 * The model outputs whose tensor is stored somewhere else than their own output buffer (a model input, a constant,
 * another output), each copied there at the end of eenn_run; and the kernel source files of the copies.
 */
export function outputCopies(graph: Graph, plan: MemoryPlan, storage: TensorStorage): { copies: OutputCopy[]; sources: Set<string> } {
  // The copies run in eenn_run after every step: what they read is no step's.
  storage.begin();
  const sources = new Set<string>();
  const copies = graph.outputs.flatMap((name, index) => {
    const id = plan.bufferOf.get(name);
    const s = id === undefined ? undefined : plan.buffers[id]!.storage;
    if (s && s.kind === 'output' && s.index === index) return [];
    const t = graph.tensors.get(name)!;
    const size = sizeOf(t.shape);
    if (size === 0) return [];
    const dest = storage.output(index);
    const [fn, source] = t.dtype === 'int8' ? ['eenn_copy_s8', 'eenn_layout_s8.c'] : copyKernel(t.dtype);
    sources.add(source);
    // A constant output (a folded Shape, an int64 table) is copied from an array of its own C type.
    return [{ fn, source: storage.tensor(name, t.dtype !== 'float32'), dest, index, size: formatInt(size), name: commentText(name) }];
  });
  return { copies, sources };
}
