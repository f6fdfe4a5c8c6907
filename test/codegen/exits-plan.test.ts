// Early exits in the schedule, the memory plan and model.c, without building: no step fuses nodes across an exit's
// decision, the decision tensor lives until its decision reads it, validatePlan refuses a plan that breaks either
// rule, and eenn_run decides after the step that computes each exit (and its Dequantize).

import { describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import type { Graph } from '../../src/ir/graph.js';
import { decisionSteps } from '../../src/schedule/exits.js';
import { planMemory, validatePlan } from '../../src/schedule/memory-plan.js';
import { buildSteps } from '../../src/schedule/schedule.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';
import { attached, exitModel, splittingThresholds } from './exit-model.js';

/**
 * x -> Conv -> Relu -> head -> final, with exit0's head (on x) placed between the Conv and its Relu: a Conv + Relu
 * step would run the Relu, which only the final exit needs, before exit0's decision.
 */
function straddlingModel(withExits: boolean): Graph {
  const graph = inferGraphShapes(
    buildGraph({
      inputs: { x: ['float32', [1, 2, 4, 4]] },
      constants: {
        w: ['float32', [2, 2, 3, 3], randomFloats(36, 1)],
        h0: ['float32', [3, 2], randomFloats(6, 2)],
        h1: ['float32', [3, 2], randomFloats(6, 3)],
      },
      nodes: [
        ['Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'],
        ['GlobalAveragePool', ['x'], ['g0']],
        ['Flatten', ['g0'], ['f0']],
        ['Gemm', ['f0', 'h0'], ['exit0'], { transB: 1 }],
        ['Relu', ['c'], ['r'], {}, 'relu'],
        ['GlobalAveragePool', ['r'], ['g1']],
        ['Flatten', ['g1'], ['f1']],
        ['Gemm', ['f1', 'h1'], ['final'], { transB: 1 }],
      ],
      outputs: ['exit0', 'final'],
    }),
  ).graph;
  if (!withExits) return graph;
  return {
    ...graph,
    exits: {
      outputs: ['exit0', 'final'],
      policy: 'max-softmax',
      thresholds: [0.5],
      decisions: [{ output: 'exit0', tensor: 'exit0', kind: 'logits' }],
    },
  };
}

const stepNames = (graph: Graph) => buildSteps(graph).map((step) => step.nodes.map((n) => n.name).join('+'));

describe('early exits in the schedule and the plan', () => {
  it('a Relu after the decision is not fused into a Conv before it', () => {
    expect(stepNames(straddlingModel(false))).toContain('conv+relu');
    const graph = straddlingModel(true);
    const steps = stepNames(graph);
    expect(steps).toContain('conv');
    expect(steps).toContain('relu');
    // exit0 decides after its Gemm, the step before the Relu's.
    const [at] = decisionSteps(graph, buildSteps(graph));
    expect(steps[at!]).toMatch(/Gemm/);
    expect(steps[at! + 1]).toBe('relu');
  });

  it('int8 with float32 outputs: the decision follows the Dequantize, its int8 tensor lives past that step', async () => {
    const float = exitModel();
    const graph = await attached(float, splittingThresholds(float), 'int8', 'float32');
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    const decided = decisionSteps(graph, plan.steps);
    graph.exits!.decisions.forEach((decision, i) => {
      const step = plan.steps[decided[i]!]!;
      expect(step.nodes.map((n) => n.op)).toContain('Dequantize');
      const buffer = plan.buffers[plan.bufferOf.get(decision.tensor)!]!;
      expect(buffer.lastStep).toBeGreaterThan(decided[i]!);
    });
    // A buffer that ends before the decision step would let a step write over the tensor before it is read.
    const early = plan.buffers[plan.bufferOf.get(graph.exits!.decisions[0]!.tensor)!]!;
    const cut = { ...plan, buffers: plan.buffers.map((b) => (b === early ? { ...b, lastStep: decided[0]! - 1 } : b)) };
    expect(validatePlan(cut, graph).join('\n')).toMatch(/lives in steps/);
    // An exit's output kept in the arena would be overwritten by the steps after its decision.
    const exitBuffer = plan.bufferOf.get(graph.exits!.outputs[0]!)!;
    const inArena = {
      ...plan,
      buffers: plan.buffers.map((b) => (b.id === exitBuffer ? { ...b, storage: { kind: 'arena' as const, offset: 0 } } : b)),
    };
    expect(validatePlan(inArena, graph).join('\n')).toMatch(/exit exit0 is kept in the arena/);
  });

  it('model.c decides after each early exit in eenn_run, and model.h documents the exits', async () => {
    const float = exitModel();
    const graph = await attached(float, splittingThresholds(float), 'float32');
    const plan = planMemory(graph);
    const { files, exits } = emitModel(graph, plan, { modelName: 'exits', precision: 'float32' });
    expect(exits).toBe(3);
    const model = files.get('model.c')!;
    const decided = decisionSteps(graph, plan.steps);
    decided.forEach((step, i) => {
      // Between the step that computes the exit and the next step: the decision and the return.
      const after = model.slice(model.indexOf(`/* [${step}] `), model.indexOf(`/* [${step + 1}] `));
      expect(after).toContain('eenn_taken = eenn_exit_max_softmax_f32(');
      expect(after).toContain(`eenn_taken = eenn_trace_exit(${i}, eenn_taken);`);
      expect(after).toContain(`return ${i};`);
    });
    expect(model.trimEnd()).toMatch(/return 2;\n}$/);
    const header = files.get('model.h')!;
    expect(header).toContain('#define EENN_NUM_EXITS   3');
    expect(header).toMatch(/exit 0: output 0 "exit0", taken when the largest softmax probability is at least 0\.\d+, [\d,]+ MACs/);
    expect(header).toContain('exit 2: output 2 "final", the final classifier, always taken');
  });
});
