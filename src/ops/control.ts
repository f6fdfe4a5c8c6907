// Control flow: If. The frontend resolves every If before shape inference (src/frontend/control-flow.ts: the branch a
// constant condition takes joins the graph, or both branches and a Where for a condition known at run time), so no
// If reaches shape rules, the reference or code generation; this definition states that the operator is supported.

import type { OpDef } from './types.js';

const LATEST = 21;

/** Reached only if an If escaped the frontend: a bug in eennc, not in the model. */
function resolvedByFrontend(): never {
  throw new Error('internal: If nodes are resolved by the frontend (src/frontend/control-flow.ts) before shape inference');
}

const ifOp: OpDef = {
  op: 'If',
  opsets: [1, LATEST],
  inferShapes: resolvedByFrontend,
  evaluate: resolvedByFrontend,
};

export const ops: OpDef[] = [ifOp];
