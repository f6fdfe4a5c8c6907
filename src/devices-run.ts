// Runs a two-device build end to end: the gateway's and the node's firmware, each in its own emulator (or as a host
// process), joined by the link relay (src/toolchain/link-relay.ts); then reads both devices' output.bin and stats.bin
// (formats in templates/c/firmware/main_node.c.hbs and main_gateway.c.hbs) and merges them per sample, in the whole
// graph's terms (DeviceSample): which device answered, at which exit, with what, the bytes sent and each device's
// instructions. A sample the node sent that the gateway never answered is a link error, never an answer.
// relay -> gateway (no input) -> node (input.bin) -> node exits -> relay.finish (pad + end frame) -> gateway exits -> merge.

import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { EennError } from './ir/diagnostics.js';
import type { Target } from './target/target.js';
import { linkStatusName, LINK_STATUS } from './devices/frame.js';
import type { DeviceSample } from './devices/types.js';
import { startRelay, type RelayCounts, type RelayFaults } from './toolchain/link-relay.js';
import {
  commandFor,
  failedRun,
  FIRMWARE_FILES,
  lastLines,
  STATS_MAGIC,
  STATS_STACK_MEASURED,
  STATS_TICKS_MEASURED,
  STATS_TRAILER_BYTES,
  ticksToInstructions,
} from './toolchain/run.js';
import { clampTimerMs, formatDuration } from './util/timers.js';
import { makeTempDir, removeTempDir, trackChild } from './util/temp-dirs.js';

/** An output of a model, as its output.bin lays it out per sample: its name and its bytes. */
export interface OutputSlot {
  name: string;
  bytes: number;
}

/** One device of the run: its name (--devices), target, built image and its own model's outputs in order. */
export interface DeviceImage {
  name: string;
  target: Target;
  /** The ELF (emulator targets) or the executable (host). */
  image: string;
  /** This side's model outputs, in order (the node's: its early exits, then the cut tensor; none at position 0). */
  outputs: OutputSlot[];
}

export interface DevicesRunOptions {
  node: DeviceImage;
  gateway: DeviceImage;
  /** Early exits decided on the node (j): node exit index j means "sent". */
  nodeExits: number;
  /** Bytes of the cut tensor (a frame's payload). */
  payloadBytes: number;
  /** The whole graph's outputs in order: the single-device output.bin layout of one sample. */
  outputs: OutputSlot[];
  /** The whole graph's exit outputs (graph.exits.outputs); undefined without exits (whole exit 0 answers with every output). */
  exitOutputs?: string[];
  /** Every sample's inputs, back to back, as the single-device firmware reads them. */
  inputBytes: Uint8Array;
  samples: number;
  /** A clean end frame of this build (its model hash), sent to the gateway after the node has finished. */
  endFrame: Uint8Array;
  /** Faults on the link (tests). */
  faults?: RelayFaults;
  /** Time limit for the whole run, both devices (default 60 s). */
  timeoutMs?: number;
}

export interface DevicesRun {
  samples: DeviceSample[];
  /** What each device printed, by device name. */
  consoles: Record<string, string>;
  /** What the relay did with the node's bytes. */
  relay: RelayCounts;
  /** Deepest stack use of each device (by name); null where not measured (host). */
  stackBytes: Record<string, number | null>;
}

/** A node stats.bin record (main_node.c.hbs). */
export interface NodeRecord {
  /** Node exit index; the node's early exit count (j) means the sample was sent. */
  exit: number;
  ticksMeasured: boolean;
  /** The node's link could not send the frame (EENN_LINK_E_IO). */
  sendFailed: boolean;
  runTicks: number;
  seq: number;
  /** Frame bytes sent, 0 when the node answered. */
  frameBytes: number;
  linkTicks: number;
}

