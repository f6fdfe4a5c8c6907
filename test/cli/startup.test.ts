// The shipped command: what the package holds, bin/eennc.js runs dist/ only when it is current, `--help` and
// `targets` load no compiler, toolchain or protobuf code, and calibration's worker threads start from dist/.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STAMP, distStatus } from '../../bin/dist-status.mjs';
import { ROOT } from './cli-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'eennc-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Modules that only building, running or reading a model needs. */
const HEAVY = /\/node_modules\/(execa|handlebars|protobufjs|onnx-proto|tsx|esbuild)\/|\/dist\/(compile|toolchain\/|codegen\/|frontend\/load)/;

/** An entry point that runs dist/cli/main.js whatever its status (bin/eennc.js would run the sources when stale). */
const DIST_ENTRY = join(scratch, 'dist-entry.mjs');
writeFileSync(
  DIST_ENTRY,
  `const { main } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/cli/main.js')).href)});\nprocess.exitCode = await main(process.argv);\n`,
);

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end without blocking the test worker (a build takes a minute on a loaded machine). */
function execute(program: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(program, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      resolve({ status: error ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
    });
  });
}

/** Runs dist/cli/main.js in a fresh node with every loaded module's URL traced; the URLs and the outcome. */
async function traced(args: string[]): Promise<Outcome & { modules: string[] }> {
  const trace = join(
    scratch,
    `trace-${args
      .join('-')
      .replace(/[^A-Za-z0-9-]/g, '_')
      .slice(0, 40)}-${Date.now()}.txt`,
  );
  const result = await execute(process.execPath, ['--import', './test/cli/fixtures/trace-modules.mjs', DIST_ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, EENNC_TRACE_FILE: trace },
  });
  const modules = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  return { ...result, modules };
}

describe('dist/, the compiled command', () => {
  beforeAll(async () => {
    const build = await execute(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT });
    expect(build.status, build.stdout + build.stderr).toBe(0);
  });

  it('the package holds the command, the targets and the templates, and no sources, tests or examples', async () => {
    const pack = await execute('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    expect(pack.status, pack.stderr).toBe(0);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
    for (const needed of [
      'bin/eennc.js',
      'bin/dist-status.mjs',
      `dist/${STAMP}`,
      'dist/cli/main.js',
      'dist/calibration-worker.js',
      'targets/cortex-m4.json',
      'templates/c/firmware/Makefile.hbs',
      'templates/report/report.html.hbs',
      'package.json',
      'README.md',
    ])
      expect(files).toContain(needed);
    expect(files.filter((path) => /^(src|test|examples|scripts|node_modules|build)\/|\.ts$/.test(path))).toEqual([]);
  });

  it('--help lists the commands and loads none of the compiler', async () => {
    const run = await traced(['--help']);
    expect(run.status, run.stderr).toBe(0);
    for (const command of ['build', 'run', 'test', 'inspect', 'accuracy', 'targets', 'doctor']) expect(run.stdout).toContain(command);
    expect(run.modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(run.modules.filter((url) => HEAVY.test(url))).toEqual([]);
  });

  it('targets lists the targets from targets/ and loads none of the compiler', async () => {
    const run = await traced(['targets']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^cortex-m4\s/m);
    expect(run.modules.filter((url) => HEAVY.test(url))).toEqual([]);
  });

  it('an int8 build calibrates on worker threads started from dist/, without tsx', async () => {
    const out = join(scratch, 'fmnist');
    const run = await traced([
      'build',
      'examples/fmnist/fmnist_cnn.onnx',
      '--target',
      'host',
      '--calib',
      'examples/fmnist/calib_u8.npy',
      '--calib-scale',
      '1/255',
      '--calib-count',
      '96',
      '--no-link',
      '-o',
      out,
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(out, 'model.c'))).toBe(true);
    // 96 samples are two workers' worth (48 each) where there are two cores; one core calibrates in the main thread.
    const workers = Math.min(availableParallelism(), 2);
    expect(run.modules.filter((url) => url.endsWith('/dist/calibration-worker.js')).length).toBe(workers > 1 ? workers : 0);
    expect(run.modules.filter((url) => /\/node_modules\/tsx\//.test(url) || url.endsWith('.ts'))).toEqual([]);
  });
});

describe('bin/eennc.js', () => {
  it('without a current dist/ and without tsx, says what to run instead of failing with a stack trace', async () => {
    const root = mkdtempSync(join(scratch, 'bare-'));
    mkdirSync(join(root, 'bin'));
    for (const file of ['eennc.js', 'dist-status.mjs']) writeFileSync(join(root, 'bin', file), readFileSync(join(ROOT, 'bin', file)));
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    const run = await execute(process.execPath, [join(root, 'bin', 'eennc.js'), '--help'], { cwd: root });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: dist\/ is missing .*\nhint: run `npm install`/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('distStatus: when bin/eennc.js may run dist/', () => {
  /** A package folder with src/a.ts at `sourceTime` and a build stamped at `builtTime` (seconds). */
  function checkout(sourceTime: number, builtTime?: number): string {
    const root = mkdtempSync(join(scratch, 'pkg-'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export {};\n');
    utimesSync(join(root, 'src', 'a.ts'), sourceTime, sourceTime);
    utimesSync(join(root, 'src'), sourceTime, sourceTime);
    mkdirSync(join(root, 'dist'));
    if (builtTime !== undefined) {
      writeFileSync(join(root, 'dist', STAMP), '');
      utimesSync(join(root, 'dist', STAMP), builtTime, builtTime);
    }
    return root;
  }

  it('is missing without the stamp a finished build writes', () => {
    expect(distStatus(checkout(1_000))).toBe('missing');
  });

  it('is current when the build started after every source changed', () => {
    expect(distStatus(checkout(1_000, 2_000))).toBe('current');
  });

  it('is stale when a source changed after the build started', () => {
    expect(distStatus(checkout(3_000, 2_000))).toBe('stale');
  });

  it('is stale when a source file was added after the build (the folder changes)', () => {
    const root = checkout(1_000, 2_000);
    writeFileSync(join(root, 'src', 'b.ts'), 'export {};\n');
    expect(distStatus(root)).toBe('stale');
  });

  it('is stale when a tsconfig changed after the build', () => {
    const root = checkout(1_000, 2_000);
    writeFileSync(join(root, 'tsconfig.build.json'), '{}\n');
    expect(distStatus(root)).toBe('stale');
  });

  it('is current in an installed package, which ships dist/ without src/', () => {
    const root = checkout(1_000, 2_000);
    rmSync(join(root, 'src'), { recursive: true });
    expect(distStatus(root)).toBe('current');
  });
});
