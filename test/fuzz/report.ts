// Running many fuzz cases a few at a time, and saying what went wrong: each failure with its case, the command
// that repeats it and every problem; a summary of the failures grouped by cause.

import { quote, type CaseResult, type FuzzCase } from './sandbox.js';

/** Run `task` over `items` with at most `jobs` at once; results in the order of `items`. */
export async function inPool<T, R>(items: readonly T[], jobs: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/** A limiter shared by concurrent tests: at most `jobs` callbacks run at once. */
export function limiter(jobs: number): <R>(task: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= jobs) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** How to repeat one case with the fuzz script (which keeps its sandbox and prints the command). */
export function replay(c: FuzzCase): string {
  return `npm run fuzz -- ${c.replay ?? quote(`--only=${c.name}`)} --keep`;
}

export function formatFailure(r: CaseResult): string {
  return [
    `FAIL [${r.fuzzCase.group}] ${r.fuzzCase.name}`,
    `  command: ${r.command}`,
    `  replay:  ${replay(r.fuzzCase)}`,
    ...r.problems.map((p) => `  - ${p}`),
    ...(r.stderrHead.trim() === ''
      ? []
      : [
          '  stderr:',
          ...r.stderrHead
            .trimEnd()
            .split('\n')
            .map((l) => `  | ${l}`),
        ]),
  ].join('\n');
}

/** The kind of a problem, numbers and paths left out, so that failures with one cause fall together. */
export function causeOf(problem: string): string {
  return problem
    .replace(/\/\S+/g, 'PATH')
    .replace(/ \(.*\)$/, '')
    .replace(/: .*$/, '')
    .replace(/\d+(\.\d+)?/g, 'N');
}

/** "group: cause" → the failed cases, largest groups first. */
export function groupFailures(results: readonly CaseResult[]): [string, CaseResult[]][] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    for (const cause of new Set(r.problems.map(causeOf))) {
      const key = `${r.fuzzCase.group}: ${cause}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length);
}
