// Runs ONNX backend test cases through the generated C: each case is compiled for the host target (float32
// build, every graph input fed at run time, the shapes of the first data set), linked with gcc, run on every data
// set's inputs, and its outputs compared with the expected ones. Shared by scripts/conformance.ts (--c) and
// test/conformance/generated-c.test.ts.

import { join } from 'node:path';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { loadModel } from '../../src/frontend/load.js';
import { decodeOutput, encodeInput } from '../../src/io-codec.js';
import { loadTarget } from '../../src/target/target.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { withTempDir } from '../../src/util/temp-dirs.js';
import { compareValues, readDataSets, toleranceFor, type ConformanceCase } from './harness.js';

export type COutcome =
  | { status: 'pass'; maxError: number }
  /** eennc refused the case with a clear error (code and first line of its message). */
  | { status: 'refused'; code: string; reason: string }
  /** The generated C ran and answered something else than the expected outputs. */
  | { status: 'wrong'; message: string }
  /** Anything that is neither: an internal error, a compiler error, a crash of the firmware. */
  | { status: 'crash'; message: string }
  /** The test data itself holds an element type the IR has no place for (float16, string...). */
  | { status: 'skip'; reason: string };

function firstLine(err: EennError): string {
  const node = err.node ? ` (${err.node.op} "${err.node.name}")` : '';
  return `${err.message.split('\n')[0]!}${node}`;
}

/**
 * Build and run one case through the generated C: on the host by default, or on an emulated `target` (QEMU).
 */
export async function runCaseThroughC(c: ConformanceCase, targetName = 'host'): Promise<COutcome> {
  const model = join(c.dir, 'model.onnx');
  let sets: ReturnType<typeof readDataSets>;
  let graph: Graph;
  try {
    graph = loadModel(model);
    sets = readDataSets(c.dir);
  } catch (err) {
    if (err instanceof EennError && err.code === 'E_UNSUPPORTED' && /element type/.test(err.message)) return { status: 'skip', reason: err.message };
    if (err instanceof EennError) return { status: 'refused', code: err.code, reason: firstLine(err) };
    return { status: 'crash', message: String(err) };
  }
  const byName = (inputs: (Value & { name: string })[]): Record<string, Value> => {
    const named: Record<string, Value> = {};
    inputs.forEach((value, i) => {
      const name = value.name && graph.inputs.includes(value.name) ? value.name : graph.inputs[i];
      if (name !== undefined) named[name] = value;
    });
    return named;
  };
  const first = byName(sets[0]!.inputs);
  const inputShapes = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.shape]));
  const { compileModel } = await import('../../src/compile.js');
  try {
    return await withTempDir('eennc-conformance-', async (dir) => {
      const compiled = await compileModel({
        model,
        target: targetName,
        precision: 'float32',
        outDir: join(dir, 'project'),
        inputShapes,
        link: true,
        optimization: '-O1',
      });
      const target = loadTarget(targetName);
      let worst = 0;
      for (const set of sets) {
        const inputs = byName(set.inputs);
        const parts: Uint8Array[] = [];
        for (const name of compiled.graph.inputs) {
          const value = inputs[name];
          const tensor = compiled.graph.tensors.get(name)!;
          if (!value) return { status: 'crash', message: `no test input for model input "${name}"` };
          if (value.shape.join() !== tensor.shape.join()) {
            return { status: 'refused', code: 'E_SHAPE', reason: `data sets with different input shapes ("${name}")` };
          }
          parts.push(encodeInput(tensor, value).bytes);
        }
        const total = parts.reduce((n, p) => n + p.length, 0);
        const bytes = new Uint8Array(Math.max(total, 1));
        let offset = 0;
        for (const p of parts) {
          bytes.set(p, offset);
          offset += p.length;
        }
        const run = await runFirmware(compiled.image!.elfPath, target, bytes, { samples: 1, timeoutMs: 60_000 });
        const out = run.outputs[0]!;
        let at = 0;
        for (let k = 0; k < set.expected.length; k++) {
          const name = compiled.graph.outputs[k];
          if (name === undefined) return { status: 'crash', message: `the compiled model has no output ${k}` };
          const tensor = compiled.graph.tensors.get(name)!;
          const n = compiled.outputBytes[k]!;
          const actual = { shape: tensor.shape, dtype: tensor.dtype, data: decodeOutput(tensor, out.slice(at, at + n)).raw };
          at += n;
          const check = compareValues(actual, set.expected[k]!, toleranceFor(c.name));
          worst = Math.max(worst, check.maxError);
          if (check.message) return { status: 'wrong', message: `${set.name}: output "${name}": ${check.message}` };
        }
      }
      return { status: 'pass', maxError: worst };
    });
  } catch (err) {
    if (err instanceof EennError && err.code !== 'E_RUN' && err.code !== 'E_TOOLCHAIN' && true) {
      return { status: 'refused', code: err.code, reason: firstLine(err) };
    }
    if (err instanceof EennError) return { status: 'crash', message: `${err.code}: ${firstLine(err)} ${(err.details ?? []).join(' | ')}` };
    return { status: 'crash', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) };
  }
}
