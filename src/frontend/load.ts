// Frontend step 1: reads an .onnx file into the graph IR (initializers and Constant nodes become constant tensors,
// attributes become plain values, nodes get unique names and a topological order). Shapes come later (shapes.ts).

import { dirname } from 'node:path';
import { EennError, nodeError } from '../ir/diagnostics.js';
import { normalDomain, type AttrValue, type DType, type Graph, type Node, type Tensor, type TensorData } from '../ir/graph.js';
import { readRegularFile } from '../util/read-file.js';
import { checkTotal, LIMITS } from '../ir/limits.js';
import {
  decodeModel,
  dtypeFromOnnx,
  longToNumber,
  OnnxAttributeType,
  onnxTypeName,
  tensorFromProto,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorSource,
  type ValueInfoProto,
} from './onnx-proto.js';
import { sortNodes } from './toposort.js';

/** Read and convert an ONNX model. Every error names `path`. */
export function loadModel(path: string): Graph {
  const model = decodeModel(readRegularFile(path, 'model', LIMITS.modelFileBytes), path);
  try {
    return graphFromModel(model, { file: path, baseDir: dirname(path) });
  } catch (err) {
    throw err instanceof EennError ? err.withFile(path) : err;
  }
}

/** The default-domain opset a model imports, and the domains it declares. */
function readOpsets(model: ModelProto, file: string): { opset: number; domains: Set<string> } {
  const domains = new Set<string>();
  let opset = 0;
  for (const entry of model.opsetImport ?? []) {
    const domain = normalDomain(entry.domain);
    domains.add(domain);
    if (domain === '') opset = longToNumber(entry.version);
  }
  if (opset === 0 && (model.opsetImport ?? []).length === 0) {
    // IR version 1-2 models predate opset_import; they mean opset 1.
    throw new EennError({
      code: 'E_OPSET',
      file,
      message: 'the model imports no operator set (opset_import is empty)',
      hint: 'the model is older than ONNX 1.0; re-export it with a current exporter',
    });
  }
  return { opset, domains };
}

/** Convert a decoded ModelProto; `source` names the file for errors and locates external data. */
function graphFromModel(model: ModelProto, source: TensorSource): Graph {
  const { opset, domains } = readOpsets(model, source.file);
  const graphProto = model.graph!;
  const graph = convertGraph(graphProto, { ...source, opset, domains, constants: { bytes: 0 } }, false);
  if (opset === 0 && graph.nodes.some((n) => n.domain === '')) {
    const node = graph.nodes.find((n) => n.domain === '')!;
    throw nodeError(
      'E_OPSET',
      node,
      'the node uses the default ONNX domain, but the model imports no default-domain opset',
      'add an opset_import entry for the domain "" (ai.onnx)',
      source.file,
    );
  }
  const metadata = readMetadata(model);
  return metadata ? { ...graph, metadata } : graph;
}

/** The model's metadata_props as key -> value (a later entry of one key wins), or undefined when it has none. */
function readMetadata(model: ModelProto): Record<string, string> | undefined {
  const entries = (model.metadataProps ?? []).filter((e) => typeof e.key === 'string' && e.key !== '');
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => [e.key!, e.value ?? '']));
}

interface ConvertContext extends TensorSource {
  opset: number;
  domains: Set<string>;
  /** Bytes of the constants read so far, subgraphs included (checked against LIMITS.constantBytes). */
  constants: { bytes: number };
}

function countConstant(ctx: ConvertContext, tensor: { data?: TensorData }): void {
  ctx.constants.bytes += tensor.data?.byteLength ?? 0;
  checkTotal('constantBytes', ctx.constants.bytes, { file: ctx.file });
}

