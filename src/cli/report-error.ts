// The one place where errors reach a person: EennError prints as `error: file: node "x" (Op): message` plus a hint;
// anything else is an internal error, with its stack only under --debug.

import { EennError } from '../ir/diagnostics.js';

/** Print an error to stderr and return the process exit code. */
export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof EennError) {
    process.stderr.write(err.format() + '\n');
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    return err.code === 'E_USAGE' ? 2 : 1;
  }
  // Internal errors are thrown as `internal: ...`; the prefix is printed once.
  const message = (err instanceof Error ? err.message : String(err)).replace(/^internal:\s*/, '');
  process.stderr.write(`error: internal: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else process.stderr.write('hint: this is a bug in eennc; run again with --debug and report the output\n');
  return 70;
}
