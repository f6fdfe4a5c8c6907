// Starts a worker thread on a TypeScript module when eennc runs from its sources (compiled, dist/ starts workers on
// their JavaScript directly): registers tsx's loader, then imports the module named in workerData.entry. The
// module reads its job from workerData.job.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
