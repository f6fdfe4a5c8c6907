// Benchmark of the float32 builds: compiles each example model for a target, runs a few samples in QEMU and
// prints cost (instructions per inference and per MAC) and memory (flash, weights, arena, stack) beside onnx2c.
// Usage: npm run bench -- [--target T] [--samples N] [--json]
//   A report, not a test: it exits 0 whatever the comparison says, and 1 only when a build or run fails.
//   The table (or the --json document) goes to stdout, progress to stderr.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { log, usageError } from './bench-cli.js';
import { compileModel, type CompileResult } from '../src/compile.js';
import { readNpy, readSamples } from '../src/data/index.js';
import { EennError } from '../src/ir/diagnostics.js';
import { DEFAULT_TARGET_NAME, formatSize, loadTarget } from '../src/target/target.js';
import { runFirmware, type FirmwareRun } from '../src/toolchain/index.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Published onnx2c figures for the same model: float32, cortex-m4, QEMU, -O2. */
interface Onnx2cFigures {
  instructionsPerMac: number;
  /** RAM of the onnx2c build in bytes; absent where not published. */
  ramBytes?: number;
}

interface BenchModel {
  name: string;
  /** Paths relative to the repository root. */
  file: string;
  /** Input samples: the first of these files that exists. */
  inputs: string[];
  /** The framework's float32 outputs for the same inputs, to check that what is measured computes the right thing. */
  expected?: string;
  onnx2c?: Onnx2cFigures;
  /** Benchmarked only when the model file exists. */
  optional?: boolean;
}

/** The target onnx2c's figures were measured on; instruction counts compare only on it. */
const REFERENCE_TARGET = 'cortex-m4';
/** onnx2c's RAM figures are given in KB; 1 KB = 1000 B makes the RAM bar the stricter of the two readings. */
const KB = 1000;
/** The RAM bar: our arena at most this fraction of onnx2c's RAM. */
const RAM_RATIO = 0.6;
/** Largest difference from the expected outputs before the run is flagged (float32, other summation order). */
const OUTPUT_TOLERANCE = 1e-3;
/** Operators whose multiply-accumulates count as the model's MACs, as published figures count them. */
const MAC_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

const MODELS: BenchModel[] = [
  {
    name: 'fmnist_cnn',
    file: 'examples/fmnist/fmnist_cnn.onnx',
    inputs: ['examples/fmnist/test_inputs.npy'],
    expected: 'examples/fmnist/expected_float.npy',
    onnx2c: { instructionsPerMac: 20.8, ramBytes: 100 * KB },
  },
  {
    name: 'resnet8',
    file: 'examples/bench/resnet8.onnx',
    inputs: ['examples/bench/resnet8_inputs.npy'],
    expected: 'examples/bench/resnet8_expected.npy',
    onnx2c: { instructionsPerMac: 18.9, ramBytes: 197 * KB },
  },
  {
    name: 'ds_cnn',
    file: 'examples/bench/ds_cnn.onnx',
    inputs: ['examples/bench/ds_cnn_inputs.npy'],
    expected: 'examples/bench/ds_cnn_expected.npy',
    onnx2c: { instructionsPerMac: 9.4, ramBytes: 64 * KB },
  },
  {
    name: 'fc_autoencoder',
    file: 'examples/bench/fc_autoencoder.onnx',
    inputs: ['examples/bench/fc_autoencoder_inputs.npy'],
    expected: 'examples/bench/fc_autoencoder_expected.npy',
    onnx2c: { instructionsPerMac: 5.1 },
  },
  {
    name: 'fmnist_small',
    file: 'examples/fmnist_small/fmnist_small.onnx',
    // Same input shape as fmnist_cnn: its test images serve until the model's own are written.
    inputs: ['examples/fmnist_small/test_inputs.npy', 'examples/fmnist/test_inputs.npy'],
    expected: 'examples/fmnist_small/expected_float.npy',
    optional: true,
  },
];

type Bar = 'PASS' | 'FAIL' | 'n/a';
type Status = 'ok' | 'does not fit' | 'failed';

