// The options build, run, test and accuracy share, declared once and turned into CompileOptions.

import { Command } from 'commander';
import { EennError } from '../ir/diagnostics.js';
import { join } from 'node:path';
import { parseInputShapes } from '../frontend/input-shapes.js';
import { parseInputFile } from '../data/model-inputs.js';
import { DEFAULT_PERCENTILE } from '../quantize/calibrate.js';
import type { Int16Layers } from '../quantize/techniques.js';
import type { CalibrationSource, CompileOptions } from '../compile.js';
import { DEFAULT_TARGET_NAME, loadTarget } from '../target/target.js';
import type { IntermittentOptions } from '../intermittent/index.js';
import type { DeviceOptions } from '../devices/index.js';
import { checkOutputDir } from '../util/output-dir.js';
import { makeTempDir } from '../util/temp-dirs.js';
import type { ProgressCount } from '../util/progress.js';
import { stderrProgress } from '../util/progress-terminal.js';
import type { ArenaPolicy } from '../schedule/arena-budget.js';
import type { ExitPolicy } from '../ir/exits.js';
import type { ExitOptions } from '../exits/index.js';
import {
  collectFiles,
  collectInputShape,
  numberOption,
  parseLinkFaultRate,
  parseArenaPolicy,
  parseCalibrationMethod,
  parseInt16Layers,
  parseCount,
  parseExitNames,
  parseExitPolicy,
  parseExitThresholds,
  parseIo,
  parsePercentile,
  parsePositive,
  parsePrecision,
  parseSeed,
  type Precision,
} from './options.js';

export interface SharedOptions extends CalibrationOptions, ExitCommandOptions, IntermittentCommandOptions, DeviceCommandOptions {
  target: string;
  precision: Precision;
  inputShape: string[];
  opt?: string;
  arena: ArenaPolicy;
  output?: string;
  outDir?: string;
  force?: boolean;
  json?: boolean;
  /** --then B.onnx: a pipeline whose second model runs on this model's output. */
  then?: string;
}

export interface CalibrationOptions {
  /** --calib: one file, or one per model input (`name=file`, or in the model's input order). */
  calib?: string[];
  calibCount?: number;
  calibScale?: number;
  calibMethod: 'minmax' | 'percentile' | 'entropy';
  percentile?: number;
  io: 'int8' | 'float32';
  /** --equalize / --no-equalize (undefined: the default). */
  equalize?: boolean;
  /** --bias-correction / --no-bias-correction (undefined: the default). */
  biasCorrection?: boolean;
  /** --optimize-rounding. */
  optimizeRounding?: boolean;
  /** --int16-layers auto|none|NAMES. */
  int16Layers?: Int16Layers;
}

/** The early-exit options as commander leaves them: --exits gives names, --no-exits sets `exits` to false. */
export interface ExitCommandOptions {
  exits?: string[] | false;
  exitThreshold?: number[];
  exitPolicy?: ExitPolicy;
}

/** Add --exits, --exit-threshold, --exit-policy and --no-exits (build, run, test, accuracy); --exits with --no-exits is refused. */
export function withExitOptions(command: Command): Command {
  const given = new Set<string>();
  const seen = (flag: string) => {
    given.add(flag);
    if (given.size === 2) {
      throw new EennError({
        code: 'E_USAGE',
        message: '--exits names exits and --no-exits turns them off: give one of them',
        hint: '--no-exits alone runs every layer and computes every output',
      });
    }
  };
  // Commander would let the last of the two win silently (they set the same option).
  command.on('option:exits', () => seen('--exits'));
  command.on('option:no-exits', () => seen('--no-exits'));
  return command
    .option('--exits <names>', 'early exits: model outputs in exit order, the final classifier last (default: from the model)', parseExitNames)
    .option('--exit-threshold <t>', 'early exits: the threshold of every early exit, or one per early exit (0.9 or 0.9,0.8)', parseExitThresholds)
    .option('--exit-policy <policy>', 'early exits: max-softmax (default), margin or entropy', parseExitPolicy)
    .option('--no-exits', 'run every layer and compute every output, taking no early exit');
}

