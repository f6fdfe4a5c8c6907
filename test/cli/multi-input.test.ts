// Models of several inputs and of integer inputs through the command line: `--input name=file` (or one file per input
// in the model's order) in run, test and accuracy, `--calib` per input for int8, the outputs of every input written
// and listed with their dtype, and the errors of files that do not fit the inputs.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/data/index.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';
import { eennc } from './cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-multi-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = 6;
const WIDTH = 8;
const CLASSES = 4;
const weights = randomFloats(CLASSES * WIDTH, 3);
const bias = randomFloats(CLASSES, 4);
const aValues = randomFloats(SAMPLES * WIDTH, 7);
const bValues = randomFloats(SAMPLES * WIDTH, 8);

/** y = Gemm(a + b): a sensor pair feeding one classifier. */
const MODEL = join(dir, 'two_inputs.onnx');
writeFileSync(
  MODEL,
  encodeGraph(
    buildGraph({
      inputs: { a: ['float32', [1, WIDTH]], b: ['float32', [1, WIDTH]] },
      constants: { w: ['float32', [CLASSES, WIDTH], weights], c: ['float32', [CLASSES], bias] },
      nodes: [
        ['Add', ['a', 'b'], ['sum']],
        ['Gemm', ['sum', 'w', 'c'], ['y'], { transB: 1 }],
      ],
      outputs: ['y'],
    }),
  ),
);
const A = join(dir, 'a.npy');
const B = join(dir, 'b.npy');
const B_SHORT = join(dir, 'b_short.npy');
const LABELS = join(dir, 'labels.npy');
writeNpy(A, [SAMPLES, WIDTH], aValues);
writeNpy(B, [SAMPLES, WIDTH], bValues);
writeNpy(B_SHORT, [SAMPLES - 2, WIDTH], bValues.slice(0, (SAMPLES - 2) * WIDTH));

/** The model computed here in float64: sample s's outputs. */
function expected(s: number): number[] {
  return Array.from({ length: CLASSES }, (_, k) => {
    let acc = bias[k]!;
    for (let i = 0; i < WIDTH; i++) acc += (aValues[s * WIDTH + i]! + bValues[s * WIDTH + i]!) * weights[k * WIDTH + i]!;
    return acc;
  });
}
const argmax = (v: number[]) => v.indexOf(Math.max(...v));
writeNpy(
  LABELS,
  [SAMPLES],
  Int32Array.from({ length: SAMPLES }, (_, s) => argmax(expected(s))),
);

/** An embedding lookup: int64 token ids in; each id's float row and the int64 index of its largest value out. */
const EMBED = join(dir, 'embed.onnx');
const TABLE = randomFloats(6 * 4, 5);
const embedGraph = buildGraph({
  inputs: { ids: ['int64', [1, 3]] },
  constants: { table: ['float32', [6, 4], TABLE] },
  nodes: [
    ['Gather', ['table', 'ids'], ['rows'], { axis: 0 }],
    ['ArgMax', ['rows'], ['best'], { axis: 2, keepdims: 0 }],
  ],
  outputs: ['rows', 'best'],
});
embedGraph.tensors.set('best', { name: 'best', dtype: 'int64', shape: [1, 3] });
writeFileSync(EMBED, encodeGraph(embedGraph));
const IDS = join(dir, 'ids.npy');
const ID_VALUES = [0, 5, 2, 4, 4, 1];
writeNpy(IDS, [2, 3], Float64Array.from(ID_VALUES), 'int64');
const HALF_IDS = join(dir, 'half_ids.npy');
writeNpy(HALF_IDS, [1, 3], Float32Array.of(0, 2.5, 1));

interface RunJson {
  precision: string;
  samples: { outputs: Record<string, number[]>; output_dtypes: Record<string, string> }[];
}

