// Benchmark of int8 accuracy (`npm run bench:accuracy`, the last step of `npm run bench`): for every example and a
// small-margin CNN trained here on purpose (scripts/accuracy/train_small_margin.py: narrow and briefly trained, like
// a model a user trained elsewhere, so int8 flips more of its answers), the top-1 points each int8 build loses against
// float32, and its output SQNR:
//   - plain quantization (percentile, no technique), then each technique added to it alone (--equalize,
//     --bias-correction, --optimize-rounding, --int16-layers auto; "n/a" where this build of eennc lacks one);
//   - each calibration method (minmax, percentile (the default), entropy) with the default techniques, and the
//     default build with learned rounding too.
// Fashion-MNIST models: top-1 on the first --samples test images against their labels (src/evaluate.ts, as
// `eennc accuracy` measures it). The benchmark models (random weights, no labels): agreement with float32's answers
// on their bundled inputs. Bars, over the labelled models (four inputs of random weights make one flipped answer 25
// points): the default build within 0.5 points of float32, entropy within 1;
// the compile time of examples/fmnist under 10 s (scripts/int8-compile-time.ts, as bench:int8 measures it).
// Usage: npm run bench:accuracy -- [--samples N] [--models a,b] [--json]
//   A report, not a test: it exits 0 whatever the numbers say, and 1 only when something fails to run.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { COLUMNS, SQNR_SAMPLES, accuracyBars, formatTables, type Cell, type Column, type ModelRow } from './accuracy/table.js';
import { log, positiveOption, usageError } from './bench-cli.js';
import { PIXEL_SCALE, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS } from './bench-fmnist.js';
import { COMPILE_BAR_SECONDS, FMNIST_CALIBRATION, measureCompileTime, type CompileTime } from './int8-compile-time.js';
import { importWithOwnQuantization, quantizeModel } from '../src/compile.js';
import { readLabels, readSamples } from '../src/data/index.js';
import { evaluateAccuracy } from '../src/evaluate.js';
import { EennError } from '../src/ir/diagnostics.js';
import { sizeOf, type Graph } from '../src/ir/graph.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Debian's Python, with python3-torch and python3-onnx. */
const PYTHON = '/usr/bin/python3';
const TRAINER = join(ROOT, 'scripts/accuracy/train_small_margin.py');
/** Calibration images of every Fashion-MNIST model (the small-margin CNN's trainer writes this many). */
const CALIBRATION_IMAGES = 200;
/**
 * Default test images per Fashion-MNIST model: with every column the references take about 0.16 s of one core per
 * test image over the five models, so 2,000 images keep the bench near 10 minutes on an otherwise idle 2-core machine.
 */
const DEFAULT_SAMPLES = 2000;
/** The file descriptor of this process's stderr. */
const STDERR_FD = 2;
/** What a technique's placeholder says when this build of eennc lacks it (src/quantize/techniques.ts). */
const NOT_AVAILABLE = /not available in this build/;

/** One model of the table. */
interface Model {
  name: string;
  /** The ONNX file, and for a pipeline (--then) the model that runs on its output. */
  file: string;
  then?: string;
  /** Calibration data (the method comes from the column). */
  calibration: { path: string; scale?: number; count?: number };
  /** Labelled Fashion-MNIST test images, or these bundled inputs measured against float32's own answers. */
  inputs: 'fashion-mnist' | string;
}

