// `eennc test MODEL.onnx --target T [--data DATA]`: the golden test for CI. Outputs from the target must match the
// reference (float32: within rtol/atol of the float reference; int8: bit for bit with the int8 reference, the float
// reference's error reported beside it); the exit status says pass or fail.

import type { Command } from 'commander';
import { EennError } from '../../ir/diagnostics.js';
import {
  DEFAULT_FAILURE_SEED,
  FORCE_HELP,
  withSampleOptions,
  withIntermittentOptions,
  withSharedOptions,
  withDeviceOptions,
} from '../common-options.js';
import { argmax } from '../../util/argmax.js';
import { buildAndExecute, executionJson, floatReference, RANDOM_SAMPLES, type Execution, type ExecuteOptions } from '../execute.js';
import { answeringOutput, decidedAtThreshold, exitName, int8ReferenceRun } from '../../exit-reference.js';
import { readLabels, type RawLabelDType } from '../../data/index.js';
import { LABELS_DTYPE_HELP, collectFiles, numberOption, parseLabelsDType, parseNonNegative, parseTimeoutSeconds, timeoutMs } from '../options.js';
import { failuresError, failuresLine, runFailureSchedules } from '../power-failures.js';
import type { Value } from '../../ops/types.js';
import type { Graph } from '../../ir/graph.js';
import { declaredOutputChanges } from '../../frontend/declared-outputs.js';

/** One sample's verdict: float32 builds compare with the float reference, int8 builds with the int8 reference. */
type Comparison = { sample: number; pass: boolean } & ExitComparison &
  ({ max_abs_error: number; same_class: boolean } | { mismatches: number; max_abs_error_vs_float: number; same_class_as_float: boolean } | LinkFault);

/**
 * A multi-device sample that a fault on the link lost: no answer, and the error the gateway (or the harness, "lost")
 * reported. It passes where the faults were injected (--link-faults): what must never happen is a wrong answer.
 */
interface LinkFault {
  link_error: string;
}

/**
 * With exits: the exit the target took and the reference's (the int8 reference's for int8, the float reference's for
 * float32); a sample that takes another exit than the reference fails.
 */
interface ExitComparison {
  exit?: string;
  reference_exit?: string;
  /** float32, another exit than the reference's: whether the decision was at its threshold (expf's last bit). */
  at_threshold?: boolean;
}

/** The most seeded random samples `test` makes up when no --data is given. */
const MAX_RANDOM_SAMPLES = 10_000;

interface TestOptions extends ExecuteOptions {
  data?: string[];
  rtol: number;
  atol: number;
  labels?: string;
  labelsDtype?: RawLabelDType;
}

