// `eennc profile`, `run --profile` and `build --profile` on cortex-m4 in QEMU: each step's instructions beside its
// MACs, the steps adding up to the total within 1% and the total within 1% of what `run` counts on the same inputs;
// the report of a profiled build (per-step instructions and SQNR) rendered in headless chromium where installed;
// a target without an emulator refused before any work.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eennc } from './cli-helpers.js';
import { writeExitModel } from './exits-model.js';
import { findChromium, visitPage } from '../report/chromium.js';

const scratch = mkdtempSync(join(tmpdir(), 'eennc-cli-profile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const files = writeExitModel(scratch, 4);

/** How close the totals must agree (1%). */
const TOLERANCE = 0.01;

/** The same build and inputs for every command: int8 from the data, its first two samples, every layer run. */
const SAME = ['--target', 'cortex-m4', '--calib', files.data, '--input', files.data, '--count', '2', '--no-exits'];

interface ProfileJson {
  model: string;
  target: string;
  total_instructions: number;
  samples: number;
  steps: { name: string; op: string; kernel: string; macs: number; instructions: number; weight_bytes: number; arena_offset: number | null }[];
}

describe('eennc profile', () => {
  it('--json: every step measured; they add up to the total, which is what run counts on the same inputs', async () => {
    const profiled = await eennc('profile', files.model, ...SAME, '--json');
    expect(profiled.exitCode, profiled.stderr).toBe(0);
    const profile = JSON.parse(profiled.stdout) as ProfileJson;
    expect([profile.model, profile.target, profile.samples]).toEqual(['exits', 'cortex-m4', 2]);
    expect(profile.steps.length).toBeGreaterThan(4);
    for (const step of profile.steps) {
      expect(typeof step.name).toBe('string');
      expect(step.instructions).toBeGreaterThan(0);
    }
    const conv = profile.steps.find((s) => s.op === 'QConv')!;
    expect(conv.kernel).toContain('conv');
    expect(conv.macs).toBeGreaterThan(0);
    expect(conv.weight_bytes).toBeGreaterThan(0);
    const sum = profile.steps.reduce((n, s) => n + s.instructions, 0);
    expect(Math.abs(sum - profile.total_instructions) / profile.total_instructions).toBeLessThan(TOLERANCE);

    const ran = await eennc('run', files.model, ...SAME, '--json');
    expect(ran.exitCode, ran.stderr).toBe(0);
    const counts = (JSON.parse(ran.stdout) as { samples: { instructions: number }[] }).samples.map((s) => s.instructions);
    expect(counts).toHaveLength(2);
    const mean = (counts[0]! + counts[1]!) / 2;
    expect(Math.abs(profile.total_instructions - mean) / mean).toBeLessThan(TOLERANCE);
  }, 300_000);

  it('run --profile prints the table after the samples, the total within 1% of their count', async () => {
    const r = await eennc('run', files.model, ...SAME, '--profile');
    expect(r.exitCode, r.stderr).toBe(0);
    const counts = [...r.stdout.matchAll(/sample \d+: .*?(\d+) instructions/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(2);
    expect(r.stdout).toMatch(/#\s+layer\s+op\s+kernel\s+output shape\s+MACs\s+instructions\s+instr\/MAC\s+weights B\s+arena offset\s+arena B/);
    const total = Number(/total: ([\d,]+) instructions per inference \(mean of 2 samples/.exec(r.stdout)![1]!.replaceAll(',', ''));
    const mean = (counts[0]! + counts[1]!) / 2;
    expect(Math.abs(total - mean) / mean).toBeLessThan(TOLERANCE);
  }, 300_000);

  it('build --profile: report.json and report.html give each step its instructions and SQNR; the page renders', async () => {
    const out = join(scratch, 'built');
    const r = await eennc('build', files.model, '--target', 'cortex-m4', '--calib', files.data, '--profile', '-o', out);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/total: [\d,]+ instructions per inference \(mean of 1 sample, every step run\)/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      steps: { instructions: number; sqnr_db: number | null }[];
      profile: { total_instructions: number };
      sqnr_samples: number;
    };
    expect(report.steps.every((s) => s.instructions > 0)).toBe(true);
    expect(report.steps.filter((s) => typeof s.sqnr_db === 'number' && s.sqnr_db > 10).length).toBeGreaterThan(2);
    expect(report.sqnr_samples).toBe(4);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<th>instructions</th>');
    expect(html).toContain('<th>SQNR dB</th>');
    expect(html).toContain('<h2>Early exits</h2>');
    const browser = findChromium();
    if (!browser) {
      console.warn('test/cli/profile.test.ts: report.html not opened: chromium is not installed (scripts/setup.sh installs it)');
      return;
    }
    const url = pathToFileURL(join(out, 'report.html')).href;
    const read = `({ rows: document.querySelector('table.layers').rows.length, bars: document.querySelectorAll('svg.arena rect.buffer').length,
      width: document.querySelector('svg.arena').getBoundingClientRect().width })`;
    const visit = await visitPage(browser, url, read);
    expect(visit.problems).toEqual([]);
    expect(visit.exceptions).toEqual([]);
    expect(visit.requests).toEqual([url]);
    const page = visit.value as { rows: number; bars: number; width: number };
    expect(page.rows).toBe(report.steps.length + 1);
    expect(page.bars).toBeGreaterThan(0);
    expect(page.width).toBeGreaterThan(500);
  }, 300_000);

  it('a target without an emulator, --devices and --no-link are refused before any work', async () => {
    const out = join(scratch, 'refused');
    const host = await eennc('profile', files.model, '--target', 'host', '--calib', files.data, '-o', out);
    expect(host.exitCode).not.toBe(0);
    expect(host.stderr).toContain('host has no emulator');
    expect(host.stderr).toMatch(/hint: .*cortex-m4/);
    expect(host.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    const noLink = await eennc('build', files.model, '--calib', files.data, '--profile', '--no-link', '-o', out);
    expect(noLink.exitCode).toBe(2);
    expect(noLink.stderr).toContain('--no-link');
    const devices = await eennc(
      'run',
      files.model,
      '--input',
      files.data,
      '--calib',
      files.data,
      '--profile',
      '--devices',
      'node=cortex-m4,gateway=cortex-m7',
      '--link',
      'uart:115200',
    );
    expect(devices.exitCode).toBe(2);
    expect(devices.stderr).toContain('--profile measures one device');
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
