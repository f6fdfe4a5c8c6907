// Benchmark of multi-device builds (`npm run bench:devices`, also run by `npm run bench`): the Fashion-MNIST exits
// example (examples/fmnist_branchy) in int8, split between a cortex-m0plus node and a cortex-m7 gateway joined by a
// 230,400-baud UART (--devices node=cortex-m0plus,gateway=cortex-m7 --link uart:230400):
//   1. the cut table (every cut: predicted latency, energy, link bytes, each device's instructions, fit) and the cut
//      chosen; its mean predicted latency against all on the node and all on the gateway (bar: below both);
//   2. test images run through both emulators joined by the link (200 unless --samples): every answer against the
//      single-device build run in QEMU on the same images (exit and output bytes) and against the int8 reference;
//      which device answered and the bytes sent; per device, the cost model's predicted instructions against QEMU's
//      counts, over the samples and per exit path (bar: within 10%); the measured latency (each device's
//      instructions over its clock, and the link's time for the bytes sent) beside the predicted;
//   3. the same images again with faults injected on the link (each byte dropped or corrupted at --fault-rate):
//      answers that differ from the clean run (bar: 0) and the faults detected, by kind.
// Usage: npm run bench:devices -- [--samples N] [--fault-samples N] [--fault-rate R] [--seed S] [--json]
//   A report, not a test: it exits 0 whatever the bars say, and 1 only when a build or run fails.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { log, usageError, positiveOption } from './bench-cli.js';
import { PIXEL_SCALE, TEST_IMAGES } from './bench-fmnist.js';
import { compileModel, type CalibrationSource, type CompileResult } from '../src/compile.js';
import { readSamples } from '../src/data/index.js';
import { executeDevices, type DevicesExecution } from '../src/devices-execute.js';
import { frameBytes, lineSeconds, resolveDeviceOptions, type CutEvaluation, type DeviceOptions, type DeviceSpec } from '../src/devices/index.js';
import { answeringOutput, exitName, int8ReferenceRun } from '../src/exit-reference.js';
import { sizeOf } from '../src/ir/graph.js';
import { encodeSamples, type EncodedInput } from '../src/io-codec.js';
import { deviceTableLines } from '../src/report/device-table.js';
import { runFirmware, type FirmwareRun } from '../src/toolchain/index.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = 'examples/fmnist_branchy/fmnist_branchy.onnx';
const CALIBRATION: CalibrationSource = {
  path: join(ROOT, 'examples/fmnist_branchy/calib_u8.npy'),
  scale: 1 / 255,
  method: 'percentile',
};
/** The devices and the link of the bench's split: a Cortex-M0+ sensor node and a Cortex-M7 gateway over a 230,400-baud UART. */
const DEVICES = 'node=cortex-m0plus,gateway=cortex-m7';
const LINK = 'uart:230400';
/** The bar on the cost model: each device's predicted instructions within this share of QEMU's counts. */
const PREDICTION_BAR = 0.1;
/**
 * Default fault rate per byte (half drops, half bit flips): a frame of the chosen cut carries 1,588 bytes, so about
 * four in five of the frames sent are hit (1 - (1 - 0.001)^1588), and a dropped byte also spoils the frame after it.
 */
const DEFAULT_FAULT_RATE = 0.001;
const DEFAULT_SEED = 7;
/** Time limit of one emulator run (both devices, or the single-device build) over all the samples. */
const RUN_TIMEOUT_MS = 600_000;
const MS_PER_S = 1e3;

interface Options {
  samples: number;
  faultSamples: number;
  faultRate: number;
  seed: number;
  json: boolean;
}

/** A predicted figure beside the measured one, and the relative error of the prediction. */
interface Comparison {
  predicted: number;
  measured: number;
  error: number;
}

/** One device's predicted instructions against QEMU's counts. */
interface DevicePrediction {
  device: string;
  target: string;
  /** The mean over the samples that ran on this device (the node: every sample; the gateway: those sent). */
  mean: Comparison;
  /** Per exit of the whole graph that some sample took and this device worked on. */
  byExit: ({ exit: string; samples: number } & Comparison)[];
  bar: 'PASS' | 'FAIL';
}

