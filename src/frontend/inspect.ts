// `eennc inspect`: what the frontend makes of a model — inputs, outputs, each node's operator, output shape,
// parameters and MACs after folding, and every unsupported operator with its node (listed, not thrown).

import { EennError } from '../ir/diagnostics.js';
import { bytesPerElement, sizeOf, type DType, type Tensor } from '../ir/graph.js';
import type { InputInfo, OutputInfo } from '../ops/types.js';
import { foldConstants, remainingFoldOnly, removeDeadNodes, removeIdentities } from './fold.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { loadModel } from './load.js';
import { inferGraphShapes } from './shapes.js';
import { supportOf } from './support.js';
import { macsOf } from '../ops/macs.js';

export interface InspectOptions {
  inputShapes?: Record<string, number[]>;
}

export interface TensorSummary {
  name: string;
  /** null when unknown (downstream of an unsupported operator). */
  shape: number[] | null;
  dtype: DType;
}

export interface NodeSummary {
  name: string;
  op: string;
  domain: string;
  outputs: TensorSummary[];
  /** Elements of the node's constant inputs (weights, biases). */
  parameters: number;
  /** null when the shapes are unknown or the operator is unsupported. */
  macs: number | null;
  supported: boolean;
}

export interface InspectReport {
  model: string;
  graphName: string;
  opset: number;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Nodes after constant folding, Identity removal and BatchNorm folding: what would be compiled. */
  nodes: NodeSummary[];
  totals: {
    nodes: number;
    /** Nodes in the file (Constant nodes excluded), before folding. */
    importedNodes: number;
    parameters: number;
    parameterBytes: number;
    /** MACs of the nodes whose count is known. */
    macs: number;
  };
  /** Operator → number of nodes. */
  operators: Record<string, number>;
  unsupported: { node: string; op: string; reason: string }[];
  notes: string[];
}

export function inspectModel(path: string, options: InspectOptions = {}): InspectReport {
  try {
    return buildReport(path, options);
  } catch (err) {
    throw err instanceof EennError ? err.withFile(path) : err;
  }
}

function buildReport(path: string, options: InspectOptions): InspectReport {
  const loaded = loadModel(path);
  const first = inferGraphShapes(loaded, { inputShapes: options.inputShapes, collectUnsupported: true });
  let graph = foldConstants(first.graph, { unknown: first.unknown });
  graph = removeDeadNodes(foldBatchNorm(removeIdentities(graph)));
  const final = inferGraphShapes(graph, { collectUnsupported: true });
  graph = final.graph;

  const unsupported = final.unsupported.map((u) => ({ node: u.name, op: u.op, reason: u.reason }));
  for (const node of remainingFoldOnly(graph)) {
    unsupported.push({ node: node.name, op: node.op, reason: `${node.op} is supported only when constant folding removes it` });
  }
  const unsupportedNames = new Set(unsupported.map((u) => u.node));
  const summary = (name: string): TensorSummary => {
    const t = graph.tensors.get(name)!;
    return { name, shape: final.unknown.has(name) ? null : [...t.shape], dtype: t.dtype };
  };

  const nodes = graph.nodes.map((node): NodeSummary => {
    const constants = node.inputs.map((n) => (n === '' ? undefined : graph.tensors.get(n))).filter(isParameter);
    const parameters = constants.reduce((sum, t) => sum + sizeOf(t.shape), 0);
    const def = supportOf(node, graph.opset).def;
    const shapesKnown = ![...node.inputs, ...node.outputs].some((n) => final.unknown.has(n));
    let macs: number | null = null;
    if (def && shapesKnown) {
      const infos: (InputInfo | undefined)[] = node.inputs.map((n) => (n === '' ? undefined : graph.tensors.get(n)));
      const outputs: OutputInfo[] = node.outputs.map((n) => graph.tensors.get(n) ?? { shape: [], dtype: 'float32' });
      macs = macsOf(def, node, infos, outputs);
    }
    return {
      name: node.name,
      op: node.op,
      domain: node.domain,
      outputs: node.outputs.filter((n) => n !== '').map(summary),
      parameters,
      macs,
      supported: !unsupportedNames.has(node.name),
    };
  });

  const weights = new Set(graph.nodes.flatMap((n) => n.inputs).filter((n) => isParameter(graph.tensors.get(n))));
  let parameters = 0;
  let parameterBytes = 0;
  for (const name of weights) {
    const t = graph.tensors.get(name)!;
    parameters += sizeOf(t.shape);
    parameterBytes += sizeOf(t.shape) * bytesPerElement(t.dtype);
  }
  const operators: Record<string, number> = {};
  for (const node of graph.nodes) operators[node.op] = (operators[node.op] ?? 0) + 1;

  return {
    model: path,
    graphName: graph.name,
    opset: graph.opset,
    inputs: graph.inputs.map(summary),
    outputs: graph.outputs.map(summary),
    nodes,
    totals: {
      nodes: nodes.length,
      importedNodes: loaded.nodes.length,
      parameters,
      parameterBytes,
      macs: nodes.reduce((sum, n) => sum + (n.macs ?? 0), 0),
    },
    operators,
    unsupported,
    notes: [...first.notes],
  };
}

/** Weights and biases; int64 constants are shapes and axes, which are not stored as parameters. */
function isParameter(t: Tensor | undefined): t is Tensor & { data: NonNullable<Tensor['data']> } {
  return t?.data !== undefined && t.dtype !== 'int64';
}

const grouped = (n: number) => n.toLocaleString('en-US');
const shapeText = (t: TensorSummary) => (t.shape ? `[${t.shape.join(', ')}]` : '?');

function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** The report as a readable table. */
export function formatInspect(report: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model: ${report.model} (graph "${report.graphName}", opset ${report.opset})`);
  for (const t of report.inputs) lines.push(`input:  ${t.name} ${t.dtype} ${shapeText(t)}`);
  for (const t of report.outputs) lines.push(`output: ${t.name} ${t.dtype} ${shapeText(t)}`);
  lines.push('');

  const header = ['#', 'node', 'op', 'output shape', 'params', 'MACs'];
  const rows = report.nodes.map((n, i) => [
    String(i),
    n.name,
    n.supported ? n.op : `${n.op} (unsupported)`,
    n.outputs.map(shapeText).join(' '),
    n.parameters ? grouped(n.parameters) : '',
    n.macs === null ? '?' : n.macs ? grouped(n.macs) : '',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const rightAligned = new Set([0, 4, 5]);
  const format = (cells: string[]) =>
    cells
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  lines.push(format(header));
  for (const row of rows) lines.push(format(row));
  lines.push('');

  const t = report.totals;
  const folded = t.importedNodes !== t.nodes ? ` (${t.importedNodes} in the file before folding)` : '';
  lines.push(
    `total: ${t.nodes} node${t.nodes === 1 ? '' : 's'}${folded}, ${grouped(t.parameters)} parameters (${humanBytes(t.parameterBytes)}), ${grouped(t.macs)} MACs`,
  );
  lines.push(
    `operators: ${Object.entries(report.operators)
      .map(([op, n]) => `${op} ×${n}`)
      .join(', ')}`,
  );
  if (report.unsupported.length > 0) {
    lines.push(`unsupported: ${report.unsupported.length} node${report.unsupported.length === 1 ? '' : 's'}`);
    for (const u of report.unsupported) lines.push(`  - node "${u.node}" (${u.op}): ${u.reason}`);
  } else {
    lines.push('unsupported: none');
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
