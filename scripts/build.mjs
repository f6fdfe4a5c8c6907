// Compiles src/ into an emptied dist/ (tsconfig.build.json: nothing left of a source since removed), the JavaScript
// the `eennc` command runs, and stamps the build. `--if-stale` does nothing when dist/ is current.
import { spawnSync } from 'node:child_process';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, distStatus } from '../bin/dist-status.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const args = process.argv.slice(2);

if (!(args.includes('--if-stale') && distStatus(root) === 'current')) {
  const started = new Date();
  // The stamp goes first: bin/eennc.js runs the sources until tsc has written everything and the stamp is back.
  rmSync(join(dist, STAMP), { force: true });
  rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`eennc build: tsc ${result.status === null ? `ended by ${result.signal}` : `exited with ${result.status}`}; dist/ is left unstamped, so bin/eennc.js keeps running the sources\n`);
    process.exit(1);
  }
  writeFileSync(join(dist, STAMP), '');
  utimesSync(join(dist, STAMP), started, started);
}
