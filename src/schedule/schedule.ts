// Groups the graph's nodes into execution steps: one kernel call each, with an activation that directly
// follows a Conv/Gemm/MatMul fused into it, a pool that directly follows a Conv (or an int8 QConv) fused after
// that, an int8 residual QAdd fused after the QConv that produces one of its operands, and float Conv pairs run
// depth-first (Conv -> Relu -> Conv -> Add -> Relu, conv-pair.ts), none across an early exit's decision (exits.ts).
// The memory planner and code generation both walk these steps.

import { bytesPerElement, isDefaultDomain, sizeOf, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { graphClipBounds } from '../ops/activation.js';
import { attrInt } from '../ops/attrs.js';
import { blockPlanesBytes, CONV_POOL_BLOCK, fusedBlockBytes } from '../kernels/conv-block.js';
import { isPoolFusableConv } from '../kernels/conv-f32.js';
import { int8ConvScratchBytes, isInt8BlockwiseConv } from '../kernels/conv-s8.js';
import { int16ConvScratchBytes } from '../kernels/int16.js';
import { int8DepthwiseScratchBytes, isInt8Depthwise } from '../kernels/depthwise-s8.js';
import { recurrentF32ScratchBytes } from '../kernels/recurrent-f32.js';
import { convPairScratchBytes, replayBands, rowWindowOf, type ConvPair, type PlannedConvPair } from './conv-pair.js';
import { nodeSegments } from './exits.js';

/**
 * One step of execution. `nodes[0]` is the primary node; when present, `nodes[1]` is a Relu or Clip
 * whose only input is the primary's output, computed by the primary's kernel as an output clamp
 * (the activation min/max parameters CMSIS-NN kernels take).
 */
export interface Step {
  index: number;
  nodes: Node[];
  /** The Relu/Clip fused into the primary as an output clamp, if any (one of `nodes`). */
  activation?: Node;
  /**
   * The MaxPool/AveragePool fused after a Conv (always the last of `nodes`): the conv output is computed a few
   * channel planes at a time into the step's scratch buffer and pooled from there, so it never exists in full.
   */
  pool?: Node;
  /**
   * The int8 QAdd fused after a QConv (always the last of `nodes`; isInt8BlockwiseConv): the conv output is
   * computed a few channel planes at a time into the scratch and added there to the other operand, the residual,
   * which the planner lets the sum overwrite (it dies here), so the conv output never exists in full.
   */
  residual?: Node;
  /** Output channels per pass of a fused int8 QConv step (`pool` or `residual`): the scratch holds that many planes. */
  blockChannels?: number;
  /**
   * How the primary Conv writes over its input (set on the memory plan's own records of the steps, MemoryPlan.steps,
   * when the input dies here):
   * 'depthwise' (stride 1, same shape: one plane at a time through the scratch) or 'pointwise' (1x1, C_out <= C_in:
   * a few pixels at a time through the scratch).
   */
  inPlace?: 'depthwise' | 'pointwise';
  /** Bytes of working memory the step's kernel needs, placed in the arena for this step only. */
  scratchBytes?: number;
  /**
   * The float Conv pair the step runs depth-first (fusableConvPair; `nodes` are its nodes in graph order): Conv B's
   * output rows a band at a time, Conv A's rows through a rolling slab in the scratch, so that A's output never
   * exists. The step sits where the pair's last node was, so that a residual computed after Conv A is ready.
   */
  convPair?: PlannedConvPair;
}

/** Operators that only reinterpret their first input (same bytes, new shape): no code, shared storage. */
export const ALIAS_OPS: ReadonlySet<string> = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

/** Operators whose kernels take an output clamp, so a following Relu/Clip costs nothing. */
export const FUSABLE_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** True when `node` is a Relu, or a Clip whose bounds are constants or absent: expressible as a clamp. */
export function isClampActivation(graph: Graph, node: Node): boolean {
  if (!isDefaultDomain(node)) return false;
  if (node.op === 'Relu') return true;
  return node.op === 'Clip' && graphClipBounds(graph, node) !== undefined;
}

/**
 * Who reads each tensor and where each node sits, built once per schedule: the fusion searches below ask for every
 * node, and a scan of the whole graph each time made the schedule quadratic in the nodes.
 */
export interface GraphIndex {
  /** The nodes that read a tensor, in graph order (each node once). */
  readers: ReadonlyMap<string, readonly Node[]>;
  /** Each node's place in graph.nodes. */
  position: ReadonlyMap<Node, number>;
  /** The place of the first node that writes a tensor. */
  producer: ReadonlyMap<string, number>;
}

export function indexGraph(graph: Graph): GraphIndex {
  const readers = new Map<string, Node[]>();
  const position = new Map<Node, number>();
  const producer = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    position.set(node, i);
    for (const name of new Set(node.inputs)) {
      const list = readers.get(name);
      if (list) list.push(node);
      else readers.set(name, [node]);
    }
    for (const name of node.outputs) if (!producer.has(name)) producer.set(name, i);
  });
  return { readers, position, producer };
}

