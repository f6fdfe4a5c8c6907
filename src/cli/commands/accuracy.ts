// `eennc accuracy MODEL.onnx --calib C --data D --labels L`: what int8 costs. Top-1 of the float reference and of
// the int8 reference on a labelled set, and the error of every int8 tensor (SQNR in dB), worst layers first. With
// early exits: top-1 taking them and with --no-exits, and the per-exit table (--target adds measured instructions).
// With calibration data, each tensor's "best range": the calibration method (minmax, percentile, entropy) whose
// range expects the least int8 error on that data, and the top-1 of the method best on the most tensors.

import type { Command } from 'commander';
import { readLabels, type RawLabelDType } from '../../data/index.js';
import type { AccuracyReport, ExitAccuracy } from '../../evaluate.js';
import type { Graph } from '../../ir/graph.js';
import { formatExitTable, type ExitTable } from '../../report/exit-table.js';
import { exitTableOf, type ExitInstructions } from '../../measure-exits.js';
import { finalOutput } from '../../exit-reference.js';
import { inFile } from '../../ir/diagnostics.js';
import { parseInputShapes } from '../../frontend/input-shapes.js';
import {
  THEN_HELP,
  calibrationFrom,
  compileOptionsFrom,
  exitOptionsFrom,
  log,
  withCalibrationOptions,
  withExitOptions,
  withSampleOptions,
  type CalibrationOptions,
  type ExitCommandOptions,
  type SampleOptions,
} from '../common-options.js';
import { loadInputs } from '../execute.js';
import { LABELS_DTYPE_HELP, collectFiles, collectInputShape, numberOption, parseCount, parseLabelsDType } from '../options.js';
import { countSteps } from '../../util/progress.js';
import type { MethodComparison } from '../../calibration.js';
import type { CalibrationMethod, Range } from '../../quantize/calibrate.js';
import { formatChoice, summarizeChoices, type MethodChoice, type MethodSummary } from '../../quantize/method-choice.js';
import type { CalibrationSource } from '../../compile.js';

interface AccuracyOptions extends CalibrationOptions, SampleOptions, ExitCommandOptions {
  target?: string;
  data: string[];
  labels: string;
  labelsDtype?: RawLabelDType;
  sqnrSamples: number;
  inputShape: string[];
  json?: boolean;
  /** --then B.onnx: evaluate the pipeline of the model then B. */
  then?: string;
}

