// Early exits through the `eennc` command: bad exits, thresholds and policies are refused with a message naming
// what is wrong, and nothing is written; a multi-exit int8 model on cortex-m4 takes the int8 reference's exits with
// the same output bits (test --json), reports only the taken exit's output and what each sample cost (run --json),
// every output and "final" with --no-exits, and build's report gives the per-exit table.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eennc, type CliResult } from './cli-helpers.js';
import { EXIT_NAMES, writeExitModel } from './exits-model.js';
import { DEFAULT_EXIT_THRESHOLDS } from '../../src/exits/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'eennc-cli-exits-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const files = writeExitModel(scratch);

/** Thresholds under which some of the 16 samples leave at exit0, some at exit1 and some run to the end. */
const MIXED = ['--exit-threshold', '0.6,0.87'];

/** The usage error of a refused command: status 2, the message on stderr naming `what`, and the -o folder absent. */
function expectRefused(result: CliResult, out: string, ...what: string[]): void {
  expect(result.exitCode, result.stderr).toBe(2);
  for (const text of what) expect(result.stderr).toContain(text);
  expect(result.stderr).toMatch(/hint: \S/);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(existsSync(out)).toBe(false);
}

describe('bad exits on the command line', () => {
  it('an exit that is not an output of the model', async () => {
    const out = join(scratch, 'not-an-output');
    const r = await eennc('build', files.model, '--precision', 'float32', '--no-link', '--exits', 'exit0,nope,final', '-o', out);
    expectRefused(r, out, '"nope"', 'not an output', 'exit0, exit1, final');
  });

  it('exits whose shapes differ', async () => {
    const out = join(scratch, 'shapes');
    const r = await eennc('build', files.withBad, '--precision', 'float32', '--no-link', '--exits', 'exit0,bad,final', '-o', out);
    expectRefused(r, out, 'shapes differ', '"bad"', '[1, 4]');
  });

  it('a threshold outside (0, 1], and one count of thresholds too many', async () => {
    const out = join(scratch, 'threshold');
    expectRefused(
      await eennc('build', files.model, '--precision', 'float32', '--no-link', '--exit-threshold', '1.5', '-o', out),
      out,
      '--exit-threshold',
      '1.5',
      '(0, 1]',
    );
    expectRefused(
      await eennc('build', files.model, '--precision', 'float32', '--no-link', '--exit-threshold', '0', '-o', out),
      out,
      '--exit-threshold',
      '(0, 1]',
    );
    expectRefused(
      await eennc('build', files.model, '--precision', 'float32', '--no-link', '--exit-threshold', '0.9,0.8,0.7', '-o', out),
      out,
      '--exit-threshold',
      '3 thresholds for 2 early exits',
    );
  });

  it('a policy that does not exist, and a threshold that is no number', async () => {
    const out = join(scratch, 'policy');
    expectRefused(
      await eennc('build', files.model, '--exit-policy', 'softmax', '-o', out),
      out,
      '--exit-policy',
      '"softmax"',
      'max-softmax, margin or entropy',
    );
    expectRefused(await eennc('run', files.model, '--input', files.data, '--exit-threshold', 'high', '-o', out), out, '--exit-threshold', '"high"');
  });
});

describe('choosing the exits', () => {
  it('--exits and --exit-policy choose the exits, their order and their rule; the report lists them', async () => {
    const out = join(scratch, 'chosen');
    const r = await eennc(
      'build',
      files.model,
      '--precision',
      'float32',
      '--no-link',
      '--exits',
      'exit1,final',
      '--exit-policy',
      'margin',
      '-o',
      out,
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      exits: { name: string; threshold: number | null; policy: string; share: number | null }[];
      exits_expected: unknown;
    };
    expect(doc.exits.map((e) => [e.name, e.threshold, e.policy, e.share])).toEqual([
      ['exit1', DEFAULT_EXIT_THRESHOLDS.margin, 'margin', null],
      ['final', null, 'margin', null],
    ]);
    expect(doc.exits_expected).toBeNull(); // no inputs run: no shares, no expected cost
  });
});

interface SampleJson {
  outputs: Record<string, number[]>;
  exit: string;
  instructions: number | null;
}

