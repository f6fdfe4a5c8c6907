// `eennc accuracy` with early exits, as a library (src/evaluate.ts, src/measure-exits.ts): each reference takes its
// exits, the int8 exits are those the exit table counts, top-1 with --no-exits is the final classifier's, and each
// exit's int8 output is close to its float output.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importWithOwnQuantization, quantizeModel } from '../../src/compile.js';
import { readSamples } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/evaluate.js';
import { finalOutput } from '../../src/exit-reference.js';
import { attachExits, resolveExits } from '../../src/exits/index.js';
import { exitsTaken, exitTableOf } from '../../src/measure-exits.js';
import { EXIT_MODEL_SHAPE, EXIT_NAMES, writeExitModel } from './exits-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'eennc-exits-accuracy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('accuracy with early exits', () => {
  it('top-1 taking the exits and with --no-exits, the exits each reference takes, and the SQNR of each exit', async () => {
    const files = writeExitModel(scratch, 24);
    const { graph } = importWithOwnQuantization(files.model);
    const quantized = await quantizeModel(graph, { model: files.model, calibration: { path: files.data, method: 'minmax' } });
    const exits = resolveExits(graph, { thresholds: [0.6, 0.87] }, [])!;
    const floatGraph = attachExits(graph, exits);
    const int8Graph = attachExits(quantized, exits);
    const size = EXIT_MODEL_SHAPE.reduce((a, b) => a * b, 1);
    const read = readSamples(files.data, EXIT_MODEL_SHAPE, {});
    const samples = Array.from({ length: read.count }, (_, i) => read.data.slice(i * size, (i + 1) * size));
    const labels = Int32Array.from(samples, (_, i) => (i * 7) % 10);

    const report = evaluateAccuracy(floatGraph, int8Graph, samples, labels, { sqnrSamples: 4 });
    const x = report.exits!;
    expect(x.names).toEqual(EXIT_NAMES);
    // The int8 exits are the ones the per-exit table counts; the thresholds send samples to more than one exit.
    const reference = exitsTaken(int8Graph, samples, labels);
    expect(x.int8.taken).toEqual(reference.taken);
    expect(x.int8.correct).toEqual(reference.correct);
    expect(new Set(x.int8.taken).size).toBeGreaterThanOrEqual(2);
    expect(report.int8Top1).toBeCloseTo(x.int8.correct.filter(Boolean).length / samples.length, 12);
    const table = exitTableOf(int8Graph, { taken: x.int8.taken, correct: x.int8.correct, finalCorrect: x.int8.finalCorrect });
    expect(table.exits.reduce((sum, e) => sum + e.share!, 0)).toBeCloseTo(1, 12);
    expect(table.expected!.macs).toBeLessThan(table.expected!.no_exits_macs);

    // --no-exits: the final classifier answers, every layer run.
    const output = finalOutput(graph, { disabled: true });
    expect(output).toBe('final');
    const plain = evaluateAccuracy(graph, quantized, samples, labels, { sqnrSamples: 1, output });
    expect(plain.exits).toBeUndefined();
    expect([plain.floatTop1, plain.int8Top1]).toEqual([x.floatNoExitsTop1, x.int8NoExitsTop1]);

    for (const db of x.sqnrDb) expect(db).toBeGreaterThan(20);
  });
});
