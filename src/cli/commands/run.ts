// `eennc run MODEL.onnx --target T --input DATA [--output FILE]`: build, run every input on the target (QEMU or
// host), print the predicted class and instruction count per sample, and write the outputs. A model of several
// inputs takes one --input per input (`--input name=file`, or in the model's input order); `--output DIR/` writes
// every output, each in its own element type.

import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeNpy } from '../../data/index.js';
import { EennError } from '../../ir/diagnostics.js';
import { arrayFor, sizeOf, type DType } from '../../ir/graph.js';
import { FORCE_HELP, log, withSampleOptions, withIntermittentOptions, withSharedOptions, withDeviceOptions } from '../common-options.js';
import { argmax } from '../../util/argmax.js';
import { buildAndExecute, executionJson, type Execution, type ExecuteOptions, type SampleResult } from '../execute.js';
import type { DeviceAnswer } from '../../devices-execute.js';
import { collectFiles, parseTimeoutSeconds } from '../options.js';
import { checkProfiledTarget, profileExecution } from './profile.js';

interface RunOptions extends ExecuteOptions {
  input: string[];
  output?: string;
  profile?: boolean;
}

export function register(program: Command): void {
  withDeviceOptions(
    withIntermittentOptions(
      withSharedOptions(
        withSampleOptions(
          program
            .command('run')
            .description('build a model, run inputs on the target in QEMU (or natively for host) and print the outputs')
            .argument('<model>', 'the ONNX model (.onnx)')
            .requiredOption(
              '-i, --input <data>',
              'input samples: .npy (any numeric dtype or bool), raw float32 .bin, or IDX (.gz); a model of several inputs takes one per input, name=file or in its input order (repeatable)',
              collectFiles,
            )
            .option(
              '--output <file>',
              "write the outputs as .npy, [N, ...output] in each output's element type: FILE holds the answering output (the final one, or each sample's exit); DIR/ (a folder, ending in /) one NAME.npy per output",
            ),
        )
          .option('--timeout <seconds>', 'time limit of the emulator run', parseTimeoutSeconds, 300)
          .option('--profile', "also measure each layer's instructions on the same inputs (eennc profile's table)")
          .option('-o, --out-dir <dir>', 'keep the C project in this folder (default: a temporary folder)')
          .option('--force', FORCE_HELP),
      ),
    ),
  ).action(async (model: string, options: RunOptions) => {
    if (options.profile) await checkProfiledTarget(options.target, options.devices !== undefined);
    const execution = await buildAndExecute(model, options, options.input, `building ${model} for ${options.target}`);
    const profile = options.profile ? await profileExecution(execution) : undefined;
    const { graph } = execution.compiled;
    if (options.output) writeOutputs(execution, options.output);
    if (options.json) {
      process.stdout.write(JSON.stringify(executionJson(execution, profile ? { profile: profile.json } : {}), null, 2) + '\n');
      return;
    }
    const lines = execution.samples.map((s, i) => {
      if (s.device?.linkError) return `sample ${i}: no answer: a fault on the link (${s.device.linkError}) lost it`;
      const out = s.outputs[s.answer]!;
      const count = s.device ? deviceCount(s.device) : s.instructions === null ? 'not counted on this target' : `${s.instructions} instructions`;
      const max = out[argmax(out)]!.toFixed(4);
      const on = s.device ? ` on the ${s.device.name}` : '';
      if (graph.exits) return `sample ${i}: class ${argmax(out)} at exit ${s.exit}${on} (max ${max}), ${count}`;
      if (s.device) return `sample ${i}: class ${argmax(out)} (${s.answer} max ${max})${on}, ${count}`;
      return `sample ${i}: class ${argmax(out)} (${s.answer} max ${max}), exit ${s.exit}, ${count}`;
    });
    if (graph.exits) lines.push(exitsSummary(graph.exits.outputs, execution.samples));
    if (execution.compiled.devices) {
      lines.push(...devicesLines(execution));
      process.stdout.write(lines.join('\n') + '\n');
      return;
    }
    const m = execution.compiled.report.memory;
    const stack = execution.stackBytes === null ? '' : `, stack used ${execution.stackBytes} B`;
    const intermittent = execution.compiled.report.intermittent;
    const arena = intermittent?.memory.nvm_kind === 'memory-mapped' ? `the arena of ${m.arena_bytes} B is in NVM` : `arena ${m.arena_bytes} B`;
    lines.push(`memory: flash ${m.flash_bytes} B, RAM ${m.ram_bytes} B (${arena}${stack})`);
    if (intermittent) {
      const largest = Math.max(0, ...intermittent.tasks.map((t) => t.measured_instructions ?? t.predicted_instructions));
      lines.push(
        `intermittent: ${intermittent.tasks.length} tasks for ${intermittent.budget} instructions per power-on window (largest ${largest} with its commit), ` +
          `run here without power failures; NVM ${intermittent.memory.nvm_bytes} B (${intermittent.memory.nvm_kind}), SRAM ${intermittent.memory.sram_bytes} B`,
      );
    }
    if (profile) lines.push(...profile.lines);
    process.stdout.write(lines.join('\n') + '\n');
  });
}

/**
 * --output: `target` a file (the answering output: the final one, or with exits the output of the exit each sample
 * took) or a folder (`DIR/`, or one that exists: every output as DIR/NAME.npy), in each output's element type.
 */