/** ExitOptions for compileModel (src/exits/index.ts) from the command line; the flags without effect are noted. */
export function exitOptionsFrom(options: ExitCommandOptions): ExitOptions {
  if (options.exits === false) {
    const unused = [options.exitThreshold && '--exit-threshold', options.exitPolicy && '--exit-policy'].filter(Boolean);
    if (unused.length > 0) log(`note: ${unused.join(' and ')} ${unused.length === 1 ? 'has' : 'have'} no effect with --no-exits`);
    return { disabled: true };
  }
  return {
    ...(options.exits ? { names: options.exits } : {}),
    ...(options.exitThreshold ? { thresholds: options.exitThreshold } : {}),
    ...(options.exitPolicy ? { policy: options.exitPolicy } : {}),
  };
}

/** The intermittent options as commander leaves them (build, run, test; --failures and --seed: test only). */
export interface IntermittentCommandOptions {
  intermittent?: boolean;
  budget?: string;
  budgetUj?: string;
  failures?: number;
  seed?: number;
}

/** The seed of the failure schedules when --seed is not given. */
export const DEFAULT_FAILURE_SEED = 1;

/**
 * Add --intermittent, --budget and --budget-uj (build, run, test); with `failures`, also --failures and --seed
 * (test). The values are checked against each other and the target in compileOptionsFrom (src/intermittent/options.ts).
 */
export function withIntermittentOptions(command: Command, failures = false): Command {
  command
    .option(
      '--intermittent',
      "intermittent execution on harvested energy: split the model into tasks that each fit one power-on window, committing progress to the target's non-volatile memory (needs --budget or --budget-uj)",
    )
    .option('--budget <n>', 'intermittent: instructions per power-on window, counted from the call of eenn_run() (e.g. 100000)')
    .option('--budget-uj <u>', "intermittent: microjoules per power-on window, turned into instructions by the target's energy per instruction");
  if (!failures) return command;
  return command
    .option(
      '--failures <n>',
      'intermittent: also cut the power at pseudo-random instructions in N failure schedules (spread over the samples) and check every result against the continuous run, bit for bit',
      numberOption(parseCount, '--failures'),
    )
    .option(
      '--seed <s>',
      `seed of the failure schedules (--failures) and of the link faults (--link-faults); default ${DEFAULT_FAILURE_SEED}`,
      numberOption(parseSeed, '--seed'),
    );
}

/** The multi-device options as commander leaves them (build, run, test; --link-faults: test only). */
export interface DeviceCommandOptions {
  devices?: string;
  /** --link's spec (kept apart from build's --no-link by withDeviceOptions). */
  linkSpec?: string;
  /** build's --no-link: false when given, whether before or after --link SPEC. */
  link?: boolean;
  objective?: string;
  cut?: string;
  linkFaults?: number;
}

/** The option values where withDeviceOptions keeps --link's spec, and whether build's --no-link was given. */
const LINK_SPEC = 'linkSpec';
const NO_LINK_GIVEN = 'noLinkGiven';

/**
 * Add --devices, --link, --objective and --cut (build, run, test); with `faults`, also --link-faults (test). They are
 * checked against each other and the targets in compileOptionsFrom (src/devices/options.ts).
 */
export function withDeviceOptions(command: Command, faults = false): Command {
  command
    .option(
      '--devices <list>',
      'split the model across two devices, the node that reads the input then the gateway, e.g. node=cortex-m0plus,gateway=cortex-m7 (one C project each; --target is not used)',
    )
    .option('--link <spec>', 'devices: the link between them, uart:BAUD[,latency-us=N][,nj-per-byte=N] (e.g. uart:115200)')
    // commander gives --link SPEC and build's --no-link one attribute, "link": the spec goes to linkSpec, and "link"
    // stays false where --no-link was given (before or after --link), so that each flag keeps its meaning.
    .on('option:link', (spec: string) => {
      command.setOptionValue(LINK_SPEC, spec);
      command.setOptionValue('link', command.getOptionValue(NO_LINK_GIVEN) === true ? false : undefined);
    })
    .on('option:no-link', () => command.setOptionValue(NO_LINK_GIVEN, true))
    .option('--objective <o>', 'devices: what the cut minimises, latency (default) or energy per inference')
    .option(
      '--cut <step>',
      'devices: cut here instead of where the cost model says: a position of the cut table (0 = all on the gateway), or the name of the tensor or node the node part ends with',
    );
  if (!faults) return command;
  return command.option(
    '--link-faults <rate>',
    'devices: drop or corrupt each byte on the link with this probability (seeded by --seed): every sample must then answer bit for bit or report a link error',
    numberOption(parseLinkFaultRate, '--link-faults'),
  );
}