interface BenchRow {
  model: string;
  file: string;
  status: Status;
  error?: string;
  /** Why the model does not fit the target, when it was measured with the fit limits lifted. */
  overLimits?: string[];
  /** Conv/Gemm/MatMul multiply-accumulates. */
  macs?: number;
  /** Every operator's MACs as the build report counts them (element-wise operations included). */
  reportMacs?: number;
  instructions?: (number | null)[];
  instructionsPerInference?: number | null;
  instructionsPerMac?: number | null;
  flashBytes?: number;
  ramBytes?: number;
  weightsBytes?: number;
  arenaBytes?: number;
  /** The smallest arena any placement could reach for these tensor lifetimes (peak of live bytes). */
  arenaLowerBoundBytes?: number;
  unplannedBytes?: number;
  stackBytes?: number | null;
  maxAbsError?: number | null;
  onnx2c?: Onnx2cFigures;
  instructionsBar: Bar;
  ramBar: Bar;
}

interface BenchOptions {
  target: string;
  samples: number;
  json: boolean;
}

/** A copy of the target file with larger fit limits. */
interface LiftedTarget {
  file: string;
  flashBytes: number;
  ramBytes: number;
}

/**
 * The target with its fit limits raised to the sizes of its emulator's memory regions. A model too big for the
 * chip still runs in QEMU (onnx2c's figures were measured that way), so its cost can be compared. Written as a
 * copy of the target file, under the same name, in `workDir`; null for targets without an emulator memory map.
 */
async function liftTargetLimits(targetName: string, workDir: string): Promise<LiftedTarget | null> {
  const target = loadTarget(targetName);
  const map = target.memoryMap;
  if (target.kind !== 'emulator' || !map) return null;
  const lengthOf = (region: string) => map.regions.find((r) => r.name === region)?.lengthBytes;
  const flashBytes = lengthOf(map.code);
  const ramBytes = lengthOf(map.data);
  if (flashBytes === undefined || ramBytes === undefined) return null;
  const json = JSON.parse(await readFile(target.file, 'utf8')) as Record<string, unknown>;
  json.limits = { flash: flashBytes, ram: ramBytes };
  delete json.$schema;
  const script = json.linkerScript;
  if (typeof script === 'string' && !isAbsolute(script)) json.linkerScript = resolve(dirname(target.file), script);
  const dir = join(workDir, 'lifted-target');
  await mkdir(dir, { recursive: true });
  const file = join(dir, basename(target.file));
  await writeFile(file, JSON.stringify(json, null, 2) + '\n');
  return { file, flashBytes, ramBytes };
}

const doesNotFit = (err: unknown): err is EennError => err instanceof EennError && err.code === 'E_TARGET' && /does not fit/.test(err.message);

