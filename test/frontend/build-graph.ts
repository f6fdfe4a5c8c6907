// Builds small graphs and .onnx files for the frontend tests, so each test shows the model it runs on.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttrValue, DType, Graph, Node, Tensor, TensorData } from '../../src/ir/graph.js';
import { encodeGraph } from '../../src/frontend/save.js';

export interface GraphSpec {
  opset?: number;
  inputs?: Record<string, [DType, number[]]>;
  constants?: Record<string, [DType, number[], ArrayLike<number>]>;
  /** [op, inputs, outputs, attrs?, name?] */
  nodes: [string, string[], string[], Record<string, AttrValue>?, string?][];
  outputs: string[];
}

export function buildGraph(spec: GraphSpec): Graph {
  const tensors = new Map<string, Tensor>();
  for (const [name, [dtype, shape]] of Object.entries(spec.inputs ?? {})) tensors.set(name, { name, dtype, shape });
  for (const [name, [dtype, shape, values]] of Object.entries(spec.constants ?? {})) {
    tensors.set(name, { name, dtype, shape, data: typedArray(dtype, values) });
  }
  const nodes: Node[] = spec.nodes.map(([op, inputs, outputs, attrs, name], i) => ({
    name: name ?? `${op}_${i}`,
    op,
    domain: '',
    inputs,
    outputs,
    attrs: attrs ?? {},
  }));
  for (const node of nodes) {
    for (const o of node.outputs) if (o !== '' && !tensors.has(o)) tensors.set(o, { name: o, dtype: 'float32', shape: [] });
  }
  return { name: 'test', opset: spec.opset ?? 13, tensors, nodes, inputs: Object.keys(spec.inputs ?? {}), outputs: spec.outputs };
}

export function typedArray(dtype: DType, values: ArrayLike<number>): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
    case 'int64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
  }
}

let scratch: string | undefined;

/** A fresh temporary folder shared by one test file. */
export function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'eennc-frontend-'));
  return scratch;
}

/** Write bytes (or a graph, encoded) to a file in the scratch folder and return its path. */
export function writeScratch(name: string, content: Uint8Array | Graph): string {
  const path = join(scratchDir(), name);
  writeFileSync(path, content instanceof Uint8Array ? content : encodeGraph(content));
  return path;
}

/** Deterministic pseudo-random floats in [-1, 1) (a linear congruential generator). */
export function randomFloats(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
