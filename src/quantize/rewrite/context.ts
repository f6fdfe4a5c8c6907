// What every int8 rewrite works with: the float graph it reads, the scales chosen for its activations, and the int8
// graph it adds tensors and nodes to (kept by builder.ts). A rewrite turns one float node into int8 nodes.

import { nodeError } from '../../ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { INT8_DOMAIN, perTensorQuant, type ScaleZero } from '../../ir/int8.js';
import type { QuantOverrides } from '../overrides.js';
import { assertFinite } from '../quant-params.js';

/** An int8 activation (or, where the reader asked for either width, int16) of the graph being built, with its scale and zero point. */
export interface Int8Activation {
  tensor: Tensor;
  q: ScaleZero;
}

export interface RewriteContext {
  /** The float graph being quantized: shaped and folded. */
  readonly graph: Graph;
  /** Scales and weights the model states itself (QDQ import); they win over calibration. */
  readonly overrides: QuantOverrides | undefined;
  /** A tensor of the float graph. */
  floatTensor(name: string): Tensor;
  /** `base`, or `base_1`, `base_2`... : a name in neither the float nor the int8 graph. */
  freshName(base: string): string;
  /** Scale and zero point of a float activation: the model's own, else a fixed one for its producer (fixed-ranges.ts), else from its calibrated range. */
  activationQuant(name: string): ScaleZero;
  /** Scale of float activation `name` as an int16 tensor: symmetric over its calibrated range (chooseQuantParamsS16). */
  activationQuantS16(name: string): ScaleZero;
  /** Adds an int8 (or int16) activation tensor with a per-tensor scale and zero point. */
  addActivation(name: string, shape: number[], q: ScaleZero, dtype?: 'int8' | 'int16'): Tensor;
  /**
   * The int8 tensor that holds float activation `name` (E_UNSUPPORTED when there is none); an int16 one is read
   * through a QRequantize to int8, added once per tensor.
   */
  activation(node: Node, name: string): Int8Activation;
  /** The int8 or int16 tensor that holds float activation `name`, for a reader with an int16 form. */
  wideActivation(node: Node, name: string): Int8Activation;
  /** Whether float activation `name` is to be held as int16 (QuantizeOptions.int16; never a model output). */
  holdsInt16(name: string): boolean;
  /** Adds a constant under a fresh name based on `name`; returns the name it got. */
  addConstant(name: string, t: Tensor): string;
  /** A constant input passed through unchanged (shapes, indices, axes). */
  keepConstant(name: string): string;
  addNode(node: Node): void;
  /** The nodes of the float graph that read `name`. */
  readersOf(name: string): readonly Node[];
  /** Marks a node of the float graph as folded into its producer: it gets no rewrite of its own. */
  fold(node: Node): void;
}

/** Rewrites one node of the float graph; throws E_UNSUPPORTED when it has no int8 form. */
export type Rewrite = (ctx: RewriteContext, node: Node) => void;

/** A node of the int8 dialect (src/ir/int8.ts). */
export function int8Node(op: string, name: string, inputs: string[], outputs: string[], attrs: Node['attrs']): Node {
  return { name, op, domain: INT8_DOMAIN, inputs, outputs, attrs };
}

/** The values of constant `name` as finite float32 (E_UNSUPPORTED when it is computed at run time). */
export function constantFloats(ctx: RewriteContext, node: Node, name: string, what: string): Float32Array {
  const t = ctx.floatTensor(name);
  if (!t.data) throw nodeError('E_UNSUPPORTED', node, `${what} "${name}" is computed at run time; int8 needs constant ${what}s`);
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  assertFinite(data, name);
  return data;
}

/** Adds an int8 constant quantized per tensor with `q`, under a fresh name based on `name`; returns the name it got. */
export function addInt8Constant(ctx: RewriteContext, name: string, shape: number[], data: Int8Array, q: ScaleZero): string {
  return ctx.addConstant(name, { name, shape, dtype: 'int8', data, quant: perTensorQuant(q.scale, q.zeroPoint) });
}