function parseOptions(): BenchOptions {
  const usage = 'usage: npm run bench -- [--target T] [--samples N] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        target: { type: 'string', short: 't', default: DEFAULT_TARGET_NAME },
        samples: { type: 'string', default: '2' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --target T   target name or file (default ${DEFAULT_TARGET_NAME})\n` +
        '  --samples N  samples run per model (default 2)\n  --json       print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  const samples = Number(values.samples);
  if (!Number.isSafeInteger(samples) || samples < 1) {
    usageError(`--samples must be a positive integer, got "${values.samples}"`, usage);
  }
  return { target: values.target, samples, json: values.json };
}

/** Conv/Gemm/MatMul MACs from the build report's layers. */
function matmulMacs(compiled: CompileResult): number {
  return compiled.report.layers.reduce((n, layer) => n + (MAC_OPS.has(layer.op) ? layer.macs : 0), 0);
}

/** Input bytes of the first `count` samples, shaped for the model's only input. */
function loadInputBytes(compiled: CompileResult, path: string, count: number): { bytes: Uint8Array; count: number } {
  const { graph } = compiled;
  if (graph.inputs.length !== 1) {
    throw new EennError({ code: 'E_DATA', file: path, message: `the model has ${graph.inputs.length} inputs; the benchmark feeds one` });
  }
  const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
  const samples = readSamples(path, shape, { count });
  return { bytes: new Uint8Array(samples.data.buffer, samples.data.byteOffset, samples.data.byteLength), count: samples.count };
}

/** Largest |firmware - expected| over the first output of the samples run; null without an expected file. */
function maxOutputError(compiled: CompileResult, run: FirmwareRun, expectedPath: string | undefined): number | null {
  if (!expectedPath || !existsSync(expectedPath)) return null;
  const expected = readNpy(expectedPath).data;
  const outputValues = compiled.outputBytes[0]! / 4;
  let worst = 0;
  run.outputs.forEach((raw, sample) => {
    const values = new Float32Array(raw.slice(0, outputValues * 4).buffer);
    for (let i = 0; i < outputValues; i++) {
      const reference = Number(expected[sample * outputValues + i]);
      worst = Math.max(worst, Math.abs(values[i]! - reference));
    }
  });
  return worst;
}

function average(values: (number | null)[]): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return Math.round((values as number[]).reduce((a, b) => a + b, 0) / values.length);
}

/** Instructions compare on the reference target only; the arena does not depend on the target. */
function barsFor(row: BenchRow, targetName: string): { instructionsBar: Bar; ramBar: Bar } {
  const reference = row.onnx2c;
  const instructionsBar: Bar =
    reference && row.instructionsPerMac != null && targetName === REFERENCE_TARGET
      ? row.instructionsPerMac < reference.instructionsPerMac
        ? 'PASS'
        : 'FAIL'
      : 'n/a';
  const ramBar: Bar =
    reference?.ramBytes !== undefined && row.arenaBytes !== undefined ? (row.arenaBytes <= RAM_RATIO * reference.ramBytes ? 'PASS' : 'FAIL') : 'n/a';
  return { instructionsBar, ramBar };
}

/** Build for the target; a model too big for it is built again with the limits lifted, and says why. */
async function compileForBench(
  model: BenchModel,
  options: BenchOptions,
  workDir: string,
): Promise<{ compiled: CompileResult; overLimits?: string[] }> {
  const build = (target: string) =>
    compileModel({
      model: join(ROOT, model.file),
      target,
      precision: 'float32',
      outDir: join(workDir, model.name),
      link: true,
    });
  try {
    return { compiled: await build(options.target) };
  } catch (err) {
    if (!doesNotFit(err)) throw err;
    const lifted = await liftTargetLimits(options.target, workDir);
    if (!lifted) throw err;
    const overLimits = err.details ?? [err.message];
    log(
      `bench: ${model.name}: does not fit ${options.target} (${overLimits.join('; ')}); ` +
        `measuring with the limits lifted to the emulator's memory (flash ${formatSize(lifted.flashBytes)}, RAM ${formatSize(lifted.ramBytes)})`,
    );
    return { compiled: await build(lifted.file), overLimits };
  }
}