interface Figures {
  model: string;
  devices: string;
  link: string;
  buildSeconds: number;
  /** report.json's "devices": every cut evaluated and the one chosen. */
  table: NonNullable<CompileResult['report']['devices']>;
  choice: {
    position: number;
    label: string;
    latencyMs: number;
    allOnNodeMs: number;
    allOnGatewayMs: number;
    /** How much lower the chosen cut's latency is than each (a share; negative when higher). */
    belowNode: number;
    belowGateway: number;
    bar: 'PASS' | 'FAIL';
  };
  run: {
    samples: number;
    seconds: number;
    /** Answers (exit and output bytes) that differ from the single-device build in QEMU, and from the int8 reference. */
    differFromSingle: number;
    differFromReference: number;
    singleTarget: string;
    bitExact: 'PASS' | 'FAIL';
    answeredBy: Record<string, number>;
    byExit: Record<string, number>;
    /** Frame bytes on the link: the mean per inference and the total. */
    meanBytesSent: number;
    totalBytesSent: number;
    predictions: DevicePrediction[];
    /**
     * Mean latency per inference: the cost model's (the calibration samples' exit shares); predicted on these samples'
     * exits for the chosen cut, all on the node and all on the gateway; measured for the chosen cut.
     */
    latencyMs: { model: number; predicted: number; measured: number; allOnNode: number; allOnGateway: number };
  };
  faults: {
    samples: number;
    rate: number;
    seed: number;
    bytesDropped: number;
    bytesCorrupted: number;
    framesSent: number;
    answered: number;
    wrong: number;
    /** Samples lost to a fault on the link, by the kind reported (crc, length, timeout, model, type, io, lost). */
    detected: Record<string, number>;
    bar: 'PASS' | 'FAIL';
    seconds: number;
  };
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:devices -- [--samples N] [--fault-samples N] [--fault-rate R] [--seed S] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        samples: { type: 'string', default: '200' },
        'fault-samples': { type: 'string', default: '200' },
        'fault-rate': { type: 'string', default: String(DEFAULT_FAULT_RATE) },
        seed: { type: 'string', default: String(DEFAULT_SEED) },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --samples N        test images run through both emulators (default 200)\n` +
        '  --fault-samples N  test images run again with faults on the link (default 200)\n' +
        `  --fault-rate R     probability that a byte on the link is dropped or corrupted (default ${DEFAULT_FAULT_RATE})\n` +
        `  --seed S           seed of the faults (default ${DEFAULT_SEED})\n` +
        '  --json             print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  const faultRate = Number(values['fault-rate']);
  if (!(faultRate > 0 && faultRate < 1)) usageError(`--fault-rate must be a number between 0 and 1, got "${values['fault-rate']}"`, usage);
  return {
    samples: positiveOption('samples', values.samples, usage),
    faultSamples: positiveOption('fault-samples', values['fault-samples'], usage),
    faultRate,
    seed: positiveOption('seed', values.seed, usage),
    json: values.json,
  };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function compare(predicted: number, measured: number): Comparison {
  return { predicted, measured, error: measured === 0 ? (predicted === 0 ? 0 : Infinity) : predicted / measured - 1 };
}

/** The first `count` test images, encoded for the model input of `compiled`. */
function testImages(compiled: CompileResult, count: number): { encoded: EncodedInput[]; bytes: Uint8Array } {
  const input = compiled.graph.tensors.get(compiled.graph.inputs[0]!)!;
  const size = sizeOf(input.shape);
  const read = readSamples(TEST_IMAGES, input.shape, { scale: PIXEL_SCALE, count });
  return encodeSamples(
    input,
    Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size)),
  );
}

/** The bytes of the output that answered sample `sample` (its exit's), in the whole graph's output layout. */
function answerBytes(compiled: CompileResult, record: Uint8Array, exit: number): Uint8Array {
  const name = answeringOutput(compiled.graph, exit);
  const index = compiled.graph.outputs.indexOf(name);
  const offset = compiled.outputBytes.slice(0, index).reduce((a, b) => a + b, 0);
  return record.subarray(offset, offset + compiled.outputBytes[index]!);
}

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The evaluation of the cut at `position` (0: all on the gateway; the step count: all on the node). */
function evaluationAt(compiled: CompileResult, position: number): CutEvaluation {
  const found = compiled.devices!.plan.evaluations.find((e) => e.cut.position === position);
  if (!found) throw new Error(`the cut table has no cut at position ${position}`);
  return found;
}

/**
 * Per device that worked on some sample, the cost model's instructions for the chosen cut against QEMU's counts of
 * the samples run (a gateway that every sample bypassed has nothing to compare).
 */
function predictions(compiled: CompileResult, execution: DevicesExecution): DevicePrediction[] {
  const { chosen } = compiled.devices!.plan;
  const { graph } = compiled;
  return [chosen.node, chosen.gateway].flatMap((cost): DevicePrediction[] => {
    // The samples this device worked on: the node runs every one, the gateway those sent to it.
    const worked = execution.answers
      .map((answer, i) => ({ exit: execution.run.exits[i]!, measured: answer.instructions[cost.device] }))
      .filter((s): s is { exit: number; measured: number } => typeof s.measured === 'number' && s.exit >= 0 && cost.instructionsByExit[s.exit]! > 0);
    const byExit = [...new Set(worked.map((s) => s.exit))]
      .sort((a, b) => a - b)
      .map((exit) => {
        const at = worked.filter((s) => s.exit === exit);
        return { exit: exitName(graph, exit), samples: at.length, ...compare(cost.instructionsByExit[exit]!, mean(at.map((s) => s.measured))) };
      });
    if (worked.length === 0) return [];
    const overall = compare(mean(worked.map((s) => cost.instructionsByExit[s.exit]!)), mean(worked.map((s) => s.measured)));
    const within = [overall, ...byExit].every((c) => Math.abs(c.error) <= PREDICTION_BAR);
    return [{ device: cost.device, target: cost.target, mean: overall, byExit, bar: within ? 'PASS' : 'FAIL' }];
  });
}

/**
 * The cost model's latency in milliseconds of `evaluation`'s cut for an input leaving at whole exit `exit`: the node's
 * instructions over its clock and, when the input is sent, the frame's time on the line and the gateway's instructions
 * over its clock.
 */
function exitLatencyMs(evaluation: CutEvaluation, exit: number, steps: number, devices: DeviceOptions): number {
  const [node, gateway] = devices.devices as [DeviceSpec, DeviceSpec];
  const sent = evaluation.cut.position < steps && exit >= evaluation.cut.nodeExits.length;
  const nodeSeconds = evaluation.node.instructionsByExit[exit]! / (node.target.clock?.hz ?? NaN);
  const gatewaySeconds = evaluation.gateway.instructionsByExit[exit]! / (gateway.target.clock?.hz ?? NaN);
  return (nodeSeconds + (sent ? lineSeconds(devices.link, frameBytes(evaluation.cut.payloadBytes)) + gatewaySeconds : 0)) * MS_PER_S;
}

/**
 * Mean latency per inference in milliseconds of the samples run, as the cost model charges it: each device's
 * instructions over its clock, and for a sample sent the line's time for its frame. `instructions(i, device)`
 * gives a sample's instructions on a device as QEMU counted them.
 */
function latencyMs(devices: DeviceOptions, execution: DevicesExecution, instructions: (sample: number, device: string) => number): number {
  const perSample = execution.answers.map((answer, i) => {
    let seconds = 0;
    for (const device of devices.devices) seconds += instructions(i, device.name) / (device.target.clock?.hz ?? NaN);
    return seconds + (answer.bytesSent > 0 ? lineSeconds(devices.link, answer.bytesSent) : 0);
  });
  return mean(perSample) * MS_PER_S;
}

async function measure(options: Options, workDir: string): Promise<Figures> {
  const devices = resolveDeviceOptions({ devices: DEVICES, link: LINK })!;
  const started = Date.now();
  log(`bench: building ${MODEL} for ${DEVICES} --link ${LINK} (int8)`);
  const compiled = await compileModel({
    model: join(ROOT, MODEL),
    target: devices.devices[0]!.target.name,
    precision: 'int8',
    calibration: CALIBRATION,
    outDir: join(workDir, 'devices'),
    link: true,
    devices,
    onProgress: (message) => {
      if (!message.startsWith('calibrating')) log(`bench: ${message}`);
    },
  });
  const buildSeconds = (Date.now() - started) / MS_PER_S;
  const plan = compiled.devices!.plan;
  const table = compiled.report.devices!;
  const steps = plan.plan.steps.length;
  const chosen = plan.chosen;
  const allOnNode = evaluationAt(compiled, steps);
  const allOnGateway = evaluationAt(compiled, 0);
  const belowNode = 1 - chosen.latencyMs / allOnNode.latencyMs;
  const belowGateway = 1 - chosen.latencyMs / allOnGateway.latencyMs;

  // The single-device build the split must equal, on the node's target (where all on the node runs).
  const singleTarget = devices.devices[0]!.target.name;
  log(`bench: building the single-device build for ${singleTarget}`);
  const single = await compileModel({
    model: join(ROOT, MODEL),
    target: singleTarget,
    precision: 'int8',
    calibration: CALIBRATION,
    outDir: join(workDir, 'single'),
    link: true,
  });

  const { encoded, bytes } = testImages(compiled, options.samples);
  const count = encoded.length;
  log(`bench: ${count} test images through both emulators joined by the link`);
  const runStarted = Date.now();
  const execution = await executeDevices(compiled, bytes, count, RUN_TIMEOUT_MS);
  const runSeconds = (Date.now() - runStarted) / MS_PER_S;
  log(`bench: the same ${count} images on the single-device build (${singleTarget})`);
  const singleRun: FirmwareRun = await runFirmware(single.image!.elfPath, single.target, testImages(single, count).bytes, {
    samples: count,
    timeoutMs: RUN_TIMEOUT_MS,
  });

  let differFromSingle = 0;
  let differFromReference = 0;
  const answeredBy: Record<string, number> = {};
  const byExit: Record<string, number> = {};
  execution.answers.forEach((answer, i) => {
    const exit = execution.run.exits[i]!;
    answeredBy[answer.name ?? 'none'] = (answeredBy[answer.name ?? 'none'] ?? 0) + 1;
    const name = exit >= 0 ? exitName(compiled.graph, exit) : 'none';
    byExit[name] = (byExit[name] ?? 0) + 1;
    const got = exit >= 0 ? answerBytes(compiled, execution.run.outputs[i]!, exit) : new Uint8Array();
    const singleExit = singleRun.exits[i]!;
    if (exit !== singleExit || !sameBytes(got, answerBytes(single, singleRun.outputs[i]!, singleExit))) differFromSingle++;
    const reference = int8ReferenceRun(compiled.graph, { [compiled.graph.inputs[0]!]: encoded[i]!.value });
    const want = reference.outputs[answeringOutput(compiled.graph, reference.exit)]!.data as Int8Array;
    if (exit !== reference.exit || !sameBytes(new Int8Array(got.buffer, got.byteOffset, got.length), want)) differFromReference++;
  });
  const sent = execution.answers.map((a) => a.bytesSent);
  const predictionRows = predictions(compiled, execution);
  const onImages = (evaluation: CutEvaluation) => mean(execution.run.exits.map((exit) => exitLatencyMs(evaluation, exit, steps, devices)));
  // A device missing from a sample's counts did nothing for it (all on the node); one counted as null was not measured.
  const measuredInstructions = (i: number, device: string) => {
    const counted = execution.answers[i]!.instructions[device];
    return counted === undefined ? 0 : (counted ?? NaN);
  };

  const faultCount = options.faultSamples;
  log(`bench: ${faultCount} test images with faults on the link (rate ${options.faultRate} a byte, seed ${options.seed})`);
  const faultInputs = faultCount === count ? bytes : testImages(compiled, faultCount).bytes;
  const clean = faultCount === count ? execution : await executeDevices(compiled, faultInputs, faultCount, RUN_TIMEOUT_MS);
  const faultStarted = Date.now();
  const faulty = await executeDevices(compiled, faultInputs, faultCount, RUN_TIMEOUT_MS, { rate: options.faultRate, seed: options.seed });
  const faultSeconds = (Date.now() - faultStarted) / MS_PER_S;
  let answered = 0;
  let wrong = 0;
  const detected: Record<string, number> = {};
  faulty.answers.forEach((answer, i) => {
    if (answer.name === null) {
      const kind = answer.linkError ?? 'unknown';
      detected[kind] = (detected[kind] ?? 0) + 1;
      return;
    }
    answered++;
    const exit = faulty.run.exits[i]!;
    if (exit !== clean.run.exits[i] || !sameBytes(faulty.run.outputs[i]!, clean.run.outputs[i]!)) wrong++;
  });

  return {
    model: MODEL,
    devices: DEVICES,
    link: LINK,
    buildSeconds,
    table,
    choice: {
      position: chosen.cut.position,
      label: chosen.label,
      latencyMs: chosen.latencyMs,
      allOnNodeMs: allOnNode.latencyMs,
      allOnGatewayMs: allOnGateway.latencyMs,
      belowNode,
      belowGateway,
      bar: belowNode > 0 && belowGateway > 0 ? 'PASS' : 'FAIL',
    },
    run: {
      samples: count,
      seconds: runSeconds,
      differFromSingle,
      differFromReference,
      singleTarget,
      bitExact: differFromSingle === 0 && differFromReference === 0 ? 'PASS' : 'FAIL',
      answeredBy,
      byExit,
      meanBytesSent: mean(sent),
      totalBytesSent: sent.reduce((a, b) => a + b, 0),
      predictions: predictionRows,
      latencyMs: {
        model: chosen.latencyMs,
        predicted: onImages(chosen),
        measured: latencyMs(devices, execution, measuredInstructions),
        allOnNode: onImages(allOnNode),
        allOnGateway: onImages(allOnGateway),
      },
    },
    faults: {
      samples: faultCount,
      rate: options.faultRate,
      seed: options.seed,
      bytesDropped: faulty.relay?.dropped ?? 0,
      bytesCorrupted: faulty.relay?.corrupted ?? 0,
      framesSent: faulty.answers.filter((a) => a.bytesSent > 0).length,
      answered,
      wrong,
      detected,
      bar: wrong === 0 ? 'PASS' : 'FAIL',
      seconds: faultSeconds,
    },
  };
}

/** A share as a percentage, to a tenth. */
function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A prediction's relative error, to a hundredth of a percent. */
function signedPercent(share: number): string {
  return `${share >= 0 ? '+' : ''}${(share * 100).toFixed(2)}%`;
}

function printTables(f: Figures): void {
  const out: string[] = [];
  const c = f.choice;
  out.push(`Multi-device build of ${f.model}, int8, --devices ${f.devices} --link ${f.link} (built in ${f.buildSeconds.toFixed(0)} s)`);
  out.push('');
  out.push(...deviceTableLines(f.table));
  out.push('');
  out.push(
    `chosen: cut ${c.position} (${c.label}), ${c.latencyMs.toFixed(2)} ms predicted per inference: ` +
      `${percent(c.belowNode)} below all on the node (${c.allOnNodeMs.toFixed(2)} ms), ` +
      `${percent(c.belowGateway)} below all on the gateway (${c.allOnGatewayMs.toFixed(2)} ms); bar (below both): ${c.bar}`,
  );
  out.push('');
  const r = f.run;
  const answered = Object.entries(r.answeredBy)
    .map(([device, n]) => `${device} ${n}`)
    .join(', ');
  const exits = Object.entries(r.byExit)
    .map(([exit, n]) => `${exit} ${n}`)
    .join(', ');
  out.push(`${r.samples} test images through both emulators (${r.seconds.toFixed(0)} s): answered by ${answered}; exits ${exits}`);
  out.push(
    `  bit-exact: ${r.differFromSingle} answers differ from the single-device build (${r.singleTarget}, QEMU), ` +
      `${r.differFromReference} from the int8 reference: ${r.bitExact}`,
  );
  out.push(`  link: ${r.meanBytesSent.toFixed(1)} bytes per inference (${r.totalBytesSent} in all)`);
  out.push('  instructions per device, predicted (cost model) against QEMU, bar within 10%:');
  for (const p of r.predictions) {
    out.push(
      `    ${p.device} (${p.target}): mean ${Math.round(p.mean.predicted)} / ${Math.round(p.mean.measured)} (${signedPercent(p.mean.error)}); ` +
        p.byExit
          .map((e) => `${e.exit} (${e.samples}) ${Math.round(e.predicted)} / ${Math.round(e.measured)} (${signedPercent(e.error)})`)
          .join('; ') +
        `: ${p.bar}`,
    );
  }
  const l = r.latencyMs;
  out.push(
    `  latency per inference: cost model ${l.model.toFixed(2)} ms (the calibration samples' exits); on these images ` +
      `predicted ${l.predicted.toFixed(2)} ms, measured ${l.measured.toFixed(2)} ms (QEMU's instructions at each clock, and the line); ` +
      `predicted all on the node ${l.allOnNode.toFixed(2)} ms, all on the gateway ${l.allOnGateway.toFixed(2)} ms`,
  );
  out.push('');
  const x = f.faults;
  const kinds = Object.entries(x.detected)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  out.push(
    `${x.samples} test images with faults on the link (rate ${x.rate} a byte, seed ${x.seed}; ${x.bytesDropped} bytes dropped, ` +
      `${x.bytesCorrupted} corrupted; ${x.seconds.toFixed(0)} s): ${x.framesSent} frames sent, ${x.answered} answered, ${x.wrong} wrong; ` +
      `detected: ${kinds || 'none'}; bar (0 wrong): ${x.bar}`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  const options = parseOptions();
  const workDir = await makeTempDir('eennc-bench-devices-');
  try {
    const figures = await measure(options, workDir);
    if (options.json) process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
    else printTables(figures);
    return 0;
  } catch (err) {
    log(`bench: failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await removeTempDir(workDir);
  }
}

process.exitCode = await main();
