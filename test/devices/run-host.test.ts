// runDevices with host processes joined by the relay: stand-in node and gateway firmware (fixtures/link-*.c, over
// the link library eenn_link.c and its host transport) answer every sample as expected, a faulty line gives link
// errors and never a wrong answer, and a device that hangs, fails or crashes is named in a clear error, with no
// process or temporary folder left behind.

import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/target/target.js';
import { encodeFrame, FRAME_TYPES, frameBytes } from '../../src/devices/frame.js';
import { runDevices, type DevicesRunOptions } from '../../src/devices-run.js';
import { errorOf } from '../toolchain/error-of.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNTIME = resolve(HERE, '..', '..', 'templates', 'c', 'runtime');
const FIXTURES = join(HERE, 'fixtures');
const host = loadTarget('host');

/** The stand-ins' sizes and hash (fixtures/link-fixture.h). */
const SAMPLE_BYTES = 4;
const CUT_BYTES = 4;
const FIXTURE_HASH = 0x5eed1234;
const WHOLE = [
  { name: 'e0', bytes: 2 },
  { name: 'e1', bytes: 2 },
  { name: 'final', bytes: 3 },
];

let scratch = '';
const images = { node: '', gateway: '' };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'eennc-devices-test-'));
  for (const side of ['node', 'gateway'] as const) {
    images[side] = join(scratch, `link-${side}`);
    const sources = [
      join(FIXTURES, `link-${side}.c`),
      ...['eenn_link.c', 'eenn_link_host.c', 'eenn_crc32.c', 'eenn_platform_host.c'].map((f) => join(RUNTIME, f)),
    ];
    await execa('gcc', ['-std=c11', '-O1', '-Wall', '-Wextra', '-Werror', `-I${RUNTIME}`, `-I${FIXTURES}`, '-o', images[side], ...sources]);
  }
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Samples whose bytes lead to every answer: node exit, gateway e1 (cut[0] % 4 == 0), gateway final. */
function inputs(count: number): Uint8Array {
  return Uint8Array.from({ length: count * SAMPLE_BYTES }, (_, i) => (i * 7 + Math.floor(i / SAMPLE_BYTES) * 3) & 0xff);
}

/** What the stand-in model answers for a sample: whole exit and outputs in the whole layout. */
function expected(sample: Uint8Array): { exitIndex: number; outputs: number[] } {
  if (sample[0]! % 2 === 0) return { exitIndex: 0, outputs: [sample[0]!, sample[1]!, 0, 0, 0, 0, 0] };
  const cut = Array.from(sample, (byte) => (byte + 1) & 0xff);
  if (cut[0]! % 4 === 0) return { exitIndex: 1, outputs: [0, 0, cut[0]!, cut[1]!, 0, 0, 0] };
  return { exitIndex: 2, outputs: [0, 0, 0, 0, cut[1]!, cut[2]!, cut[3]!] };
}

function options(count: number, overrides: Partial<DevicesRunOptions> = {}): DevicesRunOptions {
  return {
    node: {
      name: 'node',
      target: host,
      image: images.node,
      outputs: [
        { name: 'e0', bytes: 2 },
        { name: 'cut', bytes: CUT_BYTES },
      ],
    },
    gateway: {
      name: 'gateway',
      target: host,
      image: images.gateway,
      outputs: [
        { name: 'e1', bytes: 2 },
        { name: 'final', bytes: 3 },
      ],
    },
    nodeExits: 1,
    payloadBytes: CUT_BYTES,
    outputs: WHOLE,
    exitOutputs: WHOLE.map((slot) => slot.name),
    inputBytes: inputs(count),
    samples: count,
    endFrame: encodeFrame(FRAME_TYPES.end, FIXTURE_HASH, count),
    timeoutMs: 30_000,
    ...overrides,
  };
}

/** Temporary folders of this process's device runs still there. */
async function leftovers(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => new RegExp(`^eennc-(node|gateway)-${process.pid}-`).test(name));
}

