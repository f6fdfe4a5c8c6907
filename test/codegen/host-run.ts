// Test harness: generates C for many graphs, compiles them all into one host executable (gcc -O2 -Wall -Wextra
// -Werror -std=c99), runs each model once on given inputs and returns the outputs. One build per test file keeps
// the suite fast; each model gets its own symbol prefix so they link together.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Graph } from '../../src/ir/graph.js';
import { sizeOf } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { emitModel, type EmittedModel } from '../../src/codegen/emit-model.js';
import { planMemory, type MemoryPlan, type PlanOptions } from '../../src/schedule/memory-plan.js';

export const HOST_CFLAGS = ['-O2', '-std=c99', '-Wall', '-Wextra', '-Werror'];

export interface HostCase {
  name: string;
  graph: Graph;
  /** Input values by tensor name (float32). */
  inputs: Record<string, Value>;
  /** Options of the memory plan (default: planMemory's). */
  planOptions?: PlanOptions;
}

export interface HostResult {
  name: string;
  plan: MemoryPlan;
  emitted: EmittedModel;
  /** Outputs in graph order. */
  outputs: Float32Array[];
  /** eenn_run's return value. */
  status: number;
}

/** Generate, build and run every case; returns the outputs of each. */
export async function runOnHost(cases: HostCase[], options: { keep?: boolean } = {}): Promise<HostResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-codegen-'));
  try {
    const kernelSources = new Set<string>();
    const prepared = cases.map((c, i) => {
      const plan = planMemory(c.graph, c.planOptions);
      const emitted = emitModel(c.graph, plan, { modelName: c.name, precision: 'float32', symbolPrefix: `m${i}` });
      for (const [path, text] of emitted.files) {
        // Kernels are shared by all models (compiled once); the header is also next to each model.c.
        const targets = path.startsWith('kernels/') ? [join(dir, path)] : [];
        if (!path.endsWith('.c') || !path.startsWith('kernels/')) targets.push(join(dir, `m${i}`, path));
        for (const target of targets) {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, text);
        }
      }
      for (const s of emitted.kernelSources) kernelSources.add(s);
      return { c, plan, emitted };
    });

    // Inputs back to back, in case order then graph input order.
    const chunks: Buffer[] = [];
    for (const { c } of prepared) {
      for (const name of c.graph.inputs) {
        const v = c.inputs[name];
        if (!v) throw new Error(`${c.name}: no value for input ${name}`);
        const data = v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>);
        chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      }
    }
    writeFileSync(join(dir, 'inputs.bin'), Buffer.concat(chunks));
    writeFileSync(join(dir, 'main.c'), mainSource(prepared.map(({ c }) => c)));

    const sources = [...prepared.map((_, i) => `m${i}/model.c`), ...kernelSources, 'main.c'];
    await compile(dir, sources);
    const run = await execa(join(dir, 'run'), [], { cwd: dir, reject: false });
    if (run.exitCode !== 0) throw new Error(`host run failed (${run.exitCode}): ${run.stderr}`);

    const out = readFileSync(join(dir, 'outputs.bin'));
    const status = new Int32Array(cases.length);
    let at = 0;
    const results: HostResult[] = [];
    prepared.forEach(({ c, plan, emitted }, i) => {
      status[i] = out.readInt32LE(at);
      at += 4;
      const outputs = c.graph.outputs.map((name) => {
        const n = sizeOf(c.graph.tensors.get(name)!.shape);
        const values = new Float32Array(n);
        for (let k = 0; k < n; k++) values[k] = out.readFloatLE(at + 4 * k);
        at += 4 * n;
        return values;
      });
      results.push({ name: c.name, plan, emitted, outputs, status: status[i]! });
    });
    return results;
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