/** The examples and the small-margin CNN trained into `trainedDir`. */
function models(trainedDir: string): Model[] {
  const fmnistCalibration = (path: string) => ({ path: join(ROOT, path), scale: PIXEL_SCALE, count: CALIBRATION_IMAGES });
  return [
    {
      name: 'fmnist_cnn',
      file: join(ROOT, 'examples/fmnist/fmnist_cnn.onnx'),
      calibration: fmnistCalibration('examples/fmnist/calib_u8.npy'),
      inputs: 'fashion-mnist',
    },
    {
      name: 'fmnist_small',
      file: join(ROOT, 'examples/fmnist_small/fmnist_small.onnx'),
      calibration: fmnistCalibration('examples/fmnist/calib_u8.npy'),
      inputs: 'fashion-mnist',
    },
    {
      name: 'fmnist_branchy',
      file: join(ROOT, 'examples/fmnist_branchy/fmnist_branchy.onnx'),
      calibration: fmnistCalibration('examples/fmnist_branchy/calib_u8.npy'),
      inputs: 'fashion-mnist',
    },
    {
      name: 'fmnist_cbnet',
      file: join(ROOT, 'examples/fmnist_cbnet/fmnist_cae.onnx'),
      then: join(ROOT, 'examples/fmnist_cbnet/fmnist_light.onnx'),
      calibration: fmnistCalibration('examples/fmnist_cbnet/calib_u8.npy'),
      inputs: 'fashion-mnist',
    },
    {
      name: 'small_margin',
      file: join(trainedDir, 'small_margin.onnx'),
      calibration: { path: join(trainedDir, 'calib.npy') },
      inputs: 'fashion-mnist',
    },
    // Random weights: calibrated and measured on their own few inputs, as bench:int8 builds them.
    ...['ds_cnn', 'resnet8', 'fc_autoencoder'].map((name): Model => ({
      name,
      file: join(ROOT, `examples/bench/${name}.onnx`),
      calibration: { path: join(ROOT, `examples/bench/${name}_inputs.npy`) },
      inputs: join(ROOT, `examples/bench/${name}_inputs.npy`),
    })),
  ];
}

interface Options {
  samples: number;
  /** Only these models (default: all). */
  models?: string[];
  json: boolean;
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:accuracy -- [--samples N] [--models a,b] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
        models: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --samples N   Fashion-MNIST test images per model (default ${DEFAULT_SAMPLES})\n` +
        `  --models a,b  only these models (${models('')
          .map((m) => m.name)
          .join(', ')})\n` +
        '  --json        print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  const names = values.models
    ?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const known = models('').map((m) => m.name);
  const unknown = names?.filter((n) => !known.includes(n)) ?? [];
  if (unknown.length > 0) usageError(`--models: no model named ${unknown.join(', ')} (known: ${known.join(', ')})`, usage);
  return { samples: positiveOption('samples', values.samples, usage), models: names, json: values.json };
}

/** Train the small-margin CNN into `dir` (its progress on stderr). */
async function trainSmallMargin(dir: string): Promise<void> {
  log(`bench: training the small-margin CNN (${TRAINER})`);
  const started = performance.now();
  await execa(PYTHON, [TRAINER, '--out', dir, '--calib-count', String(CALIBRATION_IMAGES)], {
    stdin: 'ignore',
    // Its progress is for people: stderr, like the bench's own (stdout carries the tables or the --json document).
    stdout: STDERR_FD,
    stderr: 'inherit',
  }).catch((err: unknown) => {
    throw new Error(`${TRAINER} failed: ${(err as Error).message.split('\n')[0]}`);
  });
  log(`bench: trained in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** The samples a model is measured on, and their labels (float32's own answers are the labels of a model without). */
function evaluationData(model: Model, graph: Graph, samples: number): { samples: Float32Array[]; labels: Int32Array; labelled: boolean } {
  const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
  const size = sizeOf(shape);
  const labelled = model.inputs === 'fashion-mnist';
  const read = labelled
    ? readSamples(TEST_IMAGES, shape, { scale: PIXEL_SCALE, count: samples })
    : readSamples(model.inputs, shape, { requireFinite: true });
  const data = Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size));
  // Without labels, top-1 compares with float32's answers: evaluateAccuracy counts the disagreements.
  return { samples: data, labels: labelled ? readLabels(TEST_LABELS) : new Int32Array(read.count), labelled };
}

/** Quantize `model` as `column` says and measure it; "n/a" where this build lacks a technique the column adds. */
async function measureCell(
  model: Model,
  graph: Graph,
  data: ReturnType<typeof evaluationData>,
  column: Column,
): Promise<{ cell: Cell; floatTop1?: number }> {
  const started = performance.now();
  try {
    const int8Graph = await quantizeModel(graph, {
      model: model.file,
      calibration: { ...model.calibration, method: column.method, techniques: column.techniques },
    });
    // A model with early exits counts its final output (the last), every layer run.
    const output = graph.outputs.at(-1)!;
    const report = evaluateAccuracy(graph, int8Graph, data.samples, data.labels, { output, sqnrSamples: SQNR_SAMPLES });
    const agreement = 1 - report.disagreements / report.samples;
    const int8Top1 = data.labelled ? report.int8Top1 : agreement;
    const floatTop1 = data.labelled ? report.floatTop1 : 1;
    const sqnr = report.layers.find((l) => l.tensor === output)?.sqnrDb ?? null;
    return {
      cell: { status: 'ok', int8Top1, lossPoints: 100 * (floatTop1 - int8Top1), outputSqnrDb: sqnr, seconds: (performance.now() - started) / 1000 },
      floatTop1,
    };
  } catch (err) {
    if (err instanceof EennError && err.code === 'E_UNSUPPORTED' && NOT_AVAILABLE.test(err.message)) {
      return { cell: { status: 'n/a', reason: err.message } };
    }
    return { cell: { status: 'failed', error: err instanceof EennError ? err.format() : String(err instanceof Error ? err.stack : err) } };
  }
}

