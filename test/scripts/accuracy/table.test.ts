// The accuracy bench's pure parts (scripts/accuracy/table.ts): its bars and the tables it prints.

import { describe, expect, it } from 'vitest';
import {
  COLUMNS,
  DEFAULT_BAR_POINTS,
  accuracyBars,
  formatTables,
  lossText,
  sqnrText,
  type Cell,
  type ModelRow,
} from '../../../scripts/accuracy/table.js';

const ok = (lossPoints: number, outputSqnrDb: number | null = 30): Cell => ({ status: 'ok', int8Top1: 0.8, lossPoints, outputSqnrDb, seconds: 1 });

/** A labelled row with `loss` in every column but those given. */
function row(model: string, loss: number, cells: Record<string, Cell> = {}, labelled = true): ModelRow {
  return {
    model,
    labelled,
    samples: 100,
    floatTop1: 0.85,
    cells: { ...Object.fromEntries(COLUMNS.map((c) => [c.key, ok(loss)])), ...cells },
  };
}

describe('accuracy bench table', () => {
  it('has plain quantization and each technique added to it, then the three calibration methods with the default techniques', () => {
    expect(COLUMNS.map((c) => c.key)).toEqual([
      'plain',
      'equalize',
      'bias_correction',
      'optimize_rounding',
      'int16_auto',
      'minmax',
      'percentile',
      'entropy',
      'all',
    ]);
    for (const column of COLUMNS.slice(0, 5)) {
      expect(column.method).toBe('percentile');
      // Every technique column turns on at most one technique over plain quantization.
      const on = Object.entries(column.techniques).filter(([, v]) => v === true || (typeof v === 'object' && v.kind !== 'none'));
      expect(on.length).toBeLessThanOrEqual(1);
    }
    for (const column of COLUMNS.slice(5, 8)) expect(column.techniques).toEqual({});
    expect(COLUMNS.at(-1)!.techniques).toEqual({ optimizeRounding: true });
  });

  it('passes the bars at their limits and fails them just over, naming the labelled model', () => {
    const atLimit = [row('a', DEFAULT_BAR_POINTS, { entropy: ok(1) })];
    expect(accuracyBars(atLimit).map((b) => b.pass)).toEqual([true, true]);
    const over = [row('a', 0), row('b', DEFAULT_BAR_POINTS + 0.01, { entropy: ok(1.2) }), row('unlabelled', 25, {}, false)];
    const [byDefault, entropy] = accuracyBars(over);
    expect(byDefault!.pass).toBe(false);
    expect(byDefault!.misses).toEqual(['b (0.51 points)']);
    expect(entropy!.misses).toEqual(['b (1.20 points)']);
  });

  it('fails a bar whose build did not run', () => {
    const [byDefault] = accuracyBars([row('a', 0, { percentile: { status: 'failed', error: 'boom' } })]);
    expect(byDefault).toMatchObject({ pass: false, misses: ['a (failed)'] });
  });

  it('prints cells as points, n/a and failed, a gain below the precision as 0.00, SQNR in dB', () => {
    expect(lossText(ok(0.456))).toBe('0.46');
    expect(lossText(ok(-0.001))).toBe('0.00');
    expect(lossText(ok(-0.5))).toBe('-0.50');
    expect(lossText({ status: 'n/a', reason: 'x' })).toBe('n/a');
    expect(lossText(undefined)).toBe('-');
    expect(sqnrText(ok(0, 31.26))).toBe('31.3');
    expect(sqnrText(ok(0, Infinity))).toBe('exact');
    expect(sqnrText(ok(0, null))).toBe('-');
  });

  it('prints one markdown row per model in both tables, the bars with PASS or FAIL and which columns are n/a', () => {
    const rows = [
      row('small_margin', 0.3, { optimize_rounding: { status: 'n/a', reason: 'not available in this build' } }),
      row('ds_cnn', 25, {}, false),
    ];
    const text = formatTables(rows);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('| model | samples |'))!;
    expect(header.split('|').length - 2).toBe(3 + COLUMNS.length);
    expect(lines).toContain('| small_margin | 100 | 85.00% | 0.30 | 0.30 | 0.30 | n/a | 0.30 | 0.30 | 0.30 | 0.30 | 0.30 |');
    expect(lines).toContain('| ds_cnn * | 100 | - | 25.00 | 25.00 | 25.00 | 25.00 | 25.00 | 25.00 | 25.00 | 25.00 | 25.00 |');
    expect(lines).toContain('| small_margin | 30.0 | 30.0 | 30.0 | n/a | 30.0 | 30.0 | 30.0 | 30.0 | 30.0 |');
    expect(text).toMatch(/default build \(percentile\) within 0.5 points of float32 on every labelled model: PASS/);
    expect(text).toMatch(/entropy within 1 point of float32 on every labelled model: PASS/);
    expect(text).toMatch(/n\/a: not available in this build of eennc \(\+optimize rounding\)/);
  });
});
