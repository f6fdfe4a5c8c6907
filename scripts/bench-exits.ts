// Benchmark of early exits (`npm run bench:exits`, also run by `npm run bench`), int8 on cortex-m4:
//   1. the BranchyNet-style example (examples/fmnist_branchy): on the 10,000 Fashion-MNIST test images, the exit
//      each image takes and top-1 from the int8 reference, with the model's exits and with --no-exits; the
//      instructions to each exit measured in QEMU (a run that continues past every exit); a sample of images run in
//      QEMU through the exits, which must take the reference's exit with the same output bits; the mean
//      instructions per inference against --no-exits (bar: at least 50% fewer, top-1 within 1 point);
//   2. `eennc augment` on the plain Fashion-MNIST CNN (examples/fmnist): its wall time (bar: under 60 s) and the
//      same figures for the model it writes (bar: at least 50% fewer instructions, at most 1 point lower top-1);
//   3. our reductions beside the papers' figures.
// Usage: npm run bench:exits -- [--eval-count N] [--confirm N] [--only branchy|augment] [--json]
//   A report, not a test: it exits 0 whatever the comparison says, and 1 only when a build or run fails.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { outputBytes, PIXEL_SCALE, runInputs, testInputs, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS } from './bench-fmnist.js';
import { log, usageError, positiveOption } from './bench-cli.js';
import { execa } from 'execa';
import { compileModel, type CalibrationSource, type CompileResult } from '../src/compile.js';
import { readLabels } from '../src/data/index.js';
import { answeringOutput, exitName, int8ReferenceRun } from '../src/exit-reference.js';
import { EennError } from '../src/ir/diagnostics.js';
import type { EncodedInput } from '../src/io-codec.js';
import { runInt8Reference } from '../src/quantize/int8-reference.js';
import type { FirmwareRun } from '../src/toolchain/index.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { argmax } from '../src/util/argmax.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'cortex-m4';

/** The bars: mean instructions at least this much below --no-exits, top-1 at most this many points lower. */
const REDUCTION_BAR = 0.5;
const ACCURACY_BAR_POINTS = 1;
/** `eennc augment` on the plain example must finish within this wall time on the 2-core machine. */
const AUGMENT_BAR_SECONDS = 60;
/** Labelled training images augment fits its heads and chooses its thresholds on (it holds back part of them itself). */
const AUGMENT_SAMPLES = 2000;
/** Samples of the measurement run (every layer run, the cost of every exit recorded); the cost hardly depends on the input. */
const MEASURE_SAMPLES = 4;

/** The papers' figures the reductions stand beside. */
const PAPERS = [
  { source: 'Sponner et al. 2024, after augmentation', task: 'speech commands', reduction: 0.597, of: 'mean operations' },
  { source: 'BranchyNet-style network', task: 'CIFAR-10', reduction: 0.588, of: 'computations' },
];

interface Options {
  evalCount: number;
  confirm: number;
  /** Which parts to run: the BranchyNet example, augment on the plain example, or both. */
  parts: Set<'branchy' | 'augment'>;
  json: boolean;
}

interface ExitRow {
  exit: string;
  /** Share of the test images that leave here (int8 reference). */
  share: number;
  /** Top-1 of the images that leave here, on this exit's output. */
  accuracy: number | null;
  /** Top-1 of this exit's output on every image (as if every image left here). */
  alone: number;
  /** Multiply-accumulates up to this exit's decision, as the build report counts them. */
  macs: number | null;
  /** Instructions from the start of eenn_run() to right after this exit's decision (the final exit: all of it). */
  instructions: number;
}

interface ModelFigures {
  model: string;
  exits: string[];
  policy: string;
  thresholds: number[];
  images: number;
  top1: number;
  top1NoExits: number;
  /** Instructions of one inference of the --no-exits build (every layer and every output). */
  instructionsNoExits: number;
  /** Expected instructions per inference: each exit's cost weighted by the share of images leaving there. */
  meanInstructions: number;
  reduction: number;
  /**
   * A model made by augment: the instructions of one inference of the original model (no heads), and the reduction
   * against it, which is what its bar counts (the --no-exits build also runs the heads).
   */
  original?: { instructions: number; reduction: number };
  /** Where the per-exit costs came from. */
  costSource: 'measurement run' | 'samples that took each exit';
  table: ExitRow[];
  confirmation: QemuConfirmation;
  bar: 'PASS' | 'FAIL';
  seconds: number;
}

