// `eennc run MODEL.onnx --target T --input DATA [--output FILE]`: build, run every input on the target (QEMU or
// host), print the predicted class and instruction count per sample, and write the outputs.

import type { Command } from 'commander';
import { writeNpy } from '../../data/index.js';
import { sizeOf } from '../../ir/graph.js';
import { FORCE_HELP, log, withSampleOptions, withIntermittentOptions, withSharedOptions } from '../common-options.js';
import { argmax } from '../../util/argmax.js';
import { buildAndExecute, executionJson, type ExecuteOptions, type SampleResult } from '../execute.js';
import { parseTimeoutSeconds } from '../options.js';

interface RunOptions extends ExecuteOptions {
  input: string;
}

export function register(program: Command): void {
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
        .option('-o, --out-dir <dir>', 'keep the C project in this folder (default: a temporary folder)')
        .option('--force', FORCE_HELP),
    ),
  ).action(async (model: string, options: RunOptions) => {
    const execution = await buildAndExecute(model, options, options.input, `building ${model} for ${options.target}`);
    const { graph } = execution.compiled;
    if (options.output) {
      // With exits, each sample's row is the output of the exit it took (every exit has the same shape).
      const name = graph.exits ? graph.exits.outputs[0]! : execution.compiled.finalOutput;
      const shape = graph.tensors.get(name)!.shape;
      const per = sizeOf(shape);
      const all = new Float32Array(execution.samples.length * per);
      execution.samples.forEach((s, i) => all.set(s.outputs[s.answer]!, i * per));
      writeNpy(options.output, [execution.samples.length, ...shape.slice(shape[0] === 1 ? 1 : 0)], all);
      log(
        graph.exits
          ? `eennc: wrote ${options.output}: for each sample, the output of the exit it took (${graph.exits.outputs.join(', ')})`
          : `eennc: wrote ${options.output} (${name})`,
      );
    }
    if (options.json) {
      process.stdout.write(JSON.stringify(executionJson(execution), null, 2) + '\n');
      return;
    }
    const lines = execution.samples.map((s, i) => {
      const out = s.outputs[s.answer]!;
      const count = s.instructions === null ? 'not counted on this target' : `${s.instructions} instructions`;
      const max = out[argmax(out)]!.toFixed(4);
      if (graph.exits) return `sample ${i}: class ${argmax(out)} at exit ${s.exit} (max ${max}), ${count}`;
      return `sample ${i}: class ${argmax(out)} (${s.answer} max ${max}), exit ${s.exit}, ${count}`;
    });
    if (graph.exits) lines.push(exitsSummary(graph.exits.outputs, execution.samples));
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
