// The arena a TensorFlow Lite Micro-style planner would give the same graph, for reports that print ours
// beside it. Sits in the schedule stage beside the memory planner and reuses arena-allocator.ts's first-fit placement.
//
// TFLite Micro's GreedyMemoryPlanner: every tensor that an operator produces gets its own buffer, alive from the
// operator that writes it to the last operator that reads it (inclusive); nothing runs in place and no tensor
// shares another's bytes, except reshape-type operators whose output is their input. Buffers are sorted by size,
// largest first (equal sizes keep their order), and each goes to the lowest offset where it overlaps no placed
// buffer alive at the same time. Sizes are rounded up to TFLite Micro's 16-byte buffer alignment. With
// `kernelScratch`, the scratch buffers CMSIS-NN's kernels request join the plan, as they do in TFLite Micro.

import { sizeOf, bytesPerElement, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { attrInt, attrInts } from '../ops/attrs.js';
import { alignUp, placeInOrder, type ArenaRequest } from './arena-allocator.js';
import { ALIAS_OPS } from './schedule.js';

/** TFLite Micro's arena buffer alignment (MicroArenaBufferAlignment). */
export const TFLM_BUFFER_ALIGNMENT = 16;

export interface GreedyPlanOptions {
  /** Buffer alignment in bytes (default 16, TFLite Micro's). */
  alignment?: number;
  /**
   * Place the model's inputs and outputs in the arena too, as TFLite Micro does (default false: they are the
   * caller's buffers, as in eennc's plan, so that both arenas count the same tensors).
   */
  includeInputsOutputs?: boolean;
  /**
   * Add the scratch buffer each operator's CMSIS-NN kernel requests in the arena on a DSP target
   * (cmsisNnScratchBytes), alive during that operator, as TFLite Micro plans them with the tensors (default false:
   * the tensors alone).
   */
  kernelScratch?: boolean;
}

/**
 * Bytes of the scratch buffer TFLite Micro's CMSIS-NN kernel for `node` (an int8 dialect node) requests on a
 * Cortex-M with the DSP extension: convolutions through arm_convolve_wrapper_s8 (none for the 1x1 fast kernel: 1x1,
 * stride 1, no padding; else 2 * C_in / group * kernel int16 values; 1-D as 2-D of height 1), depthwise through
 * arm_depthwise_conv_wrapper_s8
 * (none for the 3x3 kernel with padding up to 1 or a channel multiplier above 1; else C_in * kernel int16 values),
 * average pooling C int32 values (arm_avgpool_s8_get_buffer_size); the others none.
 */
export function cmsisNnScratchBytes(graph: Graph, node: Node): number {
  if (node.domain !== INT8_DOMAIN) return 0;
  const x = graph.tensors.get(node.inputs[0] ?? '');
  // 1-D layers run as 2-D ones of height 1 (TFLite's Conv1D is a Conv2D).
  if (!x || (x.shape.length !== 3 && x.shape.length !== 4)) return 0;
  const channels = x.shape[1]!;
  if (node.op === 'QAveragePool') return 4 * channels;
  if (node.op !== 'QConv') return 0;
  const w = graph.tensors.get(node.inputs[1] ?? '');
  if (!w || w.shape.length !== x.shape.length) return 0;
  const taps = sizeOf(w.shape.slice(2));
  const group = attrInt(node, 'group', 1);
  const all = (name: string, value: number) => (attrInts(node, name) ?? []).every((v) => v === value);
  const dilated = !all('dilations', 1);
  if (group !== channels || channels === 1) {
    // arm_convolve_wrapper_s8 (grouped convolutions included): one im2col column pair of the group's depth.
    if (group === 1 && taps === 1 && all('strides', 1) && all('pads', 0) && !dilated) return 0;
    return 2 * (channels / group) * taps * 2;
  }
  const multiplier = w.shape[0]! / channels;
  if (multiplier !== 1 || dilated) return 0;
  const smallPads = (attrInts(node, 'pads') ?? []).every((p) => p <= 1);
  if (w.shape.length === 4 && w.shape[2] === 3 && w.shape[3] === 3 && smallPads) return 0;
  return channels * taps * 2;
}

/** The buffers a TFLite Micro-style planner allocates for `graph`: one per produced tensor, reshapes aside. */
export function greedyBySizeRequests(graph: Graph, options: GreedyPlanOptions = {}): ArenaRequest[] {
  const external = new Set([...graph.inputs, ...graph.outputs]);
  const isConstant = (name: string) => graph.tensors.get(name)?.data !== undefined;
  // Each tensor's buffer: itself, or the buffer of the tensor a reshape-type operator reinterprets.
  const root = new Map<string, string>();
  const rootOf = (name: string): string => root.get(name) ?? name;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const bytes = new Map<string, number>();
  const use = (name: string, step: number) => {
    const r = rootOf(name);
    first.set(r, Math.min(first.get(r) ?? step, step));
    last.set(r, Math.max(last.get(r) ?? step, step));
  };
  const tensorBytes = (name: string) => {
    const t = graph.tensors.get(name)!;
    return sizeOf(t.shape) * bytesPerElement(t.dtype);
  };
  if (options.includeInputsOutputs)
    for (const name of graph.inputs) {
      use(name, 0);
      bytes.set(name, tensorBytes(name));
    }
  graph.nodes.forEach((node, step) => {
    for (const input of node.inputs) if (input !== '' && !isConstant(input) && first.has(rootOf(input))) use(input, step);
    const source = node.inputs[0];
    const alias =
      ALIAS_OPS.has(node.op) &&
      node.outputs.length === 1 &&
      source !== undefined &&
      source !== '' &&
      !isConstant(source) &&
      tensorBytes(source) === tensorBytes(node.outputs[0]!);
    for (const out of node.outputs) {
      if (out === '') continue;
      if (alias) {
        root.set(out, rootOf(source!));
        use(out, step);
        continue;
      }
      if (!options.includeInputsOutputs && external.has(out)) continue;
      bytes.set(out, tensorBytes(out));
      use(out, step);
    }
  });
  if (options.kernelScratch) {
    graph.nodes.forEach((node, step) => {
      const scratch = cmsisNnScratchBytes(graph, node);
      if (scratch === 0) return;
      const name = `${node.name}#scratch`;
      bytes.set(name, scratch);
      use(name, step);
    });
  }
  const end = graph.nodes.length;
  if (options.includeInputsOutputs) for (const name of graph.outputs) if (first.has(rootOf(name))) use(name, end);
  // An alias of a model input or output belongs to the caller's buffer when those are not in the arena.
  const aliasesOf = new Map<string, string[]>();
  for (const [alias, r] of root) {
    const list = aliasesOf.get(r);
    if (list) list.push(alias);
    else aliasesOf.set(r, [alias]);
  }
  const requests: ArenaRequest[] = [];
  for (const [name, size] of bytes) {
    const aliases = aliasesOf.get(name) ?? [];
    if (!options.includeInputsOutputs && aliases.some((a) => external.has(a))) continue;
    requests.push({ bytes: size, first: first.get(name)!, last: last.get(name)! });
  }
  return requests;
}

/**
 * Bytes of the arena TFLite Micro's GreedyMemoryPlanner would need for `graph`'s intermediate tensors (by
 * default the model's inputs and outputs stay outside, as in eennc's plan; see GreedyPlanOptions).
 */
export function greedyBySizePlanBytes(graph: Graph, options: GreedyPlanOptions = {}): number {
  const alignment = options.alignment ?? TFLM_BUFFER_ALIGNMENT;
  const requests = greedyBySizeRequests(graph, options);
  // Largest first; Array.prototype.sort is stable, so equal sizes keep the order the tensors were produced in.
  const order = requests.map((_, i) => i).sort((a, b) => alignUp(requests[b]!.bytes, alignment) - alignUp(requests[a]!.bytes, alignment));
  return placeInOrder(requests, order, alignment).total;
}