function convertGraph(proto: GraphProto, ctx: ConvertContext, isSubgraph: boolean): Graph {
  const tensors = new Map<string, Tensor>();
  if ((proto.sparseInitializer ?? []).length > 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file: ctx.file,
      message: `sparse initializers are not supported (${proto.sparseInitializer!.map((t) => `"${t.values?.name ?? ''}"`).join(', ')})`,
      hint: 'save the model with dense initializers',
    });
  }
  const duplicate = (name: string, what: string, node?: Node) =>
    new EennError({
      code: 'E_GRAPH',
      file: ctx.file,
      ...(node ? { node: { name: node.name, op: node.op } } : {}),
      message: `the name "${name}" is used twice: ${what}`,
      hint: 'the model is malformed (every tensor needs one name of its own); re-export it, or rename one of them',
    });
  for (const init of proto.initializer ?? []) {
    const t = tensorFromProto(init, ctx);
    if (tensors.has(t.name)) throw duplicate(t.name, 'two initializers have it');
    countConstant(ctx, t);
    tensors.set(t.name, t);
  }

  const inputs: string[] = [];
  const inputNames = new Set<string>();
  for (const info of proto.input ?? []) {
    const name = info.name ?? '';
    if (inputNames.has(name)) throw duplicate(name, 'two graph inputs have it');
    inputNames.add(name);
    if (tensors.has(name)) continue; // an input with an initializer is a constant (its default value)
    // Subgraph (If/Loop body) inputs often leave their shapes open; only the main graph needs them.
    tensors.set(name, tensorFromValueInfo(info, ctx.file, 'input', isSubgraph));
    inputs.push(name);
  }

  const nodes: Node[] = [];
  const usedNames = new Set<string>();
  const producers = new Map<string, Node>();
  const claim = (output: string, node: Node) => {
    if (output === '') return;
    const earlier = producers.get(output);
    if (earlier) {
      throw duplicate(
        output,
        earlier === node
          ? `the node lists it twice among its outputs`
          : `nodes "${earlier.name}" (${earlier.op}) and "${node.name}" (${node.op}) both produce it`,
        node,
      );
    }
    if (inputNames.has(output)) throw duplicate(output, 'a graph input has it, and a node produces it', node);
    if (tensors.has(output)) throw duplicate(output, 'an initializer has it, and a node produces it', node);
    producers.set(output, node);
  };
  (proto.node ?? []).forEach((nodeProto, index) => {
    const node = convertNode(nodeProto, index, usedNames, ctx);
    for (const output of node.outputs) claim(output, node);
    if (node.op === 'Constant' && node.domain === '') {
      const output = node.outputs[0] ?? '';
      const constant = constantFromNode(node, ctx.file, output);
      countConstant(ctx, constant);
      tensors.set(output, constant);
      return;
    }
    nodes.push(node);
  });

  const available = new Set(tensors.keys());
  for (const node of nodes) {
    for (const output of node.outputs) {
      if (output !== '') tensors.set(output, { name: output, shape: [], dtype: 'float32' });
    }
  }

  const outputs = (proto.output ?? []).map((info) => info.name ?? '');
  const seenOutputs = new Set<string>();
  for (const name of outputs) {
    if (seenOutputs.has(name)) throw duplicate(name, 'the graph lists it twice among its outputs');
    seenOutputs.add(name);
  }
  for (const info of proto.output ?? []) {
    const existing = tensors.get(info.name ?? '');
    if (existing && !existing.data && !inputs.includes(existing.name)) {
      const declared = tensorFromValueInfo(info, ctx.file, 'output', true);
      tensors.set(existing.name, { ...existing, dtype: declared.dtype, shape: declared.shape });
    }
  }
  if (!isSubgraph) {
    for (const name of outputs) {
      if (!tensors.has(name)) {
        throw new EennError({
          code: 'E_GRAPH',
          file: ctx.file,
          message: `graph output "${name}" is produced by no node and is neither an input nor an initializer`,
          hint: 'the model is incomplete or malformed; re-export it (onnx.checker.check_model finds such problems)',
        });
      }
    }
  }

  const sorted = sortNodes(nodes, available, { allowOuterScope: isSubgraph, file: ctx.file });
  return { name: proto.name || 'model', opset: ctx.opset, tensors, nodes: sorted, inputs, outputs };
}

/** Shape and dtype declared by a ValueInfoProto; unknown dimensions (dim_param, missing, <= 0) become -1. */
function tensorFromValueInfo(info: ValueInfoProto, file: string, role: 'input' | 'output', lenient = false): Tensor {
  const name = info.name ?? '';
  const tensorType = info.type?.tensorType;
  if (!tensorType) {
    if (lenient) return { name, shape: [], dtype: 'float32' };
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file,
      message: `graph ${role} "${name}" is not a tensor (sequences, maps and optionals are not supported)`,
      hint: 'export the model with plain tensors as its inputs and outputs',
    });
  }
  const elemType = tensorType.elemType ?? 0;
  const dtype: DType | undefined = dtypeFromOnnx(elemType);
  if (!dtype) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file,
      message: `graph ${role} "${name}" has element type ${onnxTypeName(elemType)}, which eennc does not support`,
      hint: 'convert the model to float32 before compiling',
    });
  }
  if (!tensorType.shape) {
    if (lenient) return { name, shape: [], dtype };
    throw new EennError({
      code: 'E_SHAPE',
      file,
      message: `graph ${role} "${name}" has no declared shape (not even its rank)`,
      hint: 'export the model with input shapes (torch.onnx.export does this by default)',
    });
  }
  const shape = (tensorType.shape.dim ?? []).map((d) => {
    const v = d.dimValue === undefined || d.dimValue === null ? 0 : longToNumber(d.dimValue);
    return v > 0 ? v : -1;
  });
  return { name, shape, dtype };
}

