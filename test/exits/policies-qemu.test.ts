// The margin and entropy decisions in firmware: the small branchy model built for cortex-m0plus (no 64-bit
// multiply: the uint64 comparisons go through libgcc) and cortex-m55, run in QEMU, takes on every sample the exit
// the int8 reference takes, on logits and on softmax outputs.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { int8ReferenceRun } from '../../src/exit-reference.js';
import { attachExits, type ResolvedExits } from '../../src/exits/index.js';
import type { ExitPolicy } from '../../src/ir/exits.js';
import type { Graph } from '../../src/ir/graph.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runGraphSamples } from '../../src/run-graph.js';
import { loadTarget } from '../../src/target/target.js';
import { randomFloats } from '../frontend/build-graph.js';
import { branchy, EXITS, SHAPE, SIZE } from './branchy-model.js';

const work = mkdtempSync(join(tmpdir(), 'eennc-exit-policies-'));
const samples = Array.from({ length: 24 }, (_, i) => randomFloats(SIZE, 300 + i).map((v) => v * 2));

function inputsOf(graph: Graph): Record<string, Value>[] {
  const { scale, zeroPoint } = scaleZeroOf(graph.tensors.get('x')!);
  return samples.map((data) => ({ x: { shape: SHAPE, dtype: 'int8', data: Int8Array.from(data, (v) => quantizeF32S8(v, scale, zeroPoint)) } }));
}

/** The int8 model with `policy` at one threshold for both early exits, the one of a grid that spreads the exits most. */
async function splitModel(softmax: boolean, policy: ExitPolicy): Promise<{ graph: Graph; inputs: Record<string, Value>[] }> {
  const float = branchy({ softmax });
  const int8 = quantizeGraph(float, { ranges: await calibrate(float, samples, { method: 'minmax', workers: 1 }) });
  const inputs = inputsOf(int8);
  let best: { graph: Graph; spread: number } | undefined;
  for (let t = 0.05; t < 1; t += 0.05) {
    const resolved: ResolvedExits = { outputs: EXITS, policy, thresholds: [t, t], source: 'option' };
    const graph = attachExits(int8, resolved);
    const counts = [0, 0, 0];
    for (const sample of inputs) counts[int8ReferenceRun(graph, sample).exit]!++;
    // The most exits taken, then the most samples at the least taken one.
    const taken = counts.filter((c) => c > 0);
    const spread = taken.length * samples.length + Math.min(...taken);
    if (!best || spread > best.spread) best = { graph, spread };
  }
  return { graph: best!.graph, inputs };
}

const CASES: { softmax: boolean; policy: ExitPolicy; target: string }[] = [
  { softmax: false, policy: 'margin', target: 'cortex-m0plus' },
  { softmax: false, policy: 'entropy', target: 'cortex-m0plus' },
  { softmax: true, policy: 'entropy', target: 'cortex-m0plus' },
  { softmax: true, policy: 'margin', target: 'cortex-m55' },
];

describe('margin and entropy decisions in QEMU', () => {
  for (const { softmax, policy, target } of CASES) {
    it(`${policy} on ${softmax ? 'softmax outputs' : 'logits'}, ${target}: the int8 reference's exit on every sample`, async () => {
      const { graph, inputs } = await splitModel(softmax, policy);
      const run = await runGraphSamples(graph, inputs, loadTarget(target), join(work, `${policy}-${softmax}-${target}`), { precision: 'int8' });
      expect(run.emitted.files.get('model.c')).toContain(`eenn_exit_${policy}${softmax ? '_probs' : ''}_s8(`);
      const exits = run.samples.map((got, s) => {
        expect(got.exit, `sample ${s}`).toBe(int8ReferenceRun(graph, inputs[s]!).exit);
        return got.exit;
      });
      expect(new Set(exits).size).toBeGreaterThan(1);
    }, 300_000);
  }
});
