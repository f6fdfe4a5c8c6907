// The device firmware of a multi-device build (templates/c/firmware/main_node.c.hbs, main_gateway.c.hbs, with the
// link's runtime) around a model project that compileModel wrote: it builds with -Wall -Wextra -Werror on every
// target, and a node that sends each input as read (a cut before the first step) and a gateway that runs the whole
// model give the single-device build's answers, on the host over a socket and in two QEMUs over their CMSDK UARTs
// (each emulator target's UART0, and Cortex-M0+ to Cortex-M7), also with bytes dropped and flipped on the way
// (every answer right or a link error, never a wrong one).

import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { renderFirmware, type DeviceFirmware } from '../../src/codegen/firmware.js';
import { encodeFrame, FRAME_OVERHEAD_BYTES, FRAME_TYPES, LINK_STATUS } from '../../src/devices/frame.js';
import { emulatorCommand, listTargets, loadTarget, type Target } from '../../src/target/target.js';
import { startRelay, type RelayFaults } from '../../src/toolchain/link-relay.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

const EXAMPLE = 'examples/fmnist_branchy';
const MODEL_NAME = 'fmnist_branchy';
const HASH = 0x5eed1e55;
const BAUD = 115_200;
/** Samples run through the link: random int8 images (the model takes any). */
const SAMPLES = 6;
/** Every process of a run finishes well within this. */
const RUN_LIMIT_MS = 60_000;
const STATS_RECORD_BYTES = 32;
const STATS_TRAILER_BYTES = 16;
/**
 * Largest ratio between two measurements of receiving the same frame: a byte the UART driver had to wait for costs
 * an instruction or so more than one already there (the wait loop's own branch), and how many bytes wait depends on
 * the emulated line. Counted with the waits, the ratio was over 3.
 */
const SAME_WORK_SPREAD = 1.1;

interface Project {
  folder: string;
  inputBytes: number[];
  outputBytes: number[];
}

/** One gateway record of stats.bin with its output.bin bytes. */
interface GatewayRecord {
  exit: number;
  status: number;
  sequence: number;
  frameBytes: number;
  /** Ticks of receiving and checking the frame, the waits for its bytes left out. */
  linkTicks: number;
  outputs: Buffer;
}