function convertNode(proto: NodeProto, index: number, usedNames: Set<string>, ctx: ConvertContext): Node {
  const op = proto.opType ?? '';
  const domain = normalDomain(proto.domain);
  let name = proto.name || `${op}_${index}`;
  if (usedNames.has(name)) {
    let k = 1;
    while (usedNames.has(`${name}_${k}`)) k++;
    name = `${name}_${k}`;
  }
  usedNames.add(name);
  if (!ctx.domains.has(domain) && !(domain === '' && ctx.domains.size === 0)) {
    throw new EennError({
      code: 'E_OPSET',
      file: ctx.file,
      node: { name, op },
      message: `the node uses the operator domain "${domain}", which the model does not import (opset_import)`,
      hint: 'the model is malformed or uses a custom operator; re-export it with the standard ONNX operators',
    });
  }
  const attrs: Record<string, AttrValue> = {};
  for (const attr of proto.attribute ?? []) {
    attrs[attr.name ?? ''] = convertAttribute(attr, { name, op }, ctx);
  }
  return { name, op, domain, inputs: [...(proto.input ?? [])], outputs: [...(proto.output ?? [])], attrs };
}

function convertAttribute(attr: AttributeProto, node: { name: string; op: string }, ctx: ConvertContext): AttrValue {
  const decodeText = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
  switch (attr.type) {
    case OnnxAttributeType.FLOAT:
      return attr.f ?? 0;
    case OnnxAttributeType.INT:
      return longToNumber(attr.i);
    case OnnxAttributeType.STRING:
      return decodeText(attr.s);
    case OnnxAttributeType.FLOATS:
      return [...(attr.floats ?? [])];
    case OnnxAttributeType.INTS:
      return (attr.ints ?? []).map(longToNumber);
    case OnnxAttributeType.STRINGS:
      return (attr.strings ?? []).map(decodeText);
    case OnnxAttributeType.TENSOR:
      return tensorFromProto(attr.t ?? missingValue(attr, 'tensor', node, ctx.file), ctx);
    case OnnxAttributeType.GRAPH:
      return convertGraph(attr.g ?? missingValue(attr, 'graph', node, ctx.file), ctx, true);
    default:
      throw new EennError({
        code: 'E_UNSUPPORTED',
        file: ctx.file,
        node,
        message: `attribute "${attr.name}" has a type eennc does not read (AttributeProto type ${attr.type})`,
        hint: 'export the model with the standard ONNX operators and their documented attributes',
      });
  }
}

/** An attribute whose type says it holds a tensor or a graph, but which holds none: a damaged model. */
function missingValue(attr: AttributeProto, what: string, node: { name: string; op: string }, file: string): never {
  throw new EennError({
    code: 'E_MODEL',
    file,
    node,
    message: `attribute "${attr.name ?? ''}" is of type ${what.toUpperCase()} but holds no ${what}`,
    hint: 'the model file is damaged or was written by a faulty tool; export it again',
  });
}

/** A Constant node's value as a constant tensor (value, value_float(s), value_int(s)). */
function constantFromNode(node: Node, file: string, output: string): Tensor {
  const a = node.attrs;
  const fail = (what: string) =>
    new EennError({
      code: 'E_UNSUPPORTED',
      file,
      node: { name: node.name, op: node.op },
      message: `Constant with ${what} is not supported`,
      hint: 'give the constant as a numeric tensor (value, value_float(s) or value_int(s)), or as an initializer',
    });
  if (a.value !== undefined) {
    const t = a.value as Tensor;
    return { name: output, shape: t.shape, dtype: t.dtype, data: t.data };
  }
  if (typeof a.value_float === 'number') return { name: output, shape: [], dtype: 'float32', data: Float32Array.of(a.value_float) };
  if (typeof a.value_int === 'number') return { name: output, shape: [], dtype: 'int64', data: Float64Array.of(a.value_int) };
  if (Array.isArray(a.value_floats)) {
    const v = a.value_floats as number[];
    return { name: output, shape: [v.length], dtype: 'float32', data: Float32Array.from(v) };
  }
  if (Array.isArray(a.value_ints)) {
    const v = a.value_ints as number[];
    return { name: output, shape: [v.length], dtype: 'int64', data: Float64Array.from(v) };
  }
  if (a.value_string !== undefined || a.value_strings !== undefined) throw fail('a string value');
  if (a.sparse_value !== undefined) throw fail('a sparse value');
  throw fail('no value');
}

/** The operators a model uses (subgraphs included) and its default-domain opset, without converting tensors. */
export function listModelOperators(path: string): { opset: number; operators: { op: string; domain: string }[] } {
  const model = decodeModel(readRegularFile(path, 'model', LIMITS.modelFileBytes), path);
  const { opset } = readOpsets(model, path);
  const operators: { op: string; domain: string }[] = [];
  const visit = (graph: GraphProto) => {
    for (const node of graph.node ?? []) {
      operators.push({ op: node.opType ?? '', domain: normalDomain(node.domain) });
      for (const attr of node.attribute ?? []) {
        if (attr.g) visit(attr.g);
        for (const g of attr.graphs ?? []) visit(g);
      }
    }
  };
  visit(model.graph!);
  return { opset, operators };
}
