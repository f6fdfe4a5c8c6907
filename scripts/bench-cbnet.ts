// Benchmark of CBNet (`npm run bench:cbnet`, also run by `npm run bench`), int8 on cortex-m4, on the 10,000
// Fashion-MNIST test images:
//   1. the baseline CNN (examples/fmnist), the BranchyNet with its exits (examples/fmnist_branchy), its first exit
//      alone (the light classifier) and CBNet (examples/fmnist_cbnet: the converting autoencoder `--then` the light
//      classifier, one build);
//   2. top-1 of each from the int8 reference on every test image (for the BranchyNet: the exit each image takes);
//   3. instructions per inference measured in QEMU on a sample of the images, whose outputs must equal the int8
//      reference's bit for bit; the BranchyNet's mean from the instructions to each exit (a run continuing past
//      every exit) weighted by the share of images leaving there;
//   4. the bar: CBNet at least 3x fewer instructions than the baseline CNN at no more than 2 points lower top-1,
//      beside the paper's 4.8x.
// Usage: npm run bench:cbnet -- [--eval-count N] [--qemu N] [--json]
//   A report, not a test: it exits 0 whatever the comparison says, and 1 only when a build or run fails.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { outputBytes, PIXEL_SCALE, runInputs, testInputs, TEST_LABELS } from './bench-fmnist.js';
import { log, positiveOption, usageError } from './bench-cli.js';
import { compileModel } from '../src/compile.js';
import { readLabels } from '../src/data/index.js';
import { answeringOutput, int8ReferenceRun } from '../src/exit-reference.js';
import { EennError } from '../src/ir/diagnostics.js';
import type { FirmwareRun } from '../src/toolchain/index.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { argmax } from '../src/util/argmax.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'cortex-m4';
/** Calibration images of every model: the first ones of its example's calibration file (CBNet ships 200). */
const CALIB_COUNT = 200;

/** The bar: CBNet at least this many times fewer instructions than the baseline, at most this many points lower top-1. */
const SPEEDUP_BAR = 3;
const ACCURACY_BAR_POINTS = 2;
/** The paper's speedup of CBNet over the baseline CNN (Fashion-MNIST among its datasets). */
const PAPER_SPEEDUP = 4.8;
/** Samples of the BranchyNet's measurement run (every layer run, the cost of every exit recorded). */
const MEASURE_SAMPLES = 4;

interface Options {
  evalCount: number;
  qemu: number;
  json: boolean;
}

/** One model of the comparison, as the examples ship it. */
interface Contender {
  name: string;
  model: string;
  then?: string;
  calib: string;
}

const CONTENDERS: Contender[] = [
  { name: 'baseline CNN', model: 'examples/fmnist/fmnist_cnn.onnx', calib: 'examples/fmnist/calib_u8.npy' },
  { name: 'BranchyNet with exits', model: 'examples/fmnist_branchy/fmnist_branchy.onnx', calib: 'examples/fmnist_branchy/calib_u8.npy' },
  { name: 'light classifier alone', model: 'examples/fmnist_cbnet/fmnist_light.onnx', calib: 'examples/fmnist_cbnet/calib_u8.npy' },
  {
    name: 'CBNet',
    model: 'examples/fmnist_cbnet/fmnist_cae.onnx',
    then: 'examples/fmnist_cbnet/fmnist_light.onnx',
    calib: 'examples/fmnist_cbnet/calib_u8.npy',
  },
];