describe('eennc run, test and accuracy with a model of two inputs', () => {
  it('run on host: name=file and files in input order give the same outputs, those of the model', async () => {
    const out = join(dir, 'out') + '/';
    const [named, positional] = await Promise.all([
      eennc('run', MODEL, '--target', 'host', '--precision', 'float32', '--input', `b=${B}`, '--input', `a=${A}`, '--output', out, '--json'),
      eennc('run', MODEL, '--target', 'host', '--precision', 'float32', '--input', A, '--input', B, '--json'),
    ]);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(positional.exitCode, positional.stderr).toBe(0);
    const json = JSON.parse(named.stdout) as RunJson;
    expect(json.samples).toHaveLength(SAMPLES);
    expect(JSON.parse(positional.stdout)).toEqual(json);
    json.samples.forEach((sample, s) => {
      expect(sample.output_dtypes).toEqual({ y: 'float32' });
      sample.outputs['y']!.forEach((v, k) => expect(v).toBeCloseTo(expected(s)[k]!, 5));
    });
    // --output DIR/: every output as DIR/NAME.npy, [N, ...output] in its own dtype.
    const written = readNpy(join(out, 'y.npy'));
    expect(written.shape).toEqual([SAMPLES, CLASSES]);
    expect(written.dtype).toBe('float32');
    expect(Array.from(written.data)).toEqual(json.samples.flatMap((s) => s.outputs['y']!));
  });

  it('test on host and on cortex-m4 (float32) passes against the reference, and int8 with a --calib file per input bit for bit', async () => {
    const [host, m4, int8] = await Promise.all([
      eennc('test', MODEL, '--target', 'host', '--precision', 'float32', '--data', A, '--data', B, '--json'),
      eennc('test', MODEL, '--target', 'cortex-m4', '--precision', 'float32', '--data', `a=${A}`, '--data', `b=${B}`, '--json'),
      eennc('test', MODEL, '--target', 'cortex-m4', '--calib', `a=${A}`, '--calib', `b=${B}`, '--data', A, '--data', B, '--json'),
    ]);
    for (const r of [host, m4, int8]) {
      expect(r.exitCode, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { pass: boolean; comparisons: unknown[] };
      expect(json.pass).toBe(true);
      expect(json.comparisons).toHaveLength(SAMPLES);
    }
    const m4Json = JSON.parse(m4.stdout) as { comparisons: { max_abs_error: number }[] };
    for (const c of m4Json.comparisons) expect(c.max_abs_error).toBeLessThan(1e-5);
    const int8Json = JSON.parse(int8.stdout) as { precision: string; comparisons: { mismatches: number }[] };
    expect(int8Json.precision).toBe('int8');
    for (const c of int8Json.comparisons) expect(c.mismatches).toBe(0);
  });

  it('test without --data makes up random samples for every float input', async () => {
    const r = await eennc('test', MODEL, '--target', 'host', '--precision', 'float32');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('4 passed, 0 failed');
  });

  it('accuracy reads a --data and a --calib file per input', async () => {
    const r = await eennc('accuracy', MODEL, '--calib', A, '--calib', B, '--data', `a=${A}`, '--data', `b=${B}`, '--labels', LABELS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { samples: number; float_top1: number; int8_top1: number };
    expect(json.samples).toBe(SAMPLES);
    expect(json.float_top1).toBe(1);
  });
});

describe('eennc run and test with int64 ids in and an int64 output', () => {
  it('run on host: rows as float32, the argmax as int64, in --json and in --output DIR/', async () => {
    const out = join(dir, 'embed-out') + '/';
    const r = await eennc('run', EMBED, '--target', 'host', '--precision', 'float32', '--input', `ids=${IDS}`, '--output', out, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as RunJson;
    const rowOf = (id: number) => Array.from(TABLE.subarray(id * 4, id * 4 + 4));
    json.samples.forEach((sample, s) => {
      const ids = ID_VALUES.slice(s * 3, s * 3 + 3);
      expect(sample.output_dtypes).toEqual({ rows: 'float32', best: 'int64' });
      expect(sample.outputs['rows']).toEqual(ids.flatMap(rowOf));
      expect(sample.outputs['best']).toEqual(ids.map((id) => rowOf(id).indexOf(Math.max(...rowOf(id)))));
    });
    const best = readNpy(join(out, 'best.npy'));
    expect(best.dtype).toBe('int64');
    expect(best.shape).toEqual([2, 3]);
    expect(Array.from(best.data)).toEqual(json.samples.flatMap((s) => s.outputs['best']!));
    expect(readNpy(join(out, 'rows.npy')).shape).toEqual([2, 3, 4]);
  });

  it('test on host: every output equals the reference (the int64 one exactly)', async () => {
    const r = await eennc('test', EMBED, '--target', 'host', '--precision', 'float32', '--data', IDS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 passed, 0 failed');
  });
});

describe('eennc run with float64, bool and uint8 inputs', () => {
  const TYPED = join(dir, 'typed.onnx');
  const typed = buildGraph({
    inputs: { d: ['float64', [1, 3]], m: ['bool', [1, 3]], u: ['uint8', [1, 3]] },
    nodes: [
      ['Cast', ['u'], ['uf'], { to: 11 }],
      ['Add', ['d', 'uf'], ['s']],
      ['Not', ['m'], ['n']],
    ],
    outputs: ['s', 'n'],
  });
  for (const [name, dtype] of [
    ['uf', 'float64'],
    ['s', 'float64'],
    ['n', 'bool'],
  ] as const)
    typed.tensors.set(name, { name, dtype, shape: [1, 3] });
  writeFileSync(TYPED, encodeGraph(typed));
  const D = join(dir, 'd.npy');
  const M = join(dir, 'm.npy');
  const U = join(dir, 'u.npy');
  writeNpy(D, [2, 3], Float64Array.of(0.1, 0.2, 0.3, 1e-300, 2, 3));
  writeNpy(M, [2, 3], Uint8Array.of(1, 0, 1, 0, 0, 1), 'bool');
  writeNpy(U, [2, 3], Uint8Array.of(255, 0, 7, 1, 2, 3));

  it('feeds each input in its own type and writes each output in its own (float64 as <f8, bool as |b1)', async () => {
    const out = join(dir, 'typed-out') + '/';
    const r = await eennc(
      'run',
      TYPED,
      '--target',
      'host',
      '--precision',
      'float32',
      '--input',
      `u=${U}`,
      '--input',
      `d=${D}`,
      '--input',
      `m=${M}`,
      '--output',
      out,
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as RunJson;
    expect(json.samples.map((s) => s.output_dtypes)).toEqual([
      { s: 'float64', n: 'bool' },
      { s: 'float64', n: 'bool' },
    ]);
    // float64 arithmetic: 0.1 + 255 and 1e-300 + 1 as doubles, not rounded through float32.
    expect(json.samples.map((s) => s.outputs['s'])).toEqual([
      [0.1 + 255, 0.2, 0.3 + 7],
      [1e-300 + 1, 4, 6],
    ]);
    expect(readNpy(join(out, 's.npy'))).toEqual({ shape: [2, 3], dtype: 'float64', data: Float64Array.of(0.1 + 255, 0.2, 0.3 + 7, 1, 4, 6) });
    expect(readNpy(join(out, 'n.npy'))).toEqual({ shape: [2, 3], dtype: 'bool', data: Uint8Array.of(0, 1, 0, 1, 1, 0) });
  });
});

describe('files that do not fit the inputs', () => {
  const run = (...args: string[]) => eennc('run', MODEL, '--target', 'host', '--precision', 'float32', ...args);

  it('a missing input, a name that is no input, too many files: E_USAGE naming the inputs', async () => {
    const [missing, unknown, many] = await Promise.all([
      run('--input', A),
      run('--input', `a=${A}`, '--input', `c=${B}`),
      run('--input', A, '--input', B, '--input', B),
    ]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('no --input file for model input "b" [1, 8] float32');
    expect(missing.stderr).toContain('--input a=a.npy --input b=b.npy');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('the model has no input "c"; its inputs are "a" [1, 8] float32, "b" [1, 8] float32');
    expect(many.stderr).toContain('3 files for --input, but the model has 2 inputs');
  });

  it('--devices (the node reads the one input) refuses a model of two inputs before the build', async () => {
    const r = await eennc('run', MODEL, '--devices', 'node=cortex-m0plus,gateway=cortex-m7', '--link', 'uart:115200', '--input', A, '--input', B);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--devices runs models of one input');
  });

  it('int8 calibrates every input: a --calib file missing for one is E_USAGE', async () => {
    const r = await eennc('run', MODEL, '--target', 'host', '--calib', A, '--input', A, '--input', B);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no --calib file for model input "b" [1, 8] float32');
  });

  it('files of different sample counts: E_DATA naming each file, its input and its count', async () => {
    const r = await run('--input', A, '--input', B_SHORT);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${A} (input "a") ${SAMPLES}, ${B_SHORT} (input "b") ${SAMPLES - 2}`);
    expect(r.stderr).toContain('--count');
  });

  it('float values for int64 ids: E_DATA unless every value is whole; no random samples for integer inputs', async () => {
    const [half, random] = await Promise.all([
      eennc('run', EMBED, '--target', 'host', '--precision', 'float32', '--input', HALF_IDS),
      eennc('test', EMBED, '--target', 'host', '--precision', 'float32'),
    ]);
    expect(half.stderr).toContain('model input "ids" is int64, but sample 0 (counting from 0) of this float32 data holds 2.5');
    expect(random.stderr).toContain('without --data, eennc makes up random float samples');
    expect(random.stderr).toContain('--data ids=ids.npy');
  });
});
