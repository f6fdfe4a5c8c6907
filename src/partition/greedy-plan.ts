// The arena a TensorFlow Lite Micro-style planner would give the same graph, for reports that print ours
// beside it. Sits in the partition stage next to memory-plan.ts and reuses its first-fit placement.
//
// TFLite Micro's GreedyMemoryPlanner: every tensor that an operator produces gets its own buffer, alive from the
// operator that writes it to the last operator that reads it (inclusive); nothing runs in place and no tensor
// shares another's bytes, except reshape-type operators whose output is their input. Buffers are sorted by size,
// largest first (equal sizes keep their order), and each goes to the lowest offset where it overlaps no placed
// buffer alive at the same time. Sizes are rounded up to TFLite Micro's 16-byte buffer alignment.

import { sizeOf, bytesPerElement, type Graph } from '../ir/graph.js';
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
  if (options.includeInputsOutputs) for (const name of graph.inputs) { use(name, 0); bytes.set(name, tensorBytes(name)); }
  graph.nodes.forEach((node, step) => {
    for (const input of node.inputs) if (input !== '' && !isConstant(input) && (first.has(rootOf(input)))) use(input, step);
    const source = node.inputs[0];
    const alias = ALIAS_OPS.has(node.op) && node.outputs.length === 1 && source !== undefined && source !== ''
      && !isConstant(source) && tensorBytes(source) === tensorBytes(node.outputs[0]!);
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
  const end = graph.nodes.length;
  if (options.includeInputsOutputs) for (const name of graph.outputs) if (first.has(rootOf(name))) use(name, end);
  // An alias of a model input or output belongs to the caller's buffer when those are not in the arena.
  const requests: ArenaRequest[] = [];
  for (const [name, size] of bytes) {
    const aliases = [...root].filter(([, r]) => r === name).map(([a]) => a);
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