interface Row {
  name: string;
  files: string;
  macs: number;
  top1: number;
  /** Mean instructions per inference (the BranchyNet: weighted by the share of images leaving at each exit). */
  instructions: number;
  /** The BranchyNet: each exit's share of the test images and instructions to it. */
  exits?: { exit: string; share: number; instructions: number }[];
  /** Images run in QEMU, and the output values among them that differ from the int8 reference (must be 0). */
  qemuImages: number;
  valuesDiffering: number;
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:cbnet -- [--eval-count N] [--qemu N] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'eval-count': { type: 'string', default: '10000' },
        qemu: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --eval-count N  test images for top-1 (int8 reference; default 10000)\n` +
        '  --qemu N        test images run in QEMU for the instructions (default 20)\n' +
        '  --json          print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  return {
    evalCount: positiveOption('eval-count', values['eval-count'], usage),
    qemu: positiveOption('qemu', values.qemu, usage),
    json: values.json,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function measured(run: FirmwareRun): number[] {
  return run.instructions.filter((v): v is number => v !== null);
}

/** Builds one contender and measures it as the file header says. */
async function measure(contender: Contender, labels: ArrayLike<number>, options: Options, workDir: string): Promise<Row> {
  log(`bench: ${contender.name}: building ${contender.model}${contender.then ? ` --then ${contender.then}` : ''} for ${TARGET}`);
  const compiled = await compileModel({
    model: join(ROOT, contender.model),
    ...(contender.then ? { then: join(ROOT, contender.then) } : {}),
    target: TARGET,
    precision: 'int8',
    calibration: { path: join(ROOT, contender.calib), count: CALIB_COUNT, scale: PIXEL_SCALE, method: 'percentile' },
    outDir: join(workDir, contender.name.replace(/\W+/g, '-')),
    link: true,
  });
  const { graph } = compiled;
  const inputs = testInputs(compiled.graph, options.evalCount);
  log(`bench: ${contender.name}: top-1 of the int8 reference on ${inputs.length} test images`);
  const exitCount = graph.exits?.outputs.length ?? 1;
  const leaving = new Array<number>(exitCount).fill(0);
  const answers: { exit: number; values: Int8Array }[] = [];
  let correct = 0;
  inputs.forEach((input, i) => {
    const reference = int8ReferenceRun(graph, { [graph.inputs[0]!]: input.value });
    const values = reference.outputs[answeringOutput(graph, reference.exit)]!.data as Int8Array;
    if (argmax(values) === labels[i]) correct++;
    leaving[reference.exit]!++;
    if (i < options.qemu) answers.push({ exit: reference.exit, values });
  });

  const sample = inputs.slice(0, options.qemu);
  log(`bench: ${contender.name}: ${sample.length} images in QEMU`);
  const qemuRun = await runInputs(compiled, sample);
  let valuesDiffering = 0;
  qemuRun.outputs.forEach((record, i) => {
    const want = answers[i]!;
    if (graph.exits && qemuRun.exits[i] !== want.exit) {
      valuesDiffering += want.values.length;
      return;
    }
    const got = outputBytes(compiled, record, answeringOutput(graph, want.exit));
    for (let k = 0; k < want.values.length; k++) if (got[k] !== want.values[k]) valuesDiffering++;
  });
  const files = contender.then ? `${contender.model} --then ${contender.then}` : contender.model;
  const base = { name: contender.name, files, macs: compiled.report.macs, top1: correct / inputs.length, qemuImages: sample.length, valuesDiffering };
  if (!graph.exits) return { ...base, instructions: mean(measured(qemuRun)) };

  // The BranchyNet: the instructions to each exit from a run that continues past every exit (the final: all of it).
  const past = await runInputs(compiled, inputs.slice(0, MEASURE_SAMPLES), true);
  const costs = graph.exits.outputs.map((_, k) =>
    k === exitCount - 1 ? mean(measured(past)) : mean(past.exitInstructions.map((s) => s[k]).filter((v): v is number => typeof v === 'number')),
  );
  if (costs.some((c) => !Number.isFinite(c))) throw new Error(`${contender.name}: the measurement run gave no instructions for some exit`);
  const exits = graph.exits.outputs.map((exit, k) => ({ exit, share: leaving[k]! / inputs.length, instructions: costs[k]! }));
  return { ...base, instructions: exits.reduce((sum, e) => sum + e.share * e.instructions, 0), exits };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function count(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** The Markdown tables and the bar's verdict, as the README shows them. */
function report(rows: Row[], images: number): string {
  const baseline = rows[0]!;
  const cbnet = rows.find((r) => r.name === 'CBNet')!;
  const lines = [
    `CBNet on ${images.toLocaleString('en-US')} Fashion-MNIST test images, int8, ${TARGET} (instructions measured in QEMU)`,
    '',
    '| model | top-1 (int8) | MACs | instructions per inference | fewer than the baseline |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.name} | ${pct(r.top1)} | ${count(r.macs)} | ${count(r.instructions)} | ${(baseline.instructions / r.instructions).toFixed(2)}x |`,
    ),
  ];
  for (const row of rows.filter((r) => r.exits)) {
    lines.push('', `${row.name}: each exit's share of the test images and the instructions to it`, '');
    lines.push('| exit | leaving there | instructions to the exit |', '| --- | ---: | ---: |');
    for (const e of row.exits!) lines.push(`| \`${e.exit}\` | ${pct(e.share)} | ${count(e.instructions)} |`);
  }
  const speedup = baseline.instructions / cbnet.instructions;
  const drop = (baseline.top1 - cbnet.top1) * 100;
  const pass = speedup >= SPEEDUP_BAR && drop <= ACCURACY_BAR_POINTS;
  lines.push(
    '',
    `bar: CBNet ${speedup.toFixed(2)}x fewer instructions than the baseline CNN (at least ${SPEEDUP_BAR}x), ` +
      `${drop.toFixed(2)} points ${drop >= 0 ? 'lower' : 'higher'} top-1 (at most ${ACCURACY_BAR_POINTS} lower): ${pass ? 'PASS' : 'FAIL'}`,
    `the paper: up to ${PAPER_SPEEDUP}x faster than its baseline; here ${speedup.toFixed(2)}x (${((speedup / PAPER_SPEEDUP) * 100).toFixed(0)} % of it)`,
  );
  const differing = rows.filter((r) => r.valuesDiffering > 0);
  for (const r of differing) lines.push(`MISMATCH: ${r.name}: ${r.valuesDiffering} output values in QEMU differ from the int8 reference`);
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const options = parseOptions();
  const labels = readLabels(TEST_LABELS);
  const workDir = await makeTempDir('eennc-bench-cbnet-');
  try {
    const rows: Row[] = [];
    for (const contender of CONTENDERS) rows.push(await measure(contender, labels, options, workDir));
    const images = Math.min(options.evalCount, labels.length);
    if (options.json) process.stdout.write(JSON.stringify({ target: TARGET, images, rows }, null, 2) + '\n');
    else process.stdout.write(report(rows, images));
    if (rows.some((r) => r.valuesDiffering > 0)) process.exitCode = 1;
  } finally {
    await removeTempDir(workDir);
  }
}

main().catch((err: unknown) => {
  log(err instanceof EennError ? `error: ${err.message}${err.file ? ` (${err.file})` : ''}\nhint: ${err.hint}` : String((err as Error).stack ?? err));
  process.exit(1);
});