/** The activation node that can be fused into `node`'s kernel, if any. */
export function fusableActivation(graph: Graph, node: Node, outputs: ReadonlySet<string>, index = indexGraph(graph)): Node | undefined {
  if (!FUSABLE_PRODUCERS.has(node.op) || !isDefaultDomain(node)) return undefined;
  if (node.outputs.length !== 1) return undefined;
  const out = node.outputs[0]!;
  if (outputs.has(out)) return undefined;
  const readers = index.readers.get(out) ?? [];
  if (readers.length !== 1) return undefined;
  const act = readers[0]!;
  if (act.inputs[0] !== out || act.inputs.slice(1).includes(out)) return undefined;
  return isClampActivation(graph, act) ? act : undefined;
}

export interface ScheduleOptions {
  /** Fuse Relu/Clip into the producing Conv/Gemm/MatMul (default true). */
  fuseActivations?: boolean;
  /** Fuse a MaxPool/AveragePool into the Conv that produces its input, and an int8 residual QAdd into the
      QConv that produces one of its operands (default true). */
  fusePools?: boolean;
  /**
   * Output channels per pass of the fused int8 QConv + pool / QConv + add step of each QConv (by node name;
   * default CONV_POOL_BLOCK). A QConv given as many as it has, or more, is not fused. Fewer channels per pass
   * make the scratch smaller and the step slower (the convolution kernel gathers its input again each pass).
   */
  int8BlockChannels?: ReadonlyMap<string, number>;
  /**
   * int8 QConvs (by node name) computed without the im2col scratch, reading their input in place (slower; the
   * memory planner's choice where the scratch would set the peak of the arena).
   */
  int8DirectConvs?: ReadonlySet<string>;
  /** Run float Conv pairs depth-first (fusableConvPair; default true). */
  fuseConvPairs?: boolean;
  /** First Convs (by node name) of the pairs not to fuse: the memory planner keeps a pair only where it pays. */
  unfusedConvPairs?: ReadonlySet<string>;
  /** Output rows per band of each fused pair (by its first Conv's name; default 1, at most the output's height). */
  convPairBandRows?: ReadonlyMap<string, number>;
}

/** The only reader of `name`, when there is exactly one and `name` is not a model output. */
function soleReader(index: GraphIndex, name: string, outputs: ReadonlySet<string>): Node | undefined {
  if (outputs.has(name)) return undefined;
  const readers = index.readers.get(name) ?? [];
  return readers.length === 1 ? readers[0] : undefined;
}

/** True when `pool` pools `out` the way the fused step after a conv of `conv`'s kind computes. */
function isFusablePoolOf(conv: Node, pool: Node, int8: boolean): boolean {
  if (int8) {
    if (pool.op === 'QAveragePool') return pool.domain === INT8_DOMAIN;
    return isDefaultDomain(pool) && pool.op === 'MaxPool';
  }
  return isDefaultDomain(pool) && (pool.op === 'MaxPool' || pool.op === 'AveragePool') && conv.domain !== INT8_DOMAIN;
}

