// The build's warnings about tensors that int8 ruins: each step whose int8 output has an SQNR against the float
// model below LOW_SQNR_DB (measured on calibration samples by src/profile-steps.ts addStepErrors) is named, with
// what to do. Printed on stderr by build, run and test, and kept in report.json.

import { INT16_MAC_BUDGET } from './int16-selection.js';
import type { StepReport } from './report/layer-table.js';
import type { MemoryPlan } from './schedule/memory-plan.js';

/**
 * Below this SQNR (dB) a tensor's int8 error is too large for the model's answers to be trusted: 20 dB is a noise
 * power one hundredth of the signal's; healthy int8 layers measure 30-40 dB.
 */
export const LOW_SQNR_DB = 20;

/** The int8 operators whose output --int16-layers can hold as int16. */
const WIDENABLE_OPS: ReadonlySet<string> = new Set(['QConv', 'QGemm']);

/**
 * One warning per step of `plan` whose output SQNR in `steps` (filled by addStepErrors over `samples` calibration
 * samples) is below LOW_SQNR_DB, naming the tensor, the node that writes it and its SQNR; none where none is low.
 */
export function lowSqnrWarnings(steps: readonly StepReport[], plan: MemoryPlan, samples: number): string[] {
  const warnings: string[] = [];
  for (const step of plan.steps) {
    const row = steps.find((s) => s.index === step.index);
    const db = row?.sqnr_db;
    if (row === undefined || db === undefined || db === null || db >= LOW_SQNR_DB) continue;
    const last = step.nodes.at(-1)!;
    warnings.push(
      `int8 ruins tensor "${last.outputs[0]}" (written by node "${last.name}"): its SQNR against the float model is ` +
        `${db.toFixed(1)} dB over ${samples} calibration sample${samples === 1 ? '' : 's'}, below ${LOW_SQNR_DB} dB; ` +
        (WIDENABLE_OPS.has(last.op)
          ? `--int16-layers ${JSON.stringify(last.name)} holds it in int16 (--int16-layers auto keeps to a budget of ` +
            `${Math.round(INT16_MAC_BUDGET * 100)}% of the MACs), or build with --precision float32`
          : 'build with --precision float32 if the outputs suffer (eennc accuracy measures the loss)'),
    );
  }
  return warnings;
}