export function register(program: Command): void {
  withExitOptions(
    withCalibrationOptions(
      withSampleOptions(
        program
          .command('accuracy')
          .description('compare the int8 model with the float model: top-1 on a labelled set and per-layer SQNR')
          .argument('<model>', 'the ONNX model (.onnx)')
          .requiredOption(
            '-d, --data <data>',
            'labelled input samples (.npy, .bin, IDX); a model of several inputs takes one per input, name=file or in its input order (repeatable)',
            collectFiles,
          )
          .requiredOption('-l, --labels <labels>', 'class labels of the samples (.npy of integers, IDX labels, raw .bin with --labels-dtype)')
          .option('--labels-dtype <type>', LABELS_DTYPE_HELP, parseLabelsDType),
      )
        .option('--sqnr-samples <n>', 'samples over which the per-layer SQNR is measured', numberOption(parseCount, '--sqnr-samples'), 100)
        .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions (repeatable)', collectInputShape, [])
        .option('--target <name>', 'early exits: also measure the instructions of each exit on this target (see `eennc targets`)')
        .option('--then <model>', THEN_HELP)
        .option('--json', 'print one JSON document on stdout'),
    ),
  ).action(async (model: string, options: AccuracyOptions) => {
    const [{ importWithOwnQuantization, quantizeModel, quantizeModelWithReference }, { evaluateAccuracy }, { attachExits, resolveExits }] = await Promise.all([
      import('../../compile.js'),
      import('../../evaluate.js'),
      import('../../exits/index.js'),
    ]);
    // A labels file that cannot be read stops the command before calibration.
    const labels = readLabels(options.labels, { dtype: options.labelsDtype });
    const imported = importWithOwnQuantization(model, parseInputShapes(options.inputShape), options.then);
    const { overrides, notes } = imported;
    const exitOptions = exitOptionsFrom(options);
    const exits = inFile(model, () => resolveExits(imported.graph, exitOptions, notes));
    const quantizationNotes: string[] = [];
    // `reference`: the float graph the int8 one was quantized from, tensor by tensor (equalized, with --equalize).
    const { graph: quantized, floatGraph: reference } = await quantizeModelWithReference(
      imported.graph,
      { model, calibration: calibrationFrom(options), io: options.io, onProgress: log, overrides },
      quantizationNotes,
    );
    for (const note of quantizationNotes) log(`note: ${note}`);
    const floatGraph = exits ? attachExits(imported.graph, exits) : imported.graph;
    const int8Graph = exits ? inFile(model, () => attachExits(quantized, exits)) : quantized;
    if (exits) for (const note of notes.filter((n) => /exit/.test(n))) log(`note: ${note}`);
    const inputs = loadInputs(floatGraph, {
      paths: options.data,
      flag: '--data',
      scale: options.scale,
      count: options.count,
      requireFinite: true,
    });
    const report = evaluateAccuracy(floatGraph, int8Graph, inputs, labels, {
      sqnrSamples: options.sqnrSamples,
      output: finalOutput(imported.graph, exitOptions),
      onProgress: countSteps(log, 'evaluating', 'samples'),
      ...(reference !== imported.graph ? { layerReference: exits ? attachExits(reference, exits) : reference } : {}),
    });
    const calibration = calibrationFrom(options);
    const methods =
      calibration
        ? await compareMethods(reference, int8Graph, calibration, overrides.activations, async (winner) => {
            log(`note: quantizing again with ${winner}, the method best on the most tensors, for its top-1`);
            const other = await quantizeModel(imported.graph, {
              model,
              calibration: { ...calibration, method: winner },
              io: options.io,
              onProgress: log,
              overrides,
            });
            const otherGraph = exits ? inFile(model, () => attachExits(other, exits)) : other;
            return evaluateAccuracy(floatGraph, otherGraph, inputs, labels, { sqnrSamples: 0, output: finalOutput(imported.graph, exitOptions) })
              .int8Top1;
          })
        : undefined;
    const instructions = report.exits && options.target !== undefined ? await measureOnTarget(model, options) : undefined;
    const table = report.exits ? exitTableOfReport(int8Graph, report.exits, instructions) : undefined;
    if (options.json) {
      const document = {
        ...accuracyJson(report, methods),
        ...(methods ? { calibration_methods: methodsJson(methods) } : {}),
        ...(report.exits && table ? exitsJson(report.exits, table) : {}),
      };
      process.stdout.write(JSON.stringify(document, null, 2) + '\n');
      return;
    }
    process.stdout.write(
      formatAccuracy(report, methods) +
        (methods ? formatMethodSummary(methods, report.int8Top1) : '') +
        (report.exits && table ? formatExits(report.exits, table) : ''),
    );
  });
}

/** What the calibration methods would make of the model: per tensor (by name), over all, and the winner's top-1. */
interface MethodsReport {
  comparison: MethodComparison;
  byTensor: Map<string, MethodChoice>;
  summary: MethodSummary;
  /** The int8 top-1 with the method best on the most tensors, when that is not the one used. */
  winnerTop1?: number;
}

/**
 * Calibrate once more, keeping what every method needs, and compare the methods on each tensor that `int8Graph`
 * quantizes (a float tensor that quantization folds away, such as a Conv output before its ReLU, is left out); when
 * another method than the one used is best on the most of them, `winnerTop1` quantizes and evaluates the model with it.
 */
async function compareMethods(
  graph: Graph,
  int8Graph: Graph,
  calibration: CalibrationSource,
  stated: ReadonlyMap<string, unknown>,
  winnerTop1: (winner: CalibrationMethod) => Promise<number>,
): Promise<MethodsReport> {
  const { compareCalibrationMethods } = await import('../../calibration.js');
  const samples = loadInputs(graph, {
    paths: calibration.files ?? [calibration.path],
    flag: '--calib',
    scale: calibration.scale,
    count: calibration.count,
    requireFinite: true,
  });
  const comparison = await compareCalibrationMethods(
    graph,
    samples,
    { method: calibration.method, percentile: calibration.percentile, onProgress: countSteps(log, 'comparing calibration methods', 'samples') },
    new Set(stated.keys()),
  );
  const quantized = (name: string): boolean => {
    const tensor = int8Graph.tensors.get(name);
    return tensor !== undefined && tensor.data === undefined && (tensor.dtype === 'int8' || tensor.dtype === 'int16');
  };
  comparison.choices = comparison.choices.filter((choice) => quantized(choice.tensor));
  comparison.fixed = comparison.fixed.filter(quantized);
  const summary = summarizeChoices(comparison.choices, calibration.method);
  const byTensor = new Map(comparison.choices.map((choice) => [choice.tensor, choice]));
  if (summary.winner === calibration.method) return { comparison, byTensor, summary };
  return { comparison, byTensor, summary, winnerTop1: await winnerTop1(summary.winner) };
}

