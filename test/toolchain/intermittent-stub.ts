// Test helper: writes a firmware project around the stand-in intermittent model in fixtures/intermittent (a chain
// of tasks committed to .eenn_nvm through the C API of a generated intermittent build), the way `eennc build
// --intermittent` lays out a generated one, with the intermittent test firmware (main_intermittent.c.hbs).

import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderFirmware, type FirmwareOptions } from '../../src/codegen/firmware.js';
import type { Target } from '../../src/target/target.js';
import { FIXTURES } from './stub-project.js';

/** Tasks of the stand-in (EENN_NUM_TASKS in fixtures/intermittent/model.h). */
export const STAND_IN_TASKS = 8;

export const STAND_IN_OPTIONS: FirmwareOptions = {
  modelName: 'stand_in',
  kernelSources: [],
  inputBytes: [16],
  outputBytes: [16],
  intermittent: { nvm: 'memory-mapped' },
};

/** The stand-in as given, or its broken variant whose tasks are not idempotent (STAND_IN_NOT_IDEMPOTENT). */
export type StandInVariant = 'counter' | 'not-idempotent';

/** Write the stand-in project for `target` into `dir` and return `dir`. */
export async function writeStandInProject(dir: string, target: Target, variant: StandInVariant = 'counter'): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [path, contents] of renderFirmware(target, STAND_IN_OPTIONS)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
  await copyFile(join(FIXTURES, 'intermittent', 'model.h'), join(dir, 'model.h'));
  const model = await readFile(join(FIXTURES, 'intermittent', 'counter.c'), 'utf8');
  await writeFile(join(dir, 'model.c'), variant === 'not-idempotent' ? `#define STAND_IN_NOT_IDEMPOTENT 1\n${model}` : model);
  return dir;
}