/** A gateway stats.bin record (main_gateway.c.hbs): one per frame received, good or not. */
export interface GatewayRecord {
  /** Gateway exit index; -1 on a link error. */
  exit: number;
  /** EENN_LINK_* status. */
  status: number;
  runTicks: number;
  /** The frame's sequence number; UNKNOWN_SEQ when the header did not say. */
  seq: number;
  frameBytes: number;
  linkTicks: number;
}

/** A device's stats.bin: its records, its stack high-water mark and whether ticks were measured. */
export interface DeviceStats<R> {
  records: R[];
  stackBytes: number | null;
  ticksMeasured: boolean;
}

/** Bytes of a node or gateway stats.bin record; the fields' offsets. */
const DEVICE_RECORD_BYTES = 32;
const RECORD = { exit: 0, flags: 4, runTicks: 8, seq: 16, frameBytes: 20, linkTicks: 24 } as const;
/** Node record flags: bit 0, the ticks were measured; bit 1, the frame could not be sent. */
const RECORD_TICKS_MEASURED = 1;
const RECORD_SEND_FAILED = 2;
/** The sequence number of a gateway record whose header was not read. */
export const UNKNOWN_SEQ = 0xffff_ffff;
/** The trailer's fields after the magic. */
const TRAILER = { magic: 0, count: 4, stack: 8, flags: 12 } as const;
/** linkError of a sample the node sent and the gateway has no record of. */
const LOST = 'lost';
/** linkError of a sample whose frame the node's link could not send. */
const SEND_FAILED = 'io';
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Run the node and the gateway on `options.samples` samples, joined by the relay, and merge their results per
 * sample. Throws E_RUN naming the device that timed out, crashed, failed or overflowed its stack, E_DATA for input
 * that is not whole samples, E_TOOLCHAIN when the emulator is missing. Both emulators are stopped and both
 * working directories removed on every path.
 */
export async function runDevices(options: DevicesRunOptions): Promise<DevicesRun> {
  const { node, gateway, samples, inputBytes } = options;
  if (!Number.isSafeInteger(samples) || samples <= 0 || inputBytes.length === 0 || inputBytes.length % samples !== 0) {
    throw new EennError({
      code: 'E_DATA',
      message: `${inputBytes.length} input bytes are not ${samples} whole samples`,
      hint: 'the input must hold every model input of every sample, back to back',
    });
  }
  const timeoutMs = clampTimerMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const commands = { node: linkedCommand(node), gateway: linkedCommand(gateway) };

  // Whole frames at a time: the gateway's inter-byte timeout must not see the pace of the node's emulator.
  const frameBytes = options.payloadBytes + options.endFrame.length;
  const relay = await startRelay({ faults: options.faults, frameBytes });
  const dirs: string[] = [];
  const running: Started[] = [];
  const limit = timeLimit(timeoutMs);
  try {
    const gatewayDir = await makeTempDir('eennc-gateway-');
    dirs.push(gatewayDir);
    const nodeDir = await makeTempDir('eennc-node-');
    dirs.push(nodeDir);
    await writeFile(join(nodeDir, FIRMWARE_FILES.input), inputBytes);

    const gatewayRun = start(commands.gateway(relay.gatewayPort), gatewayDir, relay.gatewayPort);
    running.push(gatewayRun);
    const nodeRun = start(commands.node(relay.nodePort), nodeDir, relay.nodePort);
    running.push(nodeRun);

    // A gateway that stops with an error ends the run at once (the node's frames would go nowhere); one that ends
    // well before the node does has had the node's own end frame.
    const gatewayFailed = gatewayRun.done.then(async (result) => {
      if (ended(result)) return new Promise<never>(() => undefined);
      throw await deviceFailure(gateway, result);
    });
    gatewayFailed.catch(() => undefined);
    const nodeResult = await Promise.race([nodeRun.done, gatewayFailed, limit.expired]);
    if (!nodeResult) throw await timedOut(node, nodeRun, timeoutMs, 'while it ran its samples');
    if (!ended(nodeResult)) throw await deviceFailure(node, nodeResult);

    // Every frame the node sent is through; pad and end the gateway's stream so that it finishes.
    await Promise.race([relay.finish(options.endFrame, frameBytes), limit.expired]);
    const gatewayResult = await Promise.race([gatewayRun.done, limit.expired]);
    if (!gatewayResult) throw await timedOut(gateway, gatewayRun, timeoutMs, 'after the node had sent its last frame');
    if (!ended(gatewayResult)) throw await deviceFailure(gateway, gatewayResult);

    const [nodeFiles, gatewayFiles] = await Promise.all([readDeviceFiles(node, nodeDir), readDeviceFiles(gateway, gatewayDir)]);
    const nodeStats = inDevice(node, () => parseNodeStats(nodeFiles.stats, samples));
    const gatewayStats = inDevice(gateway, () => parseGatewayStats(gatewayFiles.stats));
    for (const [device, stats] of [
      [node, nodeStats],
      [gateway, gatewayStats],
    ] as const) {
      checkStack(device, stats.stackBytes);
    }
    const merged = mergeDeviceRecords({
      ...options,
      nodeStats,
      gatewayStats,
      nodeOutputs: nodeFiles.output,
      gatewayOutputs: gatewayFiles.output,
    });
    return {
      samples: merged,
      consoles: { [node.name]: nodeResult.all ?? '', [gateway.name]: gatewayResult.all ?? '' },
      relay: relay.counts(),
      stackBytes: { [node.name]: nodeStats.stackBytes, [gateway.name]: gatewayStats.stackBytes },
    };
  } finally {
    limit.clear();
    for (const run of running) run.stop();
    await Promise.all(running.map((run) => run.done));
    await relay.close();
    for (const dir of dirs) await removeTempDir(dir);
  }
}

