// Compile time against graph size: builds chains of cheap elementwise nodes on a [1, 16] tensor (1,000 to 10,000
// nodes; a straight line, and one with forks and residual adds) with the eennc command, float32 and int8
// (calibrated on 8 random samples), and prints wall time, CPU time and peak memory of each build: `build --no-link`
// for cortex-m4, then `build --target host` with gcc's compile and link. Each build is its own process (the peak
// memory is its own). Bar: every row of 10,000 nodes under 15 s.
// Usage: npm run bench:scaling -- [--sizes 1000,2000,5000,10000] [--shapes chain,branches]
//   [--precisions float32,int8] [--no-host] [--json]
//   A report, not a test: it exits 0 whatever the times, and 1 only when a build fails.

import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { writeChainModel, writeChainSamples, type ChainShape } from '../test/scaling/chain-models.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BAR_SECONDS = 15;
const BAR_NODES = 10_000;
const CALIBRATION_SAMPLES = 8;

/**
 * Loaded before the command in each build's process: at exit it writes the process's peak resident memory and its
 * CPU time (all threads, and on Linux the compilers it waited for, from /proc/self/stat) to EENNC_USAGE_FILE.
 */
const USAGE_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(`
import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => {
  const usage = process.resourceUsage();
  let cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(')').pop().trim().split(' ').map(Number);
    cpu = (fields[11] + fields[12] + fields[13] + fields[14]) / 100;
  } catch {}
  writeFileSync(process.env.EENNC_USAGE_FILE, JSON.stringify({ cpu, maxRSS: usage.maxRSS }));
});`);

interface Row {
  nodes: number;
  shape: ChainShape;
  precision: 'float32' | 'int8';
  /** `build --no-link` for cortex-m4. */
  build: Measure;
  /** `build --target host`, compiled and linked; absent with --no-host. */
  host?: Measure;
}

interface Measure {
  wall_s: number;
  cpu_s: number;
  peak_mb: number;
}

const usage =
  'usage: npm run bench:scaling -- [--sizes 1000,2000,5000,10000] [--shapes chain,branches] [--precisions float32,int8] [--no-host] [--json]';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sizes: { type: 'string', default: '1000,2000,5000,10000' },
        shapes: { type: 'string', default: 'chain,branches' },
        precisions: { type: 'string', default: 'float32,int8' },
        'no-host': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    log(`error: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    log(usage);
    return 0;
  }
  const sizes = values.sizes.split(',').map(Number);
  const shapes = values.shapes.split(',') as ChainShape[];
  const precisions = values.precisions.split(',') as Row['precision'][];
  if (
    sizes.some((n) => !Number.isInteger(n) || n < 1) ||
    shapes.some((s) => s !== 'chain' && s !== 'branches') ||
    precisions.some((p) => p !== 'float32' && p !== 'int8')
  ) {
    log(`error: sizes are whole numbers of nodes, shapes chain or branches, precisions float32 or int8\n${usage}`);
    return 2;
  }

  const work = await makeTempDir('eennc-bench-scaling-');
  try {
    const calib = writeChainSamples(work, CALIBRATION_SAMPLES);
    const rows: Row[] = [];
    for (const shape of shapes) {
      for (const nodes of sizes) {
        const model = writeChainModel(work, nodes, shape);
        for (const precision of precisions) {
          const common = [model, '--precision', precision, ...(precision === 'int8' ? ['--calib', calib] : [])];
          log(`${shape} of ${nodes} nodes, ${precision}...`);
          const build = await measure([...common, '--no-link', '-o', join(work, 'out')], work);
          const host = values['no-host'] ? undefined : await measure([...common, '--target', 'host', '-o', join(work, 'out')], work);
          rows.push({ nodes, shape, precision, build, ...(host ? { host } : {}) });
        }
      }
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ bar_seconds: BAR_SECONDS, rows }, null, 2) + '\n');
    } else {
      printTable(rows);
    }
    return 0;
  } catch (err) {
    log(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    await removeTempDir(work);
  }
}

/** Run `eennc build ARGS` in its own process; its wall time, CPU time and peak memory. */
function measure(args: string[], work: string): Promise<Measure> {
  const usageFile = join(work, 'usage.json');
  rmSync(usageFile, { force: true });
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', USAGE_PROBE, join(ROOT, 'bin/eennc.js'), 'build', ...args], {
      cwd: work,
      env: { ...process.env, EENNC_USAGE_FILE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      if (code !== 0) {
        reject(new Error(`eennc build ${args.join(' ')} exited with ${code}:\n${stderr.trim()}`));
        return;
      }
      const used = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpu: number; maxRSS: number };
      resolvePromise({ wall_s: wall, cpu_s: used.cpu, peak_mb: used.maxRSS / 1024 });
    });
  });
}

function printTable(rows: Row[]): void {
  const host = rows.some((r) => r.host);
  const cells = (m: Measure | undefined) => (m ? [m.wall_s.toFixed(1), m.cpu_s.toFixed(1), m.peak_mb.toFixed(0)] : []);
  const header = ['graph', 'nodes', 'precision', 'wall s', 'CPU s', 'peak MB', ...(host ? ['host: wall s', 'CPU s', 'peak MB'] : [])];
  const body = rows.map((r) => [r.shape, r.nodes.toLocaleString('en-US'), r.precision, ...cells(r.build), ...cells(r.host)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(
    `Compile time: \`eennc build --no-link\` for cortex-m4${host ? '; host: `--target host`, compiled and linked by gcc' : ''} ` +
      `(CPU s: eennc's threads and the compilers it ran; peak MB: eennc's resident memory)`,
  );
  console.log(line(header));
  for (const row of body) console.log(line(row));
  const largest = rows.filter((r) => r.nodes >= BAR_NODES);
  if (largest.length > 0) {
    const worst = Math.max(...largest.flatMap((r) => [r.build.wall_s, r.host?.wall_s ?? 0]));
    console.log(
      `bar: ${BAR_NODES.toLocaleString('en-US')} nodes in under ${BAR_SECONDS} s: slowest ${worst.toFixed(1)} s, ` +
        `${worst < BAR_SECONDS ? 'met' : 'not met'} (wall time on this machine, as loaded as it is now)`,
    );
  }
}

process.exitCode = await main();