/** The pool that can be fused after `producer` (a Conv, or its fused activation's output `out`), if any. */
export function fusablePool(
  graph: Graph,
  conv: Node,
  out: string,
  outputs: ReadonlySet<string>,
  block = CONV_POOL_BLOCK,
  index = indexGraph(graph),
): Node | undefined {
  const int8 = isInt8BlockwiseConv(graph, conv);
  if (!int8 && !isPoolFusableConv(graph, conv)) return undefined;
  const pool = soleReader(index, out, outputs);
  if (!pool || !isFusablePoolOf(conv, pool, int8)) return undefined;
  if (pool.inputs[0] !== out || pool.outputs.length < 1 || pool.outputs.slice(1).some((o) => o !== '')) return undefined;
  const x = graph.tensors.get(out);
  const y = graph.tensors.get(pool.outputs[0]!);
  if (!x || !y || x.shape.length !== 4 || y.shape.length !== 4 || sizeOf(y.shape) === 0) return undefined;
  // Only worth it when the scratch is smaller than the conv output it replaces.
  return blockPlanesBytes(x, block) < sizeOf(x.shape) * bytesPerElement(x.dtype) ? pool : undefined;
}

/**
 * The int8 QAdd that can be fused after `conv` (isInt8BlockwiseConv), if any: the conv output's only reader, no
 * broadcasting, and a residual operand that the sum can overwrite: produced before the conv, read by nothing
 * after the conv but this QAdd, and not a model input, output or constant.
 */
export function fusableResidualAdd(
  graph: Graph,
  conv: Node,
  outputs: ReadonlySet<string>,
  block = CONV_POOL_BLOCK,
  index = indexGraph(graph),
): Node | undefined {
  if (!isInt8BlockwiseConv(graph, conv)) return undefined;
  const out = conv.outputs[0]!;
  const add = soleReader(index, out, outputs);
  if (!add || add.op !== 'QAdd' || add.domain !== INT8_DOMAIN || add.inputs.length !== 2 || add.outputs.length !== 1) return undefined;
  const residual = add.inputs[0] === out ? add.inputs[1]! : add.inputs[0]!;
  if (residual === out || residual === '' || outputs.has(residual) || graph.inputs.includes(residual)) return undefined;
  // The sum is written over the residual a block at a time while later blocks still read the conv's input.
  if (conv.inputs.includes(residual)) return undefined;
  const shapes = [out, residual, add.outputs[0]!].map((name) => graph.tensors.get(name));
  if (shapes.some((t) => !t || t.data || t.dtype !== 'int8' || t.shape.join() !== shapes[0]!.shape.join())) return undefined;
  const at = index.position.get(conv) ?? -1;
  const producer = index.producer.get(residual) ?? -1;
  if (producer < 0 || producer > at) return undefined;
  const laterReaders = (index.readers.get(residual) ?? []).filter((n) => index.position.get(n)! > at && n !== add);
  if (laterReaders.length > 0) return undefined;
  return blockPlanesBytes(shapes[0]!, block) < sizeOf(shapes[0]!.shape) ? add : undefined;
}

/**
 * True when `conv` can be one of a depth-first pair: a 2-D float32 Conv of one image, one group, constant weights
 * (and bias), non-negative pads. Anything else (depthwise, grouped, 1-D and 3-D, batches) is left unfused.
 */
function isPairableConv(graph: Graph, conv: Node): boolean {
  if (conv.op !== 'Conv' || !isDefaultDomain(conv) || conv.outputs.length !== 1 || conv.inputs.length < 2) return false;
  const [x, w, bias] = conv.inputs.map((name) => (name === '' ? undefined : graph.tensors.get(name)));
  const y = graph.tensors.get(conv.outputs[0]!);
  if (!x || !w || !y || x.data || !w.data || (conv.inputs[2] && !bias?.data)) return false;
  if (x.shape.length !== 4 || y.shape.length !== 4 || w.shape.length !== 4 || x.shape[0] !== 1 || sizeOf(y.shape) === 0) return false;
  if (x.dtype !== 'float32' || y.dtype !== 'float32' || attrInt(conv, 'group', 1) !== 1) return false;
  const pads = conv.attrs['pads'];
  return !Array.isArray(pads) || pads.every((p) => typeof p === 'number' && p >= 0);
}

