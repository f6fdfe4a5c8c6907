// `eennc run MODEL.onnx --target T --input DATA [--output FILE]`: build, run every input on the target (QEMU or
// host), print the predicted class and instruction count per sample, and write the outputs.

import type { Command } from 'commander';
import { writeNpy } from '../../data/index.js';
import { sizeOf } from '../../ir/graph.js';
import { FORCE_HELP, log, withSampleOptions, withIntermittentOptions, withSharedOptions, withDeviceOptions } from '../common-options.js';
import { argmax } from '../../util/argmax.js';
import { buildAndExecute, executionJson, type Execution, type ExecuteOptions, type SampleResult } from '../execute.js';
import type { DeviceAnswer } from '../../devices-execute.js';
import { parseTimeoutSeconds } from '../options.js';
import { checkProfiledTarget, profileExecution } from './profile.js';

interface RunOptions extends ExecuteOptions {
  input: string;
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
            .requiredOption('-i, --input <data>', 'input samples: .npy, raw float32 .bin, or IDX (.gz)')
            .option('--output <file>', 'write the outputs as .npy (float32, [N, ...output])'),
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
    if (options.output) {
      // With exits, each sample's row is the output of the exit it took (every exit has the same shape).
      const name = graph.exits ? graph.exits.outputs[0]! : execution.compiled.finalOutput;
      const shape = graph.tensors.get(name)!.shape;
      const per = sizeOf(shape);
      const all = new Float32Array(execution.samples.length * per);
      // A sample a fault on a multi-device link lost has no answer: its row is NaN.
      execution.samples.forEach((s, i) => all.set(s.outputs[s.answer] ?? new Float32Array(per).fill(NaN), i * per));
      writeNpy(options.output, [execution.samples.length, ...shape.slice(shape[0] === 1 ? 1 : 0)], all);
      log(
        graph.exits
          ? `eennc: wrote ${options.output}: for each sample, the output of the exit it took (${graph.exits.outputs.join(', ')})`
          : `eennc: wrote ${options.output} (${name})`,
      );
    }
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
