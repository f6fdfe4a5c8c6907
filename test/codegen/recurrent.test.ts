// LSTM, GRU and RNN through the generated C: every attribute and optional input/output of the recurrent cases
// (test/ops/recurrent-models.ts) on the host, and the streaming keyword spotter of examples/streaming-kws (LSTM
// state as model inputs and outputs) on the host and on the Cortex-M4 in QEMU, chunk after chunk, each call fed
// the state the previous one returned, every call compared with the float reference; a GRU streamed the same way on
// the host computes what it computes on the whole sequence. Then the refusals.
//
// Tolerance 1e-5 relative (plus 1e-6 absolute for values near 0): the reference sums in float64, the kernels in
// float32 (with fused multiply-adds on the Cortex-M4F), and libm's expf/tanhf are within an ulp or two.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { readNpy, writeNpy } from '../../src/data/index.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { loadTarget } from '../../src/target/target.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { RECURRENT_CASES } from '../ops/recurrent-models.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';
import { compareOutputs, runOnHost, type HostResult } from './host-run.js';

const RTOL = 1e-5;
const ATOL = 1e-6;

const work = mkdtempSync(join(tmpdir(), 'eenn-recurrent-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('recurrent layers through the generated C (host gcc)', () => {
  let results: Map<string, HostResult>;
  beforeAll(async () => {
    results = new Map((await runOnHost(RECURRENT_CASES.map((c) => ({ name: c.name, graph: c.graph, inputs: c.inputs })))).map((r) => [r.name, r]));
  }, 120_000);

  for (const c of RECURRENT_CASES) {
    it(c.name, () => {
      const result = results.get(c.name)!;
      expect(result.status).toBe(0);
      const expected = runReference(c.graph, c.inputs);
      c.graph.outputs.forEach((name, i) => {
        const check = compareOutputs(result.outputs[i]!, expected[name]!.data as ArrayLike<number>, RTOL, ATOL);
        expect(check.ok, `output "${name}": max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
      });
    });
  }

  it('leaves Y unwritten when nothing reads it', () => {
    const modelC = results.get('lstm_runtime_weights_y_c_only')!.emitted.files.get('model.c')!;
    expect(modelC).toMatch(/\/\* output +\*\/ NULL,/);
    expect(modelC).toMatch(/\/\* output_h +\*\/ NULL,/);
  });
});

// ---------------------------------------------------------------- streaming: the state goes out and comes back

const EXAMPLE = 'examples/streaming-kws';
const MODEL = join(EXAMPLE, 'streaming_kws.onnx');
const HIDDEN = 24;

/** The clips of the example, each a list of chunks [8, 1, 16], and PyTorch's probabilities after each chunk. */
function exampleStream(): { chunks: Float32Array[][]; expected: Float32Array[][] } {
  const stream = readNpy(join(EXAMPLE, 'stream.npy'));
  const expected = readNpy(join(EXAMPLE, 'expected.npy'));
  const [clips, perClip, ...chunkShape] = stream.shape as [number, number, ...number[]];
  const chunkSize = chunkShape.reduce((a, b) => a * b, 1);
  const classes = expected.shape[2]!;
  const data = Float32Array.from(stream.data as ArrayLike<number>);
  const probs = Float32Array.from(expected.data as ArrayLike<number>);
  return {
    chunks: Array.from({ length: clips }, (_, c) =>
      Array.from({ length: perClip }, (_, k) => data.slice((c * perClip + k) * chunkSize, (c * perClip + k + 1) * chunkSize)),
    ),
    expected: Array.from({ length: clips }, (_, c) =>
      Array.from({ length: perClip }, (_, k) => probs.slice((c * perClip + k) * classes, (c * perClip + k + 1) * classes)),
    ),
  };
}

/** One call's inputs back to back as the firmware reads them: features, h_in, c_in. */
function callBytes(features: Float32Array, h: Float32Array, c: Float32Array): Uint8Array {
  const all = new Float32Array(features.length + h.length + c.length);
  all.set(features, 0);
  all.set(h, features.length);
  all.set(c, features.length + h.length);
  return new Uint8Array(all.buffer);
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, what: string, rtol = RTOL, atol = ATOL): void {
  const check = compareOutputs(actual, expected, rtol, atol);
  expect(check.ok, `${what}: max error ${check.maxError} at ${check.worstIndex}`).toBe(true);
}

/**
 * Streams every clip through the firmware built for `targetName`: call k of every clip runs in one firmware run
 * (one sample per clip), fed the state call k - 1 returned; each call's outputs are checked against the reference
 * on the same inputs, and the probabilities against PyTorch's.
 */
/** The example built for a target once per file. */
const builds = new Map<string, ReturnType<typeof compileModel>>();
function buildFor(targetName: string): ReturnType<typeof compileModel> {
  let build = builds.get(targetName);
  if (!build) {
    build = compileModel({ model: MODEL, target: targetName, precision: 'float32', outDir: join(work, targetName), link: true, force: true });
    builds.set(targetName, build);
  }
  return build;
}

async function streamThrough(targetName: string): Promise<void> {
  const { graph } = importModel(MODEL);
  const compiled = await buildFor(targetName);
  expect(compiled.graph.inputs).toEqual(['features', 'h_in', 'c_in']);
  expect(compiled.graph.outputs).toEqual(['probs', 'h_out', 'c_out']);
  const target = loadTarget(targetName);
  const { chunks, expected } = exampleStream();
  const state = chunks.map(() => ({ h: new Float32Array(HIDDEN), c: new Float32Array(HIDDEN) }));
  for (let k = 0; k < chunks[0]!.length; k++) {
    const parts = chunks.map((clip, i) => callBytes(clip[k]!, state[i]!.h, state[i]!.c));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    const run = await runFirmware(compiled.image!.elfPath, target, bytes, { samples: chunks.length, timeoutMs: 60_000 });
    chunks.forEach((clip, i) => {
      const out = new Float32Array(Uint8Array.from(run.outputs[i]!).buffer);
      const [probs, h, c] = [out.slice(0, 3), out.slice(3, 3 + HIDDEN), out.slice(3 + HIDDEN, 3 + 2 * HIDDEN)];
      const inputs: Record<string, Value> = {
        features: { shape: [8, 1, 16], dtype: 'float32', data: clip[k]! },
        h_in: { shape: [1, 1, HIDDEN], dtype: 'float32', data: state[i]!.h },
        c_in: { shape: [1, 1, HIDDEN], dtype: 'float32', data: state[i]!.c },
      };
      const reference = runReference(graph, inputs);
      const what = `${targetName}, clip ${i}, chunk ${k}`;
      expectClose(probs, reference['probs']!.data as ArrayLike<number>, `${what}: probs`);
      expectClose(h, reference['h_out']!.data as ArrayLike<number>, `${what}: h_out`);
      expectClose(c, reference['c_out']!.data as ArrayLike<number>, `${what}: c_out`);
      expectClose(probs, expected[i]![k]!, `${what}: probs against PyTorch`, 1e-4, 1e-5);
      state[i] = { h, c };
    });
  }
  // The clips end on their own class: noise, the rising ridge, the falling ridge.
  state.forEach((_, i) => {
    const last = expected[i]![expected[i]!.length - 1]!;
    expect(last.indexOf(Math.max(...last))).toBe(i);
  });
}

describe('streaming keyword spotter: LSTM state in and out (examples/streaming-kws)', () => {
  it('is small', () => {
    const { graph } = importModel(MODEL);
    const lstm = graph.nodes.filter((n) => n.op === 'LSTM');
    expect(lstm).toHaveLength(1);
    expect(lstm[0]!.inputs.slice(5)).toEqual(['h_in', 'c_in']);
    const bytes = [...graph.tensors.values()].reduce((n, t) => n + (t.data ? t.data.length * 4 : 0), 0);
    expect(bytes).toBeLessThan(100_000);
  });

  it('streams on the host, each call fed the state the previous one returned', async () => {
    await streamThrough('host');
  }, 120_000);

  it('streams on the Cortex-M4 (QEMU)', async () => {
    await streamThrough('cortex-m4');
  }, 240_000);

  it('keeps nothing between calls: the same inputs twice give the same outputs twice', async () => {
    const compiled = await buildFor('host');
    const { chunks } = exampleStream();
    const h = Float32Array.from({ length: HIDDEN }, (_, j) => Math.sin(j) * 0.5);
    const c = Float32Array.from({ length: HIDDEN }, (_, j) => Math.cos(j) * 0.5);
    const once = callBytes(chunks[1]![1]!, h, c);
    const bytes = new Uint8Array(once.length * 3);
    bytes.set(once, 0);
    bytes.set(callBytes(chunks[2]![3]!, new Float32Array(HIDDEN), new Float32Array(HIDDEN)), once.length);
    bytes.set(once, 2 * once.length);
    const run = await runFirmware(compiled.image!.elfPath, loadTarget('host'), bytes, { samples: 3, timeoutMs: 60_000 });
    expect(Array.from(run.outputs[2]!)).toEqual(Array.from(run.outputs[0]!));
    expect(Array.from(run.outputs[1]!)).not.toEqual(Array.from(run.outputs[0]!));
  }, 120_000);
});

describe('streaming GRU: state in and out (host)', () => {
  it('three chunks, each fed the Y_h the previous call returned, equal the reference on the whole sequence', async () => {
    // X [4, 1, 3] chunks and h [1, 1, 5] in; Y_h out (the next call's h) and Y for the frames of this chunk.
    const rand = seededRandom(77);
    const floats = (n: number, scale = 0.6) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
    const [hidden, input, chunk] = [5, 3, 4];
    const w = floats(3 * hidden * input);
    const r = floats(3 * hidden * hidden);
    const bias = floats(6 * hidden, 0.3);
    const gruGraph = (seq: number): Graph => {
      const b = new GraphBuilder(`gru_stream_${seq}`, 14);
      b.input('x', [seq, 1, input]);
      b.input('h', [1, 1, hidden]);
      const [y, yH] = b.node(
        'GRU',
        [
          'x',
          b.constant('W', [1, 3 * hidden, input], w),
          b.constant('R', [1, 3 * hidden, hidden], r),
          b.constant('B', [1, 6 * hidden], bias),
          '',
          'h',
        ],
        { hidden_size: hidden, linear_before_reset: 1 },
        2,
      );
      return b.output(y!).output(yH!).build();
    };
    const graph = gruGraph(chunk);
    const model = join(work, 'gru_stream.onnx');
    writeFileSync(model, encodeGraph(graph));
    const compiled = await compileModel({ model, target: 'host', precision: 'float32', outDir: join(work, 'gru-stream'), link: true, force: true });
    const frames = floats(3 * chunk * input, 1);
    let h = new Float32Array(hidden);
    const ys: Float32Array[] = [];
    for (let k = 0; k < 3; k++) {
      const all = new Float32Array(chunk * input + hidden);
      all.set(frames.subarray(k * chunk * input, (k + 1) * chunk * input));
      all.set(h, chunk * input);
      const run = await runFirmware(compiled.image!.elfPath, loadTarget('host'), new Uint8Array(all.buffer), { samples: 1, timeoutMs: 60_000 });
      const out = new Float32Array(Uint8Array.from(run.outputs[0]!).buffer);
      ys.push(out.slice(0, chunk * hidden));
      h = out.slice(chunk * hidden);
    }
    const whole = runReference(gruGraph(3 * chunk), {
      x: { shape: [3 * chunk, 1, input], dtype: 'float32', data: frames },
      h: { shape: [1, 1, hidden], dtype: 'float32', data: new Float32Array(hidden) },
    });
    const [yName, yHName] = gruGraph(3 * chunk).outputs;
    const y = new Float32Array(3 * chunk * hidden);
    ys.forEach((part, k) => y.set(part, k * chunk * hidden));
    expectClose(y, whole[yName!]!.data as ArrayLike<number>, 'Y of the three chunks');
    expectClose(h, whole[yHName!]!.data as ArrayLike<number>, 'the last Y_h');
  }, 120_000);
});

// ---------------------------------------------------------------- refusals

describe('recurrent layers that are refused', () => {
  async function compileError(graph: Graph, calibrate: boolean): Promise<EennError> {
    const model = join(work, `${graph.name}.onnx`);
    writeFileSync(model, encodeGraph(graph));
    let calibration;
    if (calibrate) {
      const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
      const path = join(work, `${graph.name}_calib.npy`);
      const size = shape.reduce((a, b) => a * b, 1);
      writeNpy(
        path,
        [4, ...shape],
        Float32Array.from({ length: 4 * size }, (_, i) => Math.sin(i)),
      );
      calibration = { path, method: 'minmax' as const };
    }
    try {
      await compileModel({
        model,
        target: 'host',
        precision: calibrate ? 'int8' : 'float32',
        outDir: join(work, `${graph.name}-out`),
        force: true,
        ...(calibration ? { calibration } : {}),
      });
    } catch (err) {
      if (err instanceof EennError) return err;
      throw err;
    }
    throw new Error('expected an error');
  }

  it('an int8 build names the GRU node and suggests --precision float32', async () => {
    const gru = RECURRENT_CASES.find((c) => c.name === 'gru_reverse_sequence_lens_clip')!;
    const err = await compileError(gru.graph, true);
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.details?.join('\n')).toContain('node "gru_reverse_sequence_lens_clip" (GRU)');
    expect(err.hint).toContain('--precision float32');
  }, 60_000);

  it('an int8 build names the LSTM node too', async () => {
    const lstm = RECURRENT_CASES.find((c) => c.name === 'lstm_reverse_clip_input_forget')!;
    const err = await compileError(lstm.graph, true);
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.details?.join('\n')).toContain('(LSTM)');
    expect(err.hint).toContain('--precision float32');
  }, 60_000);
});
