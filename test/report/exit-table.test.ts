// The per-exit table (src/report/exit-table.ts): shares, per-exit accuracy and the expected cost computed from the
// exit each input took, the same rows on a terminal and in report.html, and what is left out when not measured.

import { describe, expect, it } from 'vitest';
import { exitTable, formatExitTable, type ExitTableInput } from '../../src/report/exit-table.js';
import { renderReportHtml, type BuildReport } from '../../src/report/build-report.js';

/** Three exits; 10 inputs: 6 leave at e0 (5 right), 1 at e1 (wrong), 3 run to the end (2 right). */
const input: ExitTableInput = {
  names: ['e0', 'e1', 'logits'],
  policy: 'max-softmax',
  thresholds: [0.9, 0.8],
  macs: [1000, 5000, 20000],
  noExitsMacs: 19000,
  instructions: [3000, 12000, 41000],
  noExitsInstructions: 40000,
  taken: [0, 0, 0, 0, 0, 0, 1, 2, 2, 2],
  source: 'int8 reference on 10 samples',
  correct: [true, true, true, true, true, false, false, true, true, false],
  finalCorrect: [true, true, true, true, false, true, true, true, true, false],
};

describe('the per-exit table', () => {
  it('shares, accuracy per exit and the expected cost per inference', () => {
    const table = exitTable(input);
    expect(table.exits.map((e) => [e.name, e.threshold, e.share, e.accuracy])).toEqual([
      ['e0', 0.9, 0.6, 5 / 6],
      ['e1', 0.8, 0.1, 0],
      ['logits', null, 0.3, 2 / 3],
    ]);
    const x = table.expected!;
    expect(x.instructions).toBeCloseTo(0.6 * 3000 + 0.1 * 12000 + 0.3 * 41000, 9);
    expect(x.macs).toBeCloseTo(0.6 * 1000 + 0.1 * 5000 + 0.3 * 20000, 9);
    expect([x.no_exits_instructions, x.no_exits_macs, x.samples]).toEqual([40000, 19000, 10]);
    expect([x.top1, x.no_exits_top1]).toEqual([0.7, 0.8]);
  });

  it('without inputs: no shares and no expected cost; without measurements: no instructions', () => {
    const table = exitTable({
      ...input,
      taken: undefined,
      correct: undefined,
      finalCorrect: undefined,
      instructions: undefined,
      noExitsInstructions: undefined,
    });
    expect(table.expected).toBeNull();
    expect(table.exits.every((e) => e.share === null && e.instructions === null && e.accuracy === undefined)).toBe(true);
    const text = formatExitTable(table).join('\n');
    expect(text).toContain('not measured');
    expect(text).not.toContain('expected per inference');
    expect(text).not.toContain('accuracy');
  });

  it('prints one row per exit and the expected cost against --no-exits', () => {
    const text = formatExitTable(exitTable(input)).join('\n');
    expect(text).toMatch(/e0\s+max-softmax 0\.9\s+1,000\s+3,000\s+60\.0%\s+83\.3%/);
    expect(text).toMatch(/logits\s+final\s+20,000\s+41,000\s+30\.0%\s+66\.7%/);
    expect(text).toContain('expected per inference over int8 reference on 10 samples:');
    expect(text).toContain('instructions 15,300 against 40,000 with --no-exits (-61.8%)');
    expect(text).toContain('top-1 70.0% against 80.0% with --no-exits (-10.00 points)');
  });

  it('names another baseline where the figures compared with are not the model built with --no-exits', () => {
    const text = formatExitTable(exitTable({ ...input, baseline: 'for the original model' })).join('\n');
    expect(text).toContain('instructions 15,300 against 40,000 for the original model (-61.8%)');
    expect(text).not.toContain('--no-exits');
  });

  it('report.html shows the same table', () => {
    const table = exitTable(input);
    const report: BuildReport = {
      model: 'm',
      target: 'cortex-m4',
      precision: 'int8',
      macs: 20000,
      params: 1,
      memory: {
        flash_bytes: 1,
        ram_bytes: 1,
        arena_bytes: 1,
        stack_bytes: 1,
        weights_bytes: 1,
        unplanned_activation_bytes: 1,
        measured: true,
      },
      limits: { flash_bytes: null, ram_bytes: null },
      layers: [],
      arena: [],
      io: [],
      notes: [],
      exits: table.exits,
      exits_expected: table.expected,
    };
    const html = renderReportHtml(report);
    expect(html).toContain('<h2>Early exits</h2>');
    expect(html).toMatch(/<td>e1<\/td><td>max-softmax 0\.8<\/td><td class="n">5,000<\/td><td class="n">12,000<\/td><td class="n">10\.0%<\/td>/);
    expect(html).toContain('MACs 7,100 against 19,000 with --no-exits (-62.6%)');
    expect(renderReportHtml({ ...report, exits: undefined, exits_expected: undefined })).not.toContain('Early exits');
  });
});
