// Multi-device builds through the `eennc` command, end to end on the Fashion-MNIST exits example with a cortex-m0plus
// node and a cortex-m7 gateway joined by a 230,400-baud UART in two QEMUs (at that speed the least latency splits after
// the first exit's head): build writes a C project per device (each builds alone) and the cut table in report.json
// and report.html; run --json says per sample which device answered,
// the bytes sent and each device's instructions, bit for bit the single-device build's answers; test passes at the
// chosen cut, at --cut 0 (the node sends the input as read), at the last position (all on the node, no gateway) and
// at a middle cut named by its tensor; a model whose schedule differs between the two targets splits and answers;
// --objective energy builds the cut of least energy; float32 works too; and 200 samples over a faulty link
// (--link-faults) lose some samples to detected faults and answer none wrong.

import { execa } from 'execa';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { eennc, type CliResult } from './cli-helpers.js';

const EXAMPLE = 'examples/fmnist_branchy';
const MODEL = `${EXAMPLE}/fmnist_branchy.onnx`;
/** uint8 pixels to [0, 1]. */
const PIXEL_SCALE = String(1 / 255);
/** Calibration images enough for the exit shares, few enough to keep each command short. */
const CALIB_COUNT = '100';
const CALIBRATION = ['--calib', `${EXAMPLE}/calib_u8.npy`, '--calib-scale', PIXEL_SCALE, '--calib-count', CALIB_COUNT];
const DEVICES = ['--devices', 'node=cortex-m0plus,gateway=cortex-m7', '--link', 'uart:230400'];
/** The example's 16 test images, already in [0, 1]. */
const TEST_INPUTS = `${EXAMPLE}/test_inputs.npy`;
const TEST_SAMPLES = 16;
/** The schedule's steps of the int8 example (exits attached): the last cut position, everything on the node. */
const INT8_STEPS = 16;
/** The cut position just after the first early exit's head (/head0/Gemm) of the int8 example. */
const FIRST_EXIT_CUT = 5;
/** The frame around a payload on the link: a 16-byte header and a 4-byte CRC (src/devices/frame.ts). */
const FRAME_OVERHEAD = 20;
/** How close the cost model's instructions per device must be to QEMU's count. */
const PREDICTION_TOLERANCE = 0.1;
/** Each command measures the steps on both targets in QEMU before it builds: give it time on a busy machine. */
const COMMAND_MS = 400_000;

/** A row of report.json's devices.cuts. */
interface CutJson {
  position: number;
  label: string;
  tensor?: string;
  payload_bytes: number;
  link_bytes: number;
  latency_ms: number;
  energy_uj: number;
  node: { instructions: number; flash_bytes: number; ram_bytes: number; fits: boolean };
  gateway: { instructions: number; flash_bytes: number; ram_bytes: number; fits: boolean };
  fits: boolean;
}

interface DevicesReportJson {
  objective: string;
  devices: { name: string; target: string }[];
  chosen: number;
  cut_given: string | null;
  cuts: CutJson[];
}

/** A sample of run's and test's --json. */
interface SampleJson {
  outputs: Record<string, number[]>;
  exit: string | null;
  device?: string | null;
  bytes_sent?: number;
  device_instructions?: Record<string, number | null>;
  link_error?: string;
}

interface ExecutionJson {
  devices?: { cut: number; tensor: string | null; payload_bytes: number; devices: { name: string; target: string }[] };
  samples: SampleJson[];
  pass?: boolean;
  comparisons?: { sample: number; pass: boolean; mismatches?: number; link_error?: string }[];
}

let scratch = '';
beforeAll(async () => {
  scratch = await makeTempDir('eennc-cli-devices-');
});
afterAll(async () => {
  await removeTempDir(scratch);
});

