// The `eennc` command: parses the command line (commander) and hands each subcommand to its module in commands/.
// Results go to stdout (one JSON document with --json, also for a failure), people-facing logs and progress to stderr.

import { Command, CommanderError } from 'commander';
import { EennError } from '../ir/diagnostics.js';
import { reportError } from './report-error.js';
import { registerCommands } from './commands/index.js';
import { eenncVersion } from './version.js';

/** Commander's exits after printing help or the version: not failures, unless the help stands for a missing command. */
const HELP_EXITS = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/** Run `eennc` on argv (process.argv: node, script, arguments); `register` adds the subcommands. */
export async function main(argv: string[], register: (program: Command) => void = registerCommands): Promise<number> {
  const program = new Command();
  program
    .name('eennc')
    .description('Compile a trained ONNX model into small, fast, verified C for Arm Cortex-M')
    .version(eenncVersion(), '-V, --version', 'print the version of eennc')
    .option('--debug', 'show stack traces for errors')
    // Commander's own errors are reported like every other one (report-error.ts), with a hint and --json.
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  register(program);
  const args = argv.slice(2);
  const debug = args.includes('--debug');
  const json = args.includes('--json');
  // An error that escapes the command's promise (thrown in a callback or an event) is reported the same way, not as
  // Node's stack trace; the process ends there, since the command can no longer finish.
  const escaped = (err: unknown) => process.exit(reportError(err, debug, json));
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (HELP_EXITS.has(err.code)) return err.exitCode === 0 ? 0 : 2; // `eennc` alone: the help went to stderr
      return reportError(usageError(program, args, err), debug, json);
    }
    return reportError(err, debug, json);
  } finally {
    process.off('uncaughtException', escaped);
    process.off('unhandledRejection', escaped);
  }
}

/** Commander's usage error as an E_USAGE error whose hint points at the command's help. */
function usageError(program: Command, args: string[], err: CommanderError): EennError {
  const name = args.find((arg) => !arg.startsWith('-')); // eennc's own options take no value: the first word is the command
  const command = program.commands.find((c) => c.name() === name);
  return new EennError({
    code: 'E_USAGE',
    message: err.message.replace(/^error:\s*/, ''),
    hint: command ? `run \`eennc ${command.name()} --help\` to see the options and the values they take` : 'run `eennc --help` to see the commands',
  });
}
