// Maps ONNX operator names to their definitions. Adding an operator: its family file, its kernel, a test.

import { normalDomain } from '../ir/graph.js';
import type { OpDef } from './types.js';
import { ops as activation } from './activation.js';
import { ops as conv } from './conv.js';
import { ops as elementwise } from './elementwise.js';
import { ops as gemm } from './gemm.js';
import { ops as layout } from './layout.js';
import { ops as normalization } from './normalization.js';
import { ops as pad } from './pad.js';
import { ops as pool } from './pool.js';
import { ops as quantizeLinear } from './quantize-linear.js';
import { ops as recurrent } from './recurrent.js';
import { ops as reduce } from './reduce.js';
import { ops as resize } from './resize.js';
import { ops as shapeOps } from './shape-ops.js';
import { ops as softmax } from './softmax.js';

const all: OpDef[] = [
  ...activation,
  ...conv,
  ...elementwise,
  ...gemm,
  ...layout,
  ...normalization,
  ...pad,
  ...pool,
  ...quantizeLinear,
  ...recurrent,
  ...reduce,
  ...resize,
  ...shapeOps,
  ...softmax,
];

const byKey = new Map<string, OpDef>();
for (const def of all) {
  const key = `${def.domain ?? ''}::${def.op}`;
  if (byKey.has(key)) throw new Error(`internal: operator ${def.op} is registered twice`);
  byKey.set(key, def);
}

/** The definition of an operator, or undefined when unsupported. "ai.onnx" is the default domain. */
export function lookupOp(op: string, domain = ''): OpDef | undefined {
  return byKey.get(`${normalDomain(domain)}::${op}`);
}

/** Every supported operator, for `eennc inspect` and docs. */
export function supportedOps(): OpDef[] {
  return [...all];
}
