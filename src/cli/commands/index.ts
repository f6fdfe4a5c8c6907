// Registers every subcommand. Each command module exports `register(program)` and does one job.

import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

const modules: RegisterCommand[] = [];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