/** What merging needs: the run's options and both devices' parsed files. */
export interface MergeInput {
  node: Pick<DeviceImage, 'name' | 'target' | 'outputs'>;
  gateway: Pick<DeviceImage, 'name' | 'target' | 'outputs'>;
  nodeExits: number;
  outputs: OutputSlot[];
  exitOutputs?: string[];
  samples: number;
  nodeStats: DeviceStats<NodeRecord>;
  gatewayStats: DeviceStats<GatewayRecord>;
  /** output.bin of each device. */
  nodeOutputs: Uint8Array;
  gatewayOutputs: Uint8Array;
}

/**
 * Per sample, in the whole graph's terms: answered on the node (its exit < nodeExits), answered by the gateway (the
 * first good gateway record with the sample's sequence number; whole exit nodeExits + its exit), or a link error
 * ('io' when the node could not send it, else the error of a bad record with that sequence number, else 'lost'). Only the answering exit's output is copied
 * into the whole layout; the other outputs are zeros.
 */
export function mergeDeviceRecords(input: MergeInput): DeviceSample[] {
  const { node, gateway, nodeExits, samples, nodeStats, gatewayStats } = input;
  const nodeSlots = slotsOf(node, input.nodeOutputs, samples);
  const gatewaySlots = slotsOf(gateway, input.gatewayOutputs, gatewayStats.records.length);
  const layout = layoutOf(input.outputs);
  const wholeBytes = input.outputs.reduce((sum, slot) => sum + slot.bytes, 0);

  // The gateway's records by sequence number: a good one wins over errors, the first of each kind.
  const good = new Map<number, number>();
  const bad = new Map<number, number>();
  gatewayStats.records.forEach((record, index) => {
    if (record.seq === UNKNOWN_SEQ) return;
    const into = record.status === LINK_STATUS.ok && record.exit >= 0 ? good : bad;
    if (!into.has(record.seq)) into.set(record.seq, index);
  });

  /** The whole graph's outputs of one answer: the answering exit's output (every output without exits) copied by name. */
  const answer = (slots: SideSlots, row: number, wholeExit: number): Uint8Array => {
    const out = new Uint8Array(wholeBytes);
    const wanted = input.exitOutputs ? [input.exitOutputs[wholeExit]] : input.outputs.map((slot) => slot.name);
    for (const name of wanted) {
      const from = slots.offsets.get(name ?? '');
      const to = layout.get(name ?? '');
      if (from === undefined || to === undefined) {
        throw new Error(`internal: output "${name}" of whole exit ${wholeExit} is not an output of the answering device`);
      }
      out.set(slots.bytes.subarray(row * slots.sampleBytes + from.offset, row * slots.sampleBytes + from.offset + from.bytes), to.offset);
    }
    return out;
  };
  const instructionsOf = (target: Target, measured: boolean, record?: { runTicks: number; linkTicks: number }): number | null =>
    measured && record ? ticksToInstructions(record.runTicks + record.linkTicks, target) : measured ? ticksToInstructions(0, target) : null;

  return nodeStats.records.map((record, sample): DeviceSample => {
    const nodeInstructions = instructionsOf(node.target, record.ticksMeasured, record);
    if (record.exit < nodeExits) {
      return {
        device: node.name,
        exitIndex: record.exit,
        outputs: answer(nodeSlots, sample, record.exit),
        bytesSent: 0,
        instructions: { [node.name]: nodeInstructions, [gateway.name]: instructionsOf(gateway.target, gatewayStats.ticksMeasured) },
      };
    }
    const goodIndex = good.get(sample);
    const index = goodIndex ?? bad.get(sample);
    const gatewayRecord = index === undefined ? undefined : gatewayStats.records[index];
    const instructions = {
      [node.name]: nodeInstructions,
      [gateway.name]: gatewayRecord ? instructionsOf(gateway.target, gatewayStats.ticksMeasured, gatewayRecord) : null,
    };
    if (goodIndex !== undefined && gatewayRecord) {
      const wholeExit = nodeExits + gatewayRecord.exit;
      return {
        device: gateway.name,
        exitIndex: wholeExit,
        outputs: answer(gatewaySlots, goodIndex, wholeExit),
        bytesSent: record.frameBytes,
        instructions,
      };
    }
    const linkError = record.sendFailed
      ? SEND_FAILED
      : gatewayRecord
        ? (linkStatusName(gatewayRecord.status) ?? `status ${gatewayRecord.status}`)
        : LOST;
    return { device: null, exitIndex: -1, outputs: new Uint8Array(wholeBytes), bytesSent: record.frameBytes, instructions, linkError };
  });
}

