// `eennc augment` end to end on a tiny CNN (costs in MACs: no emulator): the model it writes opens in onnxruntime
// with the heads as outputs, carries its exits in metadata_props for `eennc build`, is the same for the same
// --seed, and bad input is refused with nothing written.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/data/index.js';
import { importModel } from '../../src/frontend/index.js';
import { eennc } from './cli-helpers.js';
import { TINY_CLASSES, TINY_SHAPE, writeTinyCnn } from './augment-model.js';

let dir: string;
let files: ReturnType<typeof writeTinyCnn>;
let out: string;
let first: { exitCode: number; stdout: string; stderr: string };

const augment = (output: string, ...more: string[]) =>
  eennc('augment', files.model, '--calib', files.data, '--labels', files.labels, '--cost', 'macs', '--max-accuracy-drop', '5', '-o', output, ...more);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eennc-augment-'));
  files = writeTinyCnn(dir);
  out = join(dir, 'tiny-exits.onnx');
  first = await augment(out, '--seed', '3');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eennc augment', () => {
  it('writes the model with exits and its exit table', () => {
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/augment: extracting features/);
    expect(first.stderr).toMatch(/augment: training \d+ heads/);
    expect(first.stdout).toMatch(/MACs [\d,.]+ (M )?against [\d,.]+ (M )?for the original model \(-\d/);
    expect(first.stdout).toMatch(/exit0: average pooling of x to \dx\d/);
    const table = JSON.parse(readFileSync(join(dir, 'tiny-exits.exits.json'), 'utf8')) as {
      exits: { name: string; threshold: number | null; macs: number; share: number }[];
      expected: { macs: number; no_exits_macs: number; samples: number };
      held_back_samples: number;
      top1_drop_points: number;
    };
    expect(table.exits.length).toBeGreaterThanOrEqual(2);
    expect(table.exits.at(-1)).toMatchObject({ name: 'scores', threshold: null });
    expect(table.exits[0]!.name).toBe('exit0');
    expect(table.exits[0]!.threshold).toBeGreaterThan(0);
    expect(table.exits[0]!.share).toBeGreaterThan(0);
    expect(table.expected.macs).toBeLessThan(table.expected.no_exits_macs);
    expect(table.expected.samples).toBe(table.held_back_samples);
    expect(table.top1_drop_points).toBeLessThanOrEqual(5);
    // The shares of every exit add up to all the held-back samples.
    expect(table.exits.reduce((s, e) => s + e.share, 0)).toBeCloseTo(1, 9);
  });

  it('states the exits in metadata_props, and onnxruntime runs the model with every head as an output', async () => {
    const graph = importModel(out).graph;
    const names = graph.metadata?.['eennc.exits']?.split(',') ?? [];
    expect(names.at(-1)).toBe('scores');
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(graph.metadata?.['eennc.exit_policy']).toMatch(/^(max-softmax|margin)$/);
    expect(graph.metadata?.['eennc.exit_thresholds']?.split(',')).toHaveLength(names.length - 1);
    const session = await InferenceSession.create(out);
    expect([...session.outputNames].sort()).toEqual([...names].sort());
    const x = new Float32Array(TINY_SHAPE.reduce((a, b) => a * b, 1)).fill(0.5);
    const results = await session.run({ x: new Tensor('float32', x, TINY_SHAPE) });
    for (const name of names) expect(results[name]!.dims).toEqual([1, TINY_CLASSES]);
  });

  it('gives the same model for the same --seed', async () => {
    const again = join(dir, 'again.onnx');
    const r = await augment(again, '--seed', '3');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(again), readFileSync(out))).toBe(0);
  });

  it('builds with the exits it wrote, with no exit flag', async () => {
    const project = join(dir, 'project');
    const r = await eennc('build', out, '--calib', files.data, '--no-link', '-o', project, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'report.json'), 'utf8')) as { exits?: { name: string }[] };
    const names = importModel(out).graph.metadata!['eennc.exits']!.split(',');
    expect(report.exits?.map((e) => e.name)).toEqual(names);
  });

  it('measures the instructions at each exit on the target (QEMU)', async () => {
    const measured = join(dir, 'measured.onnx');
    const r = await eennc(
      'augment',
      files.model,
      '--calib',
      files.data,
      '--labels',
      files.labels,
      '--max-accuracy-drop',
      '5',
      '-o',
      measured,
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const table = JSON.parse(r.stdout) as {
      cost_unit: string;
      exits: { instructions: number | null }[];
      expected: { instructions: number; no_exits_instructions: number };
      notes: string[];
    };
    expect(table.notes.join('\n')).not.toMatch(/failed/);
    expect(table.cost_unit).toBe('instructions');
    const counts = table.exits.map((e) => e.instructions!);
    expect(counts.every((n) => n > 0)).toBe(true);
    // Cumulative: each exit costs more than the one before it.
    for (let e = 1; e < counts.length; e++) expect(counts[e]!).toBeGreaterThan(counts[e - 1]!);
    expect(table.expected.instructions).toBeLessThan(table.expected.no_exits_instructions);
  });

  it('refuses to replace an existing output without --force', async () => {
    const r = await augment(out, '--json');
    expect(r.exitCode).not.toBe(0);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_FILE' });
    expect(JSON.parse(r.stdout).error.message).toMatch(/will not replace the existing file/);
  });
});

