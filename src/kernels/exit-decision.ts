// The call that decides, after an exit head, whether the generated code stops there: the C functions of
// templates/c/kernels/eenn_exit_s8.c (integer arithmetic, the rule of src/exits/rule.ts) and eenn_exit_f32.c.

import type { Graph } from '../ir/graph.js';
import type { ExitDecision, ExitPolicy } from '../ir/exits.js';
import { constArg, floatArg, intArg, tensorArg, type KernelArg, type KernelCall } from './call.js';

const FUNCTION_STEM: Record<ExitPolicy, string> = { 'max-softmax': 'max_softmax', margin: 'margin', entropy: 'entropy' };

/** The C function deciding `policy` on a decision of `kind`, in `precision` (e.g. eenn_exit_margin_probs_s8). */
export function exitFunctionName(policy: ExitPolicy, kind: ExitDecision['kind'], precision: 's8' | 'f32'): string {
  return `eenn_exit_${FUNCTION_STEM[policy]}${kind === 'probabilities' ? '_probs' : ''}_${precision}`;
}

/** The call that returns 1 when exit `decision` is taken (threshold: its float threshold, for float32 exits). */
export function exitDecisionCall(graph: Graph, decision: ExitDecision, policy: ExitPolicy, threshold: number): KernelCall {
  const tensor = graph.tensors.get(decision.tensor);
  if (!tensor) throw new Error(`internal: exit decision tensor "${decision.tensor}" is not in the graph`);
  const classes = tensor.shape[tensor.shape.length - 1] ?? 1;
  const head: KernelArg[] = [tensorArg('input', decision.tensor), intArg('classes', classes)];
  const rule = decision.int8;
  if (!rule) {
    return { fn: exitFunctionName(policy, decision.kind, 'f32'), source: 'eenn_exit_f32.c', args: [...head, floatArg('threshold', threshold)] };
  }
  const table = (name: string, note: string): KernelArg =>
    constArg(name, { name: `${decision.tensor}_${name}`, ctype: 'int32_t', data: Int32Array.from(rule.table), note });
  const args: KernelArg[] =
    decision.kind === 'probabilities'
      ? policy === 'entropy'
        ? [table('plogp_table', `round(2^16 * -p ln p) by q + 128 for exit "${decision.output}"`), intArg('bound', rule.bound)]
        : [intArg('bound', rule.bound)]
      : [
          table('exp_table', `round(2^${Math.log2(rule.table[0] ?? 1)} * exp(-scale * d)) by d = max - q for exit "${decision.output}"`),
          intArg('exp_table_size', rule.table.length),
          ...(policy === 'entropy' ? [intArg('weight', rule.weight)] : []),
          intArg('bound', rule.bound),
        ];
  return { fn: exitFunctionName(policy, decision.kind, 's8'), source: 'eenn_exit_s8.c', args: [...head, ...args] };
}