/** Parse a node's stats.bin: one record per sample, then the trailer. */
export function parseNodeStats(stats: Uint8Array, samples: number): DeviceStats<NodeRecord> {
  const parsed = parseDeviceStats(stats, 'node', samples);
  const records = parsed.rows.map((row): NodeRecord => ({
    exit: row.getInt32(RECORD.exit, true),
    ticksMeasured: (row.getUint32(RECORD.flags, true) & RECORD_TICKS_MEASURED) !== 0,
    sendFailed: (row.getUint32(RECORD.flags, true) & RECORD_SEND_FAILED) !== 0,
    runTicks: Number(row.getBigUint64(RECORD.runTicks, true)),
    seq: row.getUint32(RECORD.seq, true),
    frameBytes: row.getUint32(RECORD.frameBytes, true),
    linkTicks: Number(row.getBigUint64(RECORD.linkTicks, true)),
  }));
  return { records, stackBytes: parsed.stackBytes, ticksMeasured: parsed.ticksMeasured };
}

/** Parse a gateway's stats.bin: one record per frame it received (good or not), then the trailer. */
export function parseGatewayStats(stats: Uint8Array): DeviceStats<GatewayRecord> {
  const parsed = parseDeviceStats(stats, 'gateway');
  const records = parsed.rows.map((row): GatewayRecord => ({
    exit: row.getInt32(RECORD.exit, true),
    status: row.getUint32(RECORD.flags, true),
    runTicks: Number(row.getBigUint64(RECORD.runTicks, true)),
    seq: row.getUint32(RECORD.seq, true),
    frameBytes: row.getUint32(RECORD.frameBytes, true),
    linkTicks: Number(row.getBigUint64(RECORD.linkTicks, true)),
  }));
  return { records, stackBytes: parsed.stackBytes, ticksMeasured: parsed.ticksMeasured };
}