/** Add --target, --precision, --input-shape, --opt, --arena, the early-exit options and --json to a command. */
export function withSharedOptions(command: Command): Command {
  command
    .option('-t, --target <name>', 'target name (see `eennc targets`) or path of a target file', DEFAULT_TARGET_NAME)
    .option('--precision <p>', 'int8 or float32', parsePrecision, 'int8' as Precision)
    .option('--then <model>', THEN_HELP);
  return withExitOptions(withCalibrationOptions(command))
    .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions, e.g. input=1x1x28x28 (repeatable)', collectInputShape, [])
    .option('--opt <flag>', 'optimisation flag for the firmware build', '-O2')
    .option(
      '--arena <policy>',
      'activation arena: tflm (the fastest code within the arena TensorFlow Lite Micro with CMSIS-NN would need, plus max(256 B, 2%)), min (the smallest arena, some layers slower), ram (the fastest code that fits the target) or a size in bytes (64k)',
      parseArenaPolicy,
      'tflm' as ArenaPolicy,
    )
    .option('--json', 'print one JSON document on stdout');
}

/** Help of --then, an option of build, run, test and accuracy. */
export const THEN_HELP =
  "a pipeline: this second ONNX model runs on the model's output (its input shape must equal the model's output shape), compiled with it as one model";

/** Help of --force, an option of every command that takes -o DIR (build, run, test). */
export const FORCE_HELP = 'let -o replace a folder that is not an earlier eennc output (never a file, the current folder or one holding the model)';

/**
 * CompileOptions from the shared options. An output folder is checked before any work is done (src/util/output-dir.ts);
 * without one, the project goes to a fresh temporary folder, removed when the command ends (src/util/temp-dirs.ts).
 */
