// Memory planning: where every runtime tensor lives while the model runs, and how big the one static arena is.
// Sits after the graph passes and before code generation, which reads the plan's steps, buffers and offsets.
//
// Decisions:
// - Model inputs and outputs are NOT in the arena: eenn_run() receives pointers to them and kernels read
//   the inputs and write the outputs in place, which saves two copies and their bytes. Input buffers are
//   read-only; output buffers may hold intermediate values of their alias group before the final result.
// - Reshape-like operators (ALIAS_OPS) share their input's buffer, extending its lifetime, unless that
//   would bind one buffer to two external places (an input and an output, two outputs, a constant and an
//   output); then code generation copies.
// - Element-wise operators (kernels/index.ts: writesOverInput) write over an input of the same size when that input dies at
//   this step, so a chain of activations costs one buffer (TFLite Micro's planner does not do this).
// - A Relu/Clip fused into its producer (schedule.ts) has no buffer for the tensor between them; nor has a conv
//   output pooled by a fused MaxPool/AveragePool (the conv + pool kernel works through a small scratch instead),
//   nor an int8 conv output added to a residual by a fused QAdd (the sum goes over the residual).
// - Depthwise and pointwise Convs (schedule.ts: inPlaceConv) write over their input when it dies at their step,
//   through a small scratch; scratches are arena buffers alive at their step only. int8 steps follow the same
//   rules with their own kernels (int8-steps.ts): QAdd, QMul, QLut and QSoftmax in place, the depthwise QConv
//   through its scratch of padded rows, and int8 pooling over the start of its input when no window reads a
//   written byte and that makes the arena smaller (the smaller output keeps the input's bytes for its lifetime).
// - A float Conv pair run depth-first (schedule.ts: fusableConvPair, conv-pair.ts) has no buffer for the first
//   conv's output, only a scratch of a few rows; its result goes over the residual of its Add when that dies there,
//   or over the pair's input when no later band reads the rows a band writes. A pair stays fused only where that
//   makes the arena smaller (its kernel is as fast as the two convolutions, but the 1x1 and pooled kernels it
//   would replace are not always).
// - Arena buffers are placed by the greedy planner of arena-allocator.ts, aligned to 8 bytes.

