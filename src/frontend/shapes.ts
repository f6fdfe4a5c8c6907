// Frontend step 2: static shape inference. Fixes dynamic input dimensions, then runs each operator's shape rule
// in topological order. Small values known at compile time (constants, and what PyTorch computes from them, e.g.
// Shape→Gather→Concat→Reshape) are propagated so shape rules can read them; fold.ts then makes them constants.

import { EennError } from '../ir/diagnostics.js';
import { sizeOf, type Graph, type Tensor, type TensorData } from '../ir/graph.js';
import type { InputInfo, Value } from '../ops/types.js';
import { checkedTensorBytes, checkTotal } from '../ir/limits.js';
import { isIf, resolveIfs } from './control-flow.js';
import { valueOfShapeOnly } from './shape-only.js';
import { OPSET_RANGE, SHAPE_ONLY_OPS, supportOf } from './support.js';

export interface ShapeOptions {
  /** Shapes for inputs with dynamic dimensions, e.g. `{ input: [1, 1, 28, 28] }` (CLI: --input-shape). */
  inputShapes?: Record<string, number[]>;
  /** List unsupported operators instead of throwing (for inspect); their outputs stay unknown. */
  collectUnsupported?: boolean;
}

export interface UnsupportedNode {
  name: string;
  op: string;
  domain: string;
  reason: string;
}

export interface ShapeResult {
  graph: Graph;
  /** Things a person should know (batch dimension defaulted, opset outside the checked range). */
  notes: string[];
  /** Only with `collectUnsupported`; otherwise unsupported operators throw. */
  unsupported: UnsupportedNode[];
  /** Tensors whose shape is unknown because an unsupported node lies upstream (only with `collectUnsupported`). */
  unknown: Set<string>;
}

/** Values up to this many elements are propagated for shape rules; larger ones are left to constant folding. */
const KNOWN_VALUE_LIMIT = 1 << 16;

/**
 * `graph` with the shapes `--input-shape` gives set on its inputs (checked as inferGraphShapes checks them), the
 * rest untouched: for rewrites that run before shape inference and need the inputs' real shapes (the QDQ import).
 */
export function withGivenInputShapes(graph: Graph, given: Record<string, number[]>): Graph {
  const tensors = new Map(graph.tensors);
  for (const name of graph.inputs) {
    if (given[name]) tensors.set(name, resolveInputShape(tensors.get(name)!, given, []));
  }
  return { ...graph, tensors };
}

export function inferGraphShapes(graph: Graph, options: ShapeOptions = {}): ShapeResult {
  // If nodes join the graph first, as the branch their condition takes or both and a selection (control-flow.ts).
  if (graph.nodes.some(isIf)) graph = resolveIfs(graph, options);
  const notes: string[] = [];
  if (graph.opset < OPSET_RANGE[0] || graph.opset > OPSET_RANGE[1]) {
    notes.push(
      `the model uses opset ${graph.opset}; eennc is checked against opsets ${OPSET_RANGE[0]}..${OPSET_RANGE[1]}, ` +
        'operators are accepted only where their definition covers this opset ' +
        '(onnx.version_converter can convert the model)',
    );
  }
  const tensors = new Map(graph.tensors);
  // Every computed tensor is checked against LIMITS before anything downstream allocates it.
  let activationBytes = 0;
  const account = (what: string, tensor: Tensor, node?: { name: string; op: string }) => {
    activationBytes += checkedTensorBytes(what, tensor.shape, tensor.dtype, node ? { node } : {});
    checkTotal('activationBytes', activationBytes, node ? { node } : {});
  };
  for (const name of graph.inputs) {
    const input = resolveInputShape(tensors.get(name)!, options.inputShapes, notes);
    account(`input "${name}"`, input);
    tensors.set(name, input);
  }
  for (const name of Object.keys(options.inputShapes ?? {})) {
    if (!graph.inputs.includes(name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape names "${name}", which is not an input of the model`,
        hint: `the model's inputs are: ${graph.inputs.map((n) => `"${n}"`).join(', ') || '(none)'}`,
      });
    }
  }

  const unsupported: UnsupportedNode[] = [];
  for (const node of graph.nodes) {
    const support = supportOf(node, graph.opset);
    if (support.reason) unsupported.push({ name: node.name, op: node.op, domain: node.domain, reason: support.reason });
  }
  if (unsupported.length > 0 && !options.collectUnsupported) throw unsupportedError(unsupported);
  const unsupportedNames = new Set(unsupported.map((u) => u.name));

  const known = new Map<string, TensorData>();
  const unknown = new Set<string>();
  for (const node of graph.nodes) {
    const infos: (InputInfo | undefined)[] = node.inputs.map((name) => {
      if (name === '') return undefined;
      const t = tensors.get(name)!;
      return { name, shape: t.shape, dtype: t.dtype, data: t.data ?? known.get(name) };
    });
    if (unsupportedNames.has(node.name) || node.inputs.some((name) => unknown.has(name))) {
      for (const output of node.outputs) if (output !== '') unknown.add(output);
      continue;
    }
    const def = supportOf(node, graph.opset).def!;
    const results = def.inferShapes(node, infos, graph.opset);
    node.outputs.forEach((output, i) => {
      if (output === '') return;
      const result = results[i];
      if (!result) {
        throw new EennError({
          code: 'E_UNSUPPORTED',
          node: { name: node.name, op: node.op },
          message: `output ${i} ("${output}") of ${node.op} is not supported`,
          hint: 'optional outputs used only in training (e.g. Dropout mask, BatchNormalization statistics) are not computed',
        });
      }
      const previous = tensors.get(output)!;
      const shaped: Tensor = { name: output, shape: [...result.shape], dtype: result.dtype, ...(previous.quant ? { quant: previous.quant } : {}) };
      account(`output "${output}"`, shaped, { name: node.name, op: node.op });
      tensors.set(output, shaped);
    });

    // Propagate compile-time values that shape rules downstream may need.
    const allKnown = infos.every((info) => info === undefined || info.data !== undefined);
    const outputsSmall = node.outputs.every((o) => o === '' || sizeOf(tensors.get(o)!.shape) <= KNOWN_VALUE_LIMIT);
    let values: Value[] | undefined;
    if (SHAPE_ONLY_OPS.has(node.op) && infos[0]) values = valueOfShapeOnly(def, node, infos[0], graph.opset);
    else if (allKnown && outputsSmall) values = def.evaluate(node, infos.map(asValue), graph.opset);
    if (values) {
      node.outputs.forEach((output, i) => {
        if (output !== '' && values![i]) known.set(output, values![i]!.data);
      });
    }
  }
  return { graph: { ...graph, tensors }, notes, unsupported, unknown };
}

