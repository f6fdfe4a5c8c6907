// The cut table: report.json's devices part from the cost model's evaluations (unknown figures as null), the
// command line's aligned lines with the chosen cut marked and what does not fit, and the table in report.html.

import { describe, expect, it } from 'vitest';
import { evaluateCuts, chooseCut } from '../../src/devices/cost-model.js';
import { devicesReport } from '../../src/devices/report.js';
import type { CostInputs, Cut, DeviceOptions } from '../../src/devices/types.js';
import { renderReportHtml, type BuildReport } from '../../src/report/build-report.js';
import { deviceTableCells, deviceTableLines } from '../../src/report/device-table.js';
import { loadTarget } from '../../src/target/target.js';

const options: DeviceOptions = {
  devices: [
    { name: 'node', target: loadTarget('cortex-m0plus') },
    { name: 'gateway', target: loadTarget('cortex-m7') },
  ],
  link: { kind: 'uart', text: 'uart:115200', baud: 115200, bitsPerByte: 10, messageLatencyUs: 100, nanojoulesPerByte: 868 },
  objective: 'latency',
};
const inputs: CostInputs = {
  stepNames: ['/conv1/Conv', '/head0/Gemm', '/fc/Gemm'],
  stepInstructions: { node: [200_000, 5_000, 300_000], gateway: [150_000, 4_000, 200_000] },
  exitProbabilities: [0.6, 0.4],
  exitSteps: [1, 2],
};
const cuts: Cut[] = [
  { position: 0, tensor: 'input', payloadBytes: 784, nodeExits: [] },
  { position: 2, tensor: '/Relu_output_0', payloadBytes: 1568, nodeExits: [0] },
  { position: 3, payloadBytes: 0, nodeExits: [0] },
];
const fitting = () => ({ node: { flashBytes: 20_000, ramBytes: 9_000 }, gateway: { flashBytes: 30_000, ramBytes: 12_000 } });

describe('the cut table', () => {
  const evaluations = evaluateCuts(cuts, fitting, inputs, options.devices, options.link);
  const chosen = chooseCut(evaluations, 'latency');
  const report = devicesReport(options, evaluations, chosen);

  it("is report.json's devices part", () => {
    expect(report.objective).toBe('latency');
    expect(report.devices).toEqual([
      { name: 'node', target: 'cortex-m0plus' },
      { name: 'gateway', target: 'cortex-m7' },
    ]);
    expect(report.link).toEqual({ text: 'uart:115200', baud: 115200, bits_per_byte: 10, message_latency_us: 100, nanojoules_per_byte: 868 });
    expect(report.chosen).toBe(chosen.cut.position);
    expect(report.cut_given).toBeNull();
    expect(report.cuts.map((c) => [c.position, c.label, c.tensor, c.payload_bytes])).toEqual([
      [0, 'all on gateway', 'input', 784],
      [2, 'after /head0/Gemm', '/Relu_output_0', 1568],
      [3, 'all on node', null, 0],
    ]);
    const row = report.cuts[1]!;
    expect(row.latency_ms).toBeCloseTo(evaluations[1]!.latencyMs, 9);
    expect(row.node).toEqual({ instructions: evaluations[1]!.node.instructions, flash_bytes: 20_000, ram_bytes: 9_000, fits: true });
    // Both targets give their clock and energy.
    expect(report.cuts.every((c) => c.latency_ms !== null && c.energy_uj !== null)).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('shows a figure a target does not give as null, and "-" in the table', () => {
    const noEnergy = { ...options, devices: options.devices.map((d) => ({ ...d, target: { ...d.target, energy: undefined } })) };
    const without = devicesReport(noEnergy, evaluateCuts(cuts, fitting, inputs, noEnergy.devices, options.link), chosen);
    expect(without.cuts.every((c) => c.energy_uj === null)).toBe(true);
    expect(deviceTableCells(without).rows.every((row) => row[6] === '-')).toBe(true);
  });

  it('prints every cut, the chosen one marked, and what does not fit', () => {
    const tight = (cut: Cut) => ({
      node: { flashBytes: 20_000, ramBytes: cut.position === 3 ? 40_000 : 9_000 },
      gateway: { flashBytes: 30_000, ramBytes: 12_000 },
    });
    const rows = evaluateCuts(cuts, tight, inputs, options.devices, options.link);
    const forced = devicesReport({ ...options, cut: '2' }, rows, rows[1]!);
    const lines = deviceTableLines(forced);
    expect(lines[0]).toBe('devices:  node cortex-m0plus, gateway cortex-m7; link uart:115200; objective latency; *: the cut built (--cut 2)');
    expect(lines[1]).toMatch(/^\s+cut\s+where\s+sends\s+link bytes\s+latency ms\s+energy uJ\s+node instructions\s+gateway instructions\s+fits$/);
    expect(lines).toHaveLength(2 + cuts.length);
    expect(lines[2]).toMatch(/^ +0 {2}all on gateway +input \(784 B\) +804\.0 /);
    expect(lines[3]).toMatch(/^\* +2 {2}after \/head0\/Gemm +\/Relu_output_0 \(1568 B\) +635\.2 .* yes$/);
    expect(lines[4]).toContain('node: RAM 40,000 B of 32,768 B: 7,232 B over');
    expect(lines[4]).toMatch(/^ +3 {2}all on node +- +0\.0 /);
    // Columns line up: every row is as long as its widest cells make it, up to the fit column.
    const fitColumn = lines[1]!.indexOf('fits');
    for (const line of lines.slice(2)) expect(line.slice(fitColumn - 2, fitColumn)).toBe('  ');
  });

  it('is a table in report.html', () => {
    const base: BuildReport = {
      model: 'm',
      target: 'cortex-m0plus',
      precision: 'int8',
      macs: 1,
      params: 1,
      memory: { flash_bytes: 1, ram_bytes: 1, arena_bytes: 1, stack_bytes: 1, weights_bytes: 1, unplanned_activation_bytes: 1, measured: false },
      limits: { flash_bytes: null, ram_bytes: null },
      layers: [],
      arena: [],
      io: [],
      notes: [],
    };
    expect(renderReportHtml(base)).not.toContain('<h2>Devices</h2>');
    const html = renderReportHtml({ ...base, devices: report });
    expect(html).toContain('<h2>Devices</h2>');
    expect(html).toContain('node: cortex-m0plus, gateway: cortex-m7; link uart:115200');
    expect(html).toContain('the one of least latency that fits both devices');
    expect(html).toContain('<th>gateway instructions</th>');
    expect(html).toContain('<td>after /head0/Gemm</td>');
    expect(html).toContain(`<td class="n">${report.cuts[1]!.link_bytes.toFixed(1)}</td>`);
  });
});