function writeOutputs(execution: Execution, target: string): void {
  const { graph } = execution.compiled;
  if (!isFolder(target)) {
    // With exits, each sample's row is the output of the exit it took (every exit has the same shape and type).
    const name = graph.exits ? graph.exits.outputs[0]! : execution.compiled.finalOutput;
    writeOutput(execution, name, target, (s) => s.answer);
    const others = graph.exits ? [] : graph.outputs.filter((o) => o !== name);
    log(
      graph.exits
        ? `eennc: wrote ${target}: for each sample, the output of the exit it took (${graph.exits.outputs.join(', ')})`
        : `eennc: wrote ${target} (${name})` +
            (others.length > 0 ? `; the model's other outputs (${others.join(', ')}) go to a folder: --output DIR/` : ''),
    );
    return;
  }
  try {
    mkdirSync(target, { recursive: true });
  } catch (err) {
    throw new EennError({
      code: 'E_FILE',
      file: target,
      message: `cannot make the output folder: ${(err as Error).message}`,
      hint: 'give a folder that can be written, or an --output file',
    });
  }
  const written = graph.outputs.map((name) => {
    const path = join(target, `${fileNameOf(name)}.npy`);
    writeOutput(execution, name, path, () => name);
    return path;
  });
  const exits = graph.exits ? ' (an exit not taken: its rows are NaN)' : '';
  log(`eennc: wrote ${written.join(', ')}${exits}`);
}

/** Whether --output names a folder: it ends with a path separator, or is an existing folder. */
function isFolder(path: string): boolean {
  if (/[/\\]$/.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** An output's name as a file name: characters other than letters, digits, ".", "_" and "-" become "_". */
function fileNameOf(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || 'output';
}

/**
 * One .npy of [N, ...shape] (a leading batch dimension of 1 dropped) in the output's element type: sample i's row is
 * its value of the output `which(sample)` names. A sample without it (lost on a multi-device link, an exit it did
 * not take) gets NaN, or 0 in an integer output.
 */
function writeOutput(execution: Execution, name: string, path: string, which: (s: SampleResult) => string): void {
  const tensor = execution.compiled.graph.tensors.get(name)!;
  const shape = tensor.shape;
  const per = sizeOf(shape);
  const written = execution.samples.map((s) => s.values[which(s)]);
  const dtype: DType = written.find((v) => v !== undefined)?.dtype ?? (tensor.quant ? 'float32' : tensor.dtype);
  const all = arrayFor(dtype, execution.samples.length * per);
  const missing = dtype === 'float32' || dtype === 'float64' ? NaN : 0;
  written.forEach((v, i) => (v ? all.set(v.data, i * per) : all.fill(missing, i * per, (i + 1) * per)));
  writeNpy(path, [execution.samples.length, ...shape.slice(shape[0] === 1 ? 1 : 0)], all, dtype === 'int64' || dtype === 'bool' ? dtype : undefined);
}

/** How many samples left at each exit, and what a sample cost on average where counted. */
function exitsSummary(exits: readonly string[], samples: readonly SampleResult[]): string {
  const taken = exits.map((name) => `${name} ${samples.filter((s) => s.exit === name).length}`).join(', ');
  const counted = samples.map((s) => s.instructions).filter((n): n is number => n !== null);
  const mean =
    counted.length === samples.length && counted.length > 0
      ? `; ${Math.round(counted.reduce((a, b) => a + b, 0) / counted.length)} instructions per sample on average`
      : '';
  return `exits taken: ${taken}${mean}`;
}

/** "1234 instructions (node 1000, gateway 234), 1588 bytes sent" for a sample of a multi-device run. */
function deviceCount(device: DeviceAnswer): string {
  const counts = Object.entries(device.instructions);
  const sent = device.bytesSent > 0 ? `, ${device.bytesSent} bytes sent` : '';
  if (counts.some(([, n]) => n === null)) return `instructions not counted on these targets${sent}`;
  const total = counts.reduce((sum, [, n]) => sum + n!, 0);
  return `${total} instructions (${counts.map(([name, n]) => `${name} ${n}`).join(', ')})${sent}`;
}

/** The summary of a multi-device run: where the samples were answered, the cut, each device's memory. */
function devicesLines(execution: Execution): string[] {
  const { plan, sides } = execution.compiled.devices!;
  const answered = sides.map((side) => `${side.name} ${execution.samples.filter((s) => s.device?.name === side.name).length}`);
  const lost = execution.samples.filter((s) => s.device?.linkError).length;
  const sent = execution.samples.reduce((sum, s) => sum + (s.device?.bytesSent ?? 0), 0);
  const lines = [
    `answered on: ${answered.join(', ')}${lost > 0 ? `; lost on the link: ${lost}` : ''}; ${sent} bytes sent in all`,
    `cut: ${plan.chosen.label} (position ${plan.chosen.cut.position}${plan.chosen.cut.tensor ? `, ${plan.chosen.cut.tensor}, ${plan.chosen.cut.payloadBytes} B` : ''})`,
  ];
  for (const side of sides) {
    const m = side.report.memory;
    lines.push(`${side.name} (${side.target.name}): flash ${m.flash_bytes} B, RAM ${m.ram_bytes} B (arena ${m.arena_bytes} B)`);
  }
  return lines;
}
