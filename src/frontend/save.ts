// Writes a graph back to an .onnx file (the inverse of load.ts): for tools that emit models, such as
// `eennc augment`, and for tests that build small models in the IR.

import { writeFileSync } from 'node:fs';
import { EennError } from '../ir/diagnostics.js';
import type { AttrValue, Graph, Node, Tensor } from '../ir/graph.js';
import {
  encodeModel,
  OnnxAttributeType,
  onnxFromDtype,
  tensorToProto,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type ValueInfoProto,
} from './onnx-proto.js';

/**
 * The IR keeps attribute numbers without their ONNX type; these names are float attributes in the ONNX spec,
 * every other whole number is written as an int.
 */
const FLOAT_ATTRIBUTES = new Set([
  'alpha',
  'beta',
  'gamma',
  'epsilon',
  'momentum',
  'bias',
  'lambd',
  'ratio',
  'spatial_scale',
  'extrapolation_value',
  'cubic_coeff_a',
  'min',
  'max',
  'threshold',
  'scale',
  'seed',
  'mean',
  'high',
  'low',
  'scales',
  'activation_alpha',
  'activation_beta',
  'clip',
  'value_float',
  'value_floats',
]);

export function saveModel(graph: Graph, path: string): void {
  try {
    writeFileSync(path, encodeGraph(graph));
  } catch (err) {
    if (err instanceof EennError) throw err;
    throw new EennError({
      code: 'E_FILE',
      file: path,
      message: `cannot write the model: ${(err as Error).message}`,
      hint: 'check that the folder exists and can be written',
    });
  }
}

/** Serialize a graph as an ONNX ModelProto. */
export function encodeGraph(graph: Graph): Uint8Array {
  const domains = new Set(graph.nodes.map((n) => n.domain).filter((d) => d !== ''));
  const model: ModelProto = {
    irVersion: 8,
    producerName: 'eennc',
    opsetImport: [{ domain: '', version: graph.opset }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    graph: graphToProto(graph),
    ...(graph.metadata ? { metadataProps: Object.entries(graph.metadata).map(([key, value]) => ({ key, value })) } : {}),
  };
  return encodeModel(model);
}

function graphToProto(graph: Graph): GraphProto {
  const valueInfo = (name: string): ValueInfoProto => {
    const t = graph.tensors.get(name);
    if (!t) return { name };
    return {
      name,
      type: { tensorType: { elemType: onnxFromDtype(t.dtype), shape: { dim: t.shape.map((d) => (d > 0 ? { dimValue: d } : { dimParam: 'N' })) } } },
    };
  };
  const initializers = [...graph.tensors.values()].filter((t): t is Tensor & { data: NonNullable<Tensor['data']> } => t.data !== undefined);
  return {
    name: graph.name,
    node: graph.nodes.map(nodeToProto),
    initializer: initializers.map((t) => tensorToProto(t.name, t.shape, t.dtype, t.data)),
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
  };
}

function nodeToProto(node: Node) {
  return {
    name: node.name,
    opType: node.op,
    domain: node.domain,
    input: node.inputs,
    output: node.outputs,
    attribute: Object.entries(node.attrs).map(([name, value]) => attributeToProto(name, value)),
  };
}

function attributeToProto(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') {
    return Number.isInteger(value) && !FLOAT_ATTRIBUTES.has(name)
      ? { name, type: OnnxAttributeType.INT, i: value }
      : { name, type: OnnxAttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: OnnxAttributeType.STRINGS, strings: (value as string[]).map((s) => Buffer.from(s, 'utf8')) };
    }
    const numbers = value as number[];
    return numbers.every(Number.isInteger) && !FLOAT_ATTRIBUTES.has(name)
      ? { name, type: OnnxAttributeType.INTS, ints: numbers }
      : { name, type: OnnxAttributeType.FLOATS, floats: numbers };
  }
  if ('nodes' in value) return { name, type: OnnxAttributeType.GRAPH, g: graphToProto(value) };
  return { name, type: OnnxAttributeType.TENSOR, t: tensorToProto(value.name, value.shape, value.dtype, value.data!) };
}
