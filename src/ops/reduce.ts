// (placeholder: operator family "reduce", filled in by its implementation)
import type { OpDef } from './types.js';

export const ops: OpDef[] = [];
