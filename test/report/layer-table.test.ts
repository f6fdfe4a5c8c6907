// The per-layer table (src/report/layer-table.ts), the arena picture (src/report/arena-picture.ts) and report.html
// around them: the columns that appear when profiled or with SQNR, the terminal's alignment and total, the bars of the
// picture, and every model name escaped in the page.

import { describe, expect, it } from 'vitest';
import { formatLayerTable, layerTableCells } from '../../src/report/layer-table.js';
import { arenaPicture, escapeMarkup } from '../../src/report/arena-picture.js';
import { renderReportHtml } from '../../src/report/build-report.js';
import { HOSTILE_NAME, STEPS, profiledReport } from './report-fixture.js';

describe('the per-layer table', () => {
  it('profiled with SQNR: instructions, instructions per MAC and SQNR columns, numbers marked', () => {
    const table = layerTableCells(STEPS);
    expect(table.header).toEqual([
      '#',
      'layer',
      'op',
      'kernel',
      'output shape',
      'MACs',
      'instructions',
      'instr/MAC',
      'weights B',
      'arena offset',
      'arena B',
      'SQNR dB',
    ]);
    expect(table.rows[0]!.slice(2)).toEqual(['QConv', 'eenn_conv2d_s8', '[1, 8, 12, 12]', '10,368', '30,000', '2.89', '104', '0', '1,152', '38.3']);
    expect(table.rows[0]![1]).toBe(`${HOSTILE_NAME} (+ relu<b>0</b>)`);
    // No MACs: no instructions per MAC; a reshape calls no kernel; an output outside the arena; an exact tensor.
    expect(table.rows[2]!.slice(3, 8)).toEqual(['-', '[1, 288]', '0', '3', '-']);
    expect(table.rows[3]!.slice(9, 12)).toEqual(['-', '-', '31.5']);
    expect(table.rows[1]![11]).toBe('exact');
    expect(table.numeric).toEqual([true, false, false, false, false, true, true, true, true, true, true, true]);
  });

  it('not profiled and without SQNR: neither column', () => {
    const plain = STEPS.map(({ instructions: _i, sqnr_db: _s, ...rest }) => rest);
    expect(layerTableCells(plain).header).toEqual(['#', 'layer', 'op', 'kernel', 'output shape', 'MACs', 'weights B', 'arena offset', 'arena B']);
  });

  it('on a terminal: aligned columns and the total with the sum of the steps', () => {
    const lines = formatLayerTable(STEPS, { samples: 2, total_instructions: 43003 });
    expect(lines).toHaveLength(STEPS.length + 2);
    expect(lines[0]!.indexOf('MACs') + 'MACs'.length).toBe(lines[1]!.indexOf('10,368') + '10,368'.length);
    expect(lines.at(-1)).toBe(
      'total: 43,003 instructions per inference (mean of 2 samples, every step run), 3.25 per MAC; the steps add up to 43,003',
    );
  });
});

describe('the arena picture', () => {
  it('one bar per buffer, across its steps and down at its offset, named in an escaped title', () => {
    const svg = arenaPicture(
      [
        { tensor: 'a<b>', offset: 0, bytes: 100, first: 0, last: 1 },
        { tensor: 'c', offset: 100, bytes: 300, first: 2, last: 3 },
      ],
      4,
      400,
    );
    const bars = [...svg.matchAll(/<rect class="buffer" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) =>
      m.slice(1).map(Number),
    );
    expect(bars).toHaveLength(2);
    const [a, c] = bars as [number[], number[]];
    // Two steps each, side by side; a quarter and three quarters of the arena, one under the other.
    expect(a[2]).toBeCloseTo(c[2]!, 5);
    expect(a[0]! + a[2]!).toBeCloseTo(c[0]!, 5);
    expect(c[3]! / a[3]!).toBeCloseTo(3, 5);
    expect(a[1]! + a[3]!).toBeCloseTo(c[1]!, 5);
    expect(svg).toContain('<title>a&#60;b&#62;: 100 B at offset 0, steps 0 to 1</title>');
    expect(svg).not.toContain('a<b>');
  });

  it('escapes the characters of markup', () => {
    expect(escapeMarkup(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('report.html', () => {
  it('holds the per-layer table, the picture, the exit table and the profile, with no name unescaped and nothing external', () => {
    const html = renderReportHtml(profiledReport());
    expect(html).toContain('<table class="layers">');
    expect(html).toContain('<th>instructions</th><th>instr/MAC</th>');
    expect(html).toContain('<th>SQNR dB</th>');
    expect(html).toContain('43,003 per inference (mean of 2 samples, every step run)');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="arena"');
    expect(html.match(/<rect class="buffer"/g)).toHaveLength(2);
    expect(html).toContain('<h2>Early exits</h2>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>markup');
    expect(html).not.toContain('relu<b>');
    // Nothing fetched: no link, no external source; the one URL is the SVG namespace.
    expect(html).not.toMatch(/<(link|script|img|iframe|object|embed|image|use)\b|@import|url\(/i);
    expect([...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0])).toEqual(['http://www.w3.org/2000/svg']);
  });
});
