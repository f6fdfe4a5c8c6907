// The `eennc` command: parses the command line (commander) and hands each subcommand to its module in commands/.
// Results go to stdout (one JSON document with --json), people-facing logs and progress to stderr.

import { Command, CommanderError } from 'commander';
import { reportError } from './report-error.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('eennc')
    .description('Compile a trained ONNX model into small, fast, verified C for Arm Cortex-M')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or help / version, which exit 0)
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err, debug);
  }
}