import { bytesPerElement, sizeOf, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { allocateArena, alignUp, arenaLowerBound, type ArenaRequest } from './arena-allocator.js';
import { convPairMayOverwriteInput, convPairResult } from './conv-pair.js';
import { int8ConvScratchBytes } from './int8-conv-scratch.js';
import { inPlaceConv, int8PointwiseInPlaceScratch, poolRunsInPlace, writesOverInput } from '../kernels/index.js';
import { ALIAS_OPS, buildSteps, type ScheduleOptions, type Step } from './schedule.js';

/** Where a buffer lives. */
export type Storage =
  | { kind: 'arena'; offset: number }
  /** The caller's input buffer `index` (read-only). */
  | { kind: 'input'; index: number }
  /** The caller's output buffer `index`. */
  | { kind: 'output'; index: number }
  /** A constant tensor's data (weights in flash), for alias groups rooted in a constant. */
  | { kind: 'constant'; tensor: string }
  /** Exists only inside a fused kernel (the tensor between a Conv and its fused Relu). */
  | { kind: 'fused' };

/** A run of bytes shared by one or more tensors (a tensor and its aliases, or an in-place chain). */
export interface PlannedBuffer {
  id: number;
  /** Tensors stored here, in order of production. */
  tensors: string[];
  bytes: number;
  /** First step that writes it (0 for model inputs and constants). */
  firstStep: number;
  /** Last step that reads it; `steps.length` for buffers holding a model output. */
  lastStep: number;
  storage: Storage;
  /** Set on a step's scratch buffer (working memory of one kernel call, no tensor): that step's index. */
  scratchOfStep?: number;
}

export interface MemoryPlan {
  steps: Step[];
  buffers: PlannedBuffer[];
  /** Buffer id of each runtime tensor (activations, inputs, outputs; constants only when aliased). */
  bufferOf: Map<string, number>;
  /** Buffer id of the scratch of each step that has one (step index -> buffer id). */
  scratchOf: Map<number, number>;
  /** Bytes of the static arena (a multiple of `alignment`). */
  arenaBytes: number;
  /** The smallest arena any placement could reach for these lifetimes (peak of live bytes). */
  lowerBoundBytes: number;
  /**
   * Sum of the bytes of every intermediate tensor (produced by a node, not a model output), each in its
   * own buffer: what a generator without memory reuse (onnx2c) allocates.
   */
  naiveBytes: number;
  alignment: number;
  /** Which greedy order produced the arena layout. */
  strategy: string;
  /**
   * Under an arena budget: the smallest arena planMemory reached before spending the budget on speed (what
   * `scratchlessConvs` without a budget gives).
   */
  smallestArenaBytes?: number;
}

export interface PlanOptions extends ScheduleOptions {
  /** Arena offset alignment in bytes (default 8). */
  alignment?: number;
  /** Run element-wise operators in place when possible (default true). */
  inPlace?: boolean;
  /**
   * Names of the optional in-place steps to run in place (isOptionalInPlace: int8 pooling over the start of its
   * input, int8 1x1 convolutions through a scratch). Default: chosen by planMemory so that the arena is as small
   * as it can make it and no such step runs in place without making it smaller (a pooled output keeps its
   * input's bytes alive; a 1x1 convolution in place runs a few percent slower).
   */
  optionalInPlace?: ReadonlySet<string>;
  /**
   * The arena the model may use (e.g. the target's RAM less stack and data). Without it, planMemory makes the
   * arena as small as it can. With it, the smallest arena comes first, and then the steps that save memory at
   * some speed give it back as long as the arena stays within the budget: int8 convolutions get their im2col
   * scratch back (scratchlessConvs), fused int8 QConv steps take more output channels per pass (or are not fused),
   * optional in-place steps run out of place.
   */
  arenaBudgetBytes?: number;
  /**
   * Let int8 convolutions run without their im2col scratch, reading the input in place (several times slower),
   * where that makes the smallest arena smaller (default false; under an arena budget they may, and get the
   * scratch back as the budget allows).
   */
  scratchlessConvs?: boolean;
}

/** Bytes of a tensor's contents. */
export function tensorBytes(t: Pick<Tensor, 'shape' | 'dtype'>): number {
  return sizeOf(t.shape) * bytesPerElement(t.dtype);
}

type Binding = Exclude<Storage, { kind: 'arena' } | { kind: 'fused' }>;

/** Union-find over tensor names, each class carrying at most one external binding. */
class BufferGroups {
  private readonly parent = new Map<string, string>();
  private readonly binding = new Map<string, Binding>();
  private readonly lastRead = new Map<string, number>();
  private readonly bytes = new Map<string, number>();

  /** `bytesOf` gives a tensor's size; a class bound to an output may hold nothing larger than that output. */
  constructor(private readonly bytesOf: (name: string) => number, private readonly outputBytes: (index: number) => number) {}

  add(name: string, lastRead: number, binding?: Binding): void {
    if (this.parent.has(name)) return;
    this.parent.set(name, name);
    this.lastRead.set(name, lastRead);
    this.bytes.set(name, this.bytesOf(name));
    if (binding) this.binding.set(name, binding);
  }

  has(name: string): boolean {
    return this.parent.has(name);
  }

  root(name: string): string {
    let r = name;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(name, r);
    return r;
  }

  bindingOf(name: string): Binding | undefined {
    return this.binding.get(this.root(name));
  }

  lastReadOf(name: string): number {
    return this.lastRead.get(this.root(name))!;
  }

  /** Merge the classes of a and b; false (and no change) when both are bound to external places. */
  tryMerge(a: string, b: string): boolean {
    const ra = this.root(a);
    const rb = this.root(b);
    if (ra === rb) return true;
    const ba = this.binding.get(ra);
    const bb = this.binding.get(rb);
    if (ba && bb) return false;
    const bytes = Math.max(this.bytes.get(ra)!, this.bytes.get(rb)!);
    const bound = ba ?? bb;
    if (bound?.kind === 'output' && bytes > this.outputBytes(bound.index)) return false;
    this.parent.set(rb, ra);
    this.bytes.set(ra, bytes);
    this.lastRead.set(ra, Math.max(this.lastRead.get(ra)!, this.lastRead.get(rb)!));
    if (!ba && bb) this.binding.set(ra, bb);
    this.binding.delete(rb);
    return true;
  }
}

/** Plan where each runtime tensor of `graph` lives. The graph's nodes must be in topological order. */
export function planMemory(graph: Graph, options: PlanOptions = {}): MemoryPlan {
  // Every optional step in place, then each one back out of place unless that makes the arena larger.
  let chosen = new Set(options.optionalInPlace ?? []);
  let best = planWith(graph, options, chosen);
  if (!options.optionalInPlace && options.inPlace !== false) {
    chosen = new Set(graph.nodes.filter((node) => isOptionalInPlace(graph, node)).map((node) => node.name));
    best = planWith(graph, options, chosen);
    for (const name of [...chosen]) {
      chosen.delete(name);
      const trial = planWith(graph, options, chosen);
      if (trial.arenaBytes <= best.arenaBytes) best = trial;
      else chosen.add(name);
    }
  }
  // Float Conv pairs: each one stays fused only where unfusing it would make the arena larger.
  if (!options.unfusedConvPairs && !options.convPairBandRows) {
    const unfused = new Set<string>();
    for (const step of best.steps) {
      if (!step.convPair) continue;
      unfused.add(step.convPair.first.name);
      const trial = planWith(graph, { ...options, unfusedConvPairs: unfused }, chosen);
      if (trial.arenaBytes <= best.arenaBytes) best = trial;
      else unfused.delete(step.convPair.first.name);
    }
    // Then as many output rows per band as the smallest arena allows: fewer, longer kernel calls run a little
    // faster. The budget is not spent on them (a band of one row costs under 1% of the pair's time; whole-image
    // bands would give back all the memory the pair saves).
    const bandRows = new Map<string, number>();
    const smallest = best.arenaBytes;
    for (const step of best.steps) {
      const pair = step.convPair;
      if (!pair) continue;
      const rows = graph.tensors.get(pair.second.outputs[0]!)!.shape[2]!;
      for (let band = pair.bandRows * 2; band < 2 * rows; band *= 2) {
        const size = Math.min(band, rows);
        const trial = planWith(graph, {
          ...options, unfusedConvPairs: unfused, convPairBandRows: new Map([...bandRows, [pair.first.name, size]]),
        }, chosen);
        if (trial.arenaBytes > smallest) break;
        bandRows.set(pair.first.name, size);
        best = trial;
      }
    }
    options = { ...options, unfusedConvPairs: unfused, convPairBandRows: bandRows };
  }
  // int8 convolutions that read their input in place instead of gathering im2col columns into a scratch (several
  // times slower): only when asked for or under a budget, where that makes the smallest arena smaller, and given
  // back within the budget below.
  if (!options.int8DirectConvs && (options.scratchlessConvs || options.arenaBudgetBytes !== undefined)) {
    const direct = new Set<string>();
    for (const step of best.steps) {
      const conv = step.nodes[0]!;
      if (step.blockChannels || step.inPlace || int8ConvScratchBytes(graph, conv) === 0) continue;
      direct.add(conv.name);
      const trial = planWith(graph, { ...options, int8DirectConvs: direct }, chosen);
      if (trial.arenaBytes < best.arenaBytes) best = trial;
      else direct.delete(conv.name);
    }
    options = { ...options, int8DirectConvs: direct };
  }
  if (options.int8BlockChannels) return best;
  const smallestArenaBytes = best.arenaBytes;
  // Within the budget, the convolutions get their scratch back first (the largest speed-up).
  const budget = Math.max(best.arenaBytes, options.arenaBudgetBytes ?? 0);
  if (options.arenaBudgetBytes !== undefined) {
    const direct = new Set(options.int8DirectConvs);
    for (const name of [...direct]) {
      direct.delete(name);
      const trial = planWith(graph, { ...options, int8DirectConvs: direct }, chosen);
      if (trial.arenaBytes <= budget) best = trial;
      else direct.add(name);
    }
    options = { ...options, int8DirectConvs: direct };
  }
  // Fused int8 QConv steps: as many output channels per pass as the arena allows (fewer passes run faster; as
  // many as the QConv has undoes the fusion), first without growing the smallest arena, then within the budget.
  const blocks = new Map<string, number>();
  for (const limit of [best.arenaBytes, budget]) {
    for (const step of best.steps) {
      if (!step.blockChannels) continue;
      const conv = step.nodes[0]!;
      const channels = graph.tensors.get(conv.outputs[0]!)!.shape[1]!;
      for (let block = step.blockChannels * 2; ; block *= 2) {
        const size = Math.min(block, channels);
        const trial = planWith(graph, { ...options, int8BlockChannels: new Map([...blocks, [conv.name, size]]) }, chosen);
        if (trial.arenaBytes > limit) break;
        blocks.set(conv.name, size);
        best = trial;
        if (size >= channels) break;
      }
    }
  }
  // Within the budget, the 1x1 convolutions run out of place again (faster).
  if (options.arenaBudgetBytes !== undefined && !options.optionalInPlace) {
    for (const name of [...chosen]) {
      chosen.delete(name);
      const trial = planWith(graph, { ...options, int8BlockChannels: blocks }, chosen);
      if (trial.arenaBytes <= budget) best = trial;
      else chosen.add(name);
    }
  }
  return options.arenaBudgetBytes === undefined ? best : { ...best, smallestArenaBytes };
}

/**
 * Steps that may run in place but need not: int8 pooling (int8-steps.ts: poolRunsInPlace) and int8 1x1
 * convolutions (int8PointwiseInPlaceScratch). Whether their input dies at their step is the planner's business.
 */
export function isOptionalInPlace(graph: Graph, node: Node): boolean {
  return poolRunsInPlace(graph, node) || int8PointwiseInPlaceScratch(graph, node) !== undefined;
}

/** planMemory with the optional in-place steps given. */
function planWith(graph: Graph, options: PlanOptions, optionalInPlace: ReadonlySet<string>): MemoryPlan {
  const alignment = options.alignment ?? 8;
  const inPlace = options.inPlace ?? true;
  const steps = buildSteps(graph, options);
  const end = steps.length;

  const isConstant = (name: string) => graph.tensors.get(name)?.data !== undefined;
  const bytesOf = (name: string) => tensorBytes(graph.tensors.get(name)!);

  // Producer step of every node output, last reading step of every tensor.
  const producer = new Map<string, number>();
  const lastRead = new Map<string, number>();
  const fused = new Set<string>();
  for (const step of steps) {
    // Every output but the last node's exists only inside the step's kernel.
    for (const node of step.nodes.slice(0, -1)) fused.add(node.outputs[0]!);
    for (const node of step.nodes) {
      for (const out of node.outputs) if (out !== '') producer.set(out, step.index);
      for (const input of node.inputs) {
        if (input === '' || fused.has(input)) continue;
        lastRead.set(input, Math.max(lastRead.get(input) ?? -1, step.index));
      }
    }
  }
  for (const out of graph.outputs) lastRead.set(out, end);

  // Every runtime tensor gets a class; model inputs and outputs are bound to the caller's buffers.
  const groups = new BufferGroups(bytesOf, (index) => bytesOf(graph.outputs[index]!));
  const bindingOfTensor = (name: string): Binding | undefined => {
    const inputIndex = graph.inputs.indexOf(name);
    if (inputIndex >= 0) return { kind: 'input', index: inputIndex };
    if (isConstant(name)) return { kind: 'constant', tensor: name };
    const outputIndex = graph.outputs.indexOf(name);
    if (outputIndex >= 0) return { kind: 'output', index: outputIndex };
    return undefined;
  };
  const addTensor = (name: string) => groups.add(name, lastRead.get(name) ?? producer.get(name) ?? 0, bindingOfTensor(name));
  for (const name of graph.inputs) addTensor(name);
  for (const step of steps) {
    for (const node of step.nodes) for (const out of node.outputs) if (out !== '') addTensor(out);
  }
  for (const name of graph.outputs) if (!groups.has(name)) addTensor(name);

  // Aliases and in-place steps join their input's class, in step order.
  for (const step of steps) {
    const primary = step.nodes[0]!;
    const optional = int8PointwiseInPlaceScratch(graph, primary) !== undefined;
    const conv = inPlace && !step.pool && !step.residual && !step.convPair && (!optional || optionalInPlace.has(primary.name)) ? inPlaceConv(graph, primary) : undefined;
    if (conv) {
      const src = step.nodes[0]!.inputs[0]!;
      const out = step.nodes[step.nodes.length - 1]!.outputs[0]!;
      const bound = groups.bindingOf(src);
      // (tryMerge keeps anything larger than a model output out of the caller's output buffer.)
      const fits = conv.kind === 'depthwise' ? bytesOf(src) === bytesOf(out) : bytesOf(out) <= bytesOf(src);
      if (fits && groups.has(src) && !isConstant(src) && (!bound || bound.kind === 'output')
        && groups.lastReadOf(src) === step.index && groups.tryMerge(src, out)) {
        step.inPlace = conv.kind;
        step.scratchBytes = conv.scratchBytes;
      }
      continue;
    }
    if (step.convPair) {
      // The pair's result goes over its Add's residual (element by element) or, without an Add, over its input
      // when convPairMayOverwriteInput; the residual may be the input itself only under the same condition.
      const pair = step.convPair;
      const input = pair.first.inputs[0]!;
      const src = pair.add ? pair.residual! : input;
      const out = convPairResult(pair);
      const bound = groups.has(src) ? groups.bindingOf(src) : undefined;
      const overInput = groups.has(input) && groups.root(src) === groups.root(input);
      if (inPlace && groups.has(src) && !isConstant(src) && (!bound || bound.kind === 'output')
        && groups.lastReadOf(src) === step.index && bytesOf(src) === bytesOf(out)
        && (!overInput || (src === input && convPairMayOverwriteInput(graph, pair, pair.bandRows)))) groups.tryMerge(src, out);
      continue;
    }
    if (step.residual) {
      // The fused QAdd writes the sum over its residual operand, which dies here (schedule.ts).
      const add = step.residual;
      const sum = add.outputs[0]!;
      const residual = add.inputs[0] === step.nodes[0]!.outputs[0] ? add.inputs[1]! : add.inputs[0]!;
      const bound = groups.bindingOf(residual);
      if (inPlace && groups.has(residual) && !isConstant(residual) && (!bound || bound.kind === 'output')
        && groups.lastReadOf(residual) === step.index && bytesOf(residual) === bytesOf(sum)) groups.tryMerge(residual, sum);
      continue;
    }
    if (step.nodes.length !== 1) continue;
    const node = step.nodes[0]!;
    const out = node.outputs[0];
    if (!out || fused.has(out)) continue;
    if (ALIAS_OPS.has(node.op) && node.inputs[0]) {
      const src = node.inputs[0];
      if (isConstant(src)) addTensor(src);
      if (bytesOf(src) === bytesOf(out)) groups.tryMerge(src, out);
      continue;
    }
    if (!inPlace) continue;
    if (optionalInPlace.has(node.name) && poolRunsInPlace(graph, node)) {
      // The pooled output goes over the start of its input (int8-steps.ts says when no window reads a written byte).
      const src = node.inputs[0]!;
      const bound = groups.bindingOf(src);
      if (groups.has(src) && !isConstant(src) && (!bound || bound.kind === 'output') && bytesOf(out) <= bytesOf(src)
        && groups.lastReadOf(src) === step.index) groups.tryMerge(src, out);
      continue;
    }
    if (!writesOverInput(node) || node.outputs.length !== 1) continue;
    for (const src of node.inputs) {
      if (src === '' || isConstant(src) || !groups.has(src) || bytesOf(src) !== bytesOf(out)) continue;
      const bound = groups.bindingOf(src);
      if (bound && bound.kind !== 'output') continue;
      if (groups.lastReadOf(src) !== step.index) continue;
      if (groups.tryMerge(src, out)) break;
    }
  }

  // Collect the classes into buffers.
  const members = new Map<string, string[]>();
  const collected = new Set<string>();
  for (const name of [...graph.inputs, ...producer.keys(), ...graph.outputs]) {
    if (!groups.has(name) || collected.has(name)) continue;
    collected.add(name);
    const root = groups.root(name);
    const list = members.get(root) ?? [];
    list.push(name);
    members.set(root, list);
  }
  // Constants that joined a class through an alias are members too (first, in the order their steps read them).
  const aliasedConstants = new Map<string, string[]>();
  for (const step of steps) {
    const src = step.nodes[0]!.inputs[0];
    if (src && isConstant(src) && groups.has(src) && !collected.has(src)) {
      collected.add(src);
      const root = groups.root(src);
      const list = aliasedConstants.get(root) ?? [];
      list.push(src);
      aliasedConstants.set(root, list);
      if (!members.has(root)) members.set(root, []);
    }
  }
  for (const [root, list] of aliasedConstants) members.set(root, [...list.reverse(), ...members.get(root)!]);

  const buffers: PlannedBuffer[] = [];
  const bufferOf = new Map<string, number>();
  const arenaIds: number[] = [];
  for (const [root, names] of members) {
    names.sort((a, b) => (producer.get(a) ?? -1) - (producer.get(b) ?? -1));
    const binding = groups.bindingOf(root);
    const allFused = names.every((n) => fused.has(n));
    const storage: Storage = binding ?? (allFused ? { kind: 'fused' } : { kind: 'arena', offset: 0 });
    let firstStep = Infinity;
    let bytes = -Infinity;
    for (const n of names) {
      firstStep = Math.min(firstStep, producer.get(n) ?? 0);
      bytes = Math.max(bytes, bytesOf(n));
    }
    const lastStep = Math.max(firstStep, groups.lastReadOf(root));
    const id = buffers.length;
    buffers.push({ id, tensors: names, bytes, firstStep, lastStep, storage });
    for (const n of names) bufferOf.set(n, id);
    if (storage.kind === 'arena') arenaIds.push(id);
  }
  // Each step's working memory: an arena buffer alive at that step only.
  const scratchOf = new Map<number, number>();
  for (const step of steps) {
    if (!step.scratchBytes) continue;
    const id = buffers.length;
    buffers.push({
      id, tensors: [`step${step.index}_scratch`], bytes: step.scratchBytes, firstStep: step.index, lastStep: step.index,
      storage: { kind: 'arena', offset: 0 }, scratchOfStep: step.index,
    });
    scratchOf.set(step.index, id);
    arenaIds.push(id);
  }

  const requests: ArenaRequest[] = arenaIds.map((id) => ({
    bytes: buffers[id]!.bytes, first: buffers[id]!.firstStep, last: buffers[id]!.lastStep,
  }));
  const layout = allocateArena(requests, alignment);
  arenaIds.forEach((id, i) => { buffers[id]!.storage = { kind: 'arena', offset: layout.offsets[i]! }; });

  const outputs = new Set(graph.outputs);
  let naiveBytes = 0;
  for (const name of producer.keys()) {
    if (!outputs.has(name) && !isConstant(name)) naiveBytes += bytesOf(name);
  }

  return {
    steps,
    buffers,
    bufferOf,
    scratchOf,
    arenaBytes: alignUp(layout.totalBytes, alignment),
    lowerBoundBytes: arenaLowerBound(requests, alignment),
    naiveBytes,
    alignment,
    strategy: layout.strategy,
  };
}

/**
 * Problems in a plan, empty when it is sound: arena buffers alive at the same step share no byte, offsets
 * are aligned and inside the arena. With the graph, lifetimes are recomputed from the nodes independently
 * of the planner: each buffer must cover the lifetime of every tensor in it, and a tensor may only be
 * written over another of its buffer (not an alias of it) at the step where that other tensor dies.
 */
export function validatePlan(plan: MemoryPlan, graph?: Graph): string[] {
  const problems: string[] = [];
  const arena = plan.buffers.filter((b) => b.storage.kind === 'arena');
  const offsetOf = (b: PlannedBuffer) => (b.storage as { offset: number }).offset;
  for (const b of arena) {
    const off = offsetOf(b);
    if (off % plan.alignment !== 0) problems.push(`buffer ${b.id} (${b.tensors[0]}) offset ${off} is not aligned to ${plan.alignment}`);
    if (off < 0 || off + b.bytes > plan.arenaBytes) problems.push(`buffer ${b.id} (${b.tensors[0]}) [${off}, ${off + b.bytes}) is outside the ${plan.arenaBytes}-byte arena`);
  }
  // Pairs alive together: a sweep over the steps compares each buffer with those still alive when it starts.
  const clashes: [number, number][] = [];
  const byStart = arena.map((_, i) => i).sort((i, j) => arena[i]!.firstStep - arena[j]!.firstStep || i - j);
  let alive: number[] = [];
  for (const j of byStart) {
    const b = arena[j]!;
    alive = alive.filter((i) => arena[i]!.lastStep >= b.firstStep);
    for (const i of alive) {
      const a = arena[i]!;
      const timeOverlap = a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
      const byteOverlap = offsetOf(a) < offsetOf(b) + b.bytes && offsetOf(b) < offsetOf(a) + a.bytes;
      if (timeOverlap && byteOverlap && a.bytes > 0 && b.bytes > 0) clashes.push(i < j ? [i, j] : [j, i]);
    }
    alive.push(j);
  }
  clashes.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (const [i, j] of clashes) {
    const a = arena[i]!;
    const b = arena[j]!;
    problems.push(`buffers ${a.id} (${a.tensors[0]}) and ${b.id} (${b.tensors[0]}) are alive together and share bytes`);
  }
  if (!graph) return problems;

  // Independent lifetimes from the graph and the steps.
  const produced = new Map<string, number>();
  const read = new Map<string, number>();
  const aliasSource = new Map<string, string>();
  for (const step of plan.steps) {
    const inside = new Set(step.nodes.slice(0, -1).flatMap((n) => n.outputs));
    for (const node of step.nodes) {
      for (const input of node.inputs) {
        if (input !== '' && !inside.has(input)) read.set(input, Math.max(read.get(input) ?? -1, step.index));
      }
      for (const out of node.outputs) if (out !== '') produced.set(out, step.index);
      if (ALIAS_OPS.has(node.op) && node.outputs[0]) aliasSource.set(node.outputs[0], node.inputs[0]!);
    }
  }
  for (const out of graph.outputs) read.set(out, plan.steps.length);
  const roots = new Map<string, string>();
  const rootOf = (name: string): string => {
    const path: string[] = [];
    let r = name;
    while (aliasSource.has(r) && !roots.has(r)) {
      path.push(r);
      r = aliasSource.get(r)!;
    }
    r = roots.get(r) ?? r;
    for (const p of path) roots.set(p, r);
    return r;
  };
  const modelInputs = new Set(graph.inputs);
  // Scratches: one per step that asks for one, big enough, alive exactly at that step.
  for (const step of plan.steps) {
    if (!step.scratchBytes) continue;
    const b = plan.buffers[plan.scratchOf.get(step.index) ?? -1];
    if (!b || b.storage.kind !== 'arena' || b.bytes < step.scratchBytes || b.firstStep > step.index || b.lastStep < step.index) {
      problems.push(`step ${step.index} needs a ${step.scratchBytes}-byte scratch in the arena during the step`);
    }
  }
  // A step writes over one of its inputs only when its kernel can: element-wise operators, and the
  // depthwise / pointwise Convs that inPlaceConv accepts (recomputed here, not trusted from the plan).
  for (const step of plan.steps) {
    const primary = step.nodes[0]!;
    if (ALIAS_OPS.has(primary.op)) continue;
    const out = step.nodes[step.nodes.length - 1]!.outputs[0];
    const outBuffer = out ? plan.bufferOf.get(out) : undefined;
    if (outBuffer === undefined || plan.buffers[outBuffer]?.storage.kind === 'fused') continue;
    const shared = primary.inputs.some((i) => i !== '' && !graph.tensors.get(i)?.data && plan.bufferOf.get(i) === outBuffer);
    const conv = inPlaceConv(graph, primary);
    const allowed = step.nodes.length === 1 && (writesOverInput(primary) || poolRunsInPlace(graph, primary))
      || (conv !== undefined && !step.pool && step.inPlace === conv.kind && (step.scratchBytes ?? 0) >= conv.scratchBytes)
      || (step.convPair !== undefined && convPairMayOverwriteInput(graph, step.convPair, step.convPair.bandRows));
    if (shared && !allowed) problems.push(`step ${step.index} (${primary.op}) writes over its input but its kernel cannot run in place`);
    if (step.inPlace && !shared) problems.push(`step ${step.index} (${primary.op}) is marked in place but its input and output do not share a buffer`);
  }
  // The caller's output buffer is only as big as that output.
  for (const b of plan.buffers) {
    if (b.storage.kind !== 'output') continue;
    const own = graph.tensors.get(graph.outputs[b.storage.index]!);
    const room = own ? tensorBytes(own) : 0;
    for (const name of b.tensors) {
      const t = graph.tensors.get(name);
      if (t && tensorBytes(t) > room) problems.push(`tensor ${name} (${tensorBytes(t)} bytes) does not fit the ${room}-byte output buffer ${b.storage.index}`);
    }
  }
  for (const [name, id] of plan.bufferOf) {
    const b = plan.buffers[id];
    if (!b) { problems.push(`tensor ${name} points at missing buffer ${id}`); continue; }
    if (b.storage.kind === 'fused') continue;
    const first = produced.get(name) ?? 0;
    const last = read.get(name) ?? first;
    if (b.storage.kind === 'arena' && (first < b.firstStep || last > b.lastStep)) {
      problems.push(`tensor ${name} lives in steps ${first}..${last} but its buffer ${id} only covers ${b.firstStep}..${b.lastStep}`);
    }
    if (graph.tensors.get(name) && tensorBytes(graph.tensors.get(name)!) > b.bytes) {
      problems.push(`tensor ${name} is larger than its buffer ${id}`);
    }
  }
  for (const b of plan.buffers) problems.push(...overwrittenWhileRead(b.tensors, produced, read, rootOf, modelInputs));
  return problems;
}

/**
 * validatePlan's check of one buffer: a tensor v (not an alias) produced at step s overwrites every tensor w of
 * the buffer written before it (other than v's aliases), so w and its aliases must not be read after step s.
 * A sweep in step order: the written tensors whose alias group is still read wait in a list until s passes that
 * read, so a sound buffer costs one pass however many tensors it holds. Problems come in buffer order (v, then w).
 */
function overwrittenWhileRead(
  tensors: readonly string[], produced: ReadonlyMap<string, number>, read: ReadonlyMap<string, number>,
  rootOf: (name: string) => string, modelInputs: ReadonlySet<string>,
): string[] {
  const groupLast = new Map<string, number>();
  for (const x of tensors) groupLast.set(rootOf(x), Math.max(groupLast.get(rootOf(x)) ?? -Infinity, read.get(x) ?? -1));
  const writes: { index: number; step: number }[] = [];
  tensors.forEach((w, index) => {
    const step = produced.get(w) ?? (modelInputs.has(w) ? -1 : undefined);
    if (step !== undefined) writes.push({ index, step });
  });
  writes.sort((a, b) => a.step - b.step || a.index - b.index);
  const overwrites = writes.filter(({ index }) => produced.has(tensors[index]!) && rootOf(tensors[index]!) === tensors[index]);
  const found: { v: number; w: number; message: string }[] = [];
  let waiting: number[] = [];
  let next = 0;
  for (const { index: v, step: s } of overwrites) {
    while (next < writes.length && writes[next]!.step < s) waiting.push(writes[next++]!.index);
    waiting = waiting.filter((w) => groupLast.get(rootOf(tensors[w]!))! > s);
    for (const w of waiting) {
      if (w === v || rootOf(tensors[w]!) === tensors[v]) continue;
      const name = tensors[w]!;
      found.push({ v, w, message: `tensor ${tensors[v]} overwrites ${name} at step ${s} but ${name} is still read at step ${groupLast.get(rootOf(name))}` });
    }
  }
  return found.sort((a, b) => a.v - b.v || a.w - b.w).map((f) => f.message);
}
