// Learned rounding of the weights (AdaRound, src/quantize/adaround.ts), step 3 of post-training quantization
// (src/post-training.ts): finds every Conv and fully connected layer with constant weights, samples its input rows
// from the float reference over the calibration samples, and learns each layer's rounding on a worker thread
// (src/optimize-rounding-worker.ts). Pipeline glue like calibration.ts: the float reference (frontend) and the
// quantize stage meet here. Layers are independent and each is solved whole by one thread with a fixed seed, so
// the weights do not depend on how many threads ran.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { errorFromWorker, startWorker, type WorkerErrorInfo } from './util/worker-threads.js';
import { runReference } from './frontend/index.js';
import { EennError, nodeError } from './ir/diagnostics.js';
import type { Graph, Node } from './ir/graph.js';
import { attrInt } from './ops/attrs.js';
import { forwardWindow, to2d, type Window2d } from './ops/spatial.js';
import type { Value } from './ops/types.js';
import { learnRounding, type RoundingProblem, type RoundingResult } from './quantize/adaround.js';
import type { Range } from './quantize/calibrate.js';
import { quantizeWeightsPerChannel, type PerChannelWeights } from './quantize/quant-params.js';
import { countSteps, type ProgressListener } from './util/progress.js';
import { seededRandom } from './util/random.js';
import { feedsOf, type InputSample } from './data/model-inputs.js';

export interface RoundingOptions {
  onProgress?: ProgressListener;
  /** Weights the model quantized itself: kept as they are. */
  keep: ReadonlyMap<string, PerChannelWeights>;
  /** Worker threads; default one per core. */
  workers?: number;
}

/**
 * Input rows (im2col rows of a Conv, input rows of a fully connected layer) sampled per layer: enough to measure
 * the output error of every rounding decision, few enough to keep the layer inputs small (a Conv of 28x28 outputs
 * over 1000 samples has 784 000 rows).
 */
export const MAX_ROWS_PER_LAYER = 2048;
/** Seed of the row sampling: the same calibration set gives the same rows, hence the same weights. */
const SAMPLING_SEED = 0xada;

/** A message from a rounding worker: one layer's result, or why it failed. */
export type RoundingWorkerMessage = { kind: 'done'; index: number; result: RoundingResult } | { kind: 'error'; error: WorkerErrorInfo };

/** A message to a rounding worker: one layer to solve. */
export interface RoundingJob {
  index: number;
  problem: RoundingProblem;
}

/** A layer whose rounding is learned: its rounding problem and how its rows are cut. */
export interface RoundingLayer {
  node: Node;
  /** The weight tensor, the key of the result. */
  weight: string;
  /** The float activation the layer reads. */
  input: string;
  problem: RoundingProblem;
  /** Conv: the window its im2col rows walk; absent for a fully connected layer (the input's last axis is a row). */
  window?: Window2d;
  /** Input rows of one sample. */
  rowsPerSample: number;
  /** The chosen rows over all samples (sample * rowsPerSample + row), ascending, and how many are filled. */
  chosen: Int32Array;
  filled: number;
  /** The learned [channels, fanIn] weights laid out as the weight tensor is (a [K, N] matrix: axis 1). */
  toTensor: (q: Int8Array) => PerChannelWeights;
}

/** The int8 weights of every Conv and Gemm, rounded to minimise each layer's output error on `samples`. */
export async function optimizeRounding(
  graph: Graph,
  samples: readonly InputSample[],
  ranges: ReadonlyMap<string, Range>,
  options: RoundingOptions,
): Promise<{ weights: Map<string, PerChannelWeights>; notes: string[] }> {
  void ranges; // the output error is measured in float: the activation ranges do not enter it
  const layers = roundingLayers(graph, samples, options.keep);
  if (layers.length === 0) return { weights: new Map(), notes: ['int8: learned rounding found no Conv or Gemm with constant weights'] };
  const progress = countSteps(options.onProgress, 'optimizing rounding', 'layers');
  let results: RoundingResult[];
  try {
    const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), layers.length));
    const problems = layers.map((layer) => layer.problem);
    const onLayer = (done: number): void => progress(done, layers.length);
    results =
      workers === 1
        ? problems.map((problem, i) => {
            const result = learnRounding(problem);
            onLayer(i + 1);
            return result;
          })
        : await solveInWorkers(problems, workers, onLayer);
  } catch (err) {
    progress.stop();
    throw err;
  }
  const weights = new Map<string, PerChannelWeights>();
  let reduction = 0;
  layers.forEach((layer, i) => {
    const { q, nearestError, learnedError } = results[i]!;
    weights.set(layer.weight, layer.toTensor(q));
    reduction += nearestError > 0 ? 1 - learnedError / nearestError : 0;
  });
  const percent = Math.round((100 * reduction) / layers.length);
  const count = `${layers.length} layer${layers.length === 1 ? '' : 's'}`;
  return { weights, notes: [`int8: learned rounding of ${count} (output error ${percent}% below nearest rounding on average)`] };
}