/** The instructions of each exit on --target: the model compiled and linked, one sample run past every exit. */
async function measureOnTarget(model: string, options: AccuracyOptions): Promise<ExitInstructions | undefined> {
  const { compileModel } = await import('../../compile.js');
  const shared = { ...options, target: options.target!, precision: 'int8' as const, opt: undefined, arena: 'tflm' as const };
  const compiled = await compileModel({ ...(await compileOptionsFrom(model, shared)), link: true, measureExits: true });
  const exits = compiled.report.exits ?? [];
  const noExits = compiled.report.exits_expected?.no_exits_instructions;
  if (exits.some((e) => e.instructions === null) || noExits === null || noExits === undefined) {
    const why = compiled.report.notes.find((n) => n.includes('not measured')) ?? `${compiled.target.name} counts no instructions`;
    log(`note: ${why}; the table gives MACs only`);
    return undefined;
  }
  return { exits: exits.map((e) => e.instructions!), noExits };
}

/** The per-exit table of the int8 model: where the int8 reference's samples leave, and how accurate each exit is. */
function exitTableOfReport(int8Graph: Graph, exits: ExitAccuracy, instructions: ExitInstructions | undefined): ExitTable {
  return exitTableOf(int8Graph, {
    instructions,
    taken: exits.int8.taken,
    correct: exits.int8.correct,
    finalCorrect: exits.int8.finalCorrect,
    source: `int8 reference on ${exits.int8.taken.length} labelled samples`,
  });
}

/**
 * The JSON document of `eennc accuracy` (snake_case like the other reports). With calibration data each layer has
 * `best_range`: null where the range does not depend on the method (a fixed output range, a scale the model states).
 */
function accuracyJson(report: AccuracyReport, methods: MethodsReport | undefined): Record<string, unknown> {
  return {
    samples: report.samples,
    float_top1: report.floatTop1,
    int8_top1: report.int8Top1,
    top1_drop_points: 100 * (report.floatTop1 - report.int8Top1),
    disagreements: report.disagreements,
    sqnr_samples: report.sqnrSamples,
    layers: report.layers.map((l) => ({
      tensor: l.tensor,
      node: l.node,
      op: l.op,
      sqnr_db: Number.isFinite(l.sqnrDb) ? l.sqnrDb : null,
      ...(methods ? { best_range: choiceJson(methods.byTensor.get(l.tensor)) } : {}),
    })),
  };
}

/** One tensor's method choice: the best method, its gain over the used one, and every method's range and error. */
function choiceJson(choice: MethodChoice | undefined): Record<string, unknown> | null {
  if (!choice) return null;
  const perMethod = <T>(f: (method: CalibrationMethod) => T) =>
    Object.fromEntries(Object.keys(choice.ranges).map((m) => [m, f(m as CalibrationMethod)]));
  return {
    method: choice.best,
    gain_db: Number.isFinite(choice.gainDb) ? choice.gainDb : null,
    ranges: perMethod((m) => rangeJson(choice.ranges[m])),
    expected_squared_error: perMethod((m) => choice.errors[m]),
  };
}

function rangeJson(range: Range): [number, number] {
  return [range.min, range.max];
}

/** The comparison over all tensors: wins per method, the winner and its top-1 (when not the method used). */
function methodsJson(methods: MethodsReport): Record<string, unknown> {
  const { summary } = methods;
  return {
    used: summary.used,
    tensors: summary.tensors,
    wins: summary.wins,
    winner: summary.winner,
    ...(methods.winnerTop1 !== undefined ? { winner_int8_top1: methods.winnerTop1 } : {}),
    fixed_tensors: methods.comparison.fixed,
  };
}