export function register(program: Command): void {
  withDeviceOptions(
    withIntermittentOptions(
      withSharedOptions(
        withSampleOptions(
          program
            .command('test')
            .description('golden test: run on the target and compare with the reference; exit status 1 on mismatch')
            .argument('<model>', 'the ONNX model (.onnx)')
            .option(
              '-d, --data <data>',
              `input samples (.npy of any numeric dtype or bool, .bin, IDX); a model of several inputs takes one per input, name=file or in its input order (repeatable); default: ${RANDOM_SAMPLES} seeded random inputs in [0, 1)`,
              collectFiles,
            ),
        )
          .option('--rtol <x>', 'float32: relative tolerance', numberOption(parseNonNegative, '--rtol'), 1e-4)
          .option('--atol <x>', 'float32: absolute tolerance', numberOption(parseNonNegative, '--atol'), 1e-5)
          .option('-l, --labels <labels>', 'class labels of the samples: also report top-1 of the target and of the float reference')
          .option('--labels-dtype <type>', LABELS_DTYPE_HELP, parseLabelsDType)
          .option('--timeout <seconds>', 'time limit of the emulator run', parseTimeoutSeconds, 300)
          .option('-o, --out-dir <dir>', 'keep the C project in this folder (default: a temporary folder)')
          .option('--force', FORCE_HELP),
      ),
      true,
    ),
    true,
  ).action(async (model: string, options: TestOptions) => {
    if (options.data === undefined && options.count !== undefined && options.count > MAX_RANDOM_SAMPLES) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--count ${options.count} without --data asks for more than ${MAX_RANDOM_SAMPLES} random samples`,
        hint: `give at most --count ${MAX_RANDOM_SAMPLES}, or the samples themselves with --data`,
      });
    }
    const { rtol, atol, precision } = options;
    const execution = await buildAndExecute(model, options, options.data, `testing ${model} on ${options.target}`, '--data');
    const { graph, floatGraph } = execution.compiled;
    const int8 = precision === 'int8';
    // The reference below is the built graph's float form: the build must first compute the outputs the model declares.
    if (options.then === undefined) await refuseChangedOutputs(model, floatGraph, !int8);
    const faultsInjected = (options.linkFaults ?? 0) > 0;
    const comparisons = execution.samples.map((sample, i): Comparison => {
      if (sample.device?.linkError) return { sample: i, pass: faultsInjected, link_error: sample.device.linkError };
      const expected = floatReference(floatGraph, execution.inputs[i]!);
      // Against the float reference: every output the target computed (with exits, the one that answered), beside
      // the float reference's same outputs.
      const computed = Object.keys(sample.outputs);
      let maxAbs = 0;
      let worst = 0; // float32: largest |got - want| / (atol + rtol |want|), <= 1 passes
      let sameClass = true;
      for (const name of computed) {
        // Each output in its own element type: an integer or bool output must equal the reference's exactly.
        const got = sample.values[name]!.data;
        const reference = expected.outputs[name]!;
        const want = reference.data;
        const exact = reference.dtype !== 'float32' && reference.dtype !== 'float64';
        for (let k = 0; k < want.length; k++) {
          const diff = Math.abs(got[k]! - want[k]!);
          maxAbs = Math.max(maxAbs, diff);
          worst = Math.max(worst, diff === 0 ? 0 : exact || Number.isNaN(diff) ? Infinity : diff / (atol + rtol * Math.abs(want[k]!)));
        }
        if (argmax(got) !== argmax(want)) sameClass = false;
      }
      const exits = graph.exits ? { exit: sample.exit } : {};
      if (!int8) {
        const sameExit = expected.exit === sample.exitIndex;
        const referenceExit = graph.exits ? { reference_exit: exitName(floatGraph, expected.exit) } : {};
        // Where the two took different exits, the first exit at which they decided differently.
        const atThreshold = sameExit ? {} : { at_threshold: decidedAtThreshold(floatGraph, Math.min(expected.exit, sample.exitIndex), expected) };
        return { sample: i, pass: sameExit && worst <= 1, ...exits, ...referenceExit, ...atThreshold, max_abs_error: maxAbs, same_class: sameClass };
      }
      // int8: the firmware must take the int8 reference's exit, and its output must equal the reference's bit for bit.
      const reference = int8ReferenceRun(graph, execution.encoded[i]!.values);
      const sameExit = reference.exit === sample.exitIndex;
      const mismatches = sameExit ? countMismatches(computed, sample.raw, reference.outputs) : sample.outputs[sample.answer]!.length;
      const referenceExit = graph.exits ? { reference_exit: exitName(graph, reference.exit) } : {};
      return {
        sample: i,
        pass: sameExit && mismatches === 0,
        ...exits,
        ...referenceExit,
        mismatches,
        max_abs_error_vs_float: maxAbs,
        same_class_as_float: sameClass,
      };
    });
    const failed = comparisons.filter((c) => !c.pass);
    const accuracy = options.labels === undefined ? undefined : top1(execution, readLabels(options.labels, { dtype: options.labelsDtype }));
    // --failures: the intermittent firmware's power cut in N schedules, every result checked against the continuous run.
    const failures =
      options.failures !== undefined && execution.compiled.report.intermittent
        ? await runFailureSchedules(execution, options.failures, options.seed ?? DEFAULT_FAILURE_SEED, timeoutMs(options.timeout))
        : undefined;
    if (options.json) {
      process.stdout.write(
        JSON.stringify(
          executionJson(execution, {
            pass: failed.length === 0 && (failures?.bit_exact ?? true),
            rtol,
            atol,
            comparisons,
            ...(accuracy ? { accuracy } : {}),
            ...(failures ? { failures } : {}),
          }),
          null,
          2,
        ) + '\n',
      );
    } else {
      for (const c of comparisons) {
        const n = execution.samples[c.sample]!.instructions;
        if ('link_error' in c) {
          process.stdout.write(`sample ${c.sample}: ${c.pass ? 'link fault detected' : 'FAIL'}  no answer: ${c.link_error} on the link\n`);
          continue;
        }
        const values =
          'mismatches' in c
            ? `${c.mismatches} values differ from the int8 reference; vs float: max |error| ${c.max_abs_error_vs_float.toExponential(2)}, ${c.same_class_as_float ? 'same' : 'different'} class`
            : `max |error| ${c.max_abs_error.toExponential(2)}`;
        const device = execution.samples[c.sample]!.device;
        const on = device?.name ? ` on the ${device.name}${device.bytesSent > 0 ? ` (${device.bytesSent} bytes sent)` : ''}` : '';
        const detail = c.exit === undefined ? `${values}${on}` : `${exitDetail(c)}${on}; ${values}`;
        process.stdout.write(`sample ${c.sample}: ${c.pass ? 'pass' : 'FAIL'}  ${detail}${n === null ? '' : `  ${n} instructions`}\n`);
      }
      const faults = comparisons.filter((c) => 'link_error' in c).length;
      const detected = faultsInjected ? `, ${faults} lost to link faults (detected, none answered wrong)` : '';
      process.stdout.write(`${comparisons.length - failed.length - (faultsInjected ? faults : 0)} passed${detected}, ${failed.length} failed\n`);
      if (accuracy) {
        process.stdout.write(
          `top-1 on ${accuracy.samples} labelled samples: ${precision} on ${execution.compiled.report.target} ` +
            `${(100 * accuracy.target_top1).toFixed(2)}%, float reference ${(100 * accuracy.float_top1).toFixed(2)}%\n`,
        );
      }
    }
    if (failures && !options.json) process.stdout.write(failuresLine(failures) + '\n');
    if (failures && !failures.bit_exact && failed.length === 0) {
      if (options.json) process.exitCode = 1;
      else throw failuresError(failures, model);
    }
    if (failed.length > 0) {
      if (options.json) process.exitCode = 1;
      else
        throw new EennError({
          code: 'E_MISMATCH',
          file: model,
          message: failed.every((c) => 'link_error' in c)
            ? `${failed.length} of ${comparisons.length} samples were lost on the link between the devices (${[...new Set(failed.map((c) => ('link_error' in c ? c.link_error : '')))].join(', ')}), with no faults injected`
            : int8
              ? `${failed.length} of ${comparisons.length} samples differ from the int8 reference${exitMismatches(failed)}`
              : `${failed.length} of ${comparisons.length} samples differ from the reference beyond rtol ${rtol}, atol ${atol}${exitMismatches(failed)}`,
          hint: failed.every((c) => 'link_error' in c)
            ? 'a clean link loses nothing: run again with --json to see each sample, and report it with the model if it repeats'
            : int8
              ? 'the firmware and the int8 reference must agree bit for bit: this is a bug in eennc; report it with the model and run again with --json to see each sample'
              : failed.some((c) => c.at_threshold)
                ? 'a float32 decision at its threshold can fall either way on the target: build int8 (its integer decisions are exact), or move --exit-threshold away from these samples'
                : 'the per-sample errors are above; float rounding on the target differs in the last bits, so loosen --rtol or --atol if the errors are that small',
        });
    }
  });
}

/** E_MISMATCH when the built graph's outputs differ in shape (or, `sameTypes`, type) from those `model` declares. */
async function refuseChangedOutputs(model: string, built: Graph, sameTypes: boolean): Promise<void> {
  // Loaded here, not at startup: `eennc --help` loads none of the compiler.
  const { loadModel } = await import('../../frontend/load.js');
  const changes = declaredOutputChanges(loadModel(model), built, sameTypes);
  if (changes.length === 0) return;
  throw new EennError({
    code: 'E_MISMATCH',
    file: model,
    message: `the build changes the model's outputs: ${changes.map((c) => `"${c.output}": ${c.change}`).join('; ')}`,
    hint: 'this is a bug in eennc: report it with the model',
  });
}

