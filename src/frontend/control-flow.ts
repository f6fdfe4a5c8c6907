// Frontend, before shape inference: resolves If nodes into the graph, since the generated C has no subgraphs.
// A condition known at compile time (a constant, or computed from constants and static shapes) keeps only the
// branch it takes: its nodes join the graph. A condition computed at run time keeps both branches, and each output
// of the If becomes Where(condition, then output, else output): both branches run, the condition selects. That
// needs both branches' outputs to have one static shape and type (checked here); a branch is computed whole even
// when not taken, which costs time but changes no result (ONNX operators have no side effects).

import { EennError, nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { formatShape } from '../ops/broadcast.js';
import { foldConstants } from './fold.js';
import { freshName } from './graph-edit.js';
import { inferGraphShapes, type ShapeOptions } from './shapes.js';
import { sortNodes } from './toposort.js';

/** True for a node of the default domain's If. */
export function isIf(node: Node): boolean {
  return node.op === 'If' && node.domain === '';
}

/** A branch of an If: the subgraph of attribute `name`, or E_GRAPH when it is missing. */
function branchOf(node: Node, name: 'then_branch' | 'else_branch'): Graph {
  const branch = node.attrs[name];
  if (typeof branch !== 'object' || branch === null || !('nodes' in branch)) {
    throw nodeError('E_GRAPH', node, `attribute "${name}" (a graph) is missing`, 'the model is malformed; export it again');
  }
  if (branch.outputs.length !== node.outputs.length) {
    throw nodeError(
      'E_GRAPH',
      node,
      `${name} has ${branch.outputs.length} outputs, the If node ${node.outputs.length}`,
      'the model is malformed (each branch yields one value per output of the If); export it again',
    );
  }
  return branch;
}

/**
 * The value of the If's condition when the graph computes it at compile time, else undefined. Shapes and constants
 * are propagated over the nodes before the If (the graph is in topological order, so they compute the condition).
 */
function knownCondition(graph: Graph, at: number, options: ShapeOptions): boolean | undefined {
  const node = graph.nodes[at]!;
  const name = node.inputs[0] ?? '';
  const before: Graph = { ...graph, nodes: graph.nodes.slice(0, at), outputs: [name] };
  const shaped = inferGraphShapes(before, { ...options, collectUnsupported: true });
  const folded = foldConstants(shaped.graph, { unknown: shaped.unknown });
  const condition = folded.tensors.get(name);
  if (!condition) throw nodeError('E_GRAPH', node, `its condition "${name}" is produced by no node`);
  if (condition.dtype !== 'bool' || sizeOf(condition.shape) !== 1) {
    throw nodeError('E_SHAPE', node, `the condition must be one bool value, got ${condition.dtype} ${formatShape(condition.shape)}`);
  }
  return condition.data ? condition.data[0] !== 0 : undefined;
}

/** What inlining adds to the graph: nodes, tensors, and the outputs of a branch under their new names. */
interface Inlined {
  nodes: Node[];
  outputs: string[];
}

/**
 * The nodes of `branch` with its own tensors renamed where a name is taken already (both branches often use the
 * same names), added to `tensors`; names it reads from the enclosing graph stay. Node names get the If's as prefix.
 */
function inlineBranch(branch: Graph, prefix: string, tensors: Map<string, Tensor>, nodeNames: Set<string>): Inlined {
  const own = new Set<string>([...branch.tensors.keys()].filter((n) => n !== ''));
  for (const node of branch.nodes) for (const o of node.outputs) if (o !== '') own.add(o);
  const rename = new Map<string, string>([['', '']]);
  for (const name of own) {
    const fresh = freshName(tensors, name);
    rename.set(name, fresh);
    const t = branch.tensors.get(name) ?? { name, shape: [], dtype: 'float32' as const };
    tensors.set(fresh, { ...t, name: fresh });
  }
  const renamed = (n: string) => rename.get(n) ?? n;
  const nodes = branch.nodes.map((node) => ({
    ...node,
    name: claimName(nodeNames, `${prefix}/${node.name}`),
    inputs: node.inputs.map(renamed),
    outputs: node.outputs.map(renamed),
  }));
  return { nodes, outputs: branch.outputs.map(renamed) };
}

/** `base`, or `base_1`, `base_2`... whichever is not in `names` yet; added to it. */
function claimName(names: Set<string>, base: string): string {
  let name = base;
  for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
  names.add(name);
  return name;
}

/** A node of the graph's own, named after `base` where that name is free. */
function newNode(nodeNames: Set<string>, base: string, op: string, inputs: string[], output: string): Node {
  return { name: claimName(nodeNames, base), op, domain: '', inputs, outputs: [output], attrs: {} };
}

/**
 * The graph with every If resolved (nested ones too, as inlining brings them up). Runs before shape inference;
 * `options` are the shape options the import uses (static input shapes decide conditions computed from shapes).
 */
export function resolveIfs(graph: Graph, options: ShapeOptions = {}): Graph {
  let current = graph;
  for (let at = current.nodes.findIndex(isIf); at >= 0; at = current.nodes.findIndex(isIf)) {
    const node = current.nodes[at]!;
    const branches = [branchOf(node, 'then_branch'), branchOf(node, 'else_branch')] as const;
    const condition = knownCondition(current, at, options);
    const tensors = new Map(current.tensors);
    const nodeNames = new Set(current.nodes.map((n) => n.name));
    nodeNames.delete(node.name);
    const added: Node[] = [];
    if (condition !== undefined) {
      // Only the branch taken: its outputs pass to the If's through Identity (removed by folding).
      const taken = inlineBranch(branches[condition ? 0 : 1], node.name, tensors, nodeNames);
      added.push(...taken.nodes);
      node.outputs.forEach((output, i) => {
        if (output !== '') added.push(newNode(nodeNames, `${node.name}/output_${i}`, 'Identity', [taken.outputs[i]!], output));
      });
    } else {
      const [then, otherwise] = [
        inlineBranch(branches[0], `${node.name}/then`, tensors, nodeNames),
        inlineBranch(branches[1], `${node.name}/else`, tensors, nodeNames),
      ];
      added.push(...then.nodes, ...otherwise.nodes);
      const computed: Graph = {
        ...current,
        tensors,
        nodes: [...current.nodes.slice(0, at), ...added],
        outputs: [...then.outputs, ...otherwise.outputs],
      };
      checkBranches(node, computed, then.outputs, otherwise.outputs, options);
      // The condition as a scalar, so that it broadcasts to outputs of any rank (a [1] one would add an axis to scalars).
      const scalarShape = freshName(tensors, `${node.name}_scalar_shape`);
      tensors.set(scalarShape, { name: scalarShape, shape: [0], dtype: 'int64', data: new Float64Array(0) });
      const scalar = freshName(tensors, `${node.name}_condition`);
      tensors.set(scalar, { name: scalar, shape: [], dtype: 'bool' });
      added.push(newNode(nodeNames, `${node.name}/condition`, 'Reshape', [node.inputs[0]!, scalarShape], scalar));
      node.outputs.forEach((output, i) => {
        if (output === '') return;
        added.push(newNode(nodeNames, `${node.name}/select_${i}`, 'Where', [scalar, then.outputs[i]!, otherwise.outputs[i]!], output));
      });
    }
    const nodes = [...current.nodes.slice(0, at), ...added, ...current.nodes.slice(at + 1)];
    const available = new Set([...current.inputs, ...[...tensors.values()].filter((t) => t.data).map((t) => t.name)]);
    current = { ...current, tensors, nodes: sortNodes(nodes, available) };
  }
  return current;
}

/**
 * Both branches of an If decided at run time must yield outputs of one static shape and type: checked on `computed`,
 * the graph up to the If with both branches inlined, before the selection joins them.
 */
function checkBranches(node: Node, computed: Graph, thenOutputs: readonly string[], elseOutputs: readonly string[], options: ShapeOptions): void {
  const shaped = inferGraphShapes(computed, { ...options, collectUnsupported: true });
  thenOutputs.forEach((thenOutput, index) => {
    const elseOutput = elseOutputs[index]!;
    if (node.outputs[index] === '' || shaped.unknown.has(thenOutput) || shaped.unknown.has(elseOutput)) return;
    const [a, b] = [shaped.graph.tensors.get(thenOutput)!, shaped.graph.tensors.get(elseOutput)!];
    if (a.dtype !== b.dtype || formatShape(a.shape) !== formatShape(b.shape)) {
      throw new EennError({
        code: 'E_UNSUPPORTED',
        node: { name: node.name, op: node.op },
        message:
          `its condition is known only at run time, and output ${index} is ${a.dtype} ${formatShape(a.shape)} in then_branch but ` +
          `${b.dtype} ${formatShape(b.shape)} in else_branch; the generated C needs one static shape and type per tensor`,
        hint: 'make the condition a constant (or bind the input it comes from), or make both branches yield the same shape',
      });
    }
  });
}