function asValue(info: InputInfo | undefined): Value | undefined {
  return info && { shape: info.shape, dtype: info.dtype, data: info.data! };
}

/** One error listing every unsupported node. */
export function unsupportedError(unsupported: readonly UnsupportedNode[]): EennError {
  const ops = [...new Set(unsupported.map((u) => u.op))];
  return new EennError({
    code: 'E_UNSUPPORTED',
    message:
      `${unsupported.length} node${unsupported.length === 1 ? '' : 's'} use${unsupported.length === 1 ? 's' : ''} ` +
      `operators eennc does not support (${ops.join(', ')})`,
    details: unsupported.map((u) => `node "${u.name}" (${u.op}): ${u.reason}`),
    hint:
      'run `eennc inspect MODEL.onnx` to see where they are; re-export the model without them ' +
      '(e.g. replace them with supported operators, or run onnxsim to fold them away)',
  });
}

/** An input's static shape: from --input-shape, from the model, or with the batch dimension defaulted to 1. */
function resolveInputShape(tensor: Tensor, given: Record<string, number[]> | undefined, notes: string[]): Tensor {
  const override = given?.[tensor.name];
  const flag = (dims: readonly number[]) => `--input-shape ${tensor.name}=${dims.map((d) => (d > 0 ? d : 'N')).join('x')}`;
  if (override) {
    const badDim = override.find((d) => !Number.isInteger(d) || d < 0);
    if (badDim !== undefined) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--input-shape for "${tensor.name}" has an invalid dimension ${badDim}`,
        hint: 'give whole numbers of 1 or more, for example --input-shape input=1x1x28x28',
      });
    }
    const conflicts = tensor.shape.length !== override.length || tensor.shape.some((d, i) => d > 0 && d !== override[i]);
    if (conflicts) {
      throw new EennError({
        code: 'E_SHAPE',
        message:
          `input "${tensor.name}" is declared [${tensor.shape.map((d) => (d > 0 ? d : '?')).join(', ')}], ` +
          `--input-shape gives [${override.join(', ')}]`,
        hint: 'only dynamic (named or unknown) dimensions can be set; the rank must match',
      });
    }
    return { ...tensor, shape: [...override] };
  }
  // Unknown dimensions are -1 (load.ts); a 0 was given (--input-shape, a data set) and is static: an empty tensor.
  if (tensor.shape.every((d) => d >= 0)) return tensor;
  const dynamic = tensor.shape.flatMap((d, i) => (d >= 0 ? [] : [i]));
  if (dynamic.length === 1 && dynamic[0] === 0) {
    notes.push(`input "${tensor.name}": dynamic batch dimension set to 1 (override with ${flag([1, ...tensor.shape.slice(1)])})`);
    return { ...tensor, shape: [1, ...tensor.shape.slice(1)] };
  }
  throw new EennError({
    code: 'E_SHAPE',
    message: `input "${tensor.name}" has dynamic dimensions [${tensor.shape.map((d) => (d > 0 ? d : '?')).join(', ')}]`,
    hint: `give its shape with ${flag(tensor.shape)} (N: the size to compile for)`,
  });
}
