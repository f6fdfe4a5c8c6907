// Benchmark of the int8 builds (`npm run bench` runs it after the float32 one):
//   1. accuracy: top-1 of the float32 and int8 references on the 10,000 Fashion-MNIST test images, for the
//      examples, beside onnxruntime's static quantizer (which loses 1.8 points on a small Fashion-MNIST CNN);
//   2. compile time: the fmnist build with calibration on 1,000 images (bar: under 10 s);
//   3. bit-exactness: every example built for every target, run in QEMU, compared with the int8 reference bit for
//      bit; instructions (per inference, per MAC), on Cortex-M4 and Cortex-M55 the estimated cycles of one inference
//      (src/target/cycle-model.ts over QEMU's trace), flash beside the weights (bar: code within 16 KiB), the arena
//      beside a TensorFlow Lite Micro-style greedy plan of the same tensors (with and without the scratch buffers
//      CMSIS-NN requests), the float32 build and the smallest-arena build (`--arena min`) beside on cortex-m4.
// Usage: npm run bench -- [--samples N] [--eval-count N] [--targets a,b] [--json]
//   A report, not a test: it exits 0 whatever the comparison says, and 1 only when a build or run fails.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { log, usageError, positiveOption } from './bench-cli.js';
import { COMPILE_BAR_SECONDS, FMNIST_CALIBRATION, measureCompileTime } from './int8-compile-time.js';
import { encodeSamples } from '../src/io-codec.js';
import { compileModel, quantizeModel, type CalibrationSource, type CompileResult } from '../src/compile.js';
import { readLabels, readSamples } from '../src/data/index.js';
import { evaluateAccuracy } from '../src/evaluate.js';
import { importModel } from '../src/frontend/index.js';
import { EennError } from '../src/ir/diagnostics.js';
import { sizeOf } from '../src/ir/graph.js';
import { runInt8Reference } from '../src/quantize/int8-reference.js';
import { greedyBySizePlanBytes } from '../src/schedule/greedy-plan.js';
import { tflmSlackBytes } from '../src/schedule/arena-budget.js';
import { listTargets, loadTarget } from '../src/target/target.js';
import { runFirmware } from '../src/toolchain/index.js';
import { estimateInferenceCycles } from '../src/toolchain/cycle-estimate.js';
import { CYCLE_ESTIMATE_NOTE } from '../src/target/cycle-model.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

