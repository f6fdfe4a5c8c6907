// The output stage of the int8 convolution and fully connected kernels (eenn_nn_support_s8.h) against the exact
// arithmetic of eenn_fixedpoint.h, on every code path: eenn_requantize_bounded_s8 (SMMULR on DSP cores, 16 x 16-bit
// products on Armv6-M, int64 elsewhere) must give eenn_requantize_s8's bits inside its preconditions, and
// eenn_high_mult_round_s32 round(a b / 2^32) (computed here with BigInt) for every accumulator. Edge values (the ends of the
// accumulator range, rounding ties of both roundings) and random ones, in a stub model run by the test firmware.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderFirmware } from '../../src/codegen/firmware.js';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import { loadTarget } from '../../src/target/target.js';
import { buildFirmware, runFirmware } from '../../src/toolchain/index.js';
import { seededRandom } from '../schedule/graph-builder.js';

/** Records per sample (4 int32 in, 4 int32 out each): 8 KiB of buffers, inside Cortex-M0+'s RAM. */
const RECORDS = 256;

const MODEL_H = `#ifndef EENN_MODEL_H
#define EENN_MODEL_H
#include <stdint.h>
#define EENN_NUM_INPUTS  1
#define EENN_NUM_OUTPUTS 1
#define EENN_NUM_EXITS   1
#define EENN_ARENA_BYTES 0u
extern const uint32_t eenn_input_bytes[EENN_NUM_INPUTS];
extern const uint32_t eenn_output_bytes[EENN_NUM_OUTPUTS];
int32_t eenn_run(const void *const inputs[EENN_NUM_INPUTS], void *const outputs[EENN_NUM_OUTPUTS]);
#endif
`;

/* Each record (acc, multiplier, shift, output_offset) gives the bounded and the exact output stage, the rounding
   high multiply, and on Armv6-M the convolutions' own bounded output stage (eenn_requantize_armv6m_s8). */
const MODEL_C = `#include "model.h"
#include "kernels/eenn_conv_support_s8.h"
const uint32_t eenn_input_bytes[EENN_NUM_INPUTS] = { ${RECORDS * 16}u };
const uint32_t eenn_output_bytes[EENN_NUM_OUTPUTS] = { ${RECORDS * 16}u };
int32_t eenn_run(const void *const inputs[EENN_NUM_INPUTS], void *const outputs[EENN_NUM_OUTPUTS])
{
    const int32_t *in = (const int32_t *)inputs[0];
    int32_t *out = (int32_t *)outputs[0];
    for (int32_t i = 0; i < ${RECORDS}; i++, in += 4, out += 4) {
        out[0] = eenn_requantize_output_s8(in[0], in[1], in[2], 1, in[3], -128, 127);
        out[1] = eenn_requantize_s8(in[0], in[1], in[2], in[3], -128, 127);
        out[2] = eenn_high_mult_round_s32(in[0], in[1]);
#if EENN_ARMV6M
        out[3] = eenn_requantize_armv6m_s8(in[0], in[1], in[2], in[3], -128, 127);
#else
        out[3] = out[0];
#endif
    }
    return 0;
}
`;

/**
 * Records (acc, multiplier, shift, zero point), edges first; the output stage is compared where its preconditions
 * hold (|acc| < 2^30; shifts are all in [-31, -1]).
 */
