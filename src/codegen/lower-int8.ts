// The int8 lowering table: each operator of a quantized graph (the eenn.int8 dialect of src/ir/int8.ts and the
// default-domain operators that run unchanged on int8 tensors) -> the int8 kernel calls that compute it. Code
// generation walks the memory plan's steps and asks this table for each; anything else is reported at once.

import { normalDomain, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN, INT8_PASSTHROUGH_OPS, type Int8Op } from '../ir/int8.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import type { Lowering } from './kernel-call.js';
import { activationOf, FLOAT_LOWERINGS } from './lower-float.js';
import { lowerSteps, type LoweredGraphStep, type LoweringTable } from './lower-steps.js';
import { lowerQConv, lowerQConvTranspose, lowerQGemm } from './lower/int8-conv.js';
import { lowerDequantize, lowerQAdd, lowerQLut, lowerQMul, lowerQuantize } from './lower/int8-elementwise.js';
import { passthrough } from './lower/int8-movement.js';
import { lowerQAveragePool, lowerQSoftmax } from './lower/int8-pool.js';
import { lowerQLayerNorm, lowerQReduce } from './lower/int8-reduce.js';
import { lowerQResize } from './lower/int8-resize.js';
import { lowerQRequantize } from './lower/int16.js';

/** eenn.int8 operator -> lowering. */
const DIALECT_LOWERINGS: ReadonlyMap<Int8Op, Lowering> = new Map<Int8Op, Lowering>([
  ['QConv', lowerQConv],
  ['QConvTranspose', lowerQConvTranspose],
  ['QGemm', lowerQGemm],
  ['QAdd', lowerQAdd],
  ['QMul', lowerQMul],
  ['QAveragePool', lowerQAveragePool],
  ['QSoftmax', lowerQSoftmax],
  ['QLut', lowerQLut],
  ['QResize', lowerQResize],
  ['QReduce', lowerQReduce],
  ['QLayerNorm', lowerQLayerNorm],
  ['Quantize', lowerQuantize],
  ['Dequantize', lowerDequantize],
]);

/** Default-domain passthrough operator -> lowering (the float lowering, on the int8 kernels). */
const PASSTHROUGH_LOWERINGS: ReadonlyMap<string, Lowering> = new Map(
  [...INT8_PASSTHROUGH_OPS].map((op): [string, Lowering] => {
    const float = FLOAT_LOWERINGS.get(op);
    if (!float) throw new Error(`internal: passthrough operator ${op} has no float lowering`);
    return [op, passthrough(float)];
  }),
);

/** Every operator the int8 code path compiles, keyed `domain:op` ("eenn.int8:QConv", ":Reshape"). */
export const INT8_LOWERINGS: ReadonlyMap<string, Lowering> = new Map<string, Lowering>([
  ...[...DIALECT_LOWERINGS].map(([op, lowering]): [string, Lowering] => [`${INT8_DOMAIN}:${op}`, lowering]),
  ...[...PASSTHROUGH_LOWERINGS].map(([op, lowering]): [string, Lowering] => [`:${op}`, lowering]),
  // The change of scale or width between int8 and int16 tensors (src/ir/int8.ts QRequantize).
  [`${INT8_DOMAIN}:QRequantize`, lowerQRequantize],
]);

/** The lowering of a node in a quantized graph, if it has one. */
export function int8LoweringOf(node: Node): Lowering | undefined {
  return INT8_LOWERINGS.get(`${normalDomain(node.domain)}:${node.op}`);
}

/** Default-domain operator whose multiply-accumulate count an int8 operator shares. */
/** The int8 lowering table, for lowerSteps. */
const INT8_TABLE: LoweringTable = {
  precision: 'int8',
  loweringOf: int8LoweringOf,
  checkStep(step) {
    // The fusions of int8 steps: a pool or a residual QAdd after a QConv (schedule.ts), which the QConv lowering computes.
    if (step.nodes.length > 1 && !step.pool && !step.residual) {
      throw new Error(`internal: step ${step.index} fuses nodes into int8 operator "${step.nodes[0]!.name}"`);
    }
  },
  activationOf,
  resultOf: (_step, outputs) => outputs[0]!,
  hint: 'run `eennc inspect` to see where they are; replace them in the model, or try --precision float32',
};

/**
 * Lower every step of the plan of a quantized graph. Collects every node that cannot be lowered and throws one
 * E_UNSUPPORTED error listing them all (node name and operator).
 */
export function lowerInt8Graph(graph: Graph, plan: MemoryPlan): LoweredGraphStep[] {
  return lowerSteps(graph, plan, INT8_TABLE);
}