/**
 * Every Conv (1-D or 2-D), Gemm and MatMul of `graph` with constant float weights, neither in `keep` nor shared,
 * with its input rows sampled from the float reference's runs of `samples`.
 */
export function roundingLayers(graph: Graph, samples: readonly InputSample[], keep: ReadonlyMap<string, PerChannelWeights>): RoundingLayer[] {
  const layers = findLayers(graph, keep);
  if (layers.length > 0) sampleInputs(graph, samples, layers);
  return layers;
}

/** Every Conv (1-D or 2-D), Gemm and MatMul with constant float weights, not kept and not shared. */
function findLayers(graph: Graph, keep: ReadonlyMap<string, PerChannelWeights>): RoundingLayer[] {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const name of node.inputs) readers.set(name, (readers.get(name) ?? 0) + 1);
  const layers: RoundingLayer[] = [];
  for (const node of graph.nodes) {
    const [input, weight] = node.inputs;
    if (input === undefined || weight === undefined) continue;
    const w = graph.tensors.get(weight);
    const x = graph.tensors.get(input);
    if (!w?.data || w.dtype !== 'float32' || !x || x.data || x.dtype !== 'float32') continue;
    if (keep.has(weight) || readers.get(weight) !== 1) continue;
    const layer =
      node.op === 'Conv' ? convLayer(node, x.shape, w.shape, w.data as Float32Array) : denseLayer(node, x.shape, w.shape, w.data as Float32Array);
    if (layer) layers.push(layer);
  }
  return layers;
}

/** A Conv layer: its weights [M, C/group, kH, kW] are already [channels, fanIn] rows. */
function convLayer(node: Node, inShape: readonly number[], wShape: readonly number[], data: Float32Array): RoundingLayer | undefined {
  const spatial = inShape.length - 2;
  if (spatial < 1 || spatial > 2 || wShape.length !== inShape.length) return undefined;
  const groups = attrInt(node, 'group', 1);
  const channels = wShape[0]!;
  const fanIn = data.length / channels;
  const window = to2d(forwardWindow(node, inShape.slice(2), wShape.slice(2)));
  const { scales, q } = perChannel(node, node.inputs[1]!, data, [channels, fanIn]);
  return {
    ...emptyLayer(node, { weights: data, scales, nearest: q, channels, fanIn, groups }),
    window,
    rowsPerSample: inShape[0]! * window.outH * window.outW,
    toTensor: (learned) => ({ q: learned, scales, axis: 0 }),
  };
}

/**
 * A fully connected layer: Gemm (transA 0, alpha 1: the int8 rewrite takes no weights of its own otherwise) or
 * MatMul with a constant 2-D weight, as the [N, K] rows the int8 rewrite quantizes (src/quantize/rewrite/gemm.ts).
 */
function denseLayer(node: Node, inShape: readonly number[], wShape: readonly number[], data: Float32Array): RoundingLayer | undefined {
  if (wShape.length !== 2 || inShape.length < 1) return undefined;
  let transposed: boolean;
  if (node.op === 'Gemm') {
    const alpha = node.attrs['alpha'];
    if (attrInt(node, 'transA', 0) !== 0 || (alpha !== undefined && alpha !== 1)) return undefined;
    transposed = attrInt(node, 'transB', 0) === 0;
  } else if (node.op === 'MatMul') transposed = true;
  else return undefined;
  const [rows, cols] = wShape as [number, number];
  const n = transposed ? cols : rows;
  const k = transposed ? rows : cols;
  if (inShape[inShape.length - 1] !== k) return undefined;
  const weights = transposed ? transpose(data, k, n) : data;
  const { scales, q } = perChannel(node, node.inputs[1]!, weights, [n, k]);
  return {
    ...emptyLayer(node, { weights, scales, nearest: q, channels: n, fanIn: k, groups: 1 }),
    rowsPerSample: inShape.slice(0, -1).reduce((a, b) => a * b, 1),
    toTensor: (learned) => (transposed ? { q: transpose(learned, n, k), scales, axis: 1 } : { q: learned, scales, axis: 0 }),
  };
}