async function benchModel(model: BenchModel, options: BenchOptions, workDir: string): Promise<BenchRow> {
  const base: BenchRow = { model: model.name, file: model.file, status: 'failed', onnx2c: model.onnx2c, instructionsBar: 'n/a', ramBar: 'n/a' };
  const started = performance.now();
  try {
    log(`bench: ${model.name}: building for ${options.target}`);
    const { compiled, overLimits } = await compileForBench(model, options, workDir);
    const ownInputs = join(ROOT, model.inputs[0]!);
    const inputsFile = model.inputs.map((p) => join(ROOT, p)).find((p) => existsSync(p)) ?? ownInputs;
    // Expected outputs belong to the model's own inputs; borrowed inputs have none.
    const expected = model.expected && inputsFile === ownInputs ? join(ROOT, model.expected) : undefined;
    const inputs = loadInputBytes(compiled, inputsFile, options.samples);
    log(`bench: ${model.name}: running ${inputs.count} sample${inputs.count === 1 ? '' : 's'}`);
    const run = await runFirmware(compiled.image!.elfPath, compiled.target, inputs.bytes, { samples: inputs.count, timeoutMs: 300_000 });
    const macs = matmulMacs(compiled);
    const perInference = average(run.instructions);
    const memory = compiled.report.memory;
    const row: BenchRow = {
      ...base,
      status: 'ok',
      ...(overLimits ? { overLimits } : {}),
      macs,
      reportMacs: compiled.report.macs,
      instructions: run.instructions,
      instructionsPerInference: perInference,
      instructionsPerMac: perInference === null || macs === 0 ? null : perInference / macs,
      flashBytes: memory.flash_bytes,
      ramBytes: memory.ram_bytes,
      weightsBytes: memory.weights_bytes,
      arenaBytes: memory.arena_bytes,
      arenaLowerBoundBytes: compiled.plan.lowerBoundBytes,
      unplannedBytes: memory.unplanned_activation_bytes,
      stackBytes: run.stackBytes,
      maxAbsError: maxOutputError(compiled, run, expected),
    };
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const error =
      row.maxAbsError === null || row.maxAbsError === undefined ? 'no expected outputs' : `max |error| ${row.maxAbsError.toExponential(2)}`;
    log(`bench: ${model.name}: ${perInference ?? 'uncounted'} instructions/inference, ${error}, ${seconds} s`);
    if (row.maxAbsError != null && row.maxAbsError > OUTPUT_TOLERANCE) {
      log(`bench: warning: ${model.name}: outputs differ from ${model.expected} by ${row.maxAbsError} (tolerance ${OUTPUT_TOLERANCE})`);
    }
    return { ...row, ...barsFor(row, compiled.target.name) };
  } catch (err) {
    const message = err instanceof EennError ? err.format() : `error: internal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    log(message);
    // A model too big for the chosen target (and its emulator) is a result to report, not a broken build.
    return { ...base, status: doesNotFit(err) ? 'does not fit' : 'failed', error: err instanceof Error ? err.message : String(err) };
  }
}

const count = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toLocaleString('en-US'));
const ratio = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toFixed(2));

const COLUMNS: { title: string; cell: (row: BenchRow) => string; left?: boolean }[] = [
  { title: 'model', cell: (r) => (r.overLimits ? `${r.model} *` : r.model), left: true },
  { title: 'MACs', cell: (r) => count(r.macs) },
  { title: 'instructions/inference', cell: (r) => count(r.instructionsPerInference) },
  { title: 'instructions/MAC', cell: (r) => ratio(r.instructionsPerMac) },
  { title: 'onnx2c instr/MAC', cell: (r) => ratio(r.onnx2c?.instructionsPerMac) },
  { title: 'flash B', cell: (r) => count(r.flashBytes) },
  { title: 'weights B', cell: (r) => count(r.weightsBytes) },
  { title: 'arena B', cell: (r) => count(r.arenaBytes) },
  { title: 'tensors without reuse B', cell: (r) => count(r.unplannedBytes) },
  { title: 'onnx2c RAM', cell: (r) => (r.onnx2c?.ramBytes === undefined ? 'n/a' : `${r.onnx2c.ramBytes / KB} KB`) },
  { title: 'stack used B', cell: (r) => count(r.stackBytes) },
  { title: 'fewer instr/MAC', cell: (r) => r.instructionsBar, left: true },
  { title: `arena <= ${RAM_RATIO * 100}% onnx2c RAM`, cell: (r) => r.ramBar, left: true },
];

function formatTable(rows: BenchRow[]): string {
  const cells = rows.map((row) =>
    row.status === 'ok' ? COLUMNS.map((c) => c.cell(row)) : [row.model, ...COLUMNS.slice(1).map((_, i) => (i === 0 ? row.status.toUpperCase() : ''))],
  );
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => (COLUMNS[i]!.left ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (COLUMNS[i]!.left ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`;
  const notes = rows
    .filter((r) => r.overLimits)
    .map((r) => `* ${r.model} does not fit the target (${r.overLimits!.join('; ')}); measured in QEMU with the fit limits lifted`);
  return [line(COLUMNS.map((c) => c.title)), rule, ...cells.map(line), ...notes].join('\n');
}

function summarize(rows: BenchRow[], options: BenchOptions): string {
  const tally = (bar: (r: BenchRow) => Bar, what: string) => {
    const judged = rows.filter((r) => bar(r) !== 'n/a');
    if (judged.length === 0) return `${what}: not compared`;
    return `${what} on ${judged.filter((r) => bar(r) === 'PASS').length}/${judged.length} models`;
  };
  const notRun = rows.filter((r) => r.status !== 'ok').map((r) => `${r.model} (${r.status})`);
  const targetNote = loadTarget(options.target).name === REFERENCE_TARGET ? '' : `; onnx2c instruction figures are for ${REFERENCE_TARGET}`;
  return (
    `summary: ${tally((r) => r.instructionsBar, 'fewer instructions/MAC than onnx2c')}, ` +
    `${tally((r) => r.ramBar, `arena <= ${RAM_RATIO * 100}% of onnx2c RAM`)} ` +
    `(float32, ${options.target}, ${options.samples} sample${options.samples === 1 ? '' : 's'} each${targetNote})` +
    (notRun.length > 0 ? `; not measured: ${notRun.join(', ')}` : '')
  );
}

function jsonDocument(rows: BenchRow[], options: BenchOptions, summary: string): Record<string, unknown> {
  return {
    target: options.target,
    precision: 'float32',
    samples: options.samples,
    reference: { tool: 'onnx2c', precision: 'float32', target: REFERENCE_TARGET, optimization: '-O2', kb_bytes: KB, ram_ratio: RAM_RATIO },
    models: rows.map((r) => ({
      model: r.model,
      file: r.file,
      status: r.status,
      ...(r.error ? { error: r.error } : {}),
      fits_target: r.status === 'ok' ? !r.overLimits : r.status === 'does not fit' ? false : null,
      ...(r.overLimits ? { over_limits: r.overLimits } : {}),
      macs: r.macs ?? null,
      report_macs: r.reportMacs ?? null,
      instructions: r.instructions ?? [],
      instructions_per_inference: r.instructionsPerInference ?? null,
      instructions_per_mac: r.instructionsPerMac ?? null,
      flash_bytes: r.flashBytes ?? null,
      ram_bytes: r.ramBytes ?? null,
      weights_bytes: r.weightsBytes ?? null,
      arena_bytes: r.arenaBytes ?? null,
      arena_lower_bound_bytes: r.arenaLowerBoundBytes ?? null,
      unplanned_activation_bytes: r.unplannedBytes ?? null,
      stack_used_bytes: r.stackBytes ?? null,
      max_abs_error: r.maxAbsError ?? null,
      onnx2c: r.onnx2c ? { instructions_per_mac: r.onnx2c.instructionsPerMac, ram_bytes: r.onnx2c.ramBytes ?? null } : null,
      bars: { fewer_instructions_per_mac: r.instructionsBar, arena_within_ram_ratio: r.ramBar },
    })),
    summary,
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  try {
    loadTarget(options.target);
  } catch (err) {
    log(err instanceof EennError ? err.format() : String(err));
    return 2;
  }
  const models = MODELS.filter((m) => {
    if (!m.optional || existsSync(join(ROOT, m.file))) return true;
    log(`bench: ${m.name}: ${m.file} not found, skipped`);
    return false;
  });
  const workDir = await makeTempDir('eennc-bench-');
  const started = performance.now();
  const rows: BenchRow[] = [];
  try {
    for (const model of models) rows.push(await benchModel(model, options, workDir));
  } finally {
    await removeTempDir(workDir);
  }
  const summary = summarize(rows, options);
  if (options.json) {
    process.stdout.write(JSON.stringify(jsonDocument(rows, options, summary), null, 2) + '\n');
  } else {
    process.stdout.write(`${formatTable(rows)}\n${summary}\n`);
  }
  log(`bench: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return rows.some((r) => r.status === 'failed') ? 1 : 0;
}

process.exitCode = await main();
