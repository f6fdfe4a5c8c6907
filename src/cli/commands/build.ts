// `eennc build MODEL.onnx --target T [-o DIR]`: writes the C project (model, kernels, firmware, Makefile, report)
// and links the firmware image to measure flash and RAM.

import type { Command } from 'commander';
import { join } from 'node:path';
import { loadTarget } from '../../target/target.js';
import { flashCommand, flashImagesOf } from '../../target/flash-command.js';
import { formatExitTable } from '../../report/exit-table.js';
import { intermittentSummary } from '../../report/task-table.js';
import { deviceTableLines } from '../../report/device-table.js';
import { formatLayerTable } from '../../report/layer-table.js';
import { checkProfiledTarget } from './profile.js';
import { EennError } from '../../ir/diagnostics.js';
import type { CompileResult } from '../../compile.js';
import {
  compileOptionsFrom,
  FORCE_HELP,
  log,
  withDeviceOptions,
  withIntermittentOptions,
  withSharedOptions,
  type SharedOptions,
} from '../common-options.js';

export function register(program: Command): void {
  withDeviceOptions(
    withIntermittentOptions(
      withSharedOptions(
        program
          .command('build')
          .description('compile an ONNX model into a C project and firmware image for a target')
          .argument('<model>', 'the ONNX model (.onnx)')
          .option('-o, --out-dir <dir>', 'output folder (default: build/<model>-<target>)')
          .option('--force', FORCE_HELP)
          .option('--no-link', 'only write the C project; do not compile it')
          .option(
            '--profile',
            "also measure each layer's instructions in the target's emulator, into the report (on the first --calib sample, else zeros)",
          ),
      ),
    ),
  ).action(async (model: string, options: SharedOptions & { profile?: boolean }) => {
    if (options.profile && options.link === false) {
      throw new EennError({
        code: 'E_USAGE',
        message: '--profile runs the linked image, and --no-link builds none',
        hint: 'leave out --no-link or --profile',
      });
    }
    if (options.profile) await checkProfiledTarget(options.target, options.devices !== undefined);
    const { compileModel, modelNameOf } = await import('../../compile.js');
    const outDir = options.outDir ?? defaultOutDir(modelNameOf(model), options.devices === undefined ? loadTarget(options.target).name : 'devices');
    const compileOptions = await compileOptionsFrom(model, options, outDir);
    const where = compileOptions.devices ? compileOptions.devices.devices.map((d) => `${d.name} (${d.target.name})`).join(' and ') : options.target;
    log(`eennc: building ${model}${options.then === undefined ? '' : ` then ${options.then}`} for ${where} (${compileOptions.precision}) into ${outDir}`);
    const result = await compileModel({ ...compileOptions, link: options.link !== false, measureExits: true, profile: options.profile });
    const m = result.report.memory;
    for (const warning of result.report.warnings ?? []) log(`warning: ${warning}`);
    // A board's image is flashed by the user, with the command its target file describes (printed, never run).
    const flash = result.image && !result.devices ? flashCommand(result.target, flashImagesOf(result.image.elfPath)) : undefined;
    if (options.json) {
      process.stdout.write(
        JSON.stringify({ ...result.report, out_dir: outDir, image: result.image?.elfPath ?? null, flash_command: flash ?? null }, null, 2) + '\n',
      );
      return;
    }
    for (const note of result.report.notes) log(`note: ${note}`);
    if (result.devices) {
      process.stdout.write(devicesSummary(result, outDir).join('\n') + '\n');
      return;
    }
    process.stdout.write(
      [
        `project:  ${outDir}${result.image ? `  (image ${result.image.elfPath})` : ''}`,
        `compute:  ${result.report.macs} MACs, ${result.report.params} parameters`,
        `flash:    ${m.flash_bytes} bytes${m.measured ? '' : ' (estimate)'} of ${result.report.limits.flash_bytes ?? 'unlimited'}`,
        result.report.intermittent?.memory.nvm_kind === 'memory-mapped'
          ? `RAM:      ${m.ram_bytes} bytes (stack ${m.stack_bytes}; the arena of ${m.arena_bytes} is in NVM)`
          : `RAM:      ${m.ram_bytes} bytes (arena ${m.arena_bytes}, stack ${m.stack_bytes}; ${m.unplanned_activation_bytes} without reuse)`,
        ...(result.report.intermittent ? intermittentSummary(result.report.intermittent) : []),
        ...(result.report.profile ? ['', ...formatLayerTable(result.report.steps ?? [], result.report.profile), ''] : []),
        `report:   ${outDir}/report.html`,
        ...(flash ? [`to flash: ${flash}  (not run by eennc)`] : []),
        ...(result.report.exits ? formatExitTable({ exits: result.report.exits, expected: result.report.exits_expected ?? null }) : []),
      ].join('\n') + '\n',
    );
  });
}

/** build/<model>-<target>, from the loaded target's own name (never the --target text, which may be a path), or build/<model>-devices. */
function defaultOutDir(modelName: string, where: string): string {
  return join('build', `${modelName}-${where.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

/** What a multi-device build prints: the cut table, the cut built, each device's project and memory. */
function devicesSummary(result: CompileResult, outDir: string): string[] {
  const { plan, sides } = result.devices!;
  const chosen = plan.chosen;
  const lines = [...deviceTableLines(result.report.devices!), ''];
  const latency = Number.isFinite(chosen.latencyMs) ? `${chosen.latencyMs.toFixed(2)} ms` : 'latency unknown';
  const energy = Number.isFinite(chosen.energyUj) ? `${chosen.energyUj.toFixed(1)} uJ` : 'energy unknown';
  lines.push(
    `cut:      ${chosen.label} (position ${chosen.cut.position}): predicted ${latency}, ${energy}, ${Math.round(chosen.linkBytes)} link bytes per inference`,
  );
  for (const side of sides) {
    const m = side.report.memory;
    const image = side.image ? `  (image ${side.image.elfPath})` : '';
    const limits = side.report.limits;
    lines.push(
      `${side.name}:`.padEnd(10) +
        `${side.dir}${image}; ${side.target.name}, flash ${m.flash_bytes} B${m.measured ? '' : ' (estimate)'} of ${limits.flash_bytes ?? 'unlimited'}, ` +
        `RAM ${m.ram_bytes} B of ${limits.ram_bytes ?? 'unlimited'}`,
    );
  }
  lines.push(`report:   ${outDir}/report.html`);
  return lines;
}
