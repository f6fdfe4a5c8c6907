#!/usr/bin/env node
// Entry point of the `eennc` command: runs the compiled JavaScript in dist/. In a source checkout whose dist/ is
// missing or older than src/, it runs the TypeScript sources through tsx instead, so an edit never runs stale.
import { fileURLToPath } from 'node:url';
import { distStatus } from './dist-status.mjs';

const root = new URL('..', import.meta.url);
/** @type {{ main: (argv: string[]) => Promise<number> }} */
let cli;
if (distStatus(fileURLToPath(root)) === 'current') {
  cli = await import(new URL('dist/cli/main.js', root).href);
} else {
  /** @type {{ register: () => unknown }} */
  let tsx;
  // tsx would otherwise keep a compile cache in the temporary directory, which eennc promises to leave as it found it.
  process.env.TSX_DISABLE_CACHE = '1';
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(
      'error: dist/ is missing or older than src/, and tsx is not installed to run the sources\n' +
        'hint: run `npm install` (it builds dist/), or `npm run build` after editing src/\n',
    );
    process.exit(1);
  }
  tsx.register();
  cli = await import(new URL('src/cli/main.ts', root).href);
}
process.exitCode = await cli.main(process.argv);
