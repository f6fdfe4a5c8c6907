// One learned-rounding worker thread (src/optimize-rounding.ts): solves each layer it is sent and posts back the
// rounding, until the main thread ends it.

import { parentPort } from 'node:worker_threads';
import { workerErrorInfo } from './util/worker-threads.js';
import type { RoundingJob, RoundingWorkerMessage } from './optimize-rounding.js';
import { learnRounding } from './quantize/adaround.js';

const post = (message: RoundingWorkerMessage): void => parentPort!.postMessage(message);
parentPort!.on('message', (job: RoundingJob) => {
  try {
    post({ kind: 'done', index: job.index, result: learnRounding(job.problem) });
  } catch (err) {
    post({
      kind: 'error',
      error: workerErrorInfo(err),
    });
  }
});