/**
 * The Conv pair that starts at `conv`, if any: Conv A (+ Relu/Clip) -> Conv B, then B's Relu/Clip, or an Add of
 * B's output and a runtime tensor of the same shape and type (no broadcasting) followed by an optional Relu/Clip.
 * Every tensor inside the pair has one reader, the next node of the pair, and is not a model output; both Convs
 * are isPairableConv. Without a suitable Add the pair ends at B (or B's activation).
 */
export function fusableConvPair(graph: Graph, conv: Node, outputs: ReadonlySet<string>, index = indexGraph(graph)): ConvPair | undefined {
  if (!isPairableConv(graph, conv)) return undefined;
  const firstActivation = fusableActivation(graph, conv, outputs, index);
  const mid = (firstActivation ?? conv).outputs[0]!;
  const second = soleReader(index, mid, outputs);
  if (!second || second.inputs[0] !== mid || second.inputs.slice(1).includes(mid) || !isPairableConv(graph, second)) return undefined;
  const pair: ConvPair = { first: conv, second, ...(firstActivation ? { firstActivation } : {}) };
  const secondActivation = fusableActivation(graph, second, outputs, index);
  if (secondActivation) return { ...pair, secondActivation };
  const out = second.outputs[0]!;
  const add = soleReader(index, out, outputs);
  if (!add || add.op !== 'Add' || !isDefaultDomain(add) || add.inputs.length !== 2 || add.outputs.length !== 1) return pair;
  const residual = add.inputs[0] === out ? add.inputs[1]! : add.inputs[0]!;
  const shapes = [out, residual, add.outputs[0]!].map((name) => graph.tensors.get(name));
  if (residual === out || shapes.some((t) => !t || t.dtype !== 'float32' || t.shape.join() !== shapes[0]!.shape.join())) return pair;
  if (shapes[1]!.data) return pair;
  const sum = add.outputs[0]!;
  const after = soleReader(index, sum, outputs);
  const outActivation =
    after && after.inputs[0] === sum && !after.inputs.slice(1).includes(sum) && isClampActivation(graph, after) ? after : undefined;
  return { ...pair, add, residual, ...(outActivation ? { outActivation } : {}) };
}

/** The nodes of a pair in graph order. */
function convPairNodes(pair: ConvPair): Node[] {
  return [pair.first, pair.firstActivation, pair.second, pair.secondActivation, pair.add, pair.outActivation].filter(
    (n): n is Node => n !== undefined,
  );
}

/** True when `nodes` all run between the same two exit decisions (segmentOf: nodeSegments). */
function oneSegment(nodes: readonly Node[], index: GraphIndex, segmentOf: (position: number) => number): boolean {
  const segments = new Set(nodes.map((n) => segmentOf(index.position.get(n)!)));
  return segments.size <= 1;
}

/** The pairs to fuse, by their last node: claimed greedily in graph order, each node in one pair at most. */
function findConvPairs(
  graph: Graph,
  outputs: ReadonlySet<string>,
  options: ScheduleOptions,
  index: GraphIndex,
  segmentOf: (position: number) => number,
): Map<Node, PlannedConvPair> {
  const byLast = new Map<Node, PlannedConvPair>();
  if (options.fuseConvPairs === false) return byLast;
  const claimed = new Set<Node>();
  for (const node of graph.nodes) {
    if (claimed.has(node) || options.unfusedConvPairs?.has(node.name)) continue;
    const pair = fusableConvPair(graph, node, outputs, index);
    if (!pair) continue;
    const nodes = convPairNodes(pair);
    if (nodes.some((n) => claimed.has(n)) || !oneSegment(nodes, index, segmentOf)) continue;
    const a = rowWindowOf(graph, pair.first);
    const b = rowWindowOf(graph, pair.second);
    const bandRows = Math.min(Math.max(1, options.convPairBandRows?.get(node.name) ?? 1), b.outRows);
    const { slabRows } = replayBands(a, b, bandRows);
    for (const n of nodes) claimed.add(n);
    byLast.set(nodes[nodes.length - 1]!, { ...pair, bandRows, slabRows });
  }
  return byLast;
}

