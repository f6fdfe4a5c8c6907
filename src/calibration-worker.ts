// One calibration worker thread: observes its share of the calibration samples (calibration.ts) and posts back
// progress and its observers' states.

import { parentPort, workerData } from 'node:worker_threads';
import { observeSamples, type WorkerJob, type WorkerMessage } from './calibration.js';
import { workerErrorInfo } from './util/worker-threads.js';

const job = (workerData as { job: WorkerJob }).job;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);
try {
  const observers = observeSamples(job.graph, job.samples, job.options, (done) => post({ kind: 'progress', done }));
  post({ kind: 'done', states: [...observers].map(([name, observer]) => [name, observer.state()]) });
} catch (err) {
  post({
    kind: 'error',
    error: workerErrorInfo(err),
  });
}
