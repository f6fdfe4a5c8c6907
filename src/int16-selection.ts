// Which tensors get int16 activations (--int16-layers), step 5 of post-training quantization (src/post-training.ts):
// the output of each named Conv/Gemm/MatMul, or, with `auto`, the layer outputs that int8 ruins, measured against
// float on calibration samples, worst first, within a budget of MACs and flash. Pipeline glue like calibration.ts:
// it runs the quantize stage and both references (src/evaluate.ts).
//
// A layer output is judged by the worst SQNR of itself and of the layers that read it: a tensor with a few
// huge-range channels keeps a high SQNR over all its channels while its small channels lose every step, and the
// loss shows in the layer that reads them. A layer is kept int16 only where that SQNR gains MIN_INT16_GAIN_DB.

import { evaluateAccuracy } from './evaluate.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph, Node } from './ir/graph.js';
import { INT16_PASSTHROUGH_OPS, INT8_DOMAIN } from './ir/int8.js';
import { nodeMacs } from './ops/macs.js';
import type { Range } from './quantize/calibrate.js';
import type { QuantOverrides } from './quantize/overrides.js';
import { quantizeGraph } from './quantize/quantize-graph.js';
import type { Int16Layers } from './quantize/techniques.js';
import { LOW_SQNR_DB } from './sqnr-warnings.js';
import type { InputSample } from './data/model-inputs.js';

/** What selectInt16 quantizes with (as quantizeGraph will), and what the command line asked for. */
export interface Int16Request {
  ranges: ReadonlyMap<string, Range>;
  overrides: QuantOverrides;
  io: 'int8' | 'float32';
  request: Exclude<Int16Layers, { kind: 'none' }>;
}

/** Most calibration samples the per-tensor SQNR is measured on: enough to rank the layers, few enough to be quick. */
export const INT16_SQNR_SAMPLES = 8;

/**
 * Share of the model's MACs that `auto` may give int16 layers (the layers that read or write an int16 tensor),
 * whose 64-bit accumulation and twice-as-wide activations cost more time and RAM than int8's.
 */
export const INT16_MAC_BUDGET = 0.25;

/** Share of the model's constant bytes that `auto` may add (an int16-input layer's bias is int64: 4 B per channel more). */
export const INT16_FLASH_BUDGET = 0.1;

/** Extra flash per output channel of a layer with an int16 input: its bias is int64 instead of int32. */
const INT64_BIAS_EXTRA_BYTES = 4;

/** Least gain (dB) of a layer's SQNR for `auto` to keep it int16: below it the int16 cost buys nothing. */
export const MIN_INT16_GAIN_DB = 3;

/** The operators that write a tensor int16 can hold: a layer the quantize stage gives an int16 output form. */
const INT16_PRODUCERS: ReadonlySet<string> = new Set(['QConv', 'QGemm']);

/** The float tensors to hold as int16, and one note per choice. */
export function selectInt16(graph: Graph, samples: readonly InputSample[], request: Int16Request): { tensors: Set<string>; notes: string[] } {
  const quantize = (int16: ReadonlySet<string>): Graph =>
    quantizeGraph(graph, { ranges: request.ranges, overrides: request.overrides, io: request.io, int16 });
  const int8 = quantize(new Set());
  const candidates = candidateLayers(graph, int8);
  if (request.request.kind === 'auto' && candidates.length === 0) {
    return { tensors: new Set(), notes: ['int16: auto: the model has no Conv or Gemm layer whose output int16 could hold; all stay int8'] };
  }
  const measured = samples.slice(0, INT16_SQNR_SAMPLES);
  const sqnrOf = (g: Graph): Map<string, number> => {
    const layers = evaluateAccuracy(graph, g, measured, new Int32Array(measured.length), { sqnrSamples: measured.length }).layers;
    return new Map(layers.map((l) => [l.tensor, l.sqnrDb]));
  };
  const int8Sqnr = sqnrOf(int8);
  const judge = (sqnr: ReadonlyMap<string, number>, layer: Int16Candidate): Judged => judged(int8, sqnr, layer.tensor);
  const chosen = new Map<string, { node: Node; before: Judged }>();
  const notes: string[] = [];

  if (request.request.kind === 'names') {
    for (const name of request.request.names) {
      const layer = candidates.find((c) => c.node.name === name);
      if (!layer) throw unknownLayer(name, graph, candidates);
      chosen.set(layer.tensor, { node: layer.node, before: judge(int8Sqnr, layer) });
    }
    quantize(new Set(chosen.keys())); // refuses a layer int16 cannot take, naming it
  } else {
    const budget = costOf(int8);
    const ruined = candidates
      .map((layer) => ({ layer, before: judge(int8Sqnr, layer) }))
      .filter(({ before }) => before.db < LOW_SQNR_DB)
      .sort((a, b) => a.before.db - b.before.db);
    for (const { layer, before } of ruined) {
      const trial = new Set([...chosen.keys(), layer.tensor]);
      let quantized: Graph;
      try {
        quantized = quantize(trial);
      } catch (err) {
        if (!(err instanceof EennError)) throw err;
        notes.push(`int16: not ${layer.node.name} (${err.message})`);
        continue;
      }
      const cost = costOf(quantized);
      if (cost.macs > INT16_MAC_BUDGET * budget.totalMacs || cost.extraBytes > INT16_FLASH_BUDGET * budget.constantBytes) {
        notes.push(`int16: not ${layer.node.name} (SQNR ${formatDb(before.db)} in int8; over the int16 budget of MACs or flash)`);
        continue;
      }
      const after = judge(sqnrOf(quantized), layer);
      if (!(after.db - before.db >= MIN_INT16_GAIN_DB)) {
        notes.push(`int16: not ${layer.node.name} (SQNR ${formatDb(before.db)} in int8, ${formatDb(after.db)} in int16: no gain)`);
        continue;
      }
      chosen.set(layer.tensor, { node: layer.node, before });
    }
    if (ruined.length === 0) notes.push(`int16: auto found no layer output below ${LOW_SQNR_DB} dB SQNR in int8; all stay int8`);
  }
  const tensors = new Set(chosen.keys());
  if (tensors.size > 0) {
    const int16Sqnr = sqnrOf(quantize(tensors));
    for (const [tensor, { node, before }] of chosen) {
      const after = int16Sqnr.get(before.at);
      const at = before.at === tensor ? '' : `, at "${before.at}"`;
      notes.push(`int16: ${node.name} (SQNR ${formatDb(before.db)} in int8, ${formatDb(after)} in int16${at})`);
    }
  }
  return { tensors, notes };
}