interface QemuConfirmation {
  samples: number;
  /** Samples whose exit in QEMU differs from the int8 reference's. */
  otherExit: number;
  /** Output values (of the answering output) that differ from the int8 reference. */
  valuesDiffering: number;
  /** Mean instructions the samples really cost in QEMU, and what the per-exit costs predict for the same samples. */
  meanInstructions: number;
  predictedMeanInstructions: number;
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:exits -- [--eval-count N] [--confirm N] [--only branchy|augment] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'eval-count': { type: 'string', default: '10000' },
        confirm: { type: 'string', default: '200' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --eval-count N  test images for exit choice and top-1 (default 10000)\n` +
        '  --confirm N     test images run in QEMU through the exits against the int8 reference (default 200)\n' +
        '  --only PART     branchy (the BranchyNet example) or augment (augment on the plain example); default both\n' +
        '  --json          print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  if (values.only !== undefined && values.only !== 'branchy' && values.only !== 'augment') {
    usageError(`--only must be branchy or augment, got "${values.only}"`, usage);
  }
  const parts = new Set<'branchy' | 'augment'>(values.only ? [values.only] : ['branchy', 'augment']);
  return {
    evalCount: positiveOption('eval-count', values['eval-count'], usage),
    confirm: positiveOption('confirm', values.confirm, usage),
    parts,
    json: values.json,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Cumulative instructions to each exit, decision included: from a measurement run that continues past every exit
 * (FirmwareRun.exitInstructions; the final exit costs the whole run), else the mean cost of the confirmation
 * samples that took each exit.
 */
async function exitCosts(
  compiled: CompileResult,
  inputs: readonly EncodedInput[],
  confirmation: FirmwareRun,
): Promise<{ costs: number[]; source: ModelFigures['costSource'] }> {
  const exits = compiled.graph.exits!.outputs.length;
  const measured = await runInputs(compiled, inputs.slice(0, MEASURE_SAMPLES), true);
  const perExit = Array.from({ length: exits - 1 }, (_, k) => measured.exitInstructions.map((s) => s[k]));
  if (perExit.every((values) => values.length > 0 && values.every((v) => typeof v === 'number'))) {
    const final = measured.instructions.filter((v): v is number => v !== null);
    return { costs: [...perExit.map((values) => mean(values as number[])), mean(final)], source: 'measurement run' };
  }
  log('bench: no per-exit counts from the measurement run; using the cost of the samples that took each exit');
  const costs = Array.from({ length: exits }, (_, k) => {
    const values = confirmation.instructions.filter((v, i): v is number => v !== null && confirmation.exits[i] === k);
    if (values.length === 0) throw new Error(`no confirmation sample took exit ${k}: run more with --confirm`);
    return mean(values);
  });
  return { costs, source: 'samples that took each exit' };
}

/** Builds `file` with its exits and with --no-exits, and measures both as the file header says. */
async function measureModel(
  name: string,
  file: string,
  calibration: CalibrationSource,
  options: Options,
  workDir: string,
  originalFile?: string,
): Promise<ModelFigures> {
  const started = performance.now();
  const build = (disabled: boolean): Promise<CompileResult> =>
    compileModel({
      model: file,
      target: TARGET,
      precision: 'int8',
      calibration,
      outDir: join(workDir, `${name}${disabled ? '-no-exits' : ''}`),
      link: true,
      exits: { disabled },
    });
  const compiled = await build(false);
  const plain = await build(true);
  const { graph } = compiled;
  if (!graph.exits) throw new Error(`${file}: the build found no early exits`);
  const exits = graph.exits.outputs;
  const final = exits[exits.length - 1]!;

  const labels = readLabels(TEST_LABELS);
  const inputs = testInputs(graph, options.evalCount);
  log(`bench: ${name}: exits and top-1 of the int8 reference on ${inputs.length} test images`);
  const taken: number[] = [];
  /** The answering output's values for the images QEMU runs, to compare bit for bit. */
  const answers: Int8Array[] = [];
  const leaving = exits.map(() => ({ count: 0, correct: 0, alone: 0 }));
  let correct = 0;
  let correctNoExits = 0;
  let noExitsDiffering = 0;
  let last = performance.now();
  inputs.forEach((input, i) => {
    const reference = int8ReferenceRun(graph, { [graph.inputs[0]!]: input.value });
    const answer = argmax(reference.outputs[answeringOutput(graph, reference.exit)]!.data);
    const row = leaving[reference.exit]!;
    row.count++;
    if (answer === labels[i]) {
      row.correct++;
      correct++;
    }
    exits.forEach((output, k) => {
      if (argmax(reference.outputs[output]!.data) === labels[i]) leaving[k]!.alone++;
    });
    taken.push(reference.exit);
    if (i < options.confirm) answers.push(reference.outputs[answeringOutput(graph, reference.exit)]!.data as Int8Array);
    // --no-exits answers with the final output, which the reference computes on every image; on the images QEMU
    // runs, the --no-exits graph's own reference confirms it is the same bit for bit.
    const finalOutput = reference.outputs[final]!.data as Int8Array;
    if (argmax(finalOutput) === labels[i]) correctNoExits++;
    if (i < options.confirm) {
      const noExits = runInt8Reference(plain.graph, { [plain.graph.inputs[0]!]: input.value })[final]!.data as Int8Array;
      if (noExits.some((v, k) => v !== finalOutput[k])) noExitsDiffering++;
    }
    if (performance.now() - last > 10_000) {
      last = performance.now();
      log(`bench: ${name}: ${i + 1}/${inputs.length}`);
    }
  });

  const confirmInputs = inputs.slice(0, options.confirm);
  log(`bench: ${name}: ${confirmInputs.length} images in QEMU through the exits`);
  const confirmRun = await runInputs(compiled, confirmInputs);
  let otherExit = 0;
  let valuesDiffering = 0;
  confirmRun.outputs.forEach((record, i) => {
    if (confirmRun.exits[i] !== taken[i]) {
      otherExit++;
      return;
    }
    const want = answers[i]!;
    const got = outputBytes(compiled, record, answeringOutput(graph, taken[i]!));
    for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) valuesDiffering++;
  });

  log(`bench: ${name}: instructions to each exit, and of the --no-exits build`);
  const { costs, source } = await exitCosts(compiled, inputs, confirmRun);
  if (noExitsDiffering > 0)
    throw new Error(`${name}: the --no-exits build computes another final output than the build with exits on ${noExitsDiffering} images`);
  const noExitsRun = await runInputs(plain, inputs.slice(0, MEASURE_SAMPLES));
  const instructionsNoExits = mean(noExitsRun.instructions.filter((v): v is number => v !== null));

  const shares = leaving.map((row) => row.count / inputs.length);
  const meanInstructions = shares.reduce((sum, share, k) => sum + share * costs[k]!, 0);
  const reduction = 1 - meanInstructions / instructionsNoExits;
  let original: ModelFigures['original'];
  if (originalFile !== undefined) {
    log(`bench: ${name}: instructions of the original model`);
    const built = await compileModel({
      model: originalFile,
      target: TARGET,
      precision: 'int8',
      calibration,
      outDir: join(workDir, `${name}-original`),
      link: true,
    });
    const originalRun = await runInputs(built, inputs.slice(0, MEASURE_SAMPLES));
    const instructions = mean(originalRun.instructions.filter((v): v is number => v !== null));
    original = { instructions, reduction: 1 - meanInstructions / instructions };
  }
  const counted = original?.reduction ?? reduction;
  const top1 = correct / inputs.length;
  const top1NoExits = correctNoExits / inputs.length;
  const measuredConfirm = confirmRun.instructions.filter((v): v is number => v !== null);
  return {
    model: name,
    exits,
    policy: graph.exits.policy,
    thresholds: graph.exits.thresholds,
    images: inputs.length,
    top1,
    top1NoExits,
    instructionsNoExits,
    meanInstructions,
    reduction,
    ...(original ? { original } : {}),
    costSource: source,
    table: exits.map((_, k) => ({
      exit: exitName(graph, k),
      share: shares[k]!,
      accuracy: leaving[k]!.count === 0 ? null : leaving[k]!.correct / leaving[k]!.count,
      alone: leaving[k]!.alone / inputs.length,
      macs: compiled.report.exits?.[k]?.macs ?? null,
      instructions: costs[k]!,
    })),
    confirmation: {
      samples: confirmInputs.length,
      otherExit,
      valuesDiffering,
      meanInstructions: measuredConfirm.length > 0 ? mean(measuredConfirm) : NaN,
      predictedMeanInstructions: mean(confirmInputs.map((_, i) => costs[taken[i]!]!)),
    },
    bar: counted >= REDUCTION_BAR && 100 * (top1NoExits - top1) <= ACCURACY_BAR_POINTS && otherExit === 0 && valuesDiffering === 0 ? 'PASS' : 'FAIL',
    seconds: (performance.now() - started) / 1000,
  };
}

/** `eennc augment` on the plain example through the CLI, as a user runs it; its wall time. */
async function augmentPlainExample(workDir: string): Promise<{ file: string; seconds: number; printed: string }> {
  const file = join(workDir, 'fmnist_cnn_exits.onnx');
  const args = [
    join(ROOT, 'bin/eennc.js'),
    'augment',
    join(ROOT, 'examples/fmnist/fmnist_cnn.onnx'),
    '--calib',
    TRAIN_IMAGES,
    '--calib-scale',
    String(PIXEL_SCALE),
    '--calib-count',
    String(AUGMENT_SAMPLES),
    '--labels',
    TRAIN_LABELS,
    '--count',
    String(AUGMENT_SAMPLES),
    '--target',
    TARGET,
    '-o',
    file,
  ];
  log(`bench: eennc ${args.slice(1).join(' ')}`);
  const started = performance.now();
  const result = await execa(process.execPath, args, { reject: false, all: true, stdin: 'ignore', env: { NO_COLOR: '1' } });
  const seconds = (performance.now() - started) / 1000;
  if (result.exitCode !== 0) throw new Error(`eennc augment failed (exit status ${result.exitCode}):\n${result.all ?? ''}`);
  return { file, seconds, printed: result.all ?? '' };
}

// ---------------------------------------------------------------- printing

const percent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;
const signedPercent = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const points = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

function modelTable(f: ModelFigures): string[] {
  const out = [
    `${f.model}: exits ${f.exits.join(', ')}; ${f.policy} >= ${f.thresholds.join(', ')}; ${f.images} test images; ` +
      `instructions per exit from the ${f.costSource}`,
    '',
    '| exit | leaving there | top-1 of those | top-1 alone | MACs to the exit | instructions to the exit | of --no-exits |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of f.table) {
    out.push(
      `| ${r.exit} | ${percent(r.share, 1)} | ${r.accuracy === null ? '-' : percent(r.accuracy)} | ${percent(r.alone)} | ` +
        `${r.macs ?? '-'} | ${Math.round(r.instructions)} | ${percent(r.instructions / f.instructionsNoExits, 1)} |`,
    );
  }
  const c = f.confirmation;
  out.push(
    '',
    '| | top-1 | mean instructions per inference |',
    '| --- | ---: | ---: |',
    `| --no-exits | ${percent(f.top1NoExits)} | ${Math.round(f.instructionsNoExits)} |`,
    `| with exits | ${percent(f.top1)} | ${Math.round(f.meanInstructions)} |`,
    `| change | ${points(f.top1 - f.top1NoExits)} points | ${signedPercent(-f.reduction)} |`,
    ...(f.original
      ? [
          `| original model (no heads) | ${percent(f.top1NoExits)} | ${Math.round(f.original.instructions)} |`,
          `| change against the original | ${points(f.top1 - f.top1NoExits)} points | ${signedPercent(-f.original.reduction)} |`,
        ]
      : []),
    '',
    `bar (at least ${percent(REDUCTION_BAR, 0)} fewer instructions${f.original ? ' than the original model' : ''}, at most ${ACCURACY_BAR_POINTS} point lower top-1, QEMU as the reference): ${f.bar}`,
    `QEMU on ${c.samples} images: ${c.otherExit} took another exit than the int8 reference, ${c.valuesDiffering} output values differ; ` +
      `mean ${Math.round(c.meanInstructions)} instructions (the per-exit costs predict ${Math.round(c.predictedMeanInstructions)})`,
    '',
  );
  return out;
}

function printTables(branchy: ModelFigures | undefined, augment: { seconds: number; figures: ModelFigures } | undefined): void {
  const out: string[] = ['Early exits, int8 on cortex-m4, Fashion-MNIST test set (exit choice and top-1 from the int8 reference)', ''];
  if (branchy) out.push(...modelTable(branchy));
  if (augment) {
    const bar = augment.seconds < AUGMENT_BAR_SECONDS ? 'PASS' : 'FAIL';
    out.push(`eennc augment on examples/fmnist/fmnist_cnn.onnx: ${augment.seconds.toFixed(1)} s (bar < ${AUGMENT_BAR_SECONDS} s: ${bar})`, '');
    out.push(...modelTable(augment.figures));
  }
  out.push('Beside the papers', '', '| model | task | reduction | of |', '| --- | --- | ---: | --- |');
  if (branchy)
    out.push(
      `| ${branchy.model} (eennc, trained with exits) | Fashion-MNIST | ${signedPercent(-branchy.reduction)} | mean instructions, cortex-m4 int8 |`,
    );
  if (augment) {
    out.push(
      `| ${augment.figures.model} (eennc augment) | Fashion-MNIST | ${signedPercent(-(augment.figures.original?.reduction ?? augment.figures.reduction))} | mean instructions, cortex-m4 int8 |`,
    );
  }
  for (const p of PAPERS) out.push(`| ${p.source} | ${p.task} | ${signedPercent(-p.reduction)} | ${p.of} |`);
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (!existsSync(TEST_IMAGES) || !existsSync(TEST_LABELS)) {
    log(`bench: exits skipped: ${TEST_IMAGES} is missing (npm run setup installs dataset-fashion-mnist)`);
    return 0;
  }
  const workDir = await makeTempDir('eennc-bench-exits-');
  let failed = false;
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (err) {
      failed = true;
      log(`bench: ${what} failed: ${err instanceof EennError ? err.format() : err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  try {
    const branchy = !options.parts.has('branchy')
      ? undefined
      : await attempt('fmnist_branchy', () =>
          measureModel(
            'fmnist_branchy',
            join(ROOT, 'examples/fmnist_branchy/fmnist_branchy.onnx'),
            { path: join(ROOT, 'examples/fmnist_branchy/calib_u8.npy'), scale: PIXEL_SCALE, method: 'percentile' },
            options,
            workDir,
          ),
        );
    const augment = !options.parts.has('augment')
      ? undefined
      : await attempt('augment', async () => {
          const augmented = await augmentPlainExample(workDir);
          log(`bench: eennc augment took ${augmented.seconds.toFixed(1)} s`);
          const calibration: CalibrationSource = { path: join(ROOT, 'examples/fmnist/calib_u8.npy'), scale: PIXEL_SCALE, method: 'percentile' };
          return {
            seconds: augmented.seconds,
            figures: await measureModel(
              'fmnist_cnn_augmented',
              augmented.file,
              calibration,
              options,
              workDir,
              join(ROOT, 'examples/fmnist/fmnist_cnn.onnx'),
            ),
          };
        });
    if (options.json) process.stdout.write(JSON.stringify({ branchy, augment, papers: PAPERS }, null, 2) + '\n');
    else printTables(branchy, augment);
    return failed ? 1 : 0;
  } finally {
    await removeTempDir(workDir);
  }
}

process.exitCode = await main();
