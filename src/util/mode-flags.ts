// Flags that only mean something in one kind of build (--budget with --intermittent, --link with --devices...): given
// without the flag that asks for that build, they stop the command with one message naming them, in one wording.

import { EennError } from '../ir/diagnostics.js';

/** The kind of build some flags belong to, for the message. */
export interface BuildMode {
  /** What the builds are called: "intermittent builds". */
  builds: string;
  /** The flag that asks for them: "--intermittent". */
  flag: string;
  /** How to ask for them, for the hint: "--intermittent --budget 100000". */
  example: string;
}

/**
 * E_USAGE when any of `flags` (name and value as the command line left it; undefined or false: not given) is given
 * although `mode.flag` is not; nothing when none is.
 */
export function refuseOutsideMode(flags: readonly (readonly [string, unknown])[], mode: BuildMode): void {
  const given = flags.filter(([, value]) => value !== undefined && value !== false).map(([flag]) => flag);
  if (given.length === 0) return;
  const names = given.join(' and ');
  throw new EennError({
    code: 'E_USAGE',
    message: `${names} ${given.length === 1 ? 'applies' : 'apply'} only to ${mode.builds}, and ${mode.flag} is not given`,
    hint: `add ${mode.example}, or leave out ${names}`,
  });
}
