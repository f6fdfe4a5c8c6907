// The kernel tiles in C (src/kernels/*: CallTiler): every call of the tile graphs that a tiler cuts, run whole and
// as its uneven tiles (one-granule tiles, a short last tile; forward and in reverse order) into separate buffers,
// on the host (gcc: the portable paths), on Cortex-M4 in QEMU (the DSP paths: first-layer runs of 8 pixels,
// pairs of pixels) and on Cortex-M0+ (the Armv6-M paths); the tiles must give the whole call's output bytes, write
// nothing past the output, and (on Cortex-M4) cost little more than the whole call.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTilesOnCortexM, runTilesOnCortexM4, runTilesOnHost } from './tiles-harness.js';
import { floatTileGraph, int8TileGraph, tiledCalls } from './tiles-graphs.js';

/** Instructions a tile may cost beyond its share of the whole call (measured: 8 to 1,240 on these tiny tiles). */
const TILE_OVERHEAD_BOUND = 1500;

const calls = [...tiledCalls('int8', int8TileGraph(), 'int8', { noScratch: true }), ...tiledCalls('float32', floatTileGraph(), 'float32')];
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-tiles-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('kernel tiles in C', () => {
  it('covers every family with a tiler, and the direct paths without a scratch', () => {
    const kernels = new Set(calls.map((c) => c.call.fn));
    expect([...kernels].sort()).toEqual(
      [
        'eenn_add_f32',
        'eenn_avg_pool2d_f32',
        'eenn_avg_pool2d_s8',
        'eenn_div_f32',
        'eenn_fc_f32',
        'eenn_global_avg_pool_f32',
        'eenn_global_max_pool_f32',
        'eenn_max_pool2d_f32',
        'eenn_sigmoid_f32',
        'eenn_sub_f32',
        'eenn_conv2d_1x1_f32',
        'eenn_conv2d_1x1_s8',
        'eenn_conv2d_f32',
        'eenn_conv2d_s8',
        'eenn_depthwise_conv2d_3x3_f32',
        'eenn_depthwise_conv2d_f32',
        'eenn_depthwise_conv2d_s8',
        'eenn_elementwise_add_s8',
        'eenn_elementwise_mul_s8',
        'eenn_elementwise_sub_s8',
        'eenn_fc_s8',
        'eenn_lut_s8',
        'eenn_max_pool2d_s8',
        'eenn_softmax_s8',
      ].sort(),
    );
    expect(calls.filter((c) => c.label.includes('without scratch'))).toHaveLength(9);
  });

  it('gives the whole call bit for bit on the host', async () => {
    const run = await runTilesOnHost(tempDir(), calls);
    expect(run.lines).toEqual(calls.map((c) => `ok ${c.label}`));
    expect(run.exitCode).toBe(0);
  }, 60_000);

  it('gives the whole call bit for bit on Cortex-M4 (DSP paths), each tile costing at most 1,500 instructions more', async () => {
    const run = await runTilesOnCortexM4(tempDir(), calls);
    expect(run.lines).toEqual(calls.map((c) => `ok ${c.label}`));
    expect(run.exitCode).toBe(0);
    // The tiles of a call repeat its setup, never its work: a tile that fell off a kernel's fast path (a fully
    // connected tile of 2 features: ~3,400 instructions more each) shows here.
    const overheads = calls.map((c, i) => {
      const { whole, tiles } = run.instructions![i]!;
      return { call: c.label, perTile: Math.round((tiles - whole) / (c.bounds.length - 1)) };
    });
    // (Without a scratch, a tile that cuts a row sets each weight up once more for that row: slow for tiny tiles.
    // A tile that starts or ends inside a pair of pixels cut in blocks of channels gathers that pair's columns
    // again: the deep and wide layers' tiles of 1 to 3 units cost at most 20% more than the whole call, measured
    // 17% on a 3x3 image, whose every column is gathered over the border tap by tap; 11% on ResNet-8's 8x8 one.)
    // The wide 1x1 layer's whole call multiplies its 3 pixels in one three-pixel pass (EENN_CONV_S8_THREE_PIXELS),
    // its tiles a pair and a lone pixel: 1.54x, what the whole call cost before it took three pixels.
    const blocked = (label: string) => /s8 \[qconv_(4|18|19)\]$/.test(label);
    const threePixels = (label: string) => /s8 \[qconv_18\]$/.test(label);
    calls.forEach((c, i) => {
      if (blocked(c.label)) {
        expect(run.instructions![i]!.tiles, c.label).toBeLessThan((threePixels(c.label) ? 1.6 : 1.2) * run.instructions![i]!.whole);
      }
    });
    const tilers = overheads.filter((o) => !o.call.includes('without scratch') && !blocked(o.call));
    expect(tilers.filter((o) => o.perTile > TILE_OVERHEAD_BOUND)).toEqual([]);
  }, 120_000);

  it('gives the whole call bit for bit on Cortex-M0+ (Armv6-M paths)', async () => {
    const run = await runTilesOnCortexM(tempDir(), calls, 'cortex-m0plus');
    expect(run.lines).toEqual(calls.map((c) => `ok ${c.label}`));
    expect(run.exitCode).toBe(0);
  }, 120_000);

  it('gives the whole call bit for bit on Cortex-M55 (Helium paths: passes of 4 pixels)', async () => {
    const run = await runTilesOnCortexM(tempDir(), calls, 'cortex-m55');
    expect(run.lines).toEqual(calls.map((c) => `ok ${c.label}`));
    expect(run.exitCode).toBe(0);
  }, 120_000);
});
