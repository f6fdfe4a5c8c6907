// Registers every subcommand. Each command module exports `register(program)` and does one job.

import type { Command } from 'commander';
import { register as registerTargets } from './targets.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerInspect } from './inspect.js';

export type RegisterCommand = (program: Command) => void;

const modules: RegisterCommand[] = [registerTargets, registerDoctor, registerInspect];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
