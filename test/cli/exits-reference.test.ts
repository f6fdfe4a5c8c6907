// The references with exits (src/exit-reference.ts) as run and test use them: the exit a run takes, the output that
// answers with and without exits, and when a float32 decision sits at its threshold (where expf's last bit on the
// target may tip it, which `test` then says).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importWithOwnQuantization } from '../../src/compile.js';
import { answeringOutput, decidedAtThreshold, exitName, finalOutput, floatReferenceRun, type ReferenceRun } from '../../src/exit-reference.js';
import { attachExits, resolveExits } from '../../src/exits/index.js';
import { EXIT_MODEL_SHAPE, writeExitModel } from './exits-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'eennc-exit-reference-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const files = writeExitModel(scratch, 1);
const { graph } = importWithOwnQuantization(files.model);

/** The float graph with exits exit0, exit1 (thresholds `t`) and final. */
function attached(t: number[]) {
  return attachExits(graph, resolveExits(graph, { thresholds: t }, [])!);
}

/** A run whose exit0 decided on these logits. */
function runWith(logits: number[]): ReferenceRun {
  return { outputs: {}, exit: 0, decisions: { exit0: { shape: [1, logits.length], dtype: 'float32', data: Float32Array.from(logits) } } };
}

describe('the references with exits', () => {
  it('names the exit taken and the output that answers; without exits, "final" and the final classifier', () => {
    const g = attached([1e-6, 1e-6]); // every sample leaves at the first exit
    const run = floatReferenceRun(g, { x: { shape: EXIT_MODEL_SHAPE, dtype: 'float32', data: new Float32Array(144).fill(0.5) } });
    expect([run.exit, exitName(g, run.exit), answeringOutput(g, run.exit)]).toEqual([0, 'exit0', 'exit0']);
    expect(Object.keys(run.decisions)).toContain('exit0');
    expect(exitName(graph, 0)).toBe('final');
    expect(finalOutput(graph)).toBe('exit0'); // no exits resolved: the first output
    expect(finalOutput(graph, { disabled: true })).toBe('final'); // --no-exits: the final classifier of the exits it turned off
  });

  it('a float decision at its threshold is told apart from one clear of it', () => {
    // Ten equal logits: the largest softmax probability is 0.1 exactly.
    const even = runWith(new Array<number>(10).fill(0));
    expect(decidedAtThreshold(attached([0.1, 0.9]), 0, even)).toBe(true);
    expect(decidedAtThreshold(attached([0.5, 0.9]), 0, even)).toBe(false);
    const sure = runWith([8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(decidedAtThreshold(attached([0.5, 0.9]), 0, sure)).toBe(false);
  });
});