function buildRecords(): Int32Array {
  const rand = seededRandom(77);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const rows: number[][] = [];
  const limit = 2 ** 30 - 1;
  const multipliers = [2 ** 30, 2 ** 31 - 1, 2 ** 30 + 1, 1518500250, 0, 1];
  for (const m of multipliers) {
    for (const shift of [-1, -2, -7, -15, -30, -31]) {
      for (const acc of [0, 1, -1, 2, -2, 3, -3, limit, -limit, limit - 1, -limit + 1]) rows.push([acc, m, shift, int(-128, 127)]);
      // Ties of the divide: with m = 2^30 the high multiply halves acc exactly when acc is even.
      const e = -shift;
      for (const k of [1, 3, -1, -3, 5, -5]) {
        const acc = k * 2 ** e;
        if (Math.abs(acc) <= limit) rows.push([acc, m, shift, int(-128, 127)]);
      }
    }
  }
  // The 16 x 16-bit multiply must be exact for every accumulator: these records use the whole int32 range (their
  // output stage columns are not compared).
  for (const acc of [2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30), 2 ** 31 - 2 ** 15]) {
    for (const m of multipliers) rows.push([acc, m, -1, 0]);
  }
  while (rows.length % RECORDS !== 0 || rows.length < 16 * RECORDS) {
    const span = 2 ** int(1, 31);
    rows.push([int(-span, span - 1), int(2 ** 30, 2 ** 31 - 1), int(-31, -1), int(-128, 127)]);
  }
  return Int32Array.from(rows.flat());
}

const records = buildRecords();
const count = records.length / 4;
const work = mkdtempSync(join(tmpdir(), 'eenn-int8-requantize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('output stage of the int8 layer kernels', () => {
  for (const targetName of ['host', 'cortex-m0plus', 'cortex-m4', 'cortex-m55']) {
    it(`${targetName}: bounded requantization and the rounding high multiply equal the exact ones`, async () => {
      const target = loadTarget(targetName);
      const dir = join(work, targetName);
      const files = new Map<string, string>([
        ['model.h', MODEL_H],
        ['model.c', MODEL_C],
        ['kernels/eenn_kernels_s8.h', readFileSync(join(TEMPLATES_DIR, 'kernels/eenn_kernels_s8.h'), 'utf8')],
        ['kernels/eenn_nn_support_s8.h', readFileSync(join(TEMPLATES_DIR, 'kernels/eenn_nn_support_s8.h'), 'utf8')],
        ['kernels/eenn_conv_support_s8.h', readFileSync(join(TEMPLATES_DIR, 'kernels/eenn_conv_support_s8.h'), 'utf8')],
        ['kernels/eenn_fixedpoint.h', readFileSync(join(TEMPLATES_DIR, 'runtime/eenn_fixedpoint.h'), 'utf8')],
        ['kernels/eenn_isa.h', readFileSync(join(TEMPLATES_DIR, 'runtime/eenn_isa.h'), 'utf8')],
        ...renderFirmware(target, {
          modelName: 'requantize',
          kernelSources: [],
          inputBytes: [RECORDS * 16],
          outputBytes: [RECORDS * 16],
          includeDirs: ['kernels'],
        }),
      ]);
      for (const [path, text] of files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const image = await buildFirmware(dir, target, { jobs: 2 });
      const run = await runFirmware(image.elfPath, target, new Uint8Array(records.buffer), { samples: count / RECORDS, timeoutMs: 60_000 });
      const got = new Int32Array(Buffer.concat(run.outputs.map((o) => Buffer.from(o))).buffer.slice(0));
      let stageMismatches = 0;
      let multiplyMismatches = 0;
      let stageRecords = 0;
      for (let i = 0; i < count; i++) {
        const inside = Math.abs(records[4 * i]!) < 2 ** 30;
        if (inside) stageRecords++;
        if (inside && (got[4 * i] !== got[4 * i + 1] || got[4 * i + 3] !== got[4 * i + 1])) stageMismatches++;
        const product = (BigInt(records[4 * i]!) * BigInt(records[4 * i + 1]!) + 2n ** 31n) >> 32n;
        if (got[4 * i + 2] !== Number(BigInt.asIntN(32, product))) multiplyMismatches++;
      }
      expect(got.length).toBe(4 * count);
      expect(stageRecords).toBeGreaterThan(count / 2);
      expect(stageMismatches, 'bounded output stage').toBe(0);
      expect(multiplyMismatches, 'rounding high multiply').toBe(0);
      // The records reach saturation at both ends and values in between.
      const outputs = new Set(Array.from({ length: count }, (_, i) => got[4 * i]!));
      expect(outputs.has(-128) && outputs.has(127) && outputs.size > 200).toBe(true);
    }, 120_000);
  }
});
