// Benchmark of the int8 layer kernels as users build them (`npm run bench:layers`; `npm run bench` runs it after
// the model benches): each row of scripts/layers/layer-models.ts is a float ONNX model (one layer, or a small CNN)
// with seeded random weights, built through `eennc run MODEL.onnx --target T --calib CALIB.npy --json` with the
// default flags (scripts/layers/run-layer.ts), run in QEMU and compared with the int8 reference bit for bit. One
// table per target gives instructions per multiply-accumulate (QEMU -icount, one inference) and, on Cortex-M4 and
// Cortex-M55, the cycle estimate of src/target/cycle-model.ts, beside that target's peers and bar
// (scripts/layers/peers.ts), and the kernels each build calls (a default build must be a plain int8 one).
// Usage: npm run bench:layers -- [--targets a,b] [--seed N] [--json | --markdown]
//   A report, not a test: it exits 0 whatever the comparison with the bars says, and 1 only when a build, a run,
//   the bit-exactness check or the plain-int8 check fails.

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { log, usageError } from './bench-cli.js';
import { loadTarget } from '../src/target/target.js';
import { makeTempDir, removeTempDir } from '../src/util/temp-dirs.js';
import { LAYER_MODELS, writeLayerModel } from './layers/layer-models.js';
import { runLayer } from './layers/run-layer.js';
import { CYCLE_NOTE, formatTable, judge, type LayerRow } from './layers/layer-table.js';
import { PEERS } from './layers/peers.js';

const DEFAULT_TARGETS = ['cortex-m4', 'cortex-m55', 'cortex-m0plus'];

/** Share by which the traced instructions may differ from -icount's count before the bench warns. */
const TRACE_TOLERANCE = 0.01;

/** Section titles of the Markdown output. */
const CORE_TITLES: Record<string, string> = {
  'cortex-m4': 'Cortex-M4',
  'cortex-m55': 'Cortex-M55',
  'cortex-m0plus': 'Cortex-M0+',
  'cortex-m7': 'Cortex-M7',
  'cortex-m33': 'Cortex-M33',
};

interface Options {
  targets: string[];
  seed: number;
  json: boolean;
  markdown: boolean;
  only?: string;
}

function parseOptions(): Options {
  const usage = 'usage: npm run bench:layers -- [--targets a,b] [--seed N] [--only TEXT] [--json | --markdown]';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        targets: { type: 'string', default: DEFAULT_TARGETS.join(',') },
        seed: { type: 'string', default: '1' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
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
        '  --seed N       seed of the random weights and inputs (default 1)\n' +
        '  --only TEXT    only the rows whose label contains TEXT\n' +
        "  --json         print one JSON document on stdout\n  --markdown     print the tables with a heading per target (the README's)\n",
    );
    process.exit(0);
  }
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) usageError(`--seed must be an integer, got "${values.seed}"`, usage);
  if (values.json && values.markdown) usageError('give --json or --markdown, not both', usage);
  return {
    targets: values.targets
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    seed,
    json: values.json,
    markdown: values.markdown,
    ...(values.only ? { only: values.only } : {}),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const targets = options.targets.map((name) => loadTarget(name));
  const layers = LAYER_MODELS.filter((l) => !options.only || l.name.includes(options.only));
  const work = await makeTempDir('eennc-bench-layers-');
  const rows: LayerRow[] = [];
  let failed = false;
  try {
    const models = join(work, 'models');
    mkdirSync(models);
    // Each row's seed follows from its place in LAYER_MODELS, so that --only measures the same model.
    const files = layers.map((layer) => writeLayerModel(layer, models, options.seed * 1000 + LAYER_MODELS.indexOf(layer) * 10));
    for (const target of targets) {
      for (const [index, layer] of layers.entries()) {
        log(`bench-layers: ${target.name}: ${layer.name}`);
        try {
          const run = await runLayer(files[index]!, target, join(work, `${target.name}-${layer.file}`));
          const perMac = run.instructions / layer.macs;
          const row: LayerRow = {
            layer: layer.name,
            target: target.name,
            macs: layer.macs,
            instructions: run.instructions,
            perMac,
            cycles: run.cycles?.cycles ?? null,
            ...(run.cycles ? { cycleClasses: run.cycles.classes } : {}),
            ...judge(layer.name, target.name, layer.macs, perMac),
            bitExact: run.mismatches === 0,
            plainInt8: run.plainInt8,
            kernels: run.kernels,
            weightBytes: run.weightBytes,
            arenaBytes: run.arenaBytes,
          };
          // The trace must cover what -icount counted (the counter's own reads aside), or the estimate costs other code.
          if (run.cycles && Math.abs(run.cycles.instructions - run.instructions) > TRACE_TOLERANCE * run.instructions) {
            log(
              `bench-layers: ${target.name}: ${layer.name}: the trace holds ${run.cycles.instructions} instructions, -icount counted ${run.instructions}`,
            );
          }
          if (!row.bitExact) log(`bench-layers: ${target.name}: ${layer.name}: ${run.mismatches} values differ from the int8 reference`);
          if (!row.plainInt8)
            log(`bench-layers: ${target.name}: ${layer.name}: the default build is not a plain int8 one (${run.kernels.join(', ')})`);
          if (!row.bitExact || !row.plainInt8) failed = true;
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
    const layers = rows.map((r) => ({ ...r, peers: PEERS[r.layer] ?? {} }));
    process.stdout.write(JSON.stringify({ seed: options.seed, layers }, null, 2) + '\n');
  } else {
    for (const target of targets) {
      const title = CORE_TITLES[target.name] ?? target.name;
      const heading = options.markdown
        ? `#### ${title}\n\n`
        : `\nint8 layers on ${target.name} (instructions per MAC, QEMU -icount, one inference)\n`;
      process.stdout.write(
        heading +
          formatTable(
            target.name,
            rows.filter((r) => r.target === target.name),
          ) +
          (options.markdown ? '\n' : ''),
      );
    }
    if (rows.some((r) => r.cycles !== null)) process.stdout.write(`${options.markdown ? '' : '\n'}${CYCLE_NOTE}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