export async function compileOptionsFrom(model: string, options: SharedOptions, outDir?: string): Promise<CompileOptions> {
  if (outDir !== undefined) {
    const calib = (options.calib ?? []).map((arg) => parseInputFile(arg).path);
    const keep = [model, ...(options.then === undefined ? [] : [options.then]), ...calib];
    await checkOutputDir(outDir, { force: options.force, keep });
  }
  const int8Only = (
    [
      ['--calib', options.calib],
      ['--calib-count', options.calibCount],
      ['--calib-scale', options.calibScale],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  // --intermittent and its budget are checked against the target before any work (E_USAGE, E_TARGET).
  const intermittent = await intermittentFrom(options);
  const devices = await devicesFrom(options);
  if (devices && intermittent) {
    throw new EennError({
      code: 'E_USAGE',
      message: '--devices and --intermittent cannot be combined: a multi-device build is not split into power-failure tasks',
      hint: 'build the node alone with --intermittent, or the two devices without it',
    });
  }
  if (options.precision === 'float32' && int8Only.length > 0 && devices) {
    // A float32 multi-device build reads the calibration samples for its cost model's exit shares only.
    log(`note: this float32 build uses ${int8Only.join(', ')} only to estimate the share of inputs leaving at each exit, for the cut`);
  } else if (options.precision === 'float32' && int8Only.length > 0) {
    log(
      `note: ${int8Only.join(', ')} only ${int8Only.length === 1 ? 'applies' : 'apply'} to int8 builds; this float32 build does not use ${int8Only.length === 1 ? 'it' : 'them'}`,
    );
  }
  return {
    model,
    target: options.target,
    precision: options.precision,
    inputShapes: parseInputShapes(options.inputShape),
    optimization: options.opt,
    arena: options.arena,
    io: options.io,
    calibration: calibrationFrom(options),
    onProgress: log,
    outDir: outDir ?? join(await makeTempDir('eennc-'), 'project'),
    force: options.force,
    exits: exitOptionsFrom(options),
    ...(intermittent ? { intermittent } : {}),
    ...(devices ? { devices } : {}),
    ...(options.then !== undefined ? { then: options.then } : {}),
  };
}

/** DeviceOptions from the command line (undefined without --devices); the targets are read only when --devices names them. */
async function devicesFrom(options: SharedOptions): Promise<DeviceOptions | undefined> {
  const raw = {
    devices: options.devices,
    link: options.linkSpec,
    objective: options.objective,
    cut: options.cut,
  };
  if (Object.values(raw).every((value) => value === undefined) && options.linkFaults === undefined) return undefined;
  const { resolveDeviceOptions } = await import('../devices/index.js');
  return resolveDeviceOptions({ ...raw, linkFaults: options.linkFaults });
}

/** IntermittentOptions from the command line (undefined without --intermittent); the target is read only when a flag asks. */
async function intermittentFrom(options: SharedOptions): Promise<IntermittentOptions | undefined> {
  const raw = { intermittent: options.intermittent, budget: options.budget, budgetUj: options.budgetUj, failures: options.failures };
  if (Object.values(raw).every((value) => value === undefined)) return undefined;
  const { resolveIntermittentOptions } = await import('../intermittent/index.js');
  return resolveIntermittentOptions(raw, loadTarget(options.target));
}

/**
 * People-facing progress on stderr (never on stdout, which holds results): lines, and counts drawn as one bar on a
 * terminal or as plain lines elsewhere (src/util/progress-terminal.ts). A ProgressListener.
 */
export function log(message: string, count?: ProgressCount): void {
  stderrProgress().report(message, count);
}

/** The options of the commands that read input samples (run, test, accuracy). */
export interface SampleOptions {
  scale?: number;
  count?: number;
}

/** Add --scale and --count, how the commands that read input samples (run, test, accuracy) take them. */
export function withSampleOptions(command: Command): Command {
  return command
    .option('--scale <x>', 'multiply every value of a float input by this (uint8 pixels: 1/255)', numberOption(parsePositive, '--scale'))
    .option('--count <n>', 'use only the first N samples', numberOption(parseCount, '--count'));
}

/** Add the int8 options: --calib, --calib-count, --calib-scale, --calib-method, --percentile, --io. */
export function withCalibrationOptions(command: Command): Command {
  return command
    .option(
      '--calib <data>',
      'int8: calibration inputs (.npy, .bin, IDX .gz) to choose activation scales; a model of several inputs takes one per input, name=file or in its input order (repeatable)',
      collectFiles,
    )
    .option('--calib-count <n>', 'int8: use only the first N calibration samples', numberOption(parseCount, '--calib-count'))
    .option('--calib-scale <x>', 'int8: multiply every calibration value by this (uint8 pixels: 1/255)', numberOption(parsePositive, '--calib-scale'))
    .option('--calib-method <m>', 'int8: minmax, percentile or entropy', parseCalibrationMethod, 'percentile' as const)
    .option('--percentile <p>', 'int8: share of values the percentile method keeps', parsePercentile, DEFAULT_PERCENTILE)
    .option('--io <type>', 'int8: data type of the model inputs and outputs, int8 or float32', parseIo, 'int8' as const)
    .option('--equalize', 'int8: equalize the weight ranges of Conv -> ReLU -> Conv chains before calibration')
    .option('--no-equalize', 'int8: leave the weights as the model has them')
    .option('--bias-correction', 'int8: fold the mean output shift that weight rounding causes into each bias')
    .option('--no-bias-correction', 'int8: keep each bias as the model has it')
    .option('--optimize-rounding', 'int8: learn whether each weight rounds up or down (AdaRound; slower build)')
    .option('--int16-layers <layers>', 'int16 activations for: auto (the layers that need them), none, or node names (a,b)', parseInt16Layers);
}

/** The calibration source from the options, or undefined without --calib. */
export function calibrationFrom(options: CalibrationOptions): CalibrationSource | undefined {
  if (options.calib === undefined) return undefined;
  return {
    path: parseInputFile(options.calib[0]!).path,
    files: options.calib,
    count: options.calibCount,
    scale: options.calibScale,
    method: options.calibMethod,
    percentile: options.percentile,
    techniques: {
      equalize: options.equalize,
      biasCorrection: options.biasCorrection,
      optimizeRounding: options.optimizeRounding,
      int16Layers: options.int16Layers,
    },
  };
}
