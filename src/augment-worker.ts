// One training thread of `eennc augment`: fits one exit head by softmax regression (src/exits/augment) and posts
// its weights back to augment.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { trainSoftmax } from './exits/augment/softmax-regression.js';
import type { TrainingJob, TrainingMessage } from './augment.js';

const job = (workerData as { job: TrainingJob }).job;
const post = (message: TrainingMessage): void => parentPort!.postMessage(message);
try {
  post({ kind: 'done', model: trainSoftmax(job.set, job.options) });
} catch (err) {
  post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}
