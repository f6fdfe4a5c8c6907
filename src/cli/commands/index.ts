// Registers every subcommand. Each command module exports `register(program)` and does one job.

import type { Command } from 'commander';
import { register as registerBuild } from './build.js';
import { register as registerRun } from './run.js';
import { register as registerTest } from './test.js';
import { register as registerProfile } from './profile.js';
import { register as registerInspect } from './inspect.js';
import { register as registerTargets } from './targets.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerAccuracy } from './accuracy.js';
import { register as registerAugment } from './augment.js';

export type RegisterCommand = (program: Command) => void;

const modules: RegisterCommand[] = [
  registerBuild,
  registerRun,
  registerProfile,
  registerTest,
  registerInspect,
  registerAccuracy,
  registerAugment,
  registerTargets,
  registerDoctor,
];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
