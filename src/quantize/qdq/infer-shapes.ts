// Static shapes for the float graph the QDQ import writes: each operator's shape rule (src/ops) in topological
// order, with small compile-time values (shape constants, Shape -> Gather -> Concat chains) propagated so that
// Reshape and friends can read them. The same rules the frontend's shape inference applies to float models.

import { EennError } from '../../ir/diagnostics.js';
import { arrayFor, sizeOf, type Graph, type Tensor, type TensorData } from '../../ir/graph.js';
import { checkedTensorBytes } from '../../ir/limits.js';
import { lookupOp } from '../../ops/registry.js';
import type { InputInfo, Value } from '../../ops/types.js';

/** Values up to this many elements are propagated for shape rules. */
const KNOWN_VALUE_LIMIT = 1 << 16;

/**
 * `graph` with every tensor's shape and dtype filled in. A dynamic leading (batch) dimension of an input becomes
 * 1, as the frontend does; other dynamic dimensions must be fixed on the input tensors before the import.
 */
export function inferFloatShapes(graph: Graph): Graph {
  const tensors = new Map(graph.tensors);
  for (const name of graph.inputs) {
    const input = staticInput(tensors.get(name)!);
    checkedTensorBytes(`input "${name}"`, input.shape, input.dtype);
    tensors.set(name, input);
  }

  const missing = graph.nodes.filter((node) => !lookupOp(node.op, node.domain));
  if (missing.length > 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `the model's quantized graph uses operators eennc does not support (${[...new Set(missing.map((n) => n.op))].join(', ')})`,
      details: missing.map((n) => `node "${n.name}" (${n.op}${n.domain ? `, domain ${n.domain}` : ''})`),
      hint: 'export the model with the standard ONNX operators, or quantize it in QDQ format (onnxruntime quantize_static, quant_format=QDQ)',
    });
  }

  const known = new Map<string, TensorData>();
  for (const node of graph.nodes) {
    const def = lookupOp(node.op, node.domain)!;
    const infos: (InputInfo | undefined)[] = node.inputs.map((name) => {
      if (name === '') return undefined;
      const t = tensors.get(name)!;
      return { name, shape: t.shape, dtype: t.dtype, data: t.data ?? known.get(name) };
    });
    const results = def.inferShapes(node, infos, graph.opset);
    node.outputs.forEach((output, i) => {
      const result = results[i];
      if (output === '' || !result) return;
      // Checked before the zero-filled stand-in below or an evaluation allocates it.
      checkedTensorBytes(`output "${output}"`, result.shape, result.dtype, { node: { name: node.name, op: node.op } });
      tensors.set(output, { name: output, shape: [...result.shape], dtype: result.dtype });
    });

    const small = node.outputs.every((o) => o === '' || sizeOf(tensors.get(o)!.shape) <= KNOWN_VALUE_LIMIT);
    if (!small) continue;
    let values: Value[] | undefined;
    if (def.foldOnly && infos[0] && !infos[0].data) {
      // Shape and Size need only the input's shape: a zero-filled stand-in of that shape.
      const x = infos[0];
      values = def.evaluate(node, [{ shape: x.shape, dtype: x.dtype, data: arrayFor(x.dtype, sizeOf(x.shape)) }], graph.opset);
    } else if (infos.every((info) => info === undefined || info.data !== undefined)) {
      values = def.evaluate(node, infos.map(asValue), graph.opset);
    }
    values?.forEach((value, i) => {
      const output = node.outputs[i];
      if (output) known.set(output, value.data);
    });
  }
  return { ...graph, tensors };
}

function asValue(info: InputInfo | undefined): Value | undefined {
  return info && { shape: info.shape, dtype: info.dtype, data: info.data! };
}

function staticInput(t: Tensor): Tensor {
  if (t.shape.every((d) => d > 0)) return t;
  const dynamic = t.shape.flatMap((d, i) => (d > 0 ? [] : [i]));
  if (dynamic.length === 1 && dynamic[0] === 0) return { ...t, shape: [1, ...t.shape.slice(1)] };
  throw new EennError({
    code: 'E_SHAPE',
    message: `input "${t.name}" has dynamic dimensions [${t.shape.map((d) => (d > 0 ? d : '?')).join(', ')}]`,
    hint: `give its shape with --input-shape ${t.name}=${t.shape.map((d) => (d > 0 ? d : 'N')).join('x')}`,
  });
}
