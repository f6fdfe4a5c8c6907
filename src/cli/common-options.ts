// The options build, run and test share, declared once and turned into CompileOptions.

import { Command } from 'commander';
import { join } from 'node:path';
import { parseInputShapes } from '../frontend/input-shapes.js';
import type { CalibrationSource, CompileOptions } from '../compile.js';
import { EennError } from '../ir/diagnostics.js';
import { DEFAULT_TARGET_NAME } from '../target.js';
import { checkOutputDir } from '../util/output-dir.js';
import { makeTempDir } from '../util/temp-dirs.js';
import { collect, parseArenaPolicy, parseCalibrationMethod, parseIo, parsePositive, parsePrecision } from './options.js';

export interface SharedOptions extends CalibrationOptions {
  target: string;
  precision: string;
  inputShape: string[];
  opt?: string;
  arena: string;
  output?: string;
  outDir?: string;
  force?: boolean;
  json?: boolean;
}

export interface CalibrationOptions {
  calib?: string;
  calibCount?: string;
  calibScale?: string;
  calibMethod: string;
  percentile?: string;
  io: string;
}

/** Add --target, --precision, --input-shape, --opt, --arena and --json to a command. */
export function withSharedOptions(command: Command): Command {
  command
    .option('-t, --target <name>', 'target name (see `eennc targets`) or path of a target file', DEFAULT_TARGET_NAME)
    .option('--precision <p>', 'int8 or float32', 'int8');
  return withCalibrationOptions(command)
    .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions, e.g. input=1x1x28x28 (repeatable)', collect, [])
    .option('--opt <flag>', 'optimisation flag for the firmware build', '-O2')
    .option('--arena <policy>', 'activation arena: tflm (the fastest code within the arena TensorFlow Lite Micro with CMSIS-NN would need), min (the smallest arena, some layers slower), ram (the fastest code that fits the target) or a size in bytes (64k)', 'tflm')
    .option('--json', 'print one JSON document on stdout');
}

/** Help of --force, an option of every command that takes -o DIR (build, run, test). */
export const FORCE_HELP =
  'let -o replace a folder that is not an earlier eennc output (never a file, the current folder or one holding the model)';

/**
 * CompileOptions from the shared options. An output folder is checked before any work is done (src/util/output-dir.ts);
 * without one, the project goes to a fresh temporary folder, removed when the command ends (src/util/temp-dirs.ts).
 */
export async function compileOptionsFrom(model: string, options: SharedOptions, outDir?: string): Promise<CompileOptions> {
  if (outDir !== undefined) await checkOutputDir(outDir, { force: options.force, keep: [model] });
  return {
    model,
    target: options.target,
    precision: parsePrecision(options.precision),
    inputShapes: parseInputShapes(options.inputShape),
    optimization: options.opt,
    arena: parseArenaPolicy(options.arena),
    io: parseIo(options.io),
    calibration: calibrationFrom(options),
    onProgress: log,
    outDir: outDir ?? join(await makeTempDir('eennc-'), 'project'),
    force: options.force,
  };
}

/** People-facing progress on stderr (never on stdout, which holds results). */
export function log(message: string): void {
  process.stderr.write(message + '\n');
}

function parsePercentile(value: string): number {
  const p = parsePositive('--percentile', value);
  if (p > 100) throw new EennError({ code: 'E_USAGE', message: `--percentile must be in (0, 100], not ${value}` });
  return p;
}

/** Add the int8 options: --calib, --calib-count, --calib-scale, --calib-method, --percentile, --io. */
export function withCalibrationOptions(command: Command): Command {
  return command
    .option('--calib <data>', 'int8: calibration inputs (.npy, .bin, IDX .gz) to choose activation scales')
    .option('--calib-count <n>', 'int8: use only the first N calibration samples')
    .option('--calib-scale <x>', 'int8: multiply every calibration value by this (uint8 pixels: 1/255)')
    .option('--calib-method <m>', 'int8: minmax, percentile or entropy', 'percentile')
    .option('--percentile <p>', 'int8: share of values the percentile method keeps', '99.99')
    .option('--io <type>', 'int8: data type of the model inputs and outputs, int8 or float32', 'int8');
}

/** The calibration source from the options, or undefined without --calib. */
export function calibrationFrom(options: CalibrationOptions): CalibrationSource | undefined {
  if (options.calib === undefined) return undefined;
  return {
    path: options.calib,
    count: options.calibCount === undefined ? undefined : Math.floor(parsePositive('--calib-count', options.calibCount)),
    scale: options.calibScale === undefined ? undefined : parsePositive('--calib-scale', options.calibScale),
    method: parseCalibrationMethod(options.calibMethod),
    percentile: options.percentile === undefined ? undefined : parsePercentile(options.percentile),
  };
}
