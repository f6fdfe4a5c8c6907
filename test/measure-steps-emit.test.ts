// The model.c of a measuring build (emitModel traceSteps): eenn_trace_step(k) once for every step, in order, after
// the step and after the exit decision that follows it, under EENN_TRACE_STEPS; model.h declares the hook and
// EENN_NUM_STEPS. Without the option model.c and model.h are the plain build's, and with it they differ from the
// plain build's by the trace blocks alone. Models of many steps (sections) included.

import { describe, expect, it } from 'vitest';
import { emitModel } from '../src/codegen/emit-model.js';
import { SECTION_STEPS } from '../src/codegen/print-steps.js';
import { renderFirmware } from '../src/codegen/firmware.js';
import { attachExits, resolveExits } from '../src/exits/index.js';
import type { Graph } from '../src/ir/graph.js';
import { planMemory } from '../src/schedule/memory-plan.js';
import { decisionSteps } from '../src/schedule/exits.js';
import { loadTarget } from '../src/target/target.js';
import { branchy, EXITS } from './exits/branchy-model.js';
import { longModel } from './measure-steps-models.js';

/** The trace blocks model.c prints, with the step each names. */
const TRACE_BLOCK = /#ifdef EENN_TRACE_STEPS\n {4}eenn_trace_step\((\d+)\);\n#endif\n/g;

/** model.c and model.h of `graph`, plain and traced. */
function emitBoth(graph: Graph) {
  const plan = planMemory(graph);
  const plain = emitModel(graph, plan, { modelName: 'm', precision: 'float32' });
  const traced = emitModel(graph, plan, { modelName: 'm', precision: 'float32', traceSteps: true });
  return { plan, plain, traced };
}

describe('emitModel traceSteps', () => {
  it('calls eenn_trace_step once for each step, in order, after the decision of an exit step; plain output unchanged', () => {
    const graph = attachExits(branchy({ softmax: true }), resolveExits(branchy({ softmax: true }), { names: EXITS }, [])!);
    const { plan, plain, traced } = emitBoth(graph);
    const modelC = traced.files.get('model.c')!;
    const steps = [...modelC.matchAll(TRACE_BLOCK)].map((m) => Number(m[1]));
    expect(steps).toEqual(plan.steps.map((_, k) => k));
    // Everything else is the plain build's, byte for byte.
    expect(modelC.replace(TRACE_BLOCK, '')).toBe(plain.files.get('model.c'));
    expect(plain.files.get('model.c')).not.toContain('trace_step');
    expect(plain.files.get('model.h')).not.toContain('TRACE_STEPS');
    // The trace of an exit's step follows its decision (the exit's `return`), so the step's count includes it.
    decisionSteps(graph, plan.steps).forEach((step, exit) => {
      const decision = modelC.indexOf(`        return ${exit};\n    }\n`);
      const trace = modelC.indexOf(`eenn_trace_step(${step});`);
      expect(decision, `exit ${exit}`).toBeGreaterThan(0);
      expect(trace - decision, `exit ${exit} at step ${step}`).toBeGreaterThan(0);
      expect(modelC.slice(decision, trace)).not.toMatch(/eenn_\w+\(/);
    });
    const modelH = traced.files.get('model.h')!;
    expect(modelH).toContain(`#define EENN_NUM_STEPS ${plan.steps.length} `);
    expect(modelH).toContain('void eenn_trace_step(int32_t step);');
    expect(modelH.replace(/\n#ifdef EENN_TRACE_STEPS\n[^]*?#endif\n/, '')).toBe(plain.files.get('model.h'));
  });

  it('traces every step of a model in sections, the step of a decision after the decision in eenn_run', () => {
    const graph = longModel(2 * SECTION_STEPS, 40);
    const { plan, plain, traced } = emitBoth(graph);
    expect(plan.steps.length).toBeGreaterThan(SECTION_STEPS);
    const modelC = traced.files.get('model.c')!;
    expect(modelC).toContain('static void eenn_steps_0_');
    // The exit decides after the section that ends at its step: that step's trace follows in eenn_run, after the
    // section functions; every other step's in its section.
    const [step] = decisionSteps(graph, plan.steps);
    const others = plan.steps.map((_, k) => k).filter((k) => k !== step);
    expect([...modelC.matchAll(TRACE_BLOCK)].map((m) => Number(m[1]))).toEqual([...others, step]);
    expect(modelC.replace(TRACE_BLOCK, '')).toBe(plain.files.get('model.c'));
    const run = modelC.slice(modelC.indexOf('int32_t eenn_run('));
    expect(run.indexOf(`eenn_trace_step(${step!});`)).toBeGreaterThan(run.indexOf('        return 0;\n'));
    expect(run.match(TRACE_BLOCK)).toHaveLength(1);
  });

  it('the firmware of a measuring build is compiled with EENN_TRACE_STEPS; not an intermittent one', () => {
    const target = loadTarget('cortex-m4');
    const options = { modelName: 'm', kernelSources: [], inputBytes: [40], outputBytes: [40] };
    expect(renderFirmware(target, { ...options, traceSteps: true }).get('Makefile')).toContain('-DEENN_TRACE_STEPS');
    expect(renderFirmware(target, options).get('Makefile')).not.toContain('EENN_TRACE_STEPS');
    expect(() => renderFirmware(target, { ...options, traceSteps: true, intermittent: { nvm: 'memory-mapped' } })).toThrow(/traces its tasks/);
  });
});
