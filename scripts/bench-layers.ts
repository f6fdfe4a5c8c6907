// Benchmark of the int8 layer kernels (`npm run bench:layers`; `npm run bench` runs it after the model benches):
// each layer of scripts/layers/layer-graphs.ts is a one-node quantized graph compiled through emitModel into
// the test firmware, run in QEMU and compared with the int8 reference bit for bit. One table per target gives
// instructions per multiply-accumulate (QEMU -icount, one inference) beside CMSIS-NN's figures and the bars.
// Usage: npm run bench:layers -- [--targets a,b] [--seed N] [--json]
//   A report, not a test: it exits 0 whatever the comparison says, and 1 only when a build, a run or the
//   bit-exactness check fails.

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { log, usageError } from './bench-cli.js';
import { loadTarget, type Target } from '../src/target/target.js';
import { seededRandom } from '../src/util/random.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { LAYER_CASES, randomInput, type LayerCase } from './layers/layer-graphs.js';
import { runLayer, type LayerRun } from './layers/run-layer.js';

const DEFAULT_TARGETS = ['cortex-m4', 'cortex-m0plus', 'cortex-m7'];

interface Row {
  layer: string;
  target: string;
  macs: number;
  instructions: number;
  perMac: number;
  /** CMSIS-NN's instructions per MAC on the comparable core (M0+ for cortex-m0plus, M4 for the others). */
  cmsis: number;
  /** The bar on Cortex-M4; elsewhere, CMSIS-NN's figure (ours must be below it). */
  bar: number;
  meetsBar: boolean;
  bitExact: boolean;
  kernels: string[];
  weightBytes: number;
  arenaBytes: number;
}

function parseOptions(): { targets: string[]; seed: number; json: boolean } {
  const usage = 'usage: npm run bench:layers -- [--targets a,b] [--seed N] [--json]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        targets: { type: 'string', default: DEFAULT_TARGETS.join(',') },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        // The options of the benches `npm run bench` runs before this one (npm passes its arguments to the last).
        samples: { type: 'string' },
        'eval-count': { type: 'string' },
        target: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(
      `${usage}\n  --targets a,b  targets to measure (default ${DEFAULT_TARGETS.join(',')})\n` +
        '  --seed N       seed of the random weights and inputs (default 1)\n  --json         print one JSON document on stdout\n',
    );
    process.exit(0);
  }
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) {
    usageError(`--seed must be an integer, got "${values.seed}"`, usage);
  }
  return {
    targets: values.targets
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    seed,
    json: values.json,
  };
}

/** CMSIS-NN's figure and the bar of `layer` on `target`. */
function comparison(layer: LayerCase, target: Target): { cmsis: number; bar: number } {
  if (!target.features.dsp && !target.features.mve) return { cmsis: layer.cmsisM0plus, bar: layer.cmsisM0plus };
  return { cmsis: layer.cmsisM4, bar: target.name === 'cortex-m4' ? layer.barM4 : layer.cmsisM4 };
}

function toRow(layer: LayerCase, target: Target, run: LayerRun): Row {
  const { cmsis, bar } = comparison(layer, target);
  const perMac = run.instructions / layer.macs;
  return {
    layer: layer.name,
    target: target.name,
    macs: layer.macs,
    instructions: run.instructions,
    perMac,
    cmsis,
    bar,
    meetsBar: target.name === 'cortex-m4' ? perMac <= bar : perMac < bar,
    bitExact: run.mismatches === 0,
    kernels: run.kernels,
    weightBytes: run.weightBytes,
    arenaBytes: run.arenaBytes,
  };
}

function printTable(target: string, rows: Row[]): void {
  const m0 = rows[0] && rows[0].cmsis === LAYER_CASES.find((l) => l.name === rows[0]!.layer)?.cmsisM0plus;
  const barTitle = target === 'cortex-m4' ? 'bar' : 'must beat';
  const header = [
    'layer',
    'MACs',
    'instructions',
    'ours /MAC',
    `CMSIS-NN ${m0 ? 'M0+' : 'M4'} /MAC`,
    barTitle,
    'verdict',
    'bit-exact',
    'weights B',
    'kernel',
  ];
  const lines = rows.map((r) => [
    r.layer,
    String(r.macs),
    String(r.instructions),
    r.perMac.toFixed(2),
    r.cmsis.toFixed(2),
    `${target === 'cortex-m4' ? '<=' : '<'} ${r.bar.toFixed(2)}`,
    r.meetsBar ? 'PASS' : 'FAIL',
    r.bitExact ? 'yes' : 'NO',
    String(r.weightBytes),
    r.kernels.join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  process.stdout.write(`\nint8 layers on ${target} (instructions per MAC, QEMU -icount, one inference)\n`);
  process.stdout.write(
    `${format(header)}\n|${widths.map((w, i) => (i === 0 || i === widths.length - 1 ? ` ${'-'.repeat(w)} |` : ` ${'-'.repeat(w - 1)}: |`)).join('')}\n`,
  );
  for (const l of lines) process.stdout.write(`${format(l)}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const targets = options.targets.map((name) => loadTarget(name));
  const work = await makeTempDir('eennc-bench-layers-');
  const rows: Row[] = [];
  let failed = false;
  try {
    for (const target of targets) {
      for (const [index, layer] of LAYER_CASES.entries()) {
        const rand = seededRandom(options.seed * 1000 + index);
        const graph = layer.build(rand);
        const inputs = randomInput(graph, rand);
        log(`bench-layers: ${target.name}: ${layer.name}`);
        try {
          const run = await runLayer(graph, inputs, target, join(work, `${target.name}-${index}`));
          const row = toRow(layer, target, run);
          if (!row.bitExact) failed = true;
          rows.push(row);
        } catch (err) {
          failed = true;
          log(`bench-layers: ${target.name}: ${layer.name}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await removeTempDir(work);
  }
  if (options.json) {
    process.stdout.write(JSON.stringify({ seed: options.seed, layers: rows }, null, 2) + '\n');
  } else {
    for (const target of targets)
      printTable(
        target.name,
        rows.filter((r) => r.target === target.name),
      );
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
