// The tables of `npm run bench:layers` (scripts/layers/layer-table.ts, scripts/layers/peers.ts): each target's
// peers' columns, the bars and verdicts, "-" where no peer figure or bar is known.

import { describe, expect, it } from 'vitest';
import { formatTable, judge, type LayerRow } from '../../../scripts/layers/layer-table.js';
import { barFor, peerColumns, TODAY } from '../../../scripts/layers/peers.js';

const CONV = 'conv 3x3, 16x16x16 -> 32, pad 1';
const FC = 'fully connected 3136 -> 10';
const CNN = 'small CNN, 28x28x1 (end to end)';

function row(layer: string, target: string, macs: number, instructions: number, cycles: number | null): LayerRow {
  const perMac = instructions / macs;
  return {
    layer,
    target,
    macs,
    instructions,
    perMac,
    cycles,
    ...judge(layer, target, macs, perMac),
    bitExact: true,
    plainInt8: true,
    kernels: ['eenn_conv2d_s8'],
    weightBytes: 0,
    arenaBytes: 0,
  };
}

describe('peerColumns', () => {
  it('gives each target its own peers', () => {
    expect(peerColumns('cortex-m4').map((c) => c.title)).toEqual(['CMSIS-NN M4', 'TinyEngine M4']);
    expect(peerColumns('cortex-m55').map((c) => c.title)).toEqual(['CMSIS-NN M55 (MVE)']);
    expect(peerColumns('cortex-m0plus').map((c) => c.title)).toEqual(['CMSIS-NN M0+']);
    expect(peerColumns('cortex-m7').map((c) => c.title)).toEqual(['CMSIS-NN M4 (reference)']);
    expect(peerColumns('cortex-m33').map((c) => c.title)).toEqual(['CMSIS-NN M4 (reference)']);
  });
});

describe('barFor', () => {
  it('takes the targets own bars, 10% below today on Cortex-M0+, today on the others', () => {
    expect(barFor(CONV, 'cortex-m4', 1)).toBe(1.15);
    expect(barFor(CONV, 'cortex-m55', 1)).toBe(0.3);
    expect(barFor(FC, 'cortex-m0plus', 31_360)).toBeCloseTo((0.9 * TODAY[FC]!['cortex-m0plus']!) / 31_360, 10);
    expect(barFor(CNN, 'cortex-m4', 313_600)).toBeCloseTo(750_000 / 313_600, 10);
    expect(barFor(CONV, 'cortex-m7', 1_179_648)).toBeCloseTo(TODAY[CONV]!['cortex-m7']! / 1_179_648, 10);
    expect(barFor(CONV, 'cortex-m3', 1)).toBeUndefined();
  });
});

describe('formatTable', () => {
  it('prints the Cortex-M4 table with both peers, the cycle estimate and the verdicts', () => {
    const text = formatTable('cortex-m4', [row(CONV, 'cortex-m4', 1_179_648, 1_300_000, 1_800_000), row(FC, 'cortex-m4', 31_360, 60_000, 80_000)]);
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(
      /\| layer +\| +MACs \| instructions \| ours \/MAC \| est\. cycles \| cycles \/MAC \| CMSIS-NN M4 \/MAC \| TinyEngine M4 \/MAC \| bar \/MAC \| verdict \|/,
    );
    expect(lines[2]).toMatch(/\| 1,179,648 \| +1,300,000 \| +1\.10 \| +1,800,000 \| +1\.53 \| +2\.14 \| +2\.35 \| +<= 1\.15 \| +PASS \| +yes \|/);
    // No TinyEngine figure for the fully connected 3136 -> 10: "-".
    expect(lines[3]).toMatch(/\| +1\.91 \| +80,000 \| +2\.55 \| +1\.90 \| +- \| +<= 1\.70 \| +FAIL \|/);
  });

  it('prints the Cortex-M0+ table without cycle columns, and "-" where no peer figure is known', () => {
    const text = formatTable('cortex-m0plus', [row(CNN, 'cortex-m0plus', 313_600, 2_000_000, null)]);
    expect(text).not.toMatch(/cycles/);
    expect(text).toMatch(/CMSIS-NN M0\+ \/MAC/);
    expect(text.split('\n')[2]).toMatch(/\| +6\.38 \| +- \| +<= 8\.93 \| +PASS \|/);
  });

  it('marks a build that is not a plain int8 one', () => {
    const r = { ...row(CONV, 'cortex-m55', 1_179_648, 300_000, 400_000), plainInt8: false, kernels: ['eenn_conv2d_s16'] };
    expect(formatTable('cortex-m55', [r])).toMatch(/eenn_conv2d_s16 \(NOT plain int8\)/);
  });
});
