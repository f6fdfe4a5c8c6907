// The options build, run and test share, declared once and turned into CompileOptions.

import { Command } from 'commander';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInputShapes } from '../frontend/input-shapes.js';
import type { CompileOptions } from '../compile.js';
import { DEFAULT_TARGET_NAME } from '../target.js';
import { collect, parsePrecision } from './options.js';

export interface SharedOptions {
  target: string;
  precision: string;
  inputShape: string[];
  opt?: string;
  output?: string;
  outDir?: string;
  json?: boolean;
}

/** Add --target, --precision, --input-shape, --opt and --json to a command. */
export function withSharedOptions(command: Command): Command {
  return command
    .option('-t, --target <name>', 'target name (see `eennc targets`) or path of a target file', DEFAULT_TARGET_NAME)
    .option('--precision <p>', 'int8 or float32 (float32 until int8 code generation lands)', 'float32')
    .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions, e.g. input=1x1x28x28 (repeatable)', collect, [])
    .option('--opt <flag>', 'optimisation flag for the firmware build', '-O2')
    .option('--json', 'print one JSON document on stdout');
}

/** CompileOptions from the shared options; without an output folder, a fresh temporary one. */
export async function compileOptionsFrom(model: string, options: SharedOptions, outDir?: string): Promise<CompileOptions> {
  return {
    model,
    target: options.target,
    precision: parsePrecision(options.precision),
    inputShapes: parseInputShapes(options.inputShape),
    optimization: options.opt,
    outDir: outDir ?? join(await mkdtemp(join(tmpdir(), 'eennc-')), 'project'),
  };
}

/** People-facing progress on stderr (never on stdout, which holds results). */
export function log(message: string): void {
  process.stderr.write(message + '\n');
}
