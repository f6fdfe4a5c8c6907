// (placeholder: operator family "softmax", filled in by its implementation)
import type { OpDef } from './types.js';

export const ops: OpDef[] = [];
