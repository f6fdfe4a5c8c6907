// Walks the memory plan's steps and asks a lowering table for each (float32: lower-float.ts, int8: lower-int8.ts).
// Every node that cannot be lowered is collected, and one E_UNSUPPORTED error lists them all.

import { EennError, nodeError } from '../ir/diagnostics.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import type { Step } from '../schedule/schedule.js';
import type { ActivationRange, Lowering, LoweredStep, LowerContext } from './kernel-call.js';

/** A lowered step, with the node it came from. */
export interface LoweredGraphStep {
  step: Step;
  lowered: LoweredStep;
}

/** What differs between the precisions: the table, the checks of a step, and the words of the error. */
export interface LoweringTable {
  precision: 'float32' | 'int8';
  loweringOf(node: Node): Lowering | undefined;
  /** Throws E_UNSUPPORTED (reported with the others) or an internal Error when the step cannot be lowered. */
  checkStep(step: Step, inputs: (Tensor | undefined)[], outputs: Tensor[]): void;
  /** The clamp of the activation fused into the step. */
  activationOf(graph: Graph, step: Step): ActivationRange;
  /** The tensor the step writes for output 0, given the node's outputs and a tensor lookup. */
  resultOf(step: Step, outputs: Tensor[], tensor: (name: string) => Tensor | undefined): Tensor;
  /** Hint of the error that lists the unsupported nodes. */
  hint: string;
}

export function lowerSteps(graph: Graph, plan: MemoryPlan, table: LoweringTable): LoweredGraphStep[] {
  const problems: string[] = [];
  const result: LoweredGraphStep[] = [];
  const sameStorage = (a: string, b: string): boolean => {
    const ia = plan.bufferOf.get(a);
    return ia !== undefined && ia === plan.bufferOf.get(b);
  };
  const tensor = (name: string): Tensor | undefined => (name === '' ? undefined : graph.tensors.get(name));
  for (const step of plan.steps) {
    const node = step.nodes[0]!;
    try {
      const lowering = table.loweringOf(node);
      if (!lowering) {
        throw nodeError(
          'E_UNSUPPORTED',
          node,
          `${node.op}${node.domain ? ` (domain ${node.domain})` : ''} has no ${table.precision} kernel`,
          table.precision === 'int8'
            ? 'build with --precision float32, which has kernels for more operators'
            : 'run `eennc inspect MODEL.onnx` to list the operators eennc supports and those it does not',
        );
      }
      const inputs = node.inputs.map(tensor);
      const outputs = node.outputs.map(tensor).filter((t): t is Tensor => t !== undefined);
      table.checkStep(step, inputs, outputs);
      const ctx: LowerContext = {
        graph,
        node,
        opset: graph.opset,
        inputs,
        outputs,
        result: table.resultOf(step, outputs, tensor),
        activation: table.activationOf(graph, step),
        step,
        sameStorage,
      };
      result.push({ step, lowered: lowering(ctx) });
    } catch (err) {
      if (!(err instanceof EennError) || err.code !== 'E_UNSUPPORTED') throw err;
      problems.push(`node "${node.name}" (${node.op}): ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `${problems.length} node${problems.length === 1 ? '' : 's'} cannot be compiled to ${table.precision} C`,
      details: problems,
      hint: table.hint,
    });
  }
  return result;
}