/** The records (views of DEVICE_RECORD_BYTES) and the trailer of a device's stats.bin; `expected`: the record count it must have. */
function parseDeviceStats(
  stats: Uint8Array,
  role: string,
  expected?: number,
): { rows: DataView[]; stackBytes: number | null; ticksMeasured: boolean } {
  const view = new DataView(stats.buffer, stats.byteOffset, stats.byteLength);
  const recordsBytes = stats.byteLength - STATS_TRAILER_BYTES;
  const count = recordsBytes / DEVICE_RECORD_BYTES;
  if (recordsBytes < 0 || !Number.isInteger(count) || view.getUint32(recordsBytes + TRAILER.magic, true) !== STATS_MAGIC) {
    throw new EennError({
      code: 'E_RUN',
      message: `the ${role}'s stats.bin is not whole ${DEVICE_RECORD_BYTES}-byte records and a trailer (${stats.byteLength} bytes)`,
      hint: "the firmware's results are incomplete (it stopped while writing them): run again, and report it with the model if it repeats",
    });
  }
  const reported = view.getUint32(recordsBytes + TRAILER.count, true);
  if (reported !== count || (expected !== undefined && count !== expected)) {
    throw new EennError({
      code: 'E_RUN',
      message: `the ${role} wrote ${count} records and says ${reported}${expected === undefined ? '' : `, expected ${expected}`}`,
      hint: 'the firmware stopped early: run again, and report it with the model if it repeats',
    });
  }
  const flags = view.getUint32(recordsBytes + TRAILER.flags, true);
  const rows = Array.from({ length: count }, (_, i) => new DataView(stats.buffer, stats.byteOffset + i * DEVICE_RECORD_BYTES, DEVICE_RECORD_BYTES));
  return {
    rows,
    stackBytes: flags & STATS_STACK_MEASURED ? view.getUint32(recordsBytes + TRAILER.stack, true) : null,
    ticksMeasured: (flags & STATS_TICKS_MEASURED) !== 0,
  };
}

/** A side's output.bin cut per row: each output's offset in a row, and the row's bytes. */
interface SideSlots {
  bytes: Uint8Array;
  sampleBytes: number;
  offsets: Map<string, { offset: number; bytes: number }>;
}

function slotsOf(device: Pick<DeviceImage, 'name' | 'outputs'>, bytes: Uint8Array, rows: number): SideSlots {
  const sampleBytes = device.outputs.reduce((sum, slot) => sum + slot.bytes, 0);
  if (bytes.byteLength !== sampleBytes * rows) {
    throw new EennError({
      code: 'E_RUN',
      message: `${device.name}: output.bin holds ${bytes.byteLength} bytes, not ${rows} records of ${sampleBytes}`,
      hint: "the firmware's outputs are incomplete: run again, and report it with the model if it repeats",
    });
  }
  return { bytes, sampleBytes, offsets: layoutOf(device.outputs) };
}

function layoutOf(slots: readonly OutputSlot[]): Map<string, { offset: number; bytes: number }> {
  const layout = new Map<string, { offset: number; bytes: number }>();
  let offset = 0;
  for (const slot of slots) {
    layout.set(slot.name, { offset, bytes: slot.bytes });
    offset += slot.bytes;
  }
  return layout;
}

type RunResult = Awaited<ResultPromise<{ all: true; reject: false }>>;

/** A device's process: `done` resolves (never rejects) when it has ended; stop() kills it if it still runs. */
interface Started {
  done: Promise<RunResult>;
  stop(): void;
}

