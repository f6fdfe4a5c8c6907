// Calibration: runs the float reference (frontend) over calibration samples and feeds every activation to a range
// observer (quantize). Pipeline glue like compile.ts: the two stages meet here, not in each other.
// Large calibration sets are split over worker threads; observers merge exactly (see calibrate.ts), so the ranges
// do not depend on how many threads ran.

import { availableParallelism } from 'node:os';
import { errorFromWorker, startWorker, type WorkerErrorInfo } from './util/worker-threads.js';
import { runReference } from './frontend/index.js';
import { EennError } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import type { Value } from './ops/types.js';
import {
  CALIBRATION_METHODS,
  MethodsObserver,
  createObserver,
  type ObserverOptions,
  type ObserverState,
  type Range,
  type RangeObserver,
} from './quantize/calibrate.js';
import { fixedOutputQuant } from './quantize/fixed-ranges.js';
import { chooseMethod, type MethodChoice } from './quantize/method-choice.js';
import { feedsOf, type InputSample } from './data/model-inputs.js';

export interface CalibrationOptions extends ObserverOptions {
  /** Called after each sample with (done, total), for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Worker threads to use; default: one per core when there are enough samples to pay for starting them. */
  workers?: number;
}

/** Below this many samples per thread, starting workers costs more than it saves. */
const MIN_SAMPLES_PER_WORKER = 48;

/** Message a calibration worker posts: progress after each sample, then its observers' states. */
export type WorkerMessage =
  { kind: 'progress'; done: number } | { kind: 'done'; states: [string, ObserverState][] } | { kind: 'error'; error: WorkerErrorInfo };

export interface WorkerJob {
  graph: Graph;
  samples: InputSample[];
  options: ObserverOptions;
}

/**
 * The real range of every float activation of `graph` (its inputs included) over `samples` (one Float32Array per
 * sample, of the single model input's shape).
 */
export async function calibrate(graph: Graph, samples: readonly InputSample[], options: CalibrationOptions): Promise<Map<string, Range>> {
  const observers = await observeAll(graph, samples, options);
  const ranges = new Map<string, Range>();
  for (const [name, observer] of observers) ranges.set(name, observer.range());
  return ranges;
}

/** Which calibration method suits each activation, from one pass that keeps what every method needs. */
export interface MethodComparison {
  /** The tensors whose range comes from calibration, in the order the float reference wrote them. */
  choices: MethodChoice[];
  /** Tensors whose range is the same whatever the method (a Sigmoid or Relu6 output, a scale the model states). */
  fixed: string[];
}

/**
 * Calibrate `graph` over `samples` once with every method (`options.method` being the one the build used) and say,
 * for each activation, which method's range expects the least int8 error (src/quantize/method-choice.ts).
 * `stated`: tensors whose scale the model states itself (they take no calibrated range).
 */
export async function compareCalibrationMethods(
  graph: Graph,
  samples: readonly InputSample[],
  options: CalibrationOptions,
  stated: ReadonlySet<string> = new Set(),
): Promise<MethodComparison> {
  const observers = await observeAll(graph, samples, { ...options, compareMethods: true });
  const producers = new Map(graph.nodes.flatMap((node) => node.outputs.map((output) => [output, node] as const)));
  const comparison: MethodComparison = { choices: [], fixed: [] };
  for (const [name, observer] of observers) {
    if (!(observer instanceof MethodsObserver)) throw new Error(`internal: tensor "${name}" was observed for one method only`);
    const choice = chooseMethod(observer, options.method);
    const producer = producers.get(name);
    const quants = producer && CALIBRATION_METHODS.map((method) => fixedOutputQuant(graph, producer, choice.ranges[method]));
    const sameForAll = quants?.every((q) => q && q.scale === quants[0]!.scale && q.zeroPoint === quants[0]!.zeroPoint);
    if (stated.has(name) || sameForAll) comparison.fixed.push(name);
    else comparison.choices.push(choice);
  }
  return comparison;
}

/** Observe every float activation of `graph` over `samples`, in this thread or split over worker threads. */
async function observeAll(graph: Graph, samples: readonly InputSample[], options: CalibrationOptions): Promise<Map<string, RangeObserver>> {
  checkCalibration(graph, samples);
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.floor(samples.length / MIN_SAMPLES_PER_WORKER)));
  return workers === 1
    ? observeSamples(graph, samples, options, (done) => options.onProgress?.(done, samples.length))
    : await observeInWorkers(graph, samples, options, workers);
}

function checkCalibration(graph: Graph, samples: readonly InputSample[]): void {
  if (samples.length === 0) {
    throw new EennError({ code: 'E_DATA', message: 'the calibration set is empty', hint: 'give calibration samples with --calib' });
  }
  if (graph.inputs.length !== 1 && samples.some((s) => s instanceof Float32Array)) {
    throw new Error(`internal: calibration samples of one Float32Array for the ${graph.inputs.length} inputs of ${graph.name}`);
  }
}

/** Run the float reference on each sample and observe every float activation (in this thread). */
export function observeSamples(
  graph: Graph,
  samples: readonly InputSample[],
  options: ObserverOptions,
  onSample?: (done: number) => void,
): Map<string, RangeObserver> {
  const observers = new Map<string, RangeObserver>();
  const observe = (name: string, value: Value): void => {
    if (value.dtype !== 'float32' || graph.tensors.get(name)?.data) return;
    let observer = observers.get(name);
    if (!observer) {
      observer = createObserver(name, options);
      observers.set(name, observer);
    }
    observer.observe(value.data as Float32Array);
  };
  samples.forEach((sample, i) => {
    runReference(graph, feedsOf(graph, sample), { onTensor: observe });
    onSample?.(i + 1);
  });
  return observers;
}

/** Split the samples over `count` worker threads and merge what they observed, in sample order. */
async function observeInWorkers(
  graph: Graph,
  samples: readonly InputSample[],
  options: CalibrationOptions,
  count: number,
): Promise<Map<string, RangeObserver>> {
  const observerOptions: ObserverOptions = {
    method: options.method,
    percentile: options.percentile,
    bins: options.bins,
    quantizedBins: options.quantizedBins,
    compareMethods: options.compareMethods,
  };
  const chunk = Math.ceil(samples.length / count);
  const progress = new Array<number>(count).fill(0);
  const results = await Promise.all(
    Array.from({ length: count }, (_, w) => {
      const job: WorkerJob = { graph, samples: samples.slice(w * chunk, (w + 1) * chunk), options: observerOptions };
      return runWorker(job, (done) => {
        progress[w] = done;
        options.onProgress?.(
          progress.reduce((a, b) => a + b, 0),
          samples.length,
        );
      });
    }),
  );
  const observers = new Map<string, RangeObserver>();
  for (const states of results) {
    for (const [name, state] of states) {
      let observer = observers.get(name);
      if (!observer) {
        observer = createObserver(name, observerOptions);
        observers.set(name, observer);
      }
      observer.merge(state);
    }
  }
  return observers;
}

function runWorker(job: WorkerJob, onProgress: (done: number) => void): Promise<[string, ObserverState][]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL('./calibration-worker', import.meta.url), job);
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'progress') onProgress(message.done);
      else if (message.kind === 'done') {
        settled = true;
        resolve(message.states);
        void worker.terminate();
      } else {
        settled = true;
        const e = message.error;
        reject(errorFromWorker(e));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`internal: calibration worker exited with code ${code}`));
      }
    });
  });
}