describe('a multi-exit int8 model on cortex-m4', () => {
  const int8 = ['--target', 'cortex-m4', '--calib', files.data];

  it('test --json: every sample takes the int8 reference exit with the same bits; only that output, at its cost', async () => {
    const r = await eennc('test', files.model, ...int8, '--data', files.data, ...MIXED, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      pass: boolean;
      exits: string[];
      samples: SampleJson[];
      comparisons: { exit: string; reference_exit: string; mismatches: number }[];
    };
    expect(doc.pass).toBe(true);
    expect(doc.exits).toEqual(EXIT_NAMES);
    expect(doc.samples).toHaveLength(16);
    for (const c of doc.comparisons) {
      expect(c.exit).toBe(c.reference_exit);
      expect(c.mismatches).toBe(0);
    }
    const taken = doc.samples.map((s) => s.exit);
    // Each sample reports the output of its exit, and no other.
    doc.samples.forEach((s) => {
      expect(Object.keys(s.outputs)).toEqual([s.exit]);
      expect(s.outputs[s.exit]).toHaveLength(10);
    });
    expect(new Set(taken).size, taken.join(' ')).toBeGreaterThanOrEqual(2);
    expect(taken).toContain('final');
    // A sample costs what it ran: every early exit below every sample that ran to the end.
    const cost = (exit: string) => doc.samples.filter((s) => s.exit === exit).map((s) => s.instructions!);
    const early = EXIT_NAMES.slice(0, -1).flatMap(cost);
    expect(early.length).toBeGreaterThan(0);
    expect(Math.max(...early)).toBeLessThan(Math.min(...cost('final')));
  });

  it('run --json --no-exits: every layer runs, every output is given, and the exit is "final"', async () => {
    const r = await eennc('run', files.model, ...int8, '--input', files.data, '--count', '3', '--no-exits', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { exits?: string[]; samples: SampleJson[] };
    expect(doc.exits).toBeUndefined();
    expect(doc.samples).toHaveLength(3);
    for (const s of doc.samples) {
      expect(s.exit).toBe('final');
      expect(Object.keys(s.outputs).sort()).toEqual([...EXIT_NAMES].sort());
    }
  });

  it('accuracy --json --target: top-1 with and without the exits, and the table with measured instructions', async () => {
    const r = await eennc(
      'accuracy',
      files.model,
      '--calib',
      files.data,
      '--data',
      files.data,
      '--labels',
      files.labels,
      ...MIXED,
      '--target',
      'cortex-m4',
      '--json',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      no_exits: { float_top1: number; int8_top1: number };
      exits: { name: string; instructions: number | null; share: number; accuracy: number | null; sqnr_db: number }[];
      exits_expected: { instructions: number; no_exits_instructions: number; top1: number; no_exits_top1: number };
    };
    expect(doc.exits.map((e) => e.name)).toEqual(EXIT_NAMES);
    for (const e of doc.exits) {
      expect(e.instructions).toBeGreaterThan(0);
      expect(e.sqnr_db).toBeGreaterThan(20);
    }
    expect(doc.exits_expected.instructions).toBeLessThan(doc.exits_expected.no_exits_instructions);
    expect(doc.exits_expected.no_exits_top1).toBe(doc.no_exits.int8_top1);
  });

  it('build --json: the per-exit table with cumulative MACs and instructions, shares and the expected cost', async () => {
    const out = join(scratch, 'build');
    const r = await eennc('build', files.model, ...int8, ...MIXED, '-o', out, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    interface Row {
      name: string;
      threshold: number | null;
      macs: number;
      instructions: number | null;
      share: number;
    }
    const doc = JSON.parse(r.stdout) as {
      exits: Row[];
      exits_expected: { instructions: number; no_exits_instructions: number; macs: number; no_exits_macs: number };
    };
    expect(doc.exits.map((e) => [e.name, e.threshold])).toEqual([
      ['exit0', 0.6],
      ['exit1', 0.87],
      ['final', null],
    ]);
    for (let e = 1; e < doc.exits.length; e++) {
      expect(doc.exits[e]!.macs).toBeGreaterThan(doc.exits[e - 1]!.macs);
      expect(doc.exits[e]!.instructions!).toBeGreaterThan(doc.exits[e - 1]!.instructions!);
    }
    expect(doc.exits.reduce((sum, e) => sum + e.share, 0)).toBeCloseTo(1, 12);
    const x = doc.exits_expected;
    expect(x.instructions).toBeLessThan(x.no_exits_instructions);
    expect(x.macs).toBeLessThan(x.no_exits_macs);
    // Running to the end costs the layers of --no-exits plus the decisions: a little more, never less.
    const last = doc.exits.at(-1)!.instructions!;
    expect(last).toBeGreaterThanOrEqual(x.no_exits_instructions);
    expect(last).toBeLessThan(x.no_exits_instructions * 1.01);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
