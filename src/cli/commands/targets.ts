// `eennc targets`: the targets eennc can build for, as a table (or one JSON document with --json).

import type { Command } from 'commander';
import { DEFAULT_TARGET_NAME, formatSize, loadAllTargets, type Target } from '../../target/target.js';

export function register(program: Command): void {
  program
    .command('targets')
    .description('list the targets: CPU, features, memory limits and the QEMU machine that runs them')
    .option('--json', 'print one JSON document on stdout')
    .action((options: { json?: boolean }) => {
      const targets = loadAllTargets();
      process.stdout.write(options.json ? JSON.stringify(targets.map(describeTarget), null, 2) + '\n' : formatTable(targets));
    });
}

/** A target as `eennc targets --json` prints it. */
function describeTarget(target: Target): Record<string, unknown> {
  return {
    name: target.name,
    default: target.name === DEFAULT_TARGET_NAME,
    kind: target.kind,
    description: target.description,
    cpu: target.cpu,
    arch: target.arch,
    features: target.features,
    flash_bytes: target.limits.flashBytes,
    ram_bytes: target.limits.ramBytes,
    stack_bytes: target.stackBytes,
    machine: target.emulator?.machine ?? null,
    file: target.file,
  };
}

function formatTable(targets: Target[]): string {
  const header = ['TARGET', 'CPU', 'FEATURES', 'FLASH', 'RAM', 'RUNS ON'];
  const rows = targets.map((target) => [
    target.name + (target.name === DEFAULT_TARGET_NAME ? ' (default)' : ''),
    target.kind === 'host' ? 'native' : `${target.cpu} (${target.arch})`,
    (['dsp', 'mve', 'fpu'] as const).filter((feature) => target.features[feature]).join(',') || '-',
    target.limits.flashBytes === null ? '-' : formatSize(target.limits.flashBytes),
    target.limits.ramBytes === null ? '-' : formatSize(target.limits.ramBytes),
    target.emulator ? `QEMU ${target.emulator.machine}` : target.kind === 'host' ? 'host' : 'board (no emulator)',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return (
    [header, ...rows]
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