/** Compile the sources in parallel, one object each, then link. */
async function compile(dir: string, sources: string[]): Promise<void> {
  const jobs = Math.max(1, cpus().length);
  const objects = sources.map((s) => s.replace(/[/.]/g, '_') + '.o');
  let next = 0;
  const worker = async () => {
    while (next < sources.length) {
      const i = next++;
      const r = await execa('gcc', [...HOST_CFLAGS, '-c', sources[i]!, '-o', objects[i]!], { cwd: dir, reject: false });
      if (r.exitCode !== 0) throw new Error(`gcc failed on ${sources[i]}:\n${r.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const link = await execa('gcc', [...objects, '-lm', '-o', 'run'], { cwd: dir, reject: false });
  if (link.exitCode !== 0) throw new Error(`link failed:\n${link.stderr}`);
}

function mainSource(cases: HostCase[]): string {
  const lines = ['#include <stdint.h>', '#include <stdio.h>', '#include <stdlib.h>', ''];
  cases.forEach((_case, i) => {
    lines.push(`int32_t m${i}_run(const void *const inputs[], void *const outputs[]);`);
  });
  lines.push(
    '',
    'static float *read_floats(FILE *f, size_t n)',
    '{',
    '    float *p = malloc(n * sizeof(float) + 16);',
    '    if (p == NULL || fread(p, sizeof(float), n, f) != n) { fprintf(stderr, "short input\\n"); exit(2); }',
    '    return p;',
    '}',
    '',
    'int main(void)',
    '{',
    '    FILE *in = fopen("inputs.bin", "rb");',
    '    FILE *out = fopen("outputs.bin", "wb");',
    '    if (in == NULL || out == NULL) { return 2; }',
  );
  cases.forEach((c, i) => {
    const inSizes = c.graph.inputs.map((n) => sizeOf(c.graph.tensors.get(n)!.shape));
    const outSizes = c.graph.outputs.map((n) => sizeOf(c.graph.tensors.get(n)!.shape));
    lines.push('    {');
    lines.push(`        const void *inputs[${Math.max(1, inSizes.length)}];`);
    lines.push(`        void *outputs[${Math.max(1, outSizes.length)}];`);
    inSizes.forEach((n, k) => lines.push(`        inputs[${k}] = read_floats(in, ${n}u);`));
    outSizes.forEach((n, k) => lines.push(`        outputs[${k}] = calloc(${n}u + 4u, sizeof(float));`));
    lines.push(`        int32_t status = m${i}_run(inputs, outputs);`);
    lines.push('        fwrite(&status, sizeof(status), 1, out);');
    outSizes.forEach((n, k) => lines.push(`        fwrite(outputs[${k}], sizeof(float), ${n}u, out);`));
    inSizes.forEach((_, k) => lines.push(`        free((void *)inputs[${k}]);`));
    outSizes.forEach((_, k) => lines.push(`        free(outputs[${k}]);`));
    lines.push('    }');
  });
  lines.push('    fclose(in);', '    return fclose(out) == 0 ? 0 : 3;', '}', '');
  return lines.join('\n');
}

/** Largest |a - r| and whether every element is within atol + rtol * |r| (NaN matches NaN). */
export function compareOutputs(
  actual: Float32Array,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): { ok: boolean; maxError: number; worstIndex: number } {
  let maxError = 0;
  let worstIndex = -1;
  let ok = actual.length === expected.length;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const a = actual[i]!;
    const r = Number(expected[i]);
    if (Number.isNaN(r) || Number.isNaN(a)) {
      if (Number.isNaN(r) !== Number.isNaN(a)) {
        ok = false;
        maxError = Infinity;
        worstIndex = i;
      }
      continue;
    }
    if (a === r) continue;
    const err = Math.abs(a - r);
    if (!(err <= atol + rtol * Math.abs(r))) ok = false;
    if (err > maxError || Number.isNaN(err)) {
      maxError = err;
      worstIndex = i;
    }
  }
  return { ok, maxError, worstIndex };
}

/** Seeded random float32 tensor in [lo, hi). */
export function randomValue(shape: number[], rand: () => number, lo = -1, hi = 1): Value {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rand();
  return { shape, dtype: 'float32', data };
}