/** Every column of one model; a column found n/a on an earlier model is n/a here too (same build), without a calibration. */
async function measureModel(model: Model, options: Options, unavailable: Map<string, string>): Promise<ModelRow> {
  const { graph } = importWithOwnQuantization(model.file, undefined, model.then);
  const data = evaluationData(model, graph, options.samples);
  const row: ModelRow = { model: model.name, labelled: data.labelled, samples: data.samples.length, floatTop1: NaN, cells: {} };
  for (const column of COLUMNS) {
    const known = unavailable.get(column.key);
    const { cell, floatTop1 } =
      known !== undefined ? { cell: { status: 'n/a', reason: known } as Cell, floatTop1: undefined } : await measureCell(model, graph, data, column);
    if (cell.status === 'n/a') unavailable.set(column.key, cell.reason);
    if (floatTop1 !== undefined) row.floatTop1 = floatTop1;
    row.cells[column.key] = cell;
    log(`bench: ${model.name}: ${column.heading}: ${describe(cell)}`);
  }
  return row;
}

/** A cell in one line of progress. */
function describe(cell: Cell): string {
  if (cell.status === 'ok')
    return `${cell.lossPoints.toFixed(2)} points lost, output SQNR ${cell.outputSqnrDb?.toFixed(1) ?? '-'} dB (${cell.seconds.toFixed(0)} s)`;
  if (cell.status === 'n/a') return `n/a (${cell.reason})`;
  return `failed: ${cell.error.split('\n')[0]}`;
}

async function main(): Promise<number> {
  const options = parseOptions();
  const started = performance.now();
  const missing = [TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, PYTHON].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    log(`bench: ${missing.join(', ')} missing (npm run setup installs dataset-fashion-mnist and python3-torch)`);
    return 1;
  }
  const workDir = await makeTempDir('eennc-bench-accuracy-');
  try {
    const chosen = models(join(workDir, 'small-margin')).filter((m) => !options.models || options.models.includes(m.name));
    if (chosen.some((m) => m.name === 'small_margin')) await trainSmallMargin(join(workDir, 'small-margin'));
    const unavailable = new Map<string, string>();
    const rows: ModelRow[] = [];
    let failed = false;
    for (const model of chosen) {
      try {
        rows.push(await measureModel(model, options, unavailable));
      } catch (err) {
        failed = true;
        log(`bench: ${model.name}: ${err instanceof EennError ? err.format() : String(err instanceof Error ? err.stack : err)}`);
      }
    }
    const compile: CompileTime = await measureCompileTime(workDir);
    log(`bench: compile time ${compile.seconds.toFixed(2)} s`);
    const seconds = (performance.now() - started) / 1000;
    if (options.json) {
      process.stdout.write(JSON.stringify({ samples: options.samples, models: rows, bars: accuracyBars(rows), compile, seconds }, null, 2) + '\n');
    } else {
      process.stdout.write(
        formatTables(rows) +
          `compile time of examples/fmnist (int8, cortex-m4, ${FMNIST_CALIBRATION.count} calibration images) under ${COMPILE_BAR_SECONDS} s: ${compile.bar} (${compile.seconds.toFixed(2)} s)\n`,
      );
    }
    log(`bench: ${seconds.toFixed(0)} s in all`);
    return failed || rows.some((r) => Object.values(r.cells).some((c) => c.status === 'failed')) ? 1 : 0;
  } catch (err) {
    log(`bench: ${err instanceof EennError ? err.format() : String(err instanceof Error ? err.message : err)}`);
    return 1;
  } finally {
    await removeTempDir(workDir);
  }
}

process.exitCode = await main();
