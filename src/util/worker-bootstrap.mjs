// Starts a worker thread on a TypeScript module: registers tsx's loader (as bin/eennc.js does for the CLI), then
// imports the module named in workerData.entry. The module reads its job from workerData.job.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