/** The command of a device with its link joined to `port` (emulator targets; a host process reads EENN_LINK_PORT). */
function linkedCommand(device: DeviceImage): (port: number) => [string, ...string[]] {
  const image = resolve(device.image);
  if (device.target.kind !== 'host' && !device.target.uart) {
    throw new EennError({
      code: 'E_TARGET',
      file: device.target.file,
      message: `${device.name} (${device.target.name}) has no "uart" for the link`,
      hint: 'a two-device run joins the devices through the target\'s CMSDK UART: describe it in the target file ("uart")',
    });
  }
  commandFor(device.target, image); // the emulator is on PATH (E_TOOLCHAIN otherwise), before anything starts
  return (port) => commandFor(device.target, image, device.target.uart ? { serial: device.target.uart.qemuSerial, port } : undefined);
}

/** Start a device's firmware in `cwd`; a host firmware finds the relay's port in EENN_LINK_PORT. */
function start(command: [string, ...string[]], cwd: string, port: number): Started {
  const child = trackChild(
    execa(command[0], command.slice(1), {
      cwd,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: { EENN_LINK_PORT: String(port) },
    }),
  );
  let finished = false;
  const done = Promise.resolve(child).then((result) => {
    finished = true;
    return result as RunResult;
  });
  return {
    done,
    stop: () => {
      if (!finished) child.kill('SIGKILL');
    },
  };
}

/** A promise that resolves undefined when the time limit is reached; clear() cancels it. */
function timeLimit(ms: number): { expired: Promise<undefined>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

function ended(result: RunResult): boolean {
  return result.exitCode === 0;
}

/** The E_RUN of a device that did not finish in time (it is stopped first, for what it printed). */
async function timedOut(device: DeviceImage, run: Started, timeoutMs: number, when: string): Promise<EennError> {
  run.stop();
  const printed = (await run.done).all ?? '';
  return new EennError({
    code: 'E_RUN',
    file: resolve(device.image),
    message: `the ${device.name} (${device.target.name}) did not finish within ${formatDuration(timeoutMs)}, ${when}`,
    details: lastLines(printed),
    hint: 'eenn_run() may loop forever, the link may be stuck (check the target\'s "uart"), or the samples need more time: run fewer samples or allow a longer timeout',
  });
}

/** A device's failed run as run.ts reports it, the device named. */
async function deviceFailure(device: DeviceImage, result: RunResult): Promise<EennError> {
  const error = await failedRun(device.target, resolve(device.image), result.exitCode, result.signal, result.all ?? '');
  return new EennError({ ...error.toInfo(), message: `the ${device.name} (${device.target.name}): ${error.message}` });
}

async function readDeviceFiles(device: DeviceImage, dir: string): Promise<{ output: Uint8Array; stats: Uint8Array }> {
  try {
    const [output, stats] = await Promise.all([readFile(join(dir, FIRMWARE_FILES.output)), readFile(join(dir, FIRMWARE_FILES.stats))]);
    return { output, stats };
  } catch {
    throw new EennError({
      code: 'E_RUN',
      file: resolve(device.image),
      message: `the ${device.name} (${device.target.name}) finished but left no output.bin/stats.bin`,
      hint: 'the firmware stopped before it wrote its results: run again, and report it with the model if it repeats',
    });
  }
}

function checkStack(device: DeviceImage, stackBytes: number | null): void {
  if (stackBytes !== null && device.target.stackBytes > 0 && stackBytes >= device.target.stackBytes) {
    throw new EennError({
      code: 'E_RUN',
      file: resolve(device.image),
      message: `the ${device.name} (${device.target.name}) overflowed its stack: it used all ${device.target.stackBytes} bytes`,
      hint: `raise "stack" in ${device.target.file}, or lower the stack use of eenn_run()`,
    });
  }
}

/** Run `work`, the device named in the EennError it throws. */
function inDevice<T>(device: DeviceImage, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (!(err instanceof EennError)) throw err;
    throw new EennError({ ...err.toInfo(), file: err.file ?? resolve(device.image) });
  }
}