function emptyLayer(
  node: Node,
  problem: Omit<RoundingProblem, 'inputs' | 'rows'>,
): Pick<RoundingLayer, 'node' | 'weight' | 'input' | 'problem' | 'chosen' | 'filled'> {
  return {
    node,
    weight: node.inputs[1]!,
    input: node.inputs[0]!,
    problem: { ...problem, inputs: new Float32Array(0), rows: 0 },
    chosen: new Int32Array(0),
    filled: 0,
  };
}

/** The [rows, cols] matrix `data` transposed to [cols, rows]. */
function transpose<T extends Float32Array | Int8Array>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** The scales and nearest rounding the int8 rewrite would give these [channels, fanIn] weights. */
function perChannel(node: Node, name: string, weights: Float32Array, shape: number[]): PerChannelWeights {
  try {
    return quantizeWeightsPerChannel(weights, shape, 0, name);
  } catch (err) {
    if (err instanceof EennError) throw nodeError('E_DATA', node, err.message, err.hint);
    throw err;
  }
}

/**
 * Choose each layer's rows (at most MAX_ROWS_PER_LAYER, uniformly over all samples' rows, by Floyd's algorithm with
 * a fixed seed) and copy them from the float reference's run of each sample.
 */
function sampleInputs(graph: Graph, samples: readonly InputSample[], layers: RoundingLayer[]): void {
  const byInput = new Map<string, RoundingLayer[]>();
  for (const layer of layers) {
    const total = samples.length * layer.rowsPerSample;
    const count = Math.min(MAX_ROWS_PER_LAYER, total);
    const random = seededRandom(SAMPLING_SEED);
    const picked = new Set<number>();
    for (let j = total - count; j < total; j++) {
      const t = Math.floor(random() * (j + 1));
      picked.add(picked.has(t) ? j : t);
    }
    layer.chosen = Int32Array.from(picked).sort();
    const { groups, fanIn } = layer.problem;
    layer.problem = { ...layer.problem, inputs: new Float32Array(count * groups * fanIn), rows: count };
    byInput.set(layer.input, [...(byInput.get(layer.input) ?? []), layer]);
  }
  samples.forEach((sample, s) => {
    const onTensor = (name: string, value: Value): void => {
      for (const layer of byInput.get(name) ?? []) copyRows(layer, s, value.data as Float32Array);
    };
    runReference(graph, feedsOf(graph, sample), { onTensor });
  });
}

/** Copy the chosen rows of sample `s` from the layer's input `data` (NCHW or NCL for a Conv; [..., K] otherwise). */
function copyRows(layer: RoundingLayer, s: number, data: Float32Array): void {
  const { groups, fanIn, inputs } = layer.problem;
  const end = (s + 1) * layer.rowsPerSample;
  for (; layer.filled < layer.chosen.length && layer.chosen[layer.filled]! < end; layer.filled++) {
    const row = layer.chosen[layer.filled]! - s * layer.rowsPerSample;
    const out = layer.filled * groups * fanIn;
    const window = layer.window;
    if (!window) {
      inputs.set(data.subarray(row * fanIn, (row + 1) * fanIn), out);
      continue;
    }
    const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = window;
    const n = Math.floor(row / (outH * outW));
    const oy = Math.floor(row / outW) % outH;
    const ox = row % outW;
    const channelsPerGroup = fanIn / (kH * kW);
    let o = out;
    for (let c = 0; c < groups * channelsPerGroup; c++) {
      const plane = (n * groups * channelsPerGroup + c) * inH * inW;
      for (let ky = 0; ky < kH; ky++) {
        const iy = oy * sH - padTop + ky * dH;
        for (let kx = 0; kx < kW; kx++, o++) {
          const ix = ox * sW - padLeft + kx * dW;
          inputs[o] = iy >= 0 && iy < inH && ix >= 0 && ix < inW ? data[plane + iy * inW + ix]! : 0;
        }
      }
    }
  }
}

/** Solve the problems on `count` worker threads, each taking the next layer when it is done; results in order. */
async function solveInWorkers(problems: RoundingProblem[], count: number, onLayer: (done: number) => void): Promise<RoundingResult[]> {
  const results = new Array<RoundingResult>(problems.length);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const worker = startWorker(new URL('./optimize-rounding-worker', import.meta.url), undefined);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const send = (): void => {
            if (next >= problems.length) return resolve();
            const job: RoundingJob = { index: next, problem: problems[next]! };
            next++;
            worker.postMessage(job);
          };
          worker.on('message', (message: RoundingWorkerMessage) => {
            if (message.kind === 'done') {
              results[message.index] = message.result;
              onLayer(++done);
              send();
            } else {
              reject(errorFromWorker(message.error));
            }
          });
          worker.on('error', reject);
          worker.on('exit', (code) => reject(new Error(`internal: rounding worker exited with code ${code}`)));
          send();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}
