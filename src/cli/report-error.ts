// The one place where errors reach a person: EennError prints as `error: file: node "x" (Op): message` plus a hint;
// anything else is an internal error, with its stack only under --debug. With --json, stdout also gets the error as
// one JSON document (ErrorDocument).

import { EennError, INTERNAL_HINT, type ErrorDocument } from '../ir/diagnostics.js';
import { stderrProgress } from '../util/progress-terminal.js';

/** Exit status of a usage error (bad option or value), of any other EennError, and of an internal error. */
const EXIT_USAGE = 2;
const EXIT_ERROR = 1;
const EXIT_INTERNAL = 70;

/** Print an error to stderr (and with `json`, its document to stdout) and return the process exit code. */
export function reportError(err: unknown, debug: boolean, json = false): number {
  stderrProgress().clear(); // a progress bar left by the failed work would run into the error's line
  if (err instanceof EennError) {
    process.stderr.write(err.format() + '\n');
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    if (json) writeDocument(err.toDocument());
    return err.code === 'E_USAGE' ? EXIT_USAGE : EXIT_ERROR;
  }
  // Internal errors are thrown as `internal: ...`; the prefix is printed once.
  const message = (err instanceof Error ? err.message : String(err)).replace(/^internal:\s*/, '');
  process.stderr.write(`error: internal: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else process.stderr.write(`hint: ${INTERNAL_HINT}\n`);
  if (json) writeDocument({ error: { code: 'E_INTERNAL', message, file: null, node: null, hint: INTERNAL_HINT } });
  return EXIT_INTERNAL;
}

function writeDocument(document: ErrorDocument): void {
  process.stdout.write(JSON.stringify(document, null, 2) + '\n');
}
