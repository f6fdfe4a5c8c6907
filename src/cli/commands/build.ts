// `eennc build MODEL.onnx --target T [-o DIR]`: writes the C project (model, kernels, firmware, Makefile, report)
// and links the firmware image to measure flash and RAM.

import type { Command } from 'commander';
import { join } from 'node:path';
import { loadTarget } from '../../target/target.js';
import { formatExitTable } from '../../report/exit-table.js';
import { intermittentSummary } from '../../report/task-table.js';
import { compileOptionsFrom, FORCE_HELP, log, withIntermittentOptions, withSharedOptions, type SharedOptions } from '../common-options.js';

export function register(program: Command): void {
  withIntermittentOptions(
    withSharedOptions(
      program
        .command('build')
        .description('compile an ONNX model into a C project and firmware image for a target')
        .argument('<model>', 'the ONNX model (.onnx)')
        .option('-o, --out-dir <dir>', 'output folder (default: build/<model>-<target>)')
        .option('--force', FORCE_HELP)
        .option('--no-link', 'only write the C project; do not compile it'),
    ),
  ).action(async (model: string, options: SharedOptions & { link: boolean }) => {
    const { compileModel, modelNameOf } = await import('../../compile.js');
    const outDir = options.outDir ?? defaultOutDir(modelNameOf(model), options.target);
    const compileOptions = await compileOptionsFrom(model, options, outDir);
    log(`eennc: building ${model} for ${options.target} (${compileOptions.precision}) into ${outDir}`);
    const result = await compileModel({ ...compileOptions, link: options.link, measureExits: true });
    const m = result.report.memory;
    if (options.json) {
      process.stdout.write(JSON.stringify({ ...result.report, out_dir: outDir, image: result.image?.elfPath ?? null }, null, 2) + '\n');
      return;
    }
    for (const note of result.report.notes) log(`note: ${note}`);
    process.stdout.write(
      [
        `project:  ${outDir}${result.image ? `  (image ${result.image.elfPath})` : ''}`,
        `compute:  ${result.report.macs} MACs, ${result.report.params} parameters`,
        `flash:    ${m.flash_bytes} bytes${m.measured ? '' : ' (estimate)'} of ${result.report.limits.flash_bytes ?? 'unlimited'}`,
        result.report.intermittent?.memory.nvm_kind === 'memory-mapped'
          ? `RAM:      ${m.ram_bytes} bytes (stack ${m.stack_bytes}; the arena of ${m.arena_bytes} is in NVM)`
          : `RAM:      ${m.ram_bytes} bytes (arena ${m.arena_bytes}, stack ${m.stack_bytes}; ${m.unplanned_activation_bytes} without reuse)`,
        ...(result.report.intermittent ? intermittentSummary(result.report.intermittent) : []),
        `report:   ${outDir}/report.html`,
        ...(result.report.exits ? formatExitTable({ exits: result.report.exits, expected: result.report.exits_expected ?? null }) : []),
      ].join('\n') + '\n',
    );
  });
}

/** build/<model>-<target>, from the loaded target's own name (never the --target text, which may be a path). */
function defaultOutDir(modelName: string, target: string): string {
  return join('build', `${modelName}-${loadTarget(target).name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}
