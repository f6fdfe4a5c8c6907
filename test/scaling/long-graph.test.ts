// Graphs of thousands of nodes go through the whole pipeline: a 2,000-node chain quantized to int8 (calibration,
// plan, emission) and a 2,000-node graph with forks and residual adds built for the host, run and compared with
// the int8 reference bit for bit. No time limit is asserted; scripts/bench-scaling.ts measures the times.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { SECTION_STEPS } from '../../src/codegen/print-steps.js';
import { encodeInput } from '../../src/io-codec.js';
import { validatePlan } from '../../src/schedule/memory-plan.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { seededRandom } from '../../src/util/random.js';
import { CHAIN_WIDTH, chainGraph, writeChainModel, writeChainSamples } from './chain-models.js';

const NODES = 2000;
const work = mkdtempSync(join(tmpdir(), 'eennc-long-graph-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('graphs of thousands of nodes', () => {
  it('the generator gives exactly the nodes asked for, and forks and residual adds in the branched variant', () => {
    for (const nodes of [1, 7, 100, NODES]) {
      expect(chainGraph(nodes).nodes).toHaveLength(nodes);
      expect(chainGraph(nodes, 'branches').nodes).toHaveLength(nodes);
    }
    // A tensor read by two nodes (fork) and an Add of two activations (join) occur in the branched graph only.
    const readers = (shape: 'chain' | 'branches') => {
      const graph = chainGraph(NODES, shape);
      const count = new Map<string, number>();
      for (const node of graph.nodes) for (const input of node.inputs) count.set(input, (count.get(input) ?? 0) + 1);
      const joins = graph.nodes.filter((n) => n.op === 'Add' && n.inputs.every((i) => !graph.tensors.get(i)!.data)).length;
      return { forks: [...count.values()].filter((c) => c > 1).length, joins };
    };
    expect(readers('chain')).toEqual({ forks: 0, joins: 0 });
    expect(readers('branches').forks).toBeGreaterThan(NODES / 20);
    expect(readers('branches').joins).toBeGreaterThan(NODES / 20);
  });

  // Limits for hangs only: on a loaded two-core machine the host build of 2,000 steps alone can take a minute.
  const LIMIT_MS = 600_000;

  it(
    `a ${NODES}-node chain compiles to int8: one step per node, a valid plan, model.c in sections`,
    async () => {
      const model = writeChainModel(work, NODES, 'chain');
      const calib = writeChainSamples(work, 8);
      const result = await compileModel({
        model,
        target: 'cortex-m4',
        precision: 'int8',
        outDir: join(work, 'chain-int8'),
        link: false,
        calibration: { path: calib, method: 'percentile' },
      });
      const steps = result.plan.steps.length;
      // int8 folds each Relu into the Add before it (the requantization clamps); every other node is a step.
      const relus = chainGraph(NODES).nodes.filter((n) => n.op === 'Relu').length;
      expect(relus).toBeGreaterThan(0);
      expect(steps).toBe(NODES - relus);
      expect(validatePlan(result.plan, result.graph)).toEqual([]);
      // Every node runs in place in the caller's output buffer: a chain needs no arena.
      expect(result.plan.arenaBytes).toBe(0);
      const source = readFileSync(join(work, 'chain-int8', 'model.c'), 'utf8');
      const sections = [...source.matchAll(/^static void (eenn_steps_(\d+)_(\d+))\(/gm)];
      expect(sections).toHaveLength(Math.ceil(steps / SECTION_STEPS));
      expect(sections.map((m) => Number(m[2]))).toEqual(sections.map((_, i) => i * SECTION_STEPS));
      expect(Number(sections.at(-1)![3])).toBe(steps - 1);
      // eenn_run calls each section once, in order.
      const run = source.slice(source.indexOf('int32_t eenn_run('));
      expect([...run.matchAll(/^ {4}(eenn_steps_\d+_\d+)\(/gm)].map((m) => m[1])).toEqual(sections.map((m) => m[1]));
    },
    LIMIT_MS,
  );

  it(
    `a ${NODES}-node graph with forks and residual adds runs on the host bit-exact with the int8 reference`,
    async () => {
      const model = writeChainModel(work, NODES, 'branches');
      const calib = writeChainSamples(work, 8);
      const result = await compileModel({
        model,
        target: 'host',
        precision: 'int8',
        outDir: join(work, 'branches-host'),
        calibration: { path: calib, method: 'percentile' },
      });
      expect(validatePlan(result.plan, result.graph)).toEqual([]);
      const graph = result.graph;
      const input = graph.tensors.get(graph.inputs[0]!)!;
      const random = seededRandom(3);
      const { bytes, value } = encodeInput(
        input,
        Float32Array.from({ length: CHAIN_WIDTH }, () => random() * 2 - 1),
      );
      const run = await runFirmware(result.image!.elfPath, result.target, bytes, { samples: 1 });
      const expected = runInt8Reference(graph, { [graph.inputs[0]!]: value })[graph.outputs[0]!]!;
      expect(expected.dtype).toBe('int8');
      expect(new Int8Array(run.outputs[0]!.buffer, run.outputs[0]!.byteOffset, CHAIN_WIDTH)).toEqual(expected.data);
      // The output is not a constant: some value differs from the output's zero point.
      const zeroPoint = graph.tensors.get(graph.outputs[0]!)!.quant!.zeroPoint[0]!;
      expect([...expected.data].some((q) => q !== zeroPoint)).toBe(true);
    },
    LIMIT_MS,
  );
});