/** The comparison for people: which method is best on how many tensors, and the top-1 the winner would give. */
function formatMethodSummary(methods: MethodsReport, usedTop1: number): string {
  const { summary } = methods;
  const wins = Object.entries(summary.wins)
    .map(([method, n]) => `${method} on ${n}`)
    .join(', ');
  const line =
    `best range over the ${summary.tensors} calibrated int8 tensors (least expected int8 error on the calibration data): ${wins}; ` +
    (methods.winnerTop1 === undefined
      ? `${summary.used}, the method used, is best on the most`
      : `with ${summary.winner} (--calib-method ${summary.winner}) int8 top-1 would be ${(100 * methods.winnerTop1).toFixed(2)}% ` +
        `(${summary.used}: ${(100 * usedTop1).toFixed(2)}%)`);
  return line + '\n';
}

/**
 * A table people read: accuracies, then every layer with its SQNR, the worst marked; with calibration data, each
 * layer's best range ("= minmax" where the method used is best, "fixed" where no method changes it, "-" for a tensor
 * the comparison did not see).
 */
function formatAccuracy(report: AccuracyReport, methods: MethodsReport | undefined): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `top-1 on ${report.samples} samples: float32 ${pct(report.floatTop1)}, int8 ${pct(report.int8Top1)} ` +
      `(${(100 * (report.floatTop1 - report.int8Top1)).toFixed(2)} points lost; ${report.disagreements} samples classified differently)`,
    `per-layer SQNR of the int8 tensors against float (over ${report.sqnrSamples} samples; higher is better)` +
      (methods ? `, and the best range: the calibration method whose range expects the least int8 error, and by how much:` : ':'),
  ];
  const finite = report.layers.filter((l) => Number.isFinite(l.sqnrDb));
  const worst = finite.length > 0 ? Math.min(...finite.map((l) => l.sqnrDb)) : Infinity;
  const width = Math.max(4, ...report.layers.map((l) => l.node.length));
  const best = (tensor: string): string => {
    const choice = methods?.byTensor.get(tensor);
    if (choice) return formatChoice(choice);
    return methods?.comparison.fixed.includes(tensor) ? 'fixed' : '-';
  };
  const bestWidth = methods ? Math.max(...report.layers.map((l) => best(l.tensor).length)) : 0;
  for (const l of report.layers) {
    const db = Number.isFinite(l.sqnrDb) ? `${l.sqnrDb.toFixed(1).padStart(6)} dB` : '  exact  ';
    const column = methods ? `  ${best(l.tensor).padEnd(bestWidth)}` : '';
    lines.push(`  ${l.node.padEnd(width)}  ${l.op.padEnd(14)} ${db}${column}${l.sqnrDb === worst ? '  <- lowest' : ''}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** The JSON of the exits: top-1 with and without them, the exit each reference takes, and the int8 table. */
function exitsJson(exits: ExitAccuracy, table: ExitTable): Record<string, unknown> {
  const shares = (taken: number[]) => exits.names.map((_, e) => taken.filter((t) => t === e).length / Math.max(1, taken.length));
  return {
    no_exits: { float_top1: exits.floatNoExitsTop1, int8_top1: exits.int8NoExitsTop1 },
    exits: table.exits.map((row, e) => ({
      ...row,
      float_share: shares(exits.float.taken)[e],
      sqnr_db: Number.isFinite(exits.sqnrDb[e]!) ? exits.sqnrDb[e] : null,
    })),
    exits_expected: table.expected,
  };
}

/** The exits for people: top-1 with and without them, then the int8 table and each exit's SQNR. */
function formatExits(exits: ExitAccuracy, table: ExitTable): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const floatShares = exits.names.map(
    (name, e) => `${name} ${pct(exits.float.taken.filter((t) => t === e).length / Math.max(1, exits.float.taken.length))}`,
  );
  const lines = [
    `early exits ${exits.names.join(', ')}: top-1 taking them: float32 ${pct(exits.float.correct.filter(Boolean).length / exits.float.taken.length)}, ` +
      `int8 ${pct(exits.int8.correct.filter(Boolean).length / exits.int8.taken.length)}; with --no-exits: float32 ${pct(exits.floatNoExitsTop1)}, int8 ${pct(exits.int8NoExitsTop1)}`,
    `leaving at each exit in the float reference: ${floatShares.join(', ')}`,
    ...formatExitTable(table),
    `SQNR of each exit's int8 output against float: ${exits.names.map((name, e) => `${name} ${Number.isFinite(exits.sqnrDb[e]!) ? `${exits.sqnrDb[e]!.toFixed(1)} dB` : 'exact'}`).join(', ')}`,
  ];
  return lines.join('\n') + '\n';
}
