// Which nodes eennc can handle: an operator definition exists (src/ops registry) for the node's op and domain,
// and the model's opset lies in the range that definition was checked against. Used by shapes, fold and inspect.

import type { Node } from '../ir/graph.js';
import { lookupOp } from '../ops/registry.js';
import type { OpDef } from '../ops/types.js';

/** Opsets of the default domain the frontend as a whole is checked against. */
export const OPSET_RANGE: readonly [number, number] = [11, 21];

export type Support = { def: OpDef; reason?: undefined } | { def?: undefined; reason: string };

/** The definition for a node, or why there is none. */
export function supportOf(node: Pick<Node, 'op' | 'domain'>, opset: number): Support {
  const def = lookupOp(node.op, node.domain);
  if (!def) {
    const domain = node.domain ? ` in domain "${node.domain}"` : '';
    return { reason: `operator ${node.op}${domain} is not supported` };
  }
  if (node.domain === '' && (opset < def.opsets[0] || opset > def.opsets[1])) {
    return { reason: `${node.op} is supported for opsets ${def.opsets[0]}..${def.opsets[1]}, the model uses opset ${opset}` };
  }
  return { def };
}

/** Ops whose outputs depend only on their input's shape, so they fold once shapes are static. */
export const SHAPE_ONLY_OPS: ReadonlySet<string> = new Set(['Shape', 'Size', 'EyeLike']);
