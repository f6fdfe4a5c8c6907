// The bad inputs of multi-device builds through the `eennc` command: a device name given twice, an unknown target, a
// link that does not parse, a --cut that is no cut or does not fit a side (which side, by how much), a model that
// fits no split (the smallest pair of targets that would), --link-faults or --link without --devices, --devices
// with --intermittent or with the host target. Each is refused with a message and a hint, no stack trace, no output
// folder and nothing left in TMPDIR.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eenncIn } from './cli-helpers.js';

const EXAMPLE = 'examples/fmnist_branchy';
const MODEL = `${EXAMPLE}/fmnist_branchy.onnx`;
/** A few calibration images: these commands stop before the calibration matters. */
const CALIBRATION = ['--calib', `${EXAMPLE}/calib_u8.npy`, '--calib-scale', String(1 / 255), '--calib-count', '8'];
const LINK = ['--link', 'uart:115200'];
/** The float32 example (412 KB of weights) cannot run whole on a cortex-m0plus (256 KB of flash). */
const FLOAT32 = ['--precision', 'float32'];
/** The float32 example's schedule has this many steps: the last cut position, everything on the node. */
const FLOAT32_STEPS = 14;
/** The status of a refused command line (E_USAGE), and of a refused target or memory (E_TARGET). */
const USAGE_STATUS = 2;
const TARGET_STATUS = 1;
/** Commands that measure the steps in QEMU before they refuse. */
const MEASURING_MS = 300_000;

let scratch = '';
let tmp = '';
beforeAll(async () => {
  scratch = await makeTempDir('eennc-cli-devices-errors-');
  tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
});
afterAll(async () => {
  await removeTempDir(scratch);
});

/** `eennc COMMAND MODEL ...args -o OUT` with its own TMPDIR: refused with `status`, naming each of `what`, leaving nothing. */
async function expectRefused(status: number, command: string, args: string[], ...what: (string | RegExp)[]): Promise<string> {
  const out = join(scratch, 'out');
  const r = await eenncIn({ env: { TMPDIR: tmp } }, command, MODEL, ...args, '-o', out);
  expect(r.exitCode, r.stderr).toBe(status);
  expect(r.stderr).toMatch(/^error: /m);
  expect(r.stderr).toMatch(/^hint: \S/m);
  for (const text of what) {
    if (typeof text === 'string') expect(r.stderr).toContain(text);
    else expect(r.stderr).toMatch(text);
  }
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(tmp)).toEqual([]);
  return r.stderr;
}

describe('bad --devices and --link', () => {
  it('a device name given twice', async () => {
    await expectRefused(
      USAGE_STATUS,
      'build',
      [...CALIBRATION, '--devices', 'node=cortex-m0plus,node=cortex-m7', ...LINK],
      'device name "node" given twice',
    );
  });

  it('an unknown target', async () => {
    await expectRefused(
      TARGET_STATUS,
      'build',
      [...CALIBRATION, '--devices', 'node=cortex-m0plus,gateway=cortex-m99', ...LINK],
      'unknown target "cortex-m99"',
      'cortex-m7',
    );
  });

  it('a link spec that does not parse', async () => {
    const devices = ['--devices', 'node=cortex-m0plus,gateway=cortex-m7'];
    await expectRefused(
      USAGE_STATUS,
      'build',
      [...CALIBRATION, ...devices, '--link', 'uart:fast'],
      '--link uart:fast',
      'not a baud rate',
      'uart:BAUD',
    );
    await expectRefused(
      USAGE_STATUS,
      'run',
      [...CALIBRATION, ...devices, '--link', 'spi:1000000', '--input', `${EXAMPLE}/test_inputs.npy`],
      'the only link kind is uart:BAUD',
    );
    await expectRefused(USAGE_STATUS, 'test', [...CALIBRATION, ...devices, '--link', 'uart:115200,parity=even'], 'unknown option "parity"');
    await expectRefused(USAGE_STATUS, 'build', [...CALIBRATION, ...devices], '--devices needs the link');
  });

  it('--link-faults and --link without --devices', async () => {
    await expectRefused(USAGE_STATUS, 'test', [...CALIBRATION, '--link-faults', '0.001'], '--link-faults applies only to multi-device builds');
    await expectRefused(USAGE_STATUS, 'build', [...CALIBRATION, ...LINK], '--link applies only to multi-device builds');
  });

  it('--devices with --intermittent', async () => {
    await expectRefused(
      USAGE_STATUS,
      'build',
      [...CALIBRATION, '--devices', 'node=cortex-m0plus,gateway=cortex-m7', ...LINK, '--intermittent', '--budget', '100000'],
      '--devices and --intermittent cannot be combined',
    );
  });

  it('--devices with the host target: the steps are measured in emulated targets', async () => {
    for (const devices of ['node=cortex-m0plus,gateway=host', 'node=host,gateway=cortex-m7']) {
      await expectRefused(
        TARGET_STATUS,
        'build',
        [...CALIBRATION, '--devices', devices, ...LINK],
        'target host runs natively',
        'needs emulated targets',
        'eennc targets',
      );
    }
  });
});

describe('cuts and memory', () => {
  it(
    'a --cut that is not a cut lists the cuts',
    async () => {
      await expectRefused(
        USAGE_STATUS,
        'build',
        [...FLOAT32, '--devices', 'node=cortex-m0plus,gateway=cortex-m7', ...LINK, '--cut', 'nosuch'],
        '--cut nosuch',
        /give one of the cuts: 0 \(all on gateway, sends input\); .*; 14 \(all on node, sends nothing\)/,
      );
    },
    MEASURING_MS,
  );

  it(
    'a --cut that does not fit a side says which and by how much',
    async () => {
      await expectRefused(
        TARGET_STATUS,
        'build',
        [...FLOAT32, '--devices', 'node=cortex-m0plus,gateway=cortex-m7', ...LINK, '--cut', String(FLOAT32_STEPS)],
        `--cut ${FLOAT32_STEPS} (all on node) does not fit`,
        /node \(cortex-m0plus\) flash [\d,]+ B of 262,144 B: [\d,]+ B over/,
        'give a cut that fits',
      );
    },
    MEASURING_MS,
  );

  it(
    'a model that fits no split names the smallest pair of targets that would',
    async () => {
      const stderr = await expectRefused(
        TARGET_STATUS,
        'build',
        [...FLOAT32, '--devices', 'node=cortex-m0plus,gateway=cortex-m0plus', ...LINK],
        'the model fits no split between node (cortex-m0plus) and gateway (cortex-m0plus)',
        'the smallest pair of targets on which a split fits: --devices node=cortex-m0plus,gateway=cortex-m3',
      );
      // Every cut is listed with the side that is over.
      expect(stderr).toMatch(/0 \(all on gateway\): gateway \(cortex-m0plus\) flash [\d,]+ B of 262,144 B: [\d,]+ B over/);
    },
    MEASURING_MS,
  );
});
