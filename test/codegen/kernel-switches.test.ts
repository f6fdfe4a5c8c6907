// The optional paths of the int8 kernels (the speed switches of eenn_kernels_s8.h, written to kernels/eenn_config.h):
// a model whose layers take a path links its code, and the same firmware rebuilt with every speed switch at 0
// links none of it and gives the same bits through the general paths, on Cortex-M4 (DSP) and Cortex-M55 (MVE).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { sampleBytes } from '../../src/run-graph.js';
import { INT8_KERNEL_SWITCHES } from '../../src/kernels/switches.js';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { runInt8Model } from './int8-run.js';

/** A layer of each optional path: depthwise 3x3 (rows of 16 with a Relu, stride 2), a 3x3 convolution, one of
    fewer than 16 values per output, a fully connected layer of 10 outputs with a Relu. */
function buildGraph() {
  const q = new Int8GraphBuilder('int8_switches', seededRandom(41));
  const x = q.input('x', [1, 4, 7, 16]);
  const plane = q.input('plane', [1, 1, 6, 9]);
  const row = q.input('row', [1, 30]);
  const dw = (input: string, attrs: Parameters<Int8GraphBuilder['conv']>[3], shape: number[], act?: 'relu') =>
    q.conv(input, 4, [3, 3], { group: 4, ...attrs }, shape, act ? { act } : {});
  q.output(dw(x, { pads: [1, 1, 1, 1] }, [1, 4, 7, 16], 'relu'));
  q.output(dw(x, { pads: [1, 1, 1, 1] }, [1, 4, 7, 16]));
  q.output(dw(x, { strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 4, 4, 8]));
  q.output(q.conv(x, 6, [3, 3], { pads: [1, 1, 1, 1] }, [1, 6, 7, 16]));
  q.output(q.conv(plane, 5, [3, 3], { pads: [1, 1, 1, 1] }, [1, 5, 6, 9], { act: 'relu' }));
  const fc = q.gemm(row, 10);
  q.b.nodes.find((n) => n.outputs[0] === fc)!.attrs.act_min = -40; /* a clamp narrower than int8 */
  q.output(fc);
  return q.build();
}

/** The functions of the image's optional paths, by target. */
const PATHS: Record<string, string[]> = {
  'cortex-m4': ['eenn_dw_band_3x3_dsp', 'eenn_dw_sum_3x3_strided', 'eenn_im2col_pair_s8', 'eenn_multiply_columns_x3_dsp'],
  'cortex-m55': [],
};

const work = mkdtempSync(join(tmpdir(), 'eenn-switches-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 kernel switches', () => {
  const graph = buildGraph();
  const inputs = randomInputs(graph, seededRandom(42));
  const expected = runInt8Reference(graph, inputs);
  const want = graph.outputs.flatMap((name) => Array.from(expected[name]!.data as ArrayLike<number>));

  for (const targetName of Object.keys(PATHS)) {
    it(`${targetName}: the paths a model takes are linked, and switched off give the same bits`, async () => {
      const target = loadTarget(targetName);
      const dir = join(work, targetName);
      const run = await runInt8Model(graph, inputs, target, dir);
      expect(run.outputs.flatMap((o) => Array.from(o as ArrayLike<number>))).toEqual(want);
      const config = join(dir, 'kernels/eenn_config.h');
      const speed = INT8_KERNEL_SWITCHES.filter((s) => !s.required).map((s) => s.macro);
      const on = readFileSync(config, 'utf8');
      for (const macro of ['EENN_DEPTHWISE_S8_3X3_WIDE', 'EENN_DEPTHWISE_S8_3X3_CLAMP', 'EENN_DEPTHWISE_S8_3X3_STRIDED', 'EENN_CONV_S8_3X3', 'EENN_CONV_S8_THREE_PIXELS', 'EENN_CONV_S8_FEW_VALUES', 'EENN_FC_S8_TAIL_ROWS']) {
        expect(on, macro).toMatch(new RegExp(`#define ${macro} 1 `));
      }
      const symbols = (elf: string) => execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' });
      const linked = symbols(run.image.elfPath);
      for (const fn of PATHS[targetName]!) expect(linked, fn).toContain(` ${fn}`);

      writeFileSync(config, speed.reduce((text, macro) => text.replace(new RegExp(`#define ${macro} 1 `), `#define ${macro} 0 `), on));
      const image = await buildFirmware(dir, target, { jobs: 2 });
      const general = symbols(image.elfPath);
      for (const fn of PATHS[targetName]!) expect(general, fn).not.toContain(` ${fn}`);
      const again = await runFirmware(image.elfPath, target, sampleBytes(graph, inputs), { samples: 1, timeoutMs: 120_000 });
      expect(Array.from(new Int8Array(again.outputs[0]!.buffer, again.outputs[0]!.byteOffset, again.outputs[0]!.length))).toEqual(want);
    }, 240_000);
  }
});