/** An executable shell script standing in for a device's firmware. */
async function script(name: string, body: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('runDevices on host processes', () => {
  it('answers every sample on the device and exit the model says, with the bytes sent', async () => {
    const count = 40;
    const run = await runDevices(options(count));
    const input = inputs(count);
    let sent = 0;
    run.samples.forEach((sample, i) => {
      const want = expected(input.subarray(i * SAMPLE_BYTES, (i + 1) * SAMPLE_BYTES));
      expect(sample.exitIndex).toBe(want.exitIndex);
      expect(Array.from(sample.outputs)).toEqual(want.outputs);
      expect(sample.device).toBe(want.exitIndex === 0 ? 'node' : 'gateway');
      expect(sample.bytesSent).toBe(want.exitIndex === 0 ? 0 : frameBytes(CUT_BYTES));
      expect(sample.linkError).toBeUndefined();
      expect(sample.instructions).toEqual({ node: null, gateway: null });
      if (want.exitIndex > 0) sent++;
    });
    // Every exit is taken by some sample, so that the test checks each path.
    expect(new Set(run.samples.map((sample) => sample.exitIndex))).toEqual(new Set([0, 1, 2]));
    // The node's frames and its own end frame went through untouched.
    expect(run.relay).toEqual({
      received: sent * frameBytes(CUT_BYTES) + frameBytes(0),
      forwarded: sent * frameBytes(CUT_BYTES) + frameBytes(0),
      dropped: 0,
      corrupted: 0,
      returned: 0,
    });
    expect(run.stackBytes).toEqual({ node: null, gateway: null });
    expect(await leftovers()).toEqual([]);
  });

  it('turns faults on the line into link errors, never into wrong answers', async () => {
    const count = 200;
    const run = await runDevices(options(count, { faults: { dropRate: 0.004, corruptRate: 0.008, seed: 17 } }));
    const input = inputs(count);
    const errors = new Map<string, number>();
    run.samples.forEach((sample, i) => {
      const want = expected(input.subarray(i * SAMPLE_BYTES, (i + 1) * SAMPLE_BYTES));
      if (sample.linkError) {
        expect(sample.device).toBeNull();
        expect(sample.exitIndex).toBe(-1);
        errors.set(sample.linkError, (errors.get(sample.linkError) ?? 0) + 1);
        return;
      }
      expect(sample.exitIndex).toBe(want.exitIndex);
      expect(Array.from(sample.outputs)).toEqual(want.outputs);
    });
    expect(run.relay.dropped + run.relay.corrupted).toBeGreaterThan(5);
    // Faults hit several frames, and each was caught (CRC, a bad header or a lost frame), never answered.
    expect([...errors.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(2);
    expect(errors.get('crc') ?? 0).toBeGreaterThan(0);
    expect(await leftovers()).toEqual([]);
  });

  it('names a gateway that never finishes, and stops it', async () => {
    const hang = await script('hang-gateway', 'exec sleep 60');
    const error = await errorOf(runDevices(options(4, { gateway: { ...options(4).gateway, image: hang }, timeoutMs: 1_500 })));
    expect(error.code).toBe('E_RUN');
    expect(error.message).toBe('the gateway (host) did not finish within 1.5 s, after the node had sent its last frame');
    expect(await leftovers()).toEqual([]);
  });

  it('names a node that never finishes', async () => {
    const hang = await script('hang-node', 'exec sleep 60');
    const error = await errorOf(runDevices(options(4, { node: { ...options(4).node, image: hang }, timeoutMs: 1_500 })));
    expect(error.message).toBe('the node (host) did not finish within 1.5 s, while it ran its samples');
  });

  it('names a device that fails, at once', async () => {
    const failing = await script('fail', 'echo "out of luck" >&2; exit 42');
    const node = await errorOf(runDevices(options(4, { node: { ...options(4).node, image: failing } })));
    expect(node.code).toBe('E_RUN');
    expect(node.message).toMatch(/^the node \(host\): .*exit status 42/);
    expect(node.details).toContain('out of luck');
    // A gateway that fails while the node still runs (the node waits for nothing here: it sleeps) ends the run at once.
    const sleepy = await script('sleepy-node', 'exec sleep 60');
    const started = Date.now();
    const gateway = await errorOf(
      runDevices(options(4, { node: { ...options(4).node, image: sleepy }, gateway: { ...options(4).gateway, image: failing } })),
    );
    expect(gateway.message).toMatch(/^the gateway \(host\): .*exit status 42/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an emulator target without a UART for the link before starting anything', async () => {
    const { uart: _uart, ...m4 } = loadTarget('cortex-m4');
    const error = await errorOf(runDevices(options(4, { gateway: { ...options(4).gateway, target: m4, image: 'gateway.elf' } })));
    expect(error.code).toBe('E_TARGET');
    expect(error.message).toBe('gateway (cortex-m4) has no "uart" for the link');
  });

  it('rejects input that is not whole samples', async () => {
    const error = await errorOf(runDevices(options(4, { inputBytes: new Uint8Array(15) })));
    expect(error.code).toBe('E_DATA');
  });
});