/** The steps of the graph, in its (topological) node order; a fused Conv pair at the place of its last node. */
export function buildSteps(graph: Graph, options: ScheduleOptions = {}): Step[] {
  const fuse = options.fuseActivations ?? true;
  const fusePools = options.fusePools ?? true;
  const outputs = new Set(graph.outputs);
  const fusedAway = new Set<Node>();
  const steps: Step[] = [];
  const index = indexGraph(graph);
  const segmentOf = nodeSegments(graph, index.producer);
  const together = (...nodes: (Node | undefined)[]): boolean =>
    oneSegment(
      nodes.filter((n): n is Node => n !== undefined),
      index,
      segmentOf,
    );
  const pairs = findConvPairs(graph, outputs, options, index, segmentOf);
  for (const pair of pairs.values()) for (const node of convPairNodes(pair)) fusedAway.add(node);
  for (const node of graph.nodes) {
    const pair = pairs.get(node);
    if (pair) {
      steps.push({
        index: steps.length,
        nodes: convPairNodes(pair),
        convPair: pair,
        scratchBytes: convPairScratchBytes(graph, pair, pair.bandRows, pair.slabRows),
      });
      continue;
    }
    if (fusedAway.has(node)) continue;
    const fusable = fuse ? fusableActivation(graph, node, outputs, index) : undefined;
    const act = together(node, fusable) ? fusable : undefined;
    if (act) fusedAway.add(act);
    const step: Step = { index: steps.length, nodes: act ? [node, act] : [node] };
    if (act) step.activation = act;
    const block = options.int8BlockChannels?.get(node.name) ?? CONV_POOL_BLOCK;
    const poolable = fusePools ? fusablePool(graph, node, (act ?? node).outputs[0] ?? '', outputs, block, index) : undefined;
    const pool = together(node, poolable) ? poolable : undefined;
    if (pool) {
      fusedAway.add(pool);
      step.nodes.push(pool);
      step.pool = pool;
      step.scratchBytes = blockPlanesBytes(graph.tensors.get((act ?? node).outputs[0]!)!, block);
    }
    const addable = fusePools && !pool ? fusableResidualAdd(graph, node, outputs, block, index) : undefined;
    const residual = together(node, addable) ? addable : undefined;
    if (residual) {
      fusedAway.add(residual);
      step.nodes.push(residual);
      step.residual = residual;
      step.scratchBytes = blockPlanesBytes(graph.tensors.get(node.outputs[0]!)!, block);
    }
    const conv = graph.tensors.get(node.outputs[0] ?? '');
    if ((pool || residual) && conv?.dtype === 'int8') step.blockChannels = Math.min(block, conv.shape[1]!);
    // The int8 depthwise kernel always works through a ring of padded input rows.
    if (isInt8Depthwise(graph, node)) step.scratchBytes = int8DepthwiseScratchBytes(graph, node);
    // The recurrent kernels keep their gates and state in a scratch.
    const recurrent = recurrentF32ScratchBytes(graph, node);
    if (recurrent > 0) step.scratchBytes = recurrent;
    // The int8 and int16 convolution kernels gather im2col columns into a scratch; in a fused step, after the block planes.
    const columns =
      options.int8DirectConvs?.has(node.name) && !step.blockChannels ? 0 : int8ConvScratchBytes(graph, node) || int16ConvScratchBytes(graph, node);
    if (columns > 0) {
      step.scratchBytes = (step.blockChannels ? fusedBlockBytes(conv!, step.blockChannels) : 0) + columns;
    }
    steps.push(step);
  }
  return steps;
}