describe('eennc augment refuses bad input, writing nothing', () => {
  const refused = async (code: string, message: RegExp, args: string[]) => {
    const before = readdirSync(dir).sort();
    const r = await eennc('augment', ...args, '--cost', 'macs', '--json');
    expect(r.exitCode).not.toBe(0);
    const error = JSON.parse(r.stdout).error as { code: string; message: string };
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(readdirSync(dir).sort()).toEqual(before);
  };

  it('labels whose count differs from the calibration samples', async () => {
    const short = join(dir, 'short-labels.npy');
    writeNpy(short, [10], new Int32Array(10));
    await refused('E_DATA', /10 labels for 160 calibration samples/, [
      files.model,
      '--calib',
      files.data,
      '--labels',
      short,
      '-o',
      join(dir, 'x.onnx'),
    ]);
  });

  it('labels that are not integers', async () => {
    const floats = join(dir, 'float-labels.npy');
    writeNpy(floats, [160], new Float32Array(160));
    await refused('E_DATA', /labels must be integers/, [files.model, '--calib', files.data, '--labels', floats, '-o', join(dir, 'x.onnx')]);
  });

  it('labels outside the classes', async () => {
    const big = join(dir, 'big-labels.npy');
    writeNpy(big, [160], new Int32Array(160).fill(TINY_CLASSES));
    await refused('E_DATA', /outside the model's classes 0 to 2/, [files.model, '--calib', files.data, '--labels', big, '-o', join(dir, 'x.onnx')]);
  });

  it('a model without a classifier output', async () => {
    await refused('E_USAGE', /not the scores of a classifier/, [
      files.autoencoder,
      '--calib',
      files.data,
      '--labels',
      files.labels,
      '-o',
      join(dir, 'x.onnx'),
    ]);
  });

  it('a negative --max-accuracy-drop', async () => {
    await refused('E_USAGE', /--max-accuracy-drop must be a number that is zero or more/, [
      files.model,
      '--calib',
      files.data,
      '--labels',
      files.labels,
      '--max-accuracy-drop',
      '-1',
      '-o',
      join(dir, 'x.onnx'),
    ]);
  });

  it('a budget no exit meets, saying the closest an exit came', async () => {
    // 20 samples, each judged by heads trained on the others' folds: with no loss allowed, any exit that changes one answer is over.
    await refused(
      'E_DATA',
      /no exit head keeps top-1 within 0 points .* on the 20 held-back samples; the closest an exit came was a loss of [\d.]+ points/,
      [files.model, '--calib', files.data, '--labels', files.labels, '--count', '20', '--max-accuracy-drop', '0', '-o', join(dir, 'x.onnx')],
    );
  });

  it('an output that is the model', async () => {
    await refused('E_FILE', /over an input of this command/, [
      files.model,
      '--calib',
      files.data,
      '--labels',
      files.labels,
      '--force',
      '-o',
      files.model,
    ]);
    expect(existsSync(files.model)).toBe(true);
  });
});
