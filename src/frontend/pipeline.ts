// Pipelines of two models (`--then B.onnx`): model A's output is model B's input, joined into one graph before
// quantization, so that calibration flows through both, one arena serves both and eenn_run() runs both.
// B's tensors and nodes are renamed with a prefix so that nothing clashes with A's; B's outputs keep their names.

import { basename, extname } from 'node:path';
import { EennError } from '../ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { freshName } from './graph-edit.js';
import { loadModel } from './load.js';

/** The two files of a pipeline, for errors that name both. */
export interface PipelineFiles {
  first: string;
  then: string;
}

/** Dimensions loadModel leaves unknown (dim_param, missing) are -1 (src/frontend/load.ts). */
const UNKNOWN_DIM = -1;

/** Separates the second model's name from its tensor and node names in the joined graph (a C-friendly character). */
const PREFIX_SEPARATOR = '_';

/**
 * Shapes to import the second model with: its input given A's output shape where the second model leaves
 * dimensions unknown (a batch `N`), nothing where it states them all. Reads only the second model's file (and its
 * external data beside it, as every model is read).
 */
export function thenInputShapes(thenPath: string, firstOutput: Tensor): Record<string, number[]> | undefined {
  const loaded = loadModel(thenPath);
  if (loaded.inputs.length !== 1) return undefined; // joinPipeline says what is wrong
  const input = loaded.tensors.get(loaded.inputs[0]!)!;
  if (!input.shape.includes(UNKNOWN_DIM) || input.shape.length !== firstOutput.shape.length) return undefined;
  const fits = input.shape.every((d, i) => d === UNKNOWN_DIM || d === firstOutput.shape[i]);
  return fits ? { [loaded.inputs[0]!]: [...firstOutput.shape] } : undefined;
}

/** A's single output, or E_USAGE naming the first file. */
export function pipelineOutput(first: Graph, files: PipelineFiles): Tensor {
  if (first.outputs.length !== 1) {
    throw new EennError({
      code: 'E_USAGE',
      file: files.first,
      message:
        `--then ${files.then} feeds the output of ${files.first} into ${files.then}, but ${files.first} has ` +
        `${first.outputs.length} outputs (${first.outputs.map((n) => `"${n}"`).join(', ')})`,
      hint: "the first model of a pipeline must have exactly one output, the second model's input",
    });
  }
  return first.tensors.get(first.outputs[0]!)!;
}

/**
 * The graph that runs `first` then `then`, `first`'s single output feeding `then`'s single input. Both graphs are
 * imported (static shapes, constants folded). Throws E_SHAPE naming both files and shapes when the output does not
 * fit the input, E_USAGE when either model has more than one output or input, E_OPSET when their opsets differ.
 */
export function joinPipeline(first: Graph, then: Graph, files: PipelineFiles): Graph {
  const output = pipelineOutput(first, files);
  if (then.inputs.length !== 1) {
    throw new EennError({
      code: 'E_USAGE',
      file: files.then,
      message: `${files.then} has ${then.inputs.length} inputs (${then.inputs.map((n) => `"${n}"`).join(', ')}); the second model of a pipeline takes the first model's output as its one input`,
      hint: 'give --then a model with exactly one input',
    });
  }
  const input = then.tensors.get(then.inputs[0]!)!;
  const same = input.shape.length === output.shape.length && input.shape.every((d, i) => d === output.shape[i]);
  if (!same || input.dtype !== output.dtype) {
    throw new EennError({
      code: 'E_SHAPE',
      file: files.then,
      message:
        `the output "${output.name}" of ${files.first} is ${output.dtype} [${output.shape.join(',')}], but the input ` +
        `"${input.name}" of ${files.then} is ${input.dtype} [${input.shape.join(',')}]`,
      hint: `--then needs the first model's output shape to equal the second model's input shape: export ${files.then} for [${output.shape.join(',')}] or add a Reshape at the end of ${files.first}`,
    });
  }
  if (first.opset !== then.opset) {
    throw new EennError({
      code: 'E_OPSET',
      file: files.then,
      message: `${files.first} uses opset ${first.opset} and ${files.then} opset ${then.opset}; a pipeline is compiled as one model of one opset`,
      hint: `export both with the same opset, or convert ${files.then} with onnx.version_converter.convert_version(model, ${first.opset})`,
    });
  }
  const nested = then.nodes.find((n) => Object.values(n.attrs).some((v) => typeof v === 'object' && v !== null && 'nodes' in v));
  if (nested) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file: files.then,
      node: { name: nested.name, op: nested.op },
      message: `${files.then} holds a ${nested.op} with a subgraph; --then joins only models without subgraphs`,
      hint: 'export the second model without control flow (If, Loop, Scan)',
    });
  }
  return {
    ...joinGraphs(first, then, output.name, prefixOf(files.then)),
    ...(then.metadata ? { metadata: then.metadata } : {}),
  };
}

/** The prefix of the second model's names: its file name without extension, as a C-friendly identifier. */
function prefixOf(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_]/g, '_');
  return `${stem.length > 0 ? stem : 'then'}${PREFIX_SEPARATOR}`;
}

/** `first` then `then` with `then`'s input replaced by `link` (a tensor of `first`) and its other names prefixed. */
function joinGraphs(first: Graph, then: Graph, link: string, prefix: string): Graph {
  const tensors = new Map<string, Tensor>(first.tensors);
  const rename = new Map<string, string>([
    [then.inputs[0]!, link],
    ['', ''],
  ]);
  // B's outputs keep their names where A has no tensor of that name (a classifier's `logits` stays `logits`).
  for (const name of then.outputs) if (!tensors.has(name) && !rename.has(name)) rename.set(name, name);
  for (const name of then.tensors.keys()) {
    if (!rename.has(name)) rename.set(name, freshName(tensors, `${prefix}${name}`));
    const renamed = rename.get(name)!;
    if (renamed !== link) tensors.set(renamed, { ...then.tensors.get(name)!, name: renamed });
  }
  const nodeNames = new Map(first.nodes.map((n) => [n.name, true]));
  const nodes: Node[] = [...first.nodes];
  for (const node of then.nodes) {
    const name = freshName(nodeNames, `${prefix}${node.name}`);
    nodeNames.set(name, true);
    nodes.push({
      ...node,
      name,
      inputs: node.inputs.map((n) => rename.get(n) ?? n),
      outputs: node.outputs.map((n) => rename.get(n) ?? n),
    });
  }
  // A's output is an output no more: B's nodes read it inside the graph.
  return { name: first.name, opset: first.opset, tensors, nodes, inputs: [...first.inputs], outputs: then.outputs.map((n) => rename.get(n)!) };
}
