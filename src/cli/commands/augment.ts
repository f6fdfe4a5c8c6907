// `eennc augment MODEL.onnx --calib DATA --labels LABELS -o OUT.onnx`: adds early exits to a classifier trained
// without them, and prints the exit table (saved as OUT.exits.json beside the model).

import type { Command } from 'commander';
import { EennError } from '../../ir/diagnostics.js';
import { DEFAULT_TARGET_NAME } from '../../target/target.js';
import type { AugmentReport } from '../../augment.js';
import { formatExitTable } from '../../report/exit-table.js';
import { calibrationFrom, log, withCalibrationOptions, type CalibrationOptions } from '../common-options.js';
import { numberOption, parseCount, parseNonNegative, parsePrecision, type Precision } from '../options.js';

interface AugmentCommandOptions extends CalibrationOptions {
  labels: string;
  output: string;
  maxAccuracyDrop: number;
  target: string;
  precision: Precision;
  seed: number;
  count?: number;
  cost: 'instructions' | 'macs';
  force?: boolean;
  json?: boolean;
}

const DEFAULT_SEED = 1;

const EXAMPLE = `
Example (Fashion-MNIST: 1,000 labelled training images, uint8 pixels scaled by 1/255):
  eennc augment examples/fmnist/fmnist_cnn.onnx --calib examples/fmnist/calib_u8.npy \\
      --calib-scale 0.00392156862745098 --labels examples/fmnist/calib_labels.npy -o fmnist_exits.onnx
  eennc run fmnist_exits.onnx --calib examples/fmnist/calib_u8.npy --calib-scale 0.00392156862745098 \\
      --input examples/fmnist/test_inputs_u8.npy --scale 0.00392156862745098

A head (average pooling to a small grid, then one fully connected layer) is trained at each exit point with the
backbone frozen: the model input and the end of each block. The labelled samples are split into three folds (by
--seed); each sample is judged by heads trained on the other folds, and these answers choose the exits and their
thresholds that cost least per inference on the target while top-1 stays within --max-accuracy-drop points of the
original model (int8: as the int8 build decides); the heads kept are trained on every sample. The model gets
the heads as outputs exit0, exit1, ... and its exits in metadata_props, so \`eennc build OUT.onnx\` and \`eennc run\`
use them with no other flag.`;

function parseSeed(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 0xffff_ffff)) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--seed must be a whole number from 0 to 4294967295, not "${value}"`,
      hint: 'for example --seed 7',
    });
  }
  return n;
}

function parseCost(value: string): 'instructions' | 'macs' {
  if (value === 'instructions' || value === 'macs') return value;
  throw new EennError({ code: 'E_USAGE', message: `--cost must be instructions or macs, not "${value}"`, hint: 'for example --cost macs' });
}

export function register(program: Command): void {
  withCalibrationOptions(
    program
      .command('augment')
      .description('add early exits to a classifier trained without them: train exit heads and choose their thresholds')
      .argument('<model>', 'the ONNX classifier (.onnx)')
      .requiredOption('-l, --labels <labels>', 'class labels of the --calib samples (.npy of integers, IDX labels)')
      .requiredOption('-o, --output <file>', 'the model with exits (.onnx); its exit table goes to OUT.exits.json beside it'),
  )
    .option(
      '--max-accuracy-drop <points>',
      'top-1 points the exits may lose against the original model',
      numberOption(parseNonNegative, '--max-accuracy-drop'),
      1,
    )
    .option('-t, --target <name>', 'target whose cost per inference the exits minimise', DEFAULT_TARGET_NAME)
    .option('--precision <p>', 'int8 or float32: the build whose decisions and accuracy count', parsePrecision, 'int8' as Precision)
    .option('--seed <n>', 'seeds the split of the labelled samples into folds', parseSeed, DEFAULT_SEED)
    .option('--count <n>', 'use only the first N labelled samples', numberOption(parseCount, '--count'))
    .option('--cost <unit>', 'instructions (measured on the target in QEMU) or macs', parseCost, 'instructions' as const)
    .option('--force', 'replace OUT.onnx and OUT.exits.json if they exist')
    .option('--json', 'print the exit table as one JSON document on stdout')
    .addHelpText('after', EXAMPLE)
    .action(async (model: string, options: AugmentCommandOptions) => {
      if (options.calib === undefined) {
        throw new EennError({
          code: 'E_USAGE',
          message: 'augment needs labelled samples: --calib DATA and --labels LABELS',
          hint: 'give a few hundred to a thousand training inputs with --calib and their class indices with --labels',
        });
      }
      if (options.calib.length > 1) {
        throw new EennError({
          code: 'E_USAGE',
          message: `augment trains exits of a classifier of one input, and --calib gives ${options.calib.length} files`,
          hint: 'give one --calib file: the labelled training inputs of the model',
        });
      }
      const { augmentModel, augmentJson } = await import('../../augment.js');
      const calibration = calibrationFrom(options)!;
      const report = await augmentModel({
        model,
        calibration: { ...calibration, count: options.count ?? calibration.count },
        labels: options.labels,
        output: options.output,
        force: options.force,
        target: options.target,
        precision: options.precision,
        io: options.io,
        maxAccuracyDrop: options.maxAccuracyDrop,
        seed: options.seed,
        measure: options.cost === 'instructions',
        onProgress: log,
      });
      if (options.json) {
        process.stdout.write(JSON.stringify(augmentJson(report), null, 2) + '\n');
        return;
      }
      for (const note of report.notes) log(`note: ${note}`);
      process.stdout.write(formatAugment(report));
    });
}

/** What augment prints: the heads it added, then the per-exit table every command shows (src/report/exit-table.ts). */
export function formatAugment(report: AugmentReport): string {
  const early = report.heads.length;
  return (
    [
      `${report.output}: ${early} early exit${early === 1 ? '' : 's'}, policy ${report.policy}, ${report.precision} on ${report.target}; ` +
        `heads trained on ${report.trainingSamples} samples, exits chosen on their answers from heads trained on ${report.folds - 1} of ${report.folds} folds (${report.seconds.toFixed(1)} s)`,
      ...report.heads.map((h) => `  ${h.output}: average pooling of ${h.reads} to ${h.grid}x${h.grid}, then a fully connected layer`),
      ...formatExitTable(report.table),
    ].join('\n') + '\n'
  );
}