/** The command succeeded: status 0, no stack trace. */
function expectOk(result: CliResult): void {
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

function devicesReport(out: string): DevicesReportJson {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { devices?: DevicesReportJson };
  expect(report.devices).toBeDefined();
  return report.devices!;
}

/** `test ... --json` on the example's test images with the devices and `extra`; its document, checked to pass. */
async function testPasses(out: string, ...extra: string[]): Promise<ExecutionJson> {
  const result = await eennc('test', MODEL, ...CALIBRATION, ...DEVICES, '--data', TEST_INPUTS, '--json', '-o', out, ...extra);
  expectOk(result);
  const doc = JSON.parse(result.stdout) as ExecutionJson;
  expect(doc.pass).toBe(true);
  expect(doc.samples).toHaveLength(TEST_SAMPLES);
  for (const c of doc.comparisons!) {
    expect(c.pass, `sample ${c.sample}`).toBe(true);
    expect(c.mismatches, `sample ${c.sample}`).toBe(0);
    expect(c.link_error).toBeUndefined();
  }
  return doc;
}

describe('eennc build --devices', () => {
  const out = () => join(scratch, 'build');
  let built: CliResult;
  beforeAll(async () => {
    built = await eennc('build', MODEL, ...CALIBRATION, ...DEVICES, '-o', out());
  }, COMMAND_MS);

  it('writes a project per device, each of which builds alone with make', async () => {
    expectOk(built);
    for (const device of ['node', 'gateway']) {
      expect(existsSync(join(out(), device, 'Makefile')), device).toBe(true);
      expect(existsSync(join(out(), device, 'fmnist_branchy.elf')), device).toBe(true);
      expect(readFileSync(join(out(), device, 'eenn_link_config.h'), 'utf8')).toContain('EENN_LINK_MODEL_HASH');
    }
    // The node's project, its image removed, builds again on its own.
    rmSync(join(out(), 'node', 'build'), { recursive: true, force: true });
    rmSync(join(out(), 'node', 'fmnist_branchy.elf'));
    const make = await execa('make', ['-C', join(out(), 'node')], { reject: false });
    expect(make.exitCode, make.stderr).toBe(0);
    expect(existsSync(join(out(), 'node', 'fmnist_branchy.elf'))).toBe(true);
  });

  it('report.json has every cut with its predictions and fit, and the chosen one, the least latency that fits', () => {
    const devices = devicesReport(out());
    expect(devices.objective).toBe('latency');
    expect(devices.devices).toEqual([
      { name: 'node', target: 'cortex-m0plus' },
      { name: 'gateway', target: 'cortex-m7' },
    ]);
    expect(devices.cut_given).toBeNull();
    const positions = devices.cuts.map((c) => c.position);
    expect(positions[0]).toBe(0);
    expect(positions.at(-1)).toBe(INT8_STEPS);
    expect(devices.cuts[0]!.label).toBe('all on gateway');
    expect(devices.cuts.at(-1)!.label).toBe('all on node');
    for (const c of devices.cuts) {
      expect(c.latency_ms, c.label).toBeGreaterThan(0);
      expect(c.energy_uj, c.label).toBeGreaterThan(0);
      expect(c.fits, c.label).toBe(c.node.fits && c.gateway.fits);
    }
    // All on the gateway sends every input: the link carries the input's bytes and the frame around them.
    expect(devices.cuts[0]!.link_bytes).toBe(devices.cuts[0]!.payload_bytes + FRAME_OVERHEAD);
    expect(devices.cuts.at(-1)!.link_bytes).toBe(0);
    expect(devices.cuts.at(-1)!.gateway.instructions).toBe(0);
    const fitting = devices.cuts.filter((c) => c.fits);
    const least = Math.min(...fitting.map((c) => c.latency_ms));
    expect(devices.cuts.find((c) => c.position === devices.chosen)!.latency_ms).toBe(least);
  });

  it('report.html shows the cut table with the chosen cut marked', () => {
    const html = readFileSync(join(out(), 'report.html'), 'utf8');
    expect(html).toContain('<h2>Devices</h2>');
    expect(html).toMatch(/<th>cut<\/th>.*<th>latency ms<\/th>.*<th>energy uJ<\/th>/);
    const devices = devicesReport(out());
    for (const c of devices.cuts) expect(html).toContain(`<td class="n">${c.position}</td>`);
    expect(html).toContain(`marked *, position ${devices.chosen}`);
  });
});

describe('eennc run and test --devices', () => {
  it(
    'run --json gives per sample the exit, the device that answered, the bytes sent and each device instructions, bit for bit the single-device build',
    async () => {
      // After the first early exit's decision: some images answer on the node, the others on the gateway.
      const result = await eennc(
        'run',
        MODEL,
        ...CALIBRATION,
        ...DEVICES,
        '--cut',
        String(FIRST_EXIT_CUT),
        '--input',
        TEST_INPUTS,
        '--json',
        '-o',
        join(scratch, 'run'),
      );
      expectOk(result);
      const doc = JSON.parse(result.stdout) as ExecutionJson;
      expect(doc.devices!.devices.map((d) => d.name)).toEqual(['node', 'gateway']);
      const { cut, payload_bytes: payload } = doc.devices!;
      expect(cut).toBe(FIRST_EXIT_CUT);
      expect(doc.samples).toHaveLength(TEST_SAMPLES);
      for (const [i, s] of doc.samples.entries()) {
        expect(s.exit, `sample ${i}`).not.toBeNull();
        expect(['node', 'gateway']).toContain(s.device);
        expect(s.device_instructions!.node, `sample ${i}`).toBeGreaterThan(0);
        if (s.device === 'node') {
          expect(s.bytes_sent).toBe(0);
          expect(s.device_instructions!.gateway).toBe(0);
        } else {
          expect(s.bytes_sent).toBe(payload + FRAME_OVERHEAD);
          expect(s.device_instructions!.gateway, `sample ${i}`).toBeGreaterThan(0);
        }
      }
      expect(new Set(doc.samples.map((s) => s.device))).toEqual(new Set(['node', 'gateway']));
      // The single-device build on the gateway's target answers the same, bit for bit, at the same exits.
      const single = await eennc(
        'run',
        MODEL,
        ...CALIBRATION,
        '-t',
        'cortex-m7',
        '--input',
        TEST_INPUTS,
        '--json',
        '-o',
        join(scratch, 'run-single'),
      );
      expectOk(single);
      const alone = (JSON.parse(single.stdout) as ExecutionJson).samples;
      expect(doc.samples.map((s) => [s.exit, s.outputs])).toEqual(alone.map((s) => [s.exit, s.outputs]));
    },
    2 * COMMAND_MS,
  );

  it(
    'test passes bit for bit at the chosen cut; with --labels its top-1 line names the devices',
    async () => {
      const doc = await testPasses(join(scratch, 'test'));
      expect(doc.samples.every((s) => s.link_error === undefined && s.exit !== null)).toBe(true);
      const labelled = await eennc(
        'test',
        MODEL,
        ...CALIBRATION,
        ...DEVICES,
        '--data',
        TEST_INPUTS,
        '--labels',
        `${EXAMPLE}/test_labels.npy`,
        '-o',
        join(scratch, 'labels'),
      );
      expectOk(labelled);
      expect(labelled.stdout).toMatch(/top-1 on 16 labelled samples: int8 on node=cortex-m0plus,gateway=cortex-m7 \d/);
    },
    COMMAND_MS,
  );

  it(
    '--cut 0: the node has no model and sends every input; test passes',
    async () => {
      const out = join(scratch, 'cut0');
      const doc = await testPasses(out, '--cut', '0');
      expect(doc.devices!.cut).toBe(0);
      expect(doc.devices!.tensor).toBe('input');
      for (const s of doc.samples) {
        expect(s.device).toBe('gateway');
        expect(s.bytes_sent).toBe(doc.devices!.payload_bytes + FRAME_OVERHEAD);
      }
      expect(devicesReport(out).cut_given).toBe('0');
    },
    COMMAND_MS,
  );

  it(
    '--cut at the last position: everything on the node, no gateway project; test passes',
    async () => {
      const out = join(scratch, 'cut-last');
      const doc = await testPasses(out, '--cut', String(INT8_STEPS));
      expect(doc.devices!.cut).toBe(INT8_STEPS);
      for (const s of doc.samples) {
        expect(s.device).toBe('node');
        expect(s.bytes_sent).toBe(0);
      }
      expect(existsSync(join(out, 'node', 'Makefile'))).toBe(true);
      expect(existsSync(join(out, 'gateway'))).toBe(false);
    },
    COMMAND_MS,
  );

  it(
    '--cut by the name of the tensor that crosses, in the middle; test passes',
    async () => {
      const tensor = '/Relu_2_output_0';
      const doc = await testPasses(join(scratch, 'cut-tensor'), '--cut', tensor);
      // --equalize renames the tensors it scales (<name>_equalized); the model's own name still finds the cut.
      expect([tensor, `${tensor}_equalized`]).toContain(doc.devices!.tensor);
      expect(doc.devices!.cut).toBeGreaterThan(0);
      expect(doc.devices!.cut).toBeLessThan(INT8_STEPS);
      // Past both early exits: the inputs that leave early answer on the node, the others on the gateway.
      expect(new Set(doc.samples.map((s) => s.device))).toEqual(new Set(['node', 'gateway']));
    },
    COMMAND_MS,
  );

  it(
    'float32 --devices: test passes; the calibration images give the cost model its exit shares',
    async () => {
      const result = await eennc(
        'test',
        MODEL,
        '--precision',
        'float32',
        ...CALIBRATION,
        ...DEVICES,
        '--data',
        TEST_INPUTS,
        '--json',
        '-o',
        join(scratch, 'float'),
      );
      expectOk(result);
      expect(result.stderr).toMatch(/this float32 build uses --calib\b.* only to estimate the share of inputs leaving at each exit/);
      const doc = JSON.parse(result.stdout) as ExecutionJson;
      expect(doc.pass).toBe(true);
      expect(doc.samples).toHaveLength(TEST_SAMPLES);
      expect(doc.samples.every((s) => s.device === 'node' || s.device === 'gateway')).toBe(true);
    },
    COMMAND_MS,
  );
});

describe('a schedule that differs between the targets', () => {
  it(
    'resnet8 (cortex-m0plus fuses a residual Add into its convolution, cortex-m7 does not): the cost model maps the steps, test passes at a middle cut',
    async () => {
      const inputs = 'examples/bench/resnet8_inputs.npy';
      const result = await eennc(
        'test',
        'examples/bench/resnet8.onnx',
        ...['--calib', inputs, '--data', inputs, '--count', '2'],
        ...DEVICES,
        ...['--cut', '1', '--json', '-o', join(scratch, 'resnet8')],
      );
      expectOk(result);
      const doc = JSON.parse(result.stdout) as ExecutionJson & { devices: { predicted: { instructions: Record<string, number> } } };
      expect(doc.pass).toBe(true);
      for (const s of doc.samples) {
        expect(s.device).toBe('gateway');
        // Each device's instructions as the cost model predicted them, within PREDICTION_TOLERANCE.
        for (const device of ['node', 'gateway']) {
          const predicted = doc.devices.predicted.instructions[device]!;
          expect(Math.abs(s.device_instructions![device]! - predicted) / predicted, device).toBeLessThan(PREDICTION_TOLERANCE);
        }
      }
    },
    COMMAND_MS,
  );
});

describe('--objective energy', () => {
  it(
    'builds the cut of least predicted energy among those that fit (--no-link: the projects only)',
    async () => {
      const out = join(scratch, 'energy');
      expectOk(await eennc('build', MODEL, ...CALIBRATION, ...DEVICES, '--objective', 'energy', '--no-link', '-o', out));
      // --no-link after --link: the projects are written, not compiled, and the link is kept.
      expect(existsSync(join(out, 'node', 'Makefile'))).toBe(true);
      expect(existsSync(join(out, 'node', 'fmnist_branchy.elf'))).toBe(false);
      const devices = devicesReport(out);
      expect(devices.objective).toBe('energy');
      const fitting = devices.cuts.filter((c) => c.fits);
      const least = Math.min(...fitting.map((c) => c.energy_uj));
      expect(devices.cuts.find((c) => c.position === devices.chosen)!.energy_uj).toBe(least);
      // --no-link before --link: the same.
      const before = join(scratch, 'energy-before');
      expectOk(await eennc('build', MODEL, '--no-link', ...CALIBRATION, ...DEVICES, '--objective', 'energy', '-o', before));
      expect(existsSync(join(before, 'node', 'fmnist_branchy.elf'))).toBe(false);
      expect(devicesReport(before).chosen).toBe(devices.chosen);
    },
    COMMAND_MS,
  );
});

describe('test --link-faults', () => {
  it(
    '200 samples over a faulty link: some lost to detected faults, none answered wrong, status 0',
    async () => {
      const result = await eennc(
        'test',
        MODEL,
        ...CALIBRATION,
        ...DEVICES,
        '--data',
        `${EXAMPLE}/calib_u8.npy`,
        '--scale',
        PIXEL_SCALE,
        '--count',
        '200',
        '--cut',
        String(FIRST_EXIT_CUT),
        '--link-faults',
        '0.0005',
        '--seed',
        '3',
        '-o',
        join(scratch, 'faults'),
      );
      expectOk(result);
      const summary = /(\d+) passed, (\d+) lost to link faults \(detected, none answered wrong\), (\d+) failed/.exec(result.stdout);
      expect(summary, result.stdout.slice(-2000)).not.toBeNull();
      const [passed, lost, failed] = summary!.slice(1).map(Number);
      expect(failed).toBe(0);
      expect(lost).toBeGreaterThan(0);
      expect(passed! + lost!).toBe(200);
      expect(result.stdout).toMatch(/link fault detected {2}no answer: (crc|timeout|length|model|lost) on the link/);
      expect(result.stdout).not.toContain('FAIL');
    },
    COMMAND_MS,
  );
});
