// Default-domain operators on int8 tensors (INT8_PASSTHROUGH_OPS of src/ir/int8.ts): they only move, select or
// compare values, so the float reference of the operator, run on the int8 (or int16) values, is exact.

import type { Graph, Node } from '../../ir/graph.js';
import { lookupOp } from '../../ops/registry.js';
import type { Value } from '../../ops/types.js';
import type { Int8Kernel } from './kernel.js';

export function preparePassthrough(node: Node, graph: Graph): Int8Kernel {
  const def = lookupOp(node.op, node.domain);
  if (!def) throw new Error(`internal: no operator definition for ${node.op} ("${node.name}")`);
  const outputTypes = node.outputs.map((name) => graph.tensors.get(name)?.dtype);
  return (inputs) => {
    const args = inputs.map((v): Value | undefined =>
      v && (v.dtype === 'int8' || v.dtype === 'int16')
        ? { shape: v.shape, dtype: 'float32', data: Float32Array.from(v.data as Int8Array | Int16Array) }
        : v,
    );
    return def.evaluate(node, args, graph.opset).map((v, i): Value => {
      const data = v.data as ArrayLike<number>;
      if (outputTypes[i] === 'int8') return { shape: v.shape, dtype: 'int8', data: Int8Array.from(data) };
      if (outputTypes[i] === 'int16') return { shape: v.shape, dtype: 'int16', data: Int16Array.from(data) };
      return v;
    });
  };
}
