// Compiles src/ into dist/ (tsconfig.build.json), the JavaScript the `eennc` command runs, and stamps the build.
// `--if-stale` does nothing when dist/ is current. Each build is written whole into a folder of its own, then put
// in place of dist/ by two renames: a command running meanwhile never finds half a dist/ or loses the modules it
// has yet to load, and nothing of a source since removed is left behind.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, distStatus } from '../bin/dist-status.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const WORK = /^dist\.(?:next|old)-(\d+)$/;

if (!(process.argv.includes('--if-stale') && distStatus(root) === 'current')) {
  removeAbandoned();
  const started = new Date();
  const next = join(root, `dist.next-${process.pid}`);
  const old = join(root, `dist.old-${process.pid}`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    process.stderr.write(
      `eennc build: tsc ${result.status === null ? `ended by ${result.signal}` : `exited with ${result.status}`}; dist/ is unchanged\n`,
    );
    process.exit(1);
  }
  // Dated when the build started, so that a source edited during the build still counts as newer.
  writeFileSync(join(next, STAMP), '');
  utimesSync(join(next, STAMP), started, started);
  if (existsSync(dist)) renameSync(dist, old);
  try {
    renameSync(next, dist);
  } catch (err) {
    // A build running at the same time put its dist/ in place between the two renames: it is as new as this one.
    if (!['ENOTEMPTY', 'EEXIST'].includes(/** @type {NodeJS.ErrnoException} */ (err).code ?? '')) throw err;
    rmSync(next, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** Work folders of builds that were killed (their process no longer runs). */
function removeAbandoned() {
  for (const entry of readdirSync(root)) {
    const pid = WORK.exec(entry)?.[1];
    if (pid !== undefined && !running(Number(pid))) rmSync(join(root, entry), { recursive: true, force: true });
  }
}

/** @param {number} pid */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}