describe('device firmware around a compiled model', () => {
  let dir = '';
  const projects = new Map<string, Project>();
  let inputs: Buffer;

  /** The model project of `target` (compileModel, not linked): model.c, model.h, kernels and a single-device main.c. */
  async function project(targetName: string): Promise<Project> {
    const known = projects.get(targetName);
    if (known) return known;
    const folder = join(dir, targetName);
    const calibration = { path: `${EXAMPLE}/calib_u8.npy`, scale: 1 / 255, count: 20, method: 'percentile' as const };
    const result = await compileModel({
      model: `${EXAMPLE}/${MODEL_NAME}.onnx`,
      target: targetName,
      precision: 'int8',
      outDir: folder,
      link: false,
      calibration,
    });
    const made = { folder, inputBytes: result.inputBytes, outputBytes: result.outputBytes };
    projects.set(targetName, made);
    return made;
  }

  /**
   * A device's project: a copy of the model project with the device firmware rendered over it. `bare`: a node
   * without a model, which sends its input as read (model.c, model.h and the kernels are left out).
   */
  async function deviceProject(target: Target, role: 'node' | 'gateway' | 'bare', timeoutMs?: number): Promise<string> {
    const model = await project(target.name);
    const folder = join(dir, `${target.name}-${role}`);
    const bare = role === 'bare';
    mkdirSync(folder, { recursive: true });
    if (!bare) {
      for (const name of ['model.c', 'model.h', 'kernels']) cpSync(join(model.folder, name), join(folder, name), { recursive: true });
    }
    const kernels = bare
      ? []
      : readdirSync(join(folder, 'kernels'))
          .filter((name) => name.endsWith('.c'))
          .map((name) => `kernels/${name}`);
    const link = { modelHash: HASH, baud: BAUD, ...(timeoutMs ? { timeoutMs } : {}) };
    const device: DeviceFirmware =
      role === 'gateway'
        ? { role, cutTensor: 'input', payloadBytes: model.inputBytes[0]!, nodeExits: 0, ...link }
        : role === 'node'
          ? { role, cutTensor: 'logits', payloadBytes: model.outputBytes.at(-1)!, nodeExits: model.outputBytes.length - 1, ...link }
          : { role: 'node', cutTensor: 'input', payloadBytes: model.inputBytes[0]!, nodeExits: 0, noModel: true, ...link };
    const files = renderFirmware(target, {
      modelName: MODEL_NAME,
      kernelSources: kernels,
      inputBytes: model.inputBytes,
      outputBytes: bare ? [] : model.outputBytes,
      ...(bare ? { modelSources: [] } : {}),
      device,
    });
    for (const [path, text] of files) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), text);
    }
    return folder;
  }

  /** `make` in `folder`; returns the image's path. */
  async function make(folder: string): Promise<string> {
    await execa('make', ['-s', '-j2'], { cwd: folder });
    const image = await execa('make', ['-s', 'print-image'], { cwd: folder });
    return join(folder, image.stdout.trim());
  }

  /** The single-device build's answers on the host: output.bin and each sample's exit. */
  async function reference(): Promise<{ outputs: Buffer; exits: number[] }> {
    const { folder } = await project('host');
    await execa('make', ['-s', '-j2'], { cwd: folder });
    writeFileSync(join(folder, 'input.bin'), inputs);
    await execa('make', ['-s', 'run'], { cwd: folder });
    const stats = readFileSync(join(folder, 'stats.bin'));
    const recordBytes = (stats.length - STATS_TRAILER_BYTES) / SAMPLES;
    return {
      outputs: readFileSync(join(folder, 'output.bin')),
      exits: Array.from({ length: SAMPLES }, (_, s) => stats.readInt32LE(s * recordBytes)),
    };
  }

  /** The gateway's records and output.bin of a run. */
  function gatewayRecords(folder: string, sampleOutputBytes: number): GatewayRecord[] {
    const stats = readFileSync(join(folder, 'stats.bin'));
    const outputs = readFileSync(join(folder, 'output.bin'));
    const count = stats.readUInt32LE(stats.length - STATS_TRAILER_BYTES + 4);
    expect(stats.length).toBe(count * STATS_RECORD_BYTES + STATS_TRAILER_BYTES);
    expect(outputs.length).toBe(count * sampleOutputBytes);
    return Array.from({ length: count }, (_, r) => ({
      exit: stats.readInt32LE(r * STATS_RECORD_BYTES),
      status: stats.readUInt32LE(r * STATS_RECORD_BYTES + 4),
      sequence: stats.readUInt32LE(r * STATS_RECORD_BYTES + 16),
      frameBytes: stats.readUInt32LE(r * STATS_RECORD_BYTES + 20),
      linkTicks: Number(stats.readBigUInt64LE(r * STATS_RECORD_BYTES + 24)),
      outputs: outputs.subarray(r * sampleOutputBytes, (r + 1) * sampleOutputBytes),
    }));
  }

  /**
   * Run a node and a gateway joined by the relay (emulators with their UART on a socket, or host processes with
   * EENN_LINK_PORT); the node reads `inputs`. Returns the gateway's folder once both have exited.
   */
  async function runPair(
    node: { target: Target; folder: string; image: string },
    gateway: { target: Target; folder: string; image: string },
    faults?: RelayFaults,
  ): Promise<number> {
    const relay = await startRelay(faults ? { faults } : {});
    const start = (side: typeof node, port: number) => {
      if (side.target.kind === 'host')
        return execa(side.image, [], { cwd: side.folder, env: { EENN_LINK_PORT: String(port) }, reject: false, timeout: RUN_LIMIT_MS });
      const [program, ...args] = emulatorCommand(side.target, side.image, { serial: side.target.uart!.qemuSerial, port });
      return execa(program, args, { cwd: side.folder, reject: false, timeout: RUN_LIMIT_MS });
    };
    try {
      writeFileSync(join(node.folder, 'input.bin'), inputs);
      const gatewayRun = start(gateway, relay.gatewayPort);
      const nodeRun = await start(node, relay.nodePort);
      expect(nodeRun.exitCode, nodeRun.all ?? nodeRun.stderr).toBe(0);
      const payload = inputs.length / SAMPLES;
      await relay.finish(encodeFrame(FRAME_TYPES.end, HASH, SAMPLES), payload + FRAME_OVERHEAD_BYTES);
      const gatewayDone = await gatewayRun;
      expect(gatewayDone.exitCode, gatewayDone.stderr).toBe(0);
      const counts = relay.counts();
      return counts.dropped + counts.corrupted;
    } finally {
      await relay.close();
    }
  }

  beforeAll(async () => {
    dir = await makeTempDir('eenn-link-firmware-');
    // Deterministic int8 images: byte i of sample s.
    inputs = Buffer.from(Array.from({ length: SAMPLES * 784 }, (_, i) => (i * 37 + Math.floor(i / 784) * 101) & 0xff));
  }, RUN_LIMIT_MS);

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('builds node, gateway and a node without a model on cortex-m0plus, cortex-m7 and the host (make, -Werror)', async () => {
    for (const name of ['cortex-m0plus', 'cortex-m7', 'host']) {
      const target = loadTarget(name);
      for (const role of ['node', 'gateway', 'bare'] as const) {
        const folder = await deviceProject(target, role);
        const image = await make(folder);
        expect(image.endsWith(target.kind === 'host' ? MODEL_NAME : `${MODEL_NAME}.elf`), `${name} ${role}`).toBe(true);
        const makefile = readFileSync(join(folder, 'Makefile'), 'utf8');
        expect(makefile).toMatch(/^LINK_TIMEOUT_MS \?= 1000$/m);
        expect(makefile).toContain(target.kind === 'host' ? 'runtime/eenn_link_host.c' : 'runtime/eenn_link_uart_cmsdk.c');
        expect(readFileSync(join(folder, 'eenn_link_config.h'), 'utf8')).toContain('#define EENN_LINK_MODEL_HASH 0x5EED1E55u');
      }
    }
  }, 300_000);

  it('compiles main.c and the link on every Cortex-M target with -Wall -Wextra -Werror', async () => {
    const failures: string[] = [];
    for (const name of listTargets()) {
      const target = loadTarget(name);
      if (target.kind === 'host') continue;
      for (const role of ['node', 'gateway', 'bare'] as const) {
        const folder = await deviceProject(target, role);
        const flags = [...target.compiler.flags, '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I.', '-Iruntime', '-Ikernels'];
        // A board without a CMSDK UART leaves the link's hooks to the application: main.c and the framing compile alone.
        const sources = ['main.c', 'runtime/eenn_link.c', ...(target.uart ? ['runtime/eenn_link_uart_cmsdk.c'] : []), 'runtime/eenn_crc32.c'];
        const run = await execa(target.compiler.cc, [...flags, '-c', ...sources], { cwd: folder, reject: false });
        if (run.exitCode !== 0) failures.push(`${name} ${role}: ${run.stderr.slice(0, 2000)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it("every emulator target's uart is the machine's: a node and a gateway on it exchange frames and answer right", async () => {
    const expected = await reference();
    const sampleOutputBytes = expected.outputs.length / SAMPLES;
    for (const name of listTargets()) {
      const target = loadTarget(name);
      if (target.kind !== 'emulator') continue;
      const nodeFolder = await deviceProject(target, 'bare');
      const gatewayFolder = await deviceProject(target, 'gateway');
      const node = { target, folder: nodeFolder, image: await make(nodeFolder) };
      const gateway = { target, folder: gatewayFolder, image: await make(gatewayFolder) };
      await runPair(node, gateway);
      const records = gatewayRecords(gatewayFolder, sampleOutputBytes);
      expect(
        records.map((r) => [r.status, r.sequence, r.exit]),
        name,
      ).toEqual(Array.from({ length: SAMPLES }, (_, s) => [LINK_STATUS.ok, s, expected.exits[s]]));
      expect(Buffer.concat(records.map((r) => r.outputs)).equals(expected.outputs), name).toBe(true);
    }
  }, 600_000);

  it('refuses a device whose model does not match its side of the cut', () => {
    const target = loadTarget('cortex-m0plus');
    const base = { modelName: MODEL_NAME, kernelSources: [], inputBytes: [784], outputBytes: [10, 10, 10] };
    const link = { modelHash: HASH, baud: BAUD, cutTensor: 'x' };
    expect(() => renderFirmware(target, { ...base, device: { role: 'gateway', payloadBytes: 100, nodeExits: 0, ...link } })).toThrow(
      /gateway's model takes one input, the 100 bytes/,
    );
    expect(() => renderFirmware(target, { ...base, device: { role: 'node', payloadBytes: 10, nodeExits: 1, ...link } })).toThrow(
      /node's model has its 1 early exits' outputs/,
    );
    expect(() => renderFirmware(target, { ...base, device: { role: 'node', payloadBytes: 10, nodeExits: 2, ...link, baud: 2_000_000 } })).toThrow(
      /2000000 baud is too fast for cortex-m0plus's UART, clocked at 25000000 Hz/,
    );
    expect(() => renderFirmware(target, { ...base, device: { role: 'node', payloadBytes: 10, nodeExits: 2, ...link, modelHash: 2 ** 32 } })).toThrow(
      /not a 32-bit unsigned integer/,
    );
  });

  it('host: the gateway answers every sample the node sends as the single-device build does', async () => {
    const expected = await reference();
    const host = loadTarget('host');
    const nodeFolder = await deviceProject(host, 'bare');
    const gatewayFolder = await deviceProject(host, 'gateway');
    const node = { target: host, folder: nodeFolder, image: await make(nodeFolder) };
    const gateway = { target: host, folder: gatewayFolder, image: await make(gatewayFolder) };
    await runPair(node, gateway);
    const sampleOutputBytes = expected.outputs.length / SAMPLES;
    const records = gatewayRecords(gatewayFolder, sampleOutputBytes);
    expect(records.map((r) => [r.status, r.sequence, r.frameBytes])).toEqual(
      Array.from({ length: SAMPLES }, (_, s) => [LINK_STATUS.ok, s, 784 + FRAME_OVERHEAD_BYTES]),
    );
    for (const record of records) {
      expect(record.exit).toBe(expected.exits[record.sequence]);
      expect(record.outputs.equals(expected.outputs.subarray(record.sequence * sampleOutputBytes, (record.sequence + 1) * sampleOutputBytes))).toBe(
        true,
      );
    }
    // The node records every sample as sent, with the frame's bytes.
    const nodeStats = readFileSync(join(nodeFolder, 'stats.bin'));
    expect(nodeStats.length).toBe(SAMPLES * STATS_RECORD_BYTES + STATS_TRAILER_BYTES);
    expect(nodeStats.readUInt32LE(20)).toBe(784 + FRAME_OVERHEAD_BYTES);
  }, 300_000);

  it('host: without EENN_LINK_PORT both finish, the node recording each frame as not sent, the gateway no frame', async () => {
    const host = loadTarget('host');
    const nodeFolder = await deviceProject(host, 'bare');
    const gatewayFolder = await deviceProject(host, 'gateway');
    writeFileSync(join(nodeFolder, 'input.bin'), inputs);
    const env = { EENN_LINK_PORT: '' };
    const node = await execa(await make(nodeFolder), [], { cwd: nodeFolder, env, reject: false, timeout: RUN_LIMIT_MS });
    const gateway = await execa(await make(gatewayFolder), [], { cwd: gatewayFolder, env, reject: false, timeout: RUN_LIMIT_MS });
    expect([node.exitCode, gateway.exitCode]).toEqual([0, 0]);
    expect(node.stderr).toMatch(/set EENN_LINK_PORT/);
    const nodeStats = readFileSync(join(nodeFolder, 'stats.bin'));
    const sendFailed = 2;
    for (let s = 0; s < SAMPLES; s++) {
      expect(nodeStats.readUInt32LE(s * STATS_RECORD_BYTES + 4) & sendFailed).toBe(sendFailed);
      expect(nodeStats.readUInt32LE(s * STATS_RECORD_BYTES + 20)).toBe(0);
    }
    const sampleOutputBytes = (await project('host')).outputBytes.reduce((sum, bytes) => sum + bytes, 0);
    expect(gatewayRecords(gatewayFolder, sampleOutputBytes)).toEqual([]);
  }, 300_000);

  it('QEMU: node on cortex-m0plus, gateway on cortex-m7, over their UARTs: the same answers; with faults, right or an error', async () => {
    const expected = await reference();
    const m0 = loadTarget('cortex-m0plus');
    const m7 = loadTarget('cortex-m7');
    const nodeFolder = await deviceProject(m0, 'bare');
    const gatewayFolder = await deviceProject(m7, 'gateway');
    const node = { target: m0, folder: nodeFolder, image: await make(nodeFolder) };
    const gateway = { target: m7, folder: gatewayFolder, image: await make(gatewayFolder) };
    const sampleOutputBytes = expected.outputs.length / SAMPLES;
    const answerOf = (sequence: number) => expected.outputs.subarray(sequence * sampleOutputBytes, (sequence + 1) * sampleOutputBytes);

    await runPair(node, gateway);
    const clean = gatewayRecords(gatewayFolder, sampleOutputBytes);
    expect(clean.map((r) => [r.status, r.sequence])).toEqual(Array.from({ length: SAMPLES }, (_, s) => [LINK_STATUS.ok, s]));
    for (const record of clean) {
      expect(record.exit).toBe(expected.exits[record.sequence]);
      expect(record.outputs.equals(answerOf(record.sequence))).toBe(true);
    }
    // Receiving a frame is the same work each time: the waits for the emulated line's bytes are left out.
    const linkTicks = clean.map((r) => r.linkTicks);
    expect(Math.max(...linkTicks) / Math.min(...linkTicks)).toBeLessThan(SAME_WORK_SPREAD);

    const faults = await runPair(node, gateway, { dropRate: 0.0003, corruptRate: 0.0003, seed: 7 });
    expect(faults).toBeGreaterThan(0);
    const spoilt = gatewayRecords(gatewayFolder, sampleOutputBytes);
    const errors = spoilt.filter((r) => r.status !== LINK_STATUS.ok);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThan(spoilt.length);
    for (const record of spoilt) {
      if (record.status !== LINK_STATUS.ok) {
        expect(record.exit).toBe(-1);
        expect(record.outputs.every((byte) => byte === 0)).toBe(true);
        continue;
      }
      expect(record.exit).toBe(expected.exits[record.sequence]);
      expect(record.outputs.equals(answerOf(record.sequence))).toBe(true);
    }
  }, 300_000);
});
