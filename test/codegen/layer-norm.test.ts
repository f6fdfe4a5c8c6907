// LayerNorm and int8 reductions end to end through the command line: a small sequence model (linear layer ->
// LayerNorm over the features -> mean over the time steps -> classifier, and a ReduceMax) written with
// LayerNormalization (opset 17) and in the decomposed form exported before opset 17, and a model of ReduceMean,
// ReduceMax, ReduceMin and ReduceSum over the last axis, a middle axis, several axes and every axis. Built in
// float32 (against the float reference; the other normalizations too) and in int8, run in QEMU on cortex-m4, cortex-m55 and cortex-m0plus: the
// outputs must equal the int8 reference bit for bit, and the int8 LayerNorm must stay close to the float one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/data/index.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';
import { eennc } from '../cli/cli-helpers.js';
import {
  decomposedLayerNormModel,
  edgeSamples,
  layerNormEdgesModel,
  layerNormModel,
  normalizationsModel,
  reductionsModel,
  writeModel,
} from './layer-norm-models.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-layer-norm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = 8;
const models = {
  layerNorm: writeModel(layerNormModel(), dir, SAMPLES),
  decomposed: writeModel(decomposedLayerNormModel(), dir, SAMPLES),
  reductions: writeModel(reductionsModel(), dir, SAMPLES),
  edges: writeModel(layerNormEdgesModel(), dir, SAMPLES, 0, edgeSamples(SAMPLES)),
};

interface TestJson {
  precision: string;
  pass: boolean;
  comparisons: { mismatches?: number; max_abs_error?: number }[];
  samples: { outputs: Record<string, number[]>; instructions: number | null }[];
}

async function test(model: { model: string; data: string }, target: string, precision: 'int8' | 'float32'): Promise<TestJson> {
  const args = ['test', model.model, '--target', target, '--precision', precision, '--data', model.data, '--count', '4', '--json'];
  if (precision === 'int8') args.push('--calib', model.data);
  const r = await eennc(...args);
  expect(r.stderr).not.toContain('error');
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as TestJson;
}

describe('float32', () => {
  // (The reductions run through C in the ONNX backend cases.)
  for (const [name, model] of Object.entries({ layerNorm: models.layerNorm, decomposed: models.decomposed })) {
    it(`${name}: the generated C matches the float reference`, async () => {
      const json = await test(model, 'host', 'float32');
      expect(json.pass).toBe(true);
      for (const c of json.comparisons) expect(c.max_abs_error).toBeLessThan(1e-4);
    });
  }
});

describe('float32 normalizations on Cortex-M', () => {
  it('InstanceNormalization, LRN, MeanVarianceNormalization and LayerNormalization match the float reference on cortex-m4', async () => {
    const json = await test(writeModel(normalizationsModel(), dir, 3), 'cortex-m4', 'float32');
    expect(json.pass).toBe(true);
    for (const c of json.comparisons) expect(c.max_abs_error).toBeLessThan(1e-4);
  });
});

describe('int8 on Cortex-M, bit-exact with the int8 reference', () => {
  for (const target of ['cortex-m4', 'cortex-m55', 'cortex-m0plus']) {
    // (The decomposed LayerNorm builds into the same QLayerNorm as LayerNormalization: test/quantize/int8-reduce.test.ts.)
    for (const [name, model] of Object.entries({ layerNorm: models.layerNorm, reductions: models.reductions, edges: models.edges })) {
      it(`${target}: ${name}`, async () => {
        const json = await test(model, target, 'int8');
        expect(json.precision).toBe('int8');
        expect(json.pass).toBe(true);
        expect(json.comparisons.map((c) => c.mismatches)).toEqual([0, 0, 0, 0]);
        for (const s of json.samples) expect(s.instructions).toBeGreaterThan(1000);
      });
    }
  }
});

describe('int8 LayerNorm accuracy', () => {
  it('keeps the LayerNorm output close to float (per-layer SQNR) in both forms, fused into one kernel', async () => {
    const labels = join(dir, 'labels.npy');
    writeNpy(labels, [SAMPLES], new Uint8Array(SAMPLES));
    for (const [model, node] of [
      [models.layerNorm, 'norm'],
      [models.decomposed, 'norm_mean'],
    ] as const) {
      const r = await eennc('accuracy', model.model, '--calib', model.data, '--data', model.data, '--labels', labels);
      expect(r.exitCode).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.trim().startsWith(`${node} `));
      expect(line, r.stdout).toContain('QLayerNorm');
      const sqnr = Number(/(-?[\d.]+) dB/.exec(line!)![1]);
      expect(sqnr).toBeGreaterThan(30);
    }
  });
});

describe('int8 refusals', () => {
  it('refuses the Mean and InvStdDev outputs of LayerNormalization in int8, and names the node', async () => {
    const graph = buildGraph({
      opset: 17,
      inputs: { x: ['float32', [1, 4, 8]] },
      constants: { s: ['float32', [8], randomFloats(8, 2)] },
      nodes: [['LayerNormalization', ['x', 's'], ['y', 'mean'], {}, 'ln_stats']],
      outputs: ['y', 'mean'],
    });
    graph.name = 'ln_stats';
    const model = writeModel(graph, dir, 4);
    const r = await eennc('build', model.model, '--target', 'host', '--calib', model.data, '-o', join(dir, 'ln_stats_out'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('ln_stats');
    expect(r.stderr).toContain('Mean and InvStdDev');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