/** The targets the bench can run: emulated ones and the host (a board without an emulator, e.g. nrf52840, builds only). */
function runnableTargets(): string[] {
  return listTargets().filter((name) => {
    const target = loadTarget(name);
    return target.kind !== 'board' || target.emulator !== undefined;
  });
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FMNIST_TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const FMNIST_TEST_LABELS = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
/** onnxruntime's quantize_static (minmax, per channel, 200 calibration images) on a small Fashion-MNIST CNN. */
const ONNXRUNTIME_TOP1_LOSS_POINTS = 1.8;
/** The accuracy bar: int8 top-1 within this many points of float32. */
const ACCURACY_BAR_POINTS = 1;

interface Example {
  name: string;
  file: string;
  calibration: CalibrationSource;
  /** Inputs run in QEMU, and their scale. */
  inputs: string;
  inputScale?: number;
  /** Labelled with the Fashion-MNIST test set (accuracy section). */
  fashionMnist?: boolean;
}

const EXAMPLES: Example[] = [
  {
    name: 'fmnist_cnn',
    file: 'examples/fmnist/fmnist_cnn.onnx',
    calibration: FMNIST_CALIBRATION,
    inputs: 'examples/fmnist/test_inputs.npy',
    fashionMnist: true,
  },
  {
    name: 'fmnist_small',
    file: 'examples/fmnist_small/fmnist_small.onnx',
    calibration: FMNIST_CALIBRATION,
    inputs: 'examples/fmnist_small/test_inputs.npy',
    fashionMnist: true,
  },
  // The benchmark models have random weights: calibrated on their own few inputs, measured for cost and exactness.
  ...['resnet8', 'ds_cnn', 'fc_autoencoder'].map((name): Example => ({
    name,
    file: `examples/bench/${name}.onnx`,
    calibration: { path: join(ROOT, `examples/bench/${name}_inputs.npy`), method: 'minmax' },
    inputs: `examples/bench/${name}_inputs.npy`,
  })),
];

interface Options {
  samples: number;
  evalCount: number;
  targets: string[];
  json: boolean;
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench -- [--samples N] [--eval-count N] [--targets a,b] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        samples: { type: 'string', default: '2' },
        'eval-count': { type: 'string', default: '10000' },
        targets: { type: 'string', default: runnableTargets().join(',') },
        target: { type: 'string' }, // the float32 bench's option; the int8 bench runs every target
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --samples N     samples run in QEMU per build (default 2)\n` +
        '  --eval-count N  test images for the accuracy comparison (default 10000)\n' +
        '  --targets a,b   targets of the bit-exactness table (default: all)\n  --json          print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  return {
    samples: positiveOption('samples', values.samples, usage),
    evalCount: positiveOption('eval-count', values['eval-count'], usage),
    targets: values.targets
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    json: values.json,
  };
}

// ---------------------------------------------------------------- 1. accuracy

interface AccuracyRow {
  model: string;
  samples: number;
  floatTop1: number;
  int8Top1: number;
  lossPoints: number;
  bar: 'PASS' | 'FAIL';
  lowestLayer?: { node: string; sqnrDb: number };
  seconds: number;
}

async function accuracySection(options: Options): Promise<AccuracyRow[]> {
  if (!existsSync(FMNIST_TEST_IMAGES) || !existsSync(FMNIST_TEST_LABELS)) {
    log(`bench: accuracy skipped: ${FMNIST_TEST_IMAGES} is missing (npm run setup installs dataset-fashion-mnist)`);
    return [];
  }
  const rows: AccuracyRow[] = [];
  for (const example of EXAMPLES.filter((e) => e.fashionMnist && existsSync(join(ROOT, e.file)))) {
    const started = performance.now();
    const { graph: floatGraph } = importModel(join(ROOT, example.file));
    const int8Graph = await quantizeModel(floatGraph, { model: example.file, calibration: example.calibration });
    const shape = floatGraph.tensors.get(floatGraph.inputs[0]!)!.shape;
    const size = sizeOf(shape);
    const read = readSamples(FMNIST_TEST_IMAGES, shape, { scale: 1 / 255, count: options.evalCount });
    const samples = Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size));
    log(`bench: ${example.name}: top-1 of float32 and int8 on ${read.count} test images`);
    let last = performance.now();
    const report = evaluateAccuracy(floatGraph, int8Graph, samples, readLabels(FMNIST_TEST_LABELS), {
      onProgress: (done, total) => {
        if (performance.now() - last > 5000 || done === total) {
          last = performance.now();
          log(`bench: ${example.name}: ${done}/${total}`);
        }
      },
    });
    const finite = report.layers.filter((l) => Number.isFinite(l.sqnrDb));
    const lowest = finite.reduce<(typeof finite)[number] | undefined>((a, l) => (a === undefined || l.sqnrDb < a.sqnrDb ? l : a), undefined);
    const lossPoints = 100 * (report.floatTop1 - report.int8Top1);
    rows.push({
      model: example.name,
      samples: report.samples,
      floatTop1: report.floatTop1,
      int8Top1: report.int8Top1,
      lossPoints,
      bar: lossPoints <= ACCURACY_BAR_POINTS ? 'PASS' : 'FAIL',
      lowestLayer: lowest && { node: lowest.node, sqnrDb: lowest.sqnrDb },
      seconds: (performance.now() - started) / 1000,
    });
  }
  return rows;
}

// ---------------------------------------------------------------- 2. compile time: scripts/int8-compile-time.ts

// ---------------------------------------------------------------- 3. bit-exactness, cost, memory

interface ExactRow {
  model: string;
  target: string;
  status: 'ok' | 'does not fit' | 'failed';
  error?: string;
  samples?: number;
  /** Output values that differ from the int8 reference, over every sample. */
  mismatches?: number;
  instructionsPerInference?: number | null;
  instructionsPerMac?: number | null;
  /** Cortex-M4 and Cortex-M55: the estimated cycles of the first sample's inference (src/target/cycle-model.ts). */
  cyclesPerInference?: number | null;
  /** Flash beyond the weights (code, tables, runtime); the bar on cortex-m4 is 16 KiB. */
  codeBytes?: number;
  /** The arena a TensorFlow Lite Micro-style greedy plan of the same tensors needs. */
  greedyArenaBytes?: number;
  /** The same plan with the scratch buffers CMSIS-NN's kernels request (TFLite Micro's arena with CMSIS-NN). */
  greedyScratchArenaBytes?: number;
  /** cortex-m4: the build with `--arena min` (the smallest arena), its arena and instructions. */
  minArena?: { arenaBytes: number; instructionsPerInference: number | null } | { status: string };
  flashBytes?: number;
  weightsBytes?: number;
  arenaBytes?: number;
  stackBytes?: number | null;
  float32?: { instructionsPerInference: number | null; flashBytes: number; arenaBytes: number } | { status: string };
}

function averageOf(values: (number | null)[]): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return Math.round((values as number[]).reduce((a, b) => a + b, 0) / values.length);
}

async function runExample(compiled: CompileResult, example: Example, samples: number) {
  const { graph } = compiled;
  const input = graph.tensors.get(graph.inputs[0]!)!;
  const read = readSamples(join(ROOT, example.inputs), input.shape, { count: samples, scale: example.inputScale });
  const size = sizeOf(input.shape);
  const { encoded, bytes } = encodeSamples(
    input,
    Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size)),
  );
  const run = await runFirmware(compiled.image!.elfPath, compiled.target, bytes, { samples: read.count, timeoutMs: 300_000 });
  return { run, encoded, count: read.count };
}

async function exactRow(example: Example, target: string, options: Options, workDir: string): Promise<ExactRow> {
  const row: ExactRow = { model: example.name, target, status: 'failed' };
  try {
    const compiled = await compileModel({
      model: join(ROOT, example.file),
      target,
      precision: 'int8',
      calibration: example.calibration,
      outDir: join(workDir, `${example.name}-${target}`),
      link: true,
    });
    const { run, encoded, count } = await runExample(compiled, example, options.samples);
    let mismatches = 0;
    run.outputs.forEach((out, i) => {
      const reference = runInt8Reference(compiled.graph, { [compiled.graph.inputs[0]!]: encoded[i]!.value });
      let at = 0;
      for (const name of compiled.graph.outputs) {
        const want = reference[name]!.data as Int8Array;
        const got = new Int8Array(out.buffer, out.byteOffset + at, want.length);
        for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) mismatches++;
        at += want.length;
      }
    });
    const memory = compiled.report.memory;
    const perInference = averageOf(run.instructions);
    const cycles = await estimateInferenceCycles(compiled.image!.elfPath, compiled.target, encoded[0]!.bytes);
    Object.assign(row, {
      status: 'ok',
      samples: count,
      mismatches,
      instructionsPerInference: perInference,
      instructionsPerMac: perInference === null || compiled.report.macs === 0 ? null : perInference / compiled.report.macs,
      cyclesPerInference: cycles?.cycles ?? null,
      codeBytes: memory.flash_bytes - memory.weights_bytes,
      greedyArenaBytes: greedyBySizePlanBytes(compiled.graph),
      greedyScratchArenaBytes: greedyBySizePlanBytes(compiled.graph, { kernelScratch: true }),
      flashBytes: memory.flash_bytes,
      weightsBytes: memory.weights_bytes,
      arenaBytes: memory.arena_bytes,
      stackBytes: run.stackBytes,
    });
    if (target === 'cortex-m4') {
      row.float32 = await float32Figures(example, workDir);
      row.minArena = await minArenaFigures(example, workDir);
    }
    log(
      `bench: ${example.name} on ${target}: ${mismatches === 0 ? 'bit-exact' : `${mismatches} values differ`}, ${row.instructionsPerInference ?? '-'} instructions`,
    );
  } catch (err) {
    const doesNotFit = err instanceof EennError && err.code === 'E_TARGET';
    row.status = doesNotFit ? 'does not fit' : 'failed';
    row.error = err instanceof EennError ? err.format() : String(err instanceof Error ? err.stack : err);
    log(`bench: ${example.name} on ${target}: ${row.status}: ${row.error.split('\n')[0]}`);
  }
  return row;
}

/** The default arena's verdict against the TFLite Micro + CMSIS-NN plan and the tflm policy's slack over it. */
function tflmBar(arenaBytes: number, tflmBytes: number): string {
  const over = arenaBytes > tflmBytes ? ` (+${arenaBytes - tflmBytes} B)` : '';
  return `${arenaBytes <= tflmBytes + tflmSlackBytes(tflmBytes) ? 'PASS' : 'FAIL'}${over}`;
}

/** The int8 build for cortex-m4 with the smallest arena (`--arena min`): arena and instructions of one inference. */
async function minArenaFigures(example: Example, workDir: string): Promise<ExactRow['minArena']> {
  try {
    const compiled = await compileModel({
      model: join(ROOT, example.file),
      target: 'cortex-m4',
      precision: 'int8',
      calibration: example.calibration,
      arena: 'min',
      outDir: join(workDir, `${example.name}-min`),
      link: true,
    });
    const { run } = await runExample(compiled, example, 1);
    return { arenaBytes: compiled.report.memory.arena_bytes, instructionsPerInference: averageOf(run.instructions) };
  } catch (err) {
    return { status: err instanceof EennError && err.code === 'E_TARGET' ? 'does not fit' : 'failed' };
  }
}

async function float32Figures(example: Example, workDir: string): Promise<ExactRow['float32']> {
  try {
    const compiled = await compileModel({
      model: join(ROOT, example.file),
      target: 'cortex-m4',
      precision: 'float32',
      outDir: join(workDir, `${example.name}-f32`),
      link: true,
    });
    const { run } = await runExample(compiled, example, 1);
    return {
      instructionsPerInference: averageOf(run.instructions),
      flashBytes: compiled.report.memory.flash_bytes,
      arenaBytes: compiled.report.memory.arena_bytes,
    };
  } catch (err) {
    return { status: err instanceof EennError && err.code === 'E_TARGET' ? 'does not fit' : 'failed' };
  }
}

// ---------------------------------------------------------------- printing

function printTables(accuracy: AccuracyRow[], compile: { seconds: number; bar: string }, exact: ExactRow[]): void {
  const out: string[] = [];
  out.push('int8 accuracy (Fashion-MNIST test set, top-1; bar: int8 within 1 point of float32)', '');
  out.push(
    '| model | images | float32 | int8 | points lost | onnxruntime loses | bar | lowest-SQNR layer |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  );
  for (const r of accuracy) {
    out.push(
      `| ${r.model} | ${r.samples} | ${(100 * r.floatTop1).toFixed(2)}% | ${(100 * r.int8Top1).toFixed(2)}% | ${r.lossPoints.toFixed(2)} | ` +
        `${ONNXRUNTIME_TOP1_LOSS_POINTS} | ${r.bar} | ${r.lowestLayer ? `${r.lowestLayer.node} ${r.lowestLayer.sqnrDb.toFixed(1)} dB` : '-'} |`,
    );
  }
  out.push(
    '',
    `compile time, fmnist_cnn for cortex-m4 with 1,000 calibration images: ${compile.seconds.toFixed(2)} s (bar < ${COMPILE_BAR_SECONDS} s: ${compile.bar})`,
    '',
  );
  out.push('int8 builds in QEMU against the int8 reference (bit for bit)', '');
  out.push(
    'Arena: the default build (`--arena tflm`) takes the fastest plan within the arena TensorFlow Lite Micro with CMSIS-NN',
    'would need (its greedy plan of the same tensors plus the scratch buffers CMSIS-NN requests) and a slack of max(256 B, 2%)',
    'for the im2col scratch of NCHW 1x1 and first-layer convolutions; bar: no larger (the bytes over the TFLM plan are shown). Stack measured by painting.',
    '',
  );
  out.push(`Estimated cycles (Cortex-M4 and Cortex-M55): ${CYCLE_ESTIMATE_NOTE}`, '');
  out.push(
    '| model | target | status | values differing | instructions/inference | per MAC | est. cycles | flash | weights | code (bar on cortex-m4: 16 KiB) | arena | TFLM arena (tensors + CMSIS-NN scratch) | stack | float32 instr. / flash / arena |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of exact) {
    const f = r.float32;
    const float = !f ? '' : 'status' in f ? f.status : `${f.instructionsPerInference ?? '-'} / ${f.flashBytes} / ${f.arenaBytes}`;
    out.push(
      r.status !== 'ok'
        ? `| ${r.model} | ${r.target} | ${r.status} | | | | | | | | | | | ${float} |`
        : `| ${r.model} | ${r.target} | ${r.mismatches === 0 ? 'bit-exact' : 'MISMATCH'} | ${r.mismatches} | ${r.instructionsPerInference ?? '-'} | ` +
            `${r.instructionsPerMac?.toFixed(2) ?? '-'} | ${r.cyclesPerInference ?? '-'} | ${r.flashBytes} | ${r.weightsBytes} | ${r.codeBytes}${r.target === 'cortex-m4' ? (r.codeBytes! <= 16 * 1024 ? ' PASS' : ' FAIL') : ''} | ` +
            `${r.arenaBytes} | ${r.greedyScratchArenaBytes} ${tflmBar(r.arenaBytes!, r.greedyScratchArenaBytes!)} | ${r.stackBytes ?? '-'} | ${float} |`,
    );
  }
  const m4 = exact.filter((r) => r.target === 'cortex-m4' && r.status === 'ok');
  if (m4.length > 0) {
    out.push(
      '',
      'Arena policies on cortex-m4 (bytes; instructions per inference). `--arena min` gives the smallest arena the planner reaches;',
      "bar: no larger than TFLite Micro's greedy plan of the tensors alone (without any kernel scratch).",
      '',
    );
    out.push(
      '| model | TFLM tensors only | TFLM + CMSIS-NN scratch | default: arena | instructions | min: arena | instructions | min vs tensors only |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of m4) {
      const min = r.minArena;
      const minCells = !min ? '- | -' : 'status' in min ? `${min.status} | -` : `${min.arenaBytes} | ${min.instructionsPerInference ?? '-'}`;
      const bar = min && !('status' in min) ? (min.arenaBytes <= r.greedyArenaBytes! ? 'PASS' : 'FAIL') : '-';
      out.push(
        `| ${r.model} | ${r.greedyArenaBytes} | ${r.greedyScratchArenaBytes} | ${r.arenaBytes} | ${r.instructionsPerInference ?? '-'} | ${minCells} | ${bar} |`,
      );
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  const options = parseOptions();
  const workDir = await makeTempDir('eennc-bench-int8-');
  try {
    const accuracy = await accuracySection(options);
    const compile = await measureCompileTime(workDir);
    log(`bench: compile time ${compile.seconds.toFixed(2)} s`);
    const exact: ExactRow[] = [];
    for (const example of EXAMPLES.filter((e) => existsSync(join(ROOT, e.file)))) {
      for (const target of options.targets) exact.push(await exactRow(example, target, options, workDir));
    }
    if (options.json) process.stdout.write(JSON.stringify({ accuracy, compile, exact }, null, 2) + '\n');
    else printTables(accuracy, compile, exact);
    return exact.some((r) => r.status === 'failed') ? 1 : 0;
  } finally {
    await removeTempDir(workDir);
  }
}

process.exitCode = await main();
