// report.html in a real browser: Debian's chromium, headless, driven over the DevTools protocol (./chromium.ts). The
// page renders the per-layer table and the arena picture (laid-out sizes, not only markup), prints nothing on its
// console, throws nothing, and requests nothing but itself, even with model names that try to inject markup. A page
// that does misbehave is caught the same way, so the checks can fail. Skipped, saying so, only where chromium is
// not installed (scripts/setup.sh installs it).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/build-report.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { findChromium, visitPage } from './chromium.js';
import { HOSTILE_NAME, STEPS, profiledReport } from './report-fixture.js';

const browser = findChromium();
if (!browser) console.warn('test/report/browser.test.ts: skipped: chromium is not installed (scripts/setup.sh installs it)');

/** What the page shows, read in the browser after layout. */
const READ_PAGE = `(() => {
  const table = document.querySelector('table.layers');
  const svg = document.querySelector('svg.arena');
  const box = svg ? svg.getBoundingClientRect() : null;
  const bars = svg ? [...svg.querySelectorAll('rect.buffer')].map((r) => {
    const b = r.getBoundingClientRect();
    return { width: b.width, height: b.height, title: r.querySelector('title').textContent };
  }) : [];
  return {
    headers: table ? [...table.rows[0].cells].map((c) => c.textContent) : [],
    rows: table ? [...table.rows].slice(1).map((row) => [...row.cells].map((c) => c.textContent)) : [],
    tableHeight: table ? table.getBoundingClientRect().height : 0,
    svg: box ? { width: box.width, height: box.height } : null,
    bars,
    scripts: document.scripts.length,
    images: document.images.length,
    tables: document.querySelectorAll('table').length,
  };
})()`;

interface PageContent {
  headers: string[];
  rows: string[][];
  tableHeight: number;
  svg: { width: number; height: number } | null;
  bars: { width: number; height: number; title: string }[];
  scripts: number;
  images: number;
  tables: number;
}

describe.skipIf(!browser)('report.html in headless chromium', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTempDir('eennc-report-browser-');
  });
  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('renders the per-layer table and the arena picture, without console errors or requests', async () => {
    const page = join(dir, 'report.html');
    writeFileSync(page, renderReportHtml(profiledReport()));
    const url = pathToFileURL(page).href;
    const visit = await visitPage(browser!, url, READ_PAGE);
    const content = visit.value as PageContent;
    expect(visit.problems).toEqual([]);
    expect(visit.exceptions).toEqual([]);
    expect(visit.requests).toEqual([url]);
    // The hostile name is text in its cell: no script, no image, no table closed early.
    expect([content.scripts, content.images]).toEqual([0, 0]);
    expect(content.tables).toBe(3); // early exits, inputs and outputs, layers
    expect(content.headers).toContain('instructions');
    expect(content.headers).toContain('SQNR dB');
    expect(content.rows).toHaveLength(STEPS.length);
    expect(content.rows[0]![1]).toBe(`${HOSTILE_NAME} (+ relu<b>0</b>)`);
    expect(content.rows[0]![content.headers.indexOf('instructions')]).toBe('30,000');
    expect(content.tableHeight).toBeGreaterThan(STEPS.length * 10);
    // The picture is laid out at its size, and each bar is drawn with an area, named by its tensor.
    expect(content.svg!.width).toBeGreaterThan(500);
    expect(content.svg!.height).toBeGreaterThan(200);
    expect(content.bars).toHaveLength(2);
    for (const bar of content.bars) expect(bar.width * bar.height).toBeGreaterThan(100);
    expect(content.bars[0]!.title).toContain(HOSTILE_NAME);
  }, 90_000);

  it('catches a page that logs an error, throws, and fetches from the network', async () => {
    const page = join(dir, 'bad.html');
    writeFileSync(
      page,
      '<!doctype html><html><body><script>console.error("broken"); null.x;</script><img src="http://127.0.0.1:9/x.png"></body></html>',
    );
    const visit = await visitPage(browser!, pathToFileURL(page).href, 'document.images.length');
    expect(visit.value).toBe(1);
    expect(visit.problems.join('\n')).toContain('broken');
    expect(visit.exceptions.join('\n')).toContain('TypeError');
    expect(visit.requests).toContain('http://127.0.0.1:9/x.png');
  }, 90_000);
});
