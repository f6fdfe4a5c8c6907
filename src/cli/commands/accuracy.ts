// `eennc accuracy MODEL.onnx --calib C --data D --labels L`: what int8 costs. Top-1 of the float reference and of
// the int8 reference on a labelled set, and the error of every int8 tensor (SQNR in dB), worst layers first.

import type { Command } from 'commander';
import { readLabels } from '../../data/index.js';
import type { AccuracyReport } from '../../evaluate.js';
import { parseInputShapes } from '../../frontend/input-shapes.js';
import { calibrationFrom, log, withCalibrationOptions, withSampleOptions, type CalibrationOptions, type SampleOptions } from '../common-options.js';
import { loadInputs } from '../execute.js';
import { collectInputShape, numberOption, parseCount } from '../options.js';

interface AccuracyOptions extends CalibrationOptions, SampleOptions {
  data: string;
  labels: string;
  sqnrSamples: number;
  inputShape: string[];
  json?: boolean;
}

export function register(program: Command): void {
  withCalibrationOptions(
    withSampleOptions(
      program
        .command('accuracy')
        .description('compare the int8 model with the float model: top-1 on a labelled set and per-layer SQNR')
        .argument('<model>', 'the ONNX model (.onnx)')
        .requiredOption('-d, --data <data>', 'labelled input samples (.npy, .bin, IDX)')
        .requiredOption('-l, --labels <labels>', 'class labels of the samples (.npy of integers, IDX labels)'),
    )
      .option('--sqnr-samples <n>', 'samples over which the per-layer SQNR is measured', numberOption(parseCount, '--sqnr-samples'), 100)
      .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions (repeatable)', collectInputShape, [])
      .option('--json', 'print one JSON document on stdout'),
  ).action(async (model: string, options: AccuracyOptions) => {
    const [{ importWithOwnQuantization, quantizeModel }, { evaluateAccuracy }] = await Promise.all([
      import('../../compile.js'),
      import('../../evaluate.js'),
    ]);
    const { graph: floatGraph, overrides } = importWithOwnQuantization(model, parseInputShapes(options.inputShape));
    const int8Graph = await quantizeModel(floatGraph, { model, calibration: calibrationFrom(options), io: options.io, onProgress: log, overrides });
    const inputs = loadInputs(floatGraph, options.data, {
      path: options.data,
      scale: options.scale,
      count: options.count,
      requireFinite: true,
    });
    const labels = readLabels(options.labels);
    const started = Date.now();
    let last = started;
    const report = evaluateAccuracy(floatGraph, int8Graph, inputs, labels, {
      sqnrSamples: options.sqnrSamples,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - last >= 2000 || done === total) {
          last = now;
          log(`evaluating: ${done}/${total} samples (${((now - started) / 1000).toFixed(1)} s)`);
        }
      },
    });
    if (options.json) {
      process.stdout.write(JSON.stringify(accuracyJson(report), null, 2) + '\n');
      return;
    }
    process.stdout.write(formatAccuracy(report));
  });
}

/** The JSON document of `eennc accuracy` (snake_case like the other reports). */
function accuracyJson(report: AccuracyReport): Record<string, unknown> {
  return {
    samples: report.samples,
    float_top1: report.floatTop1,
    int8_top1: report.int8Top1,
    top1_drop_points: 100 * (report.floatTop1 - report.int8Top1),
    disagreements: report.disagreements,
    sqnr_samples: report.sqnrSamples,
    layers: report.layers.map((l) => ({ tensor: l.tensor, node: l.node, op: l.op, sqnr_db: Number.isFinite(l.sqnrDb) ? l.sqnrDb : null })),
  };
}

/** A table people read: accuracies, then every layer with its SQNR, the worst marked. */
function formatAccuracy(report: AccuracyReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `top-1 on ${report.samples} samples: float32 ${pct(report.floatTop1)}, int8 ${pct(report.int8Top1)} ` +
      `(${(100 * (report.floatTop1 - report.int8Top1)).toFixed(2)} points lost; ${report.disagreements} samples classified differently)`,
    `per-layer SQNR of the int8 tensors against float (over ${report.sqnrSamples} samples; higher is better):`,
  ];
  const finite = report.layers.filter((l) => Number.isFinite(l.sqnrDb));
  const worst = finite.length > 0 ? Math.min(...finite.map((l) => l.sqnrDb)) : Infinity;
  const width = Math.max(4, ...report.layers.map((l) => l.node.length));
  for (const l of report.layers) {
    const db = Number.isFinite(l.sqnrDb) ? `${l.sqnrDb.toFixed(1).padStart(6)} dB` : '  exact  ';
    lines.push(`  ${l.node.padEnd(width)}  ${l.op.padEnd(14)} ${db}${l.sqnrDb === worst ? '  <- lowest' : ''}`);
  }
  return lines.join('\n') + '\n';
}