/** A layer output's SQNR (dB) as `auto` judges it, and the tensor it was measured at. */
interface Judged {
  db: number;
  at: string;
}

/**
 * The worst SQNR in `sqnr` of `tensor` and of the QConv/QGemm outputs of all-int8 graph `int8` that read it
 * (through operators that pass int16 on), and where it was measured.
 */
function judged(int8: Graph, sqnr: ReadonlyMap<string, number>, tensor: string): Judged {
  let worst: Judged = { db: sqnr.get(tensor) ?? Infinity, at: tensor };
  const pending = [tensor];
  while (pending.length > 0) {
    const name = pending.pop()!;
    for (const reader of int8.nodes) {
      if (reader.inputs[0] !== name) continue;
      const out = reader.outputs[0]!;
      if (reader.domain === INT8_DOMAIN && INT16_PRODUCERS.has(reader.op)) {
        const db = sqnr.get(out) ?? Infinity;
        if (db < worst.db) worst = { db, at: out };
      } else if (reader.domain !== INT8_DOMAIN && INT16_PASSTHROUGH_OPS.has(reader.op)) {
        pending.push(out);
      }
    }
  }
  return worst;
}

/** A layer that can write an int16 tensor: its node of the float graph and the float tensor it writes. */
interface Int16Candidate {
  node: Node;
  tensor: string;
}

/**
 * The QConv/QGemm nodes of the all-int8 graph `int8` whose output is an activation of the float graph other than a
 * model output (a model output is never int16), with the node of the float graph of the same name.
 */
function candidateLayers(graph: Graph, int8: Graph): Int16Candidate[] {
  const floatNodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const candidates: Int16Candidate[] = [];
  for (const node of int8.nodes) {
    if (node.domain !== INT8_DOMAIN || !INT16_PRODUCERS.has(node.op)) continue;
    const tensor = node.outputs[0]!;
    const floatNode = floatNodes.get(node.name);
    if (!floatNode || !graph.tensors.has(tensor) || graph.outputs.includes(tensor)) continue;
    candidates.push({ node: floatNode, tensor });
  }
  return candidates;
}

/** --int16-layers naming a node that is not one of the candidates. */
function unknownLayer(name: string, graph: Graph, candidates: readonly Int16Candidate[]): EennError {
  const node = graph.nodes.find((n) => n.name === name);
  const why = !node
    ? `names "${name}", which is no node of the model`
    : node.outputs.some((o) => graph.outputs.includes(o))
      ? `names node "${name}" (${node.op}), which writes a model output (a model output stays int8)`
      : `names node "${name}" (${node.op}), which is not a Conv, Gemm or MatMul layer that quantizes to int8`;
  return new EennError({
    code: 'E_USAGE',
    message: `--int16-layers ${why}`,
    details:
      candidates.length > 0
        ? [`the layers that can take int16: ${candidates.map((c) => c.node.name).join(', ')}`]
        : ['the model has no layer that can take int16'],
    hint: 'give --int16-layers auto, none, or a comma-separated list of the layers above',
  });
}

/** MACs of the layers of quantized graph `g` that read or write an int16 tensor, the flash they add, and the model's totals. */
function costOf(g: Graph): { macs: number; extraBytes: number; totalMacs: number; constantBytes: number } {
  let macs = 0;
  let extraBytes = 0;
  let totalMacs = 0;
  let constantBytes = 0;
  for (const t of g.tensors.values()) if (t.data) constantBytes += t.data.byteLength;
  for (const node of g.nodes) {
    const count = nodeMacs(g, node);
    totalMacs += count;
    if (node.domain !== INT8_DOMAIN || !INT16_PRODUCERS.has(node.op)) continue;
    const readsWide = g.tensors.get(node.inputs[0]!)?.dtype === 'int16';
    const writesWide = g.tensors.get(node.outputs[0]!)?.dtype === 'int16';
    if (readsWide || writesWide) macs += count;
    if (readsWide) extraBytes += INT64_BIAS_EXTRA_BYTES * (g.tensors.get(node.inputs[1]!)?.shape[0] ?? 0);
  }
  return { macs, extraBytes, totalMacs, constantBytes };
}

/** An SQNR for a note: one decimal, or "exact". */
function formatDb(db: number | undefined): string {
  if (db === undefined) return 'n/a';
  return Number.isFinite(db) ? `${db.toFixed(1)} dB` : 'exact';
}