/** " (N took another exit than the reference...)" for a failure message, when some did. */
function exitMismatches(failed: readonly Comparison[]): string {
  const n = failed.filter((c) => c.exit !== c.reference_exit).length;
  const atThreshold = failed.filter((c) => c.at_threshold).length;
  if (n === 0) return '';
  const why =
    atThreshold === 0
      ? ''
      : `, ${atThreshold === n ? 'each' : atThreshold} where a decision was at its threshold and the last bit of expf on the target tipped it`;
  return ` (${n} took another exit than the reference${why})`;
}

/** The exit part of a sample's line: the exit taken, and the reference's when it took another. */
function exitDetail(c: Comparison): string {
  if (c.exit === c.reference_exit) return `exit ${c.exit}`;
  const which = 'mismatches' in c ? 'the int8 reference' : 'the float reference';
  // A float decision at its threshold can fall either way: expf on the target may differ from the reference's in its
  // last bit. The integer decisions of int8 have no such excuse.
  const why = c.at_threshold ? ' (the decision was at its threshold, where the last bit of expf on the target can tip it)' : '';
  return `took exit ${c.exit}, ${which} ${c.reference_exit}${why}`;
}

/** Output values of the firmware (`got`) that are not bit-identical to the reference's (every output, in order). */
export function countMismatches(outputs: readonly string[], got: Record<string, ArrayLike<number>>, reference: Record<string, Value>): number {
  let mismatches = 0;
  for (const name of outputs) {
    const have = got[name];
    const want = reference[name]?.data;
    if (!have || !want || have.length !== want.length) {
      mismatches += Math.max(have?.length ?? 0, want?.length ?? 0, 1);
      continue;
    }
    for (let k = 0; k < want.length; k++) if (!Object.is(have[k], want[k])) mismatches++;
  }
  return mismatches;
}

/**
 * Top-1 over the labelled samples of the target's outputs (each sample's answering exit) and of the float reference
 * (taking its own exits).
 */
function top1(execution: Execution, labels: Int32Array): { samples: number; target_top1: number; float_top1: number } {
  if (labels.length < execution.samples.length) {
    throw new EennError({
      code: 'E_DATA',
      message: `${execution.samples.length} samples but ${labels.length} labels`,
      hint: 'give one label per sample',
    });
  }
  const { floatGraph, finalOutput } = execution.compiled;
  let target = 0;
  let float = 0;
  execution.samples.forEach((sample, i) => {
    // A sample lost on a multi-device link has no answer: it counts as wrong.
    const got = sample.outputs[sample.answer];
    if (got && argmax(got) === labels[i]) target++;
    const reference = floatReference(floatGraph, execution.inputs[i]!);
    const answer = floatGraph.exits ? answeringOutput(floatGraph, reference.exit) : finalOutput;
    if (argmax(reference.outputs[answer]!.data as Float32Array) === labels[i]) float++;
  });
  const n = Math.max(1, execution.samples.length);
  return { samples: execution.samples.length, target_top1: target / n, float_top1: float / n };
}
