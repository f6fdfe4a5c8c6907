// Bad inputs about memory on a real model and the shipped targets: a --cut that does not fit a side
// (which side, by how much) and a model that fits no split (the smallest pair of targets that would).

import { beforeAll, describe, expect, it } from 'vitest';
import { projectSizer, type CompileResult } from '../../src/compile.js';
import { branchySplits } from './branchy-splits.js';
import { chooseCut, evaluateCuts } from '../../src/devices/cost-model.js';
import { resolveCut } from '../../src/devices/cuts.js';
import { sideMemory, smallestFittingPair, type ProjectSizer } from '../../src/devices/memory.js';
import { resolveDeviceOptions } from '../../src/devices/options.js';
import type { CostInputs, CutEvaluation, DeviceOptions, SplitGraphs } from '../../src/devices/types.js';
import { decisionSteps } from '../../src/schedule/exits.js';
import { EennError } from '../../src/ir/diagnostics.js';

/** Instructions of every step (the fit does not depend on them). */
const STEP_INSTRUCTIONS = 1000;

/** The sizes compile.ts's fit check works from. */
const sizer: ProjectSizer = projectSizer('float32');

function errorOf(work: () => unknown): EennError {
  try {
    work();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('a float32 Fashion-MNIST exits model (412 KB of weights) on small devices', () => {
  let whole: CompileResult;
  let splits: SplitGraphs[];
  beforeAll(async () => {
    ({ whole, splits } = await branchySplits());
  }, 60_000);

  /** Every cut evaluated for `options`. */
  function evaluate(options: DeviceOptions): CutEvaluation[] {
    const steps = whole.plan.steps;
    const [node, gateway] = options.devices;
    const inputs: CostInputs = {
      stepNames: steps.map((s) => s.nodes[0]!.name),
      stepInstructions: Object.fromEntries(options.devices.map((d) => [d.name, steps.map(() => STEP_INSTRUCTIONS)])),
      exitProbabilities: [0.2, 0.3, 0.5],
      exitSteps: [...decisionSteps(whole.graph, steps), steps.length - 1],
    };
    const memory = (cut: { position: number }) => {
      const split = splits.find((s) => s.cut.position === cut.position)!;
      return { node: sideMemory(split, 'node', node!.target, sizer), gateway: sideMemory(split, 'gateway', gateway!.target, sizer) };
    };
    return evaluateCuts(
      splits.map((s) => s.cut),
      memory,
      inputs,
      options.devices,
      options.link,
    );
  }

  it('refuses a --cut that does not fit, naming the side and the bytes over', () => {
    const options = resolveDeviceOptions({
      devices: 'node=cortex-m0plus,gateway=cortex-m7',
      link: 'uart:115200',
      cut: String(whole.plan.steps.length),
    })!;
    const evaluations = evaluate(options);
    const forced = resolveCut(
      options.cut!,
      splits.map((s) => s.cut),
      whole.plan.steps.map((s) => s.nodes[0]!.name),
    );
    const err = errorOf(() => chooseCut(evaluations, options.objective, forced));
    expect(err.code).toBe('E_TARGET');
    const flash = whole.report.memory.flash_bytes;
    const over = flash - 256 * 1024;
    expect(err.message).toBe(
      `--cut ${forced.position} (all on node) does not fit: node (cortex-m0plus) flash ${flash.toLocaleString('en-US')} B of 262,144 B: ${over.toLocaleString('en-US')} B over`,
    );
    expect(err.hint).toContain('give a cut that fits');
    // Unforced, a cut that shares the model fits both.
    const chosen = chooseCut(evaluations, options.objective);
    expect(chosen.fits).toBe(true);
    expect(chosen.node.flashBytes).toBeLessThanOrEqual(256 * 1024);
  }, 60_000);

  it('names the smallest pair of targets when no split fits', () => {
    const options = resolveDeviceOptions({ devices: 'node=cortex-m0plus,gateway=cortex-m0plus', link: 'uart:115200' })!;
    const evaluations = evaluate(options);
    expect(evaluations.some((e) => e.fits)).toBe(false);
    const err = errorOf(() => chooseCut(evaluations, options.objective, undefined, () => smallestFittingPair(splits, sizer)));
    expect(err.code).toBe('E_TARGET');
    expect(err.message).toBe('the model fits no split between node (cortex-m0plus) and gateway (cortex-m0plus)');
    expect(err.details).toHaveLength(evaluations.length);
    expect(err.hint).toBe('the smallest pair of targets on which a split fits: --devices node=cortex-m0plus,gateway=cortex-m3');
  }, 60_000);
});
