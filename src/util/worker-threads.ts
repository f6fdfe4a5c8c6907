// Worker threads of eennc's own modules (calibration, learned rounding, augment's head training): how one starts,
// compiled or from the TypeScript sources, and how an error crosses back to the main thread.

import { Worker } from 'node:worker_threads';
import { EennError } from '../ir/diagnostics.js';

/**
 * A worker thread running the module `module` (a URL without its extension, beside the caller in src/) with
 * `workerData.job` = `job`. Compiled (dist/), that is the module's JavaScript; run from the TypeScript sources (tsx,
 * vitest), the thread first registers tsx's loader through worker-bootstrap.mjs, which dist/ does not ship.
 */
export function startWorker(module: URL, job: unknown): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL(`${module.href}.js`), { workerData: { job } });
  return new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { workerData: { entry: `${module.href}.ts`, job } });
}

/** An error as a worker posts it: an EennError keeps its code and hint. */
export interface WorkerErrorInfo {
  code?: string;
  message: string;
  hint?: string;
}

/** `err`, thrown in a worker, as the message that carries it to the main thread. */
export function workerErrorInfo(err: unknown): WorkerErrorInfo {
  if (err instanceof EennError) return { code: err.code, message: err.message, hint: err.hint };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** The error a worker posted, rethrown on the main thread (an EennError again where it was one). */
export function errorFromWorker(info: WorkerErrorInfo): Error {
  return info.code ? new EennError({ code: info.code as EennError['code'], message: info.message, hint: info.hint }) : new Error(info.message);
}
