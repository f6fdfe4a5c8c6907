// `eennc profile MODEL.onnx --target T [--input DATA] [--json]`: build the model, measure each step's instructions in
// the target's emulator (every step run, past any early exit) and print them beside the step's kernel, MACs,
// instructions per MAC, weights and arena slice, as TFLite Micro's MicroProfiler does. `run --profile` prints the
// same table after its run, measured on its inputs.

import type { Command } from 'commander';
import { EennError } from '../../ir/diagnostics.js';
import { formatLayerTable, type ProfileSummary, type StepReport } from '../../report/layer-table.js';
import type { BuildReport } from '../../report/build-report.js';
import { loadTarget } from '../../target/target.js';
import { checkRegularFile } from '../../util/read-file.js';
import { DATA_FILE_BYTES } from '../../data/read-bytes.js';
import {
  compileOptionsFrom,
  FORCE_HELP,
  log,
  withSampleOptions,
  withSharedOptions,
  type SampleOptions,
  type SharedOptions,
} from '../common-options.js';
import type { Execution } from '../execute.js';

interface ProfileOptions extends SharedOptions, SampleOptions {
  input?: string;
}

/** Decimal places of instructions per MAC in the JSON document. */
const PER_MAC_DIGITS = 4;

export function register(program: Command): void {
  withSharedOptions(
    withSampleOptions(
      program
        .command('profile')
        .description("measure each layer's instructions on the target in its emulator, beside its MACs, kernel, weights and arena slice")
        .argument('<model>', 'the ONNX model (.onnx)')
        .option('-i, --input <data>', 'input samples to profile on (.npy, raw float32 .bin, IDX); default: the first --calib sample, else zeros'),
    )
      .option('-o, --out-dir <dir>', 'keep the C project, with the profile in its report.html, in this folder (default: a temporary folder)')
      .option('--force', FORCE_HELP),
  ).action(async (model: string, options: ProfileOptions) => {
    await checkProfiledTarget(options.target);
    if (options.input) checkRegularFile(options.input, 'data file', DATA_FILE_BYTES);
    const { compileModel } = await import('../../compile.js');
    const compileOptions = await compileOptionsFrom(model, options, options.outDir);
    log(`eennc: profiling ${model} on ${options.target} (${compileOptions.precision})`);
    const input = options.input ? { path: options.input, scale: options.scale, count: options.count } : true;
    const { report } = await compileModel({ ...compileOptions, link: true, profile: input });
    const profile = report.profile!;
    if (options.json) {
      process.stdout.write(JSON.stringify(profileJson(report, profile), null, 2) + '\n');
      return;
    }
    const lines = formatLayerTable(report.steps ?? [], profile);
    if (report.exits) lines.push('the model has early exits: every step was run here, past every exit (run gives what each sample took)');
    if (options.outDir) lines.push(`report: ${options.outDir}/report.html`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}

/**
 * Before any work: E_TARGET where `name` has no emulator that counts instructions (a board only flashed, the host),
 * the profile being measured in one; E_USAGE for a multi-device run (`devices`).
 */
export async function checkProfiledTarget(name: string, devices = false): Promise<void> {
  if (devices) throw devicesRefused();
  const { checkMeasurable } = await import('../../measure-steps.js');
  checkMeasurable(loadTarget(name));
}

/**
 * run --profile: each step of the run's build measured on the run's own inputs; its lines for the terminal and its
 * part of run's JSON. E_USAGE for a multi-device run.
 */
export async function profileExecution(execution: Execution): Promise<{ lines: string[]; json: Record<string, unknown> }> {
  const { compiled } = execution;
  if (compiled.devices) throw devicesRefused();
  const { graph } = compiled;
  const input = graph.inputs.length === 1 ? graph.tensors.get(graph.inputs[0]!)! : undefined;
  if (!input || (input.dtype !== 'float32' && input.dtype !== 'int8')) {
    throw new EennError({
      code: 'E_USAGE',
      message: `--profile measures models of one float input; this one's inputs are ${graph.inputs.map((n) => `"${n}" (${graph.tensors.get(n)!.dtype})`).join(', ')}`,
      hint: 'leave out --profile; `eennc build` reports each step with its MACs',
    });
  }
  const { measureProfile } = await import('../../profile-steps.js');
  const { report } = compiled;
  const steps = report.steps ?? [];
  const profile = await measureProfile(
    {
      graph: compiled.graph,
      plan: compiled.plan,
      target: compiled.target,
      precision: report.precision === 'float32' ? 'float32' : 'int8',
      modelName: report.model,
      samples: execution.inputs.map((sample) => sample[input.name]!.data as Float32Array),
      onProgress: log,
    },
    steps,
  );
  report.profile = profile;
  const json = profileJson(report, profile);
  return { lines: ['', 'profile (every step run, past any early exit):', ...formatLayerTable(steps, profile)], json };
}

/** --profile with --devices. */
function devicesRefused(): EennError {
  return new EennError({
    code: 'E_USAGE',
    message: '--profile measures one device, and --devices splits the model across two',
    hint: 'profile each side with eennc profile on its own target, or leave out --profile',
  });
}

/** The profile as one JSON document: model, target, total and each step (DESIGN.md's names, snake_case). */
export function profileJson(report: BuildReport, profile: ProfileSummary): Record<string, unknown> {
  return {
    model: report.model,
    target: report.target,
    precision: report.precision,
    samples: profile.samples,
    total_instructions: profile.total_instructions,
    macs: report.macs,
    steps: (report.steps ?? []).map((step) => stepJson(step)),
  };
}

/** One step of the JSON document. */
function stepJson(step: StepReport): Record<string, unknown> {
  const instructions = step.instructions ?? null;
  return {
    index: step.index,
    name: step.name,
    op: step.op,
    fused: step.fused,
    kernel: step.kernel,
    output_shape: step.output_shape,
    macs: step.macs,
    instructions,
    instructions_per_mac: instructions !== null && step.macs > 0 ? Number((instructions / step.macs).toFixed(PER_MAC_DIGITS)) : null,
    weight_bytes: step.weight_bytes,
    arena_offset: step.arena_offset,
    arena_bytes: step.arena_bytes,
    ...(step.sqnr_db !== undefined ? { sqnr_db: step.sqnr_db } : {}),
  };
}
