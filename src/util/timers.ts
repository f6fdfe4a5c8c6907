// Time limits for the programs eennc runs: Node's timers hold at most 2^31-1 ms (about 24.8 days) and
// fire at once above that, so every limit passes through clampTimerMs.

import { EennError } from '../ir/diagnostics.js';

/** The longest delay setTimeout keeps; a longer limit is as good as none. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer delay: larger values (Infinity included) become MAX_TIMER_MS; zero, negative or NaN is E_USAGE. */
export function clampTimerMs(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms <= 0) {
    throw new EennError({
      code: 'E_USAGE',
      message: `a time limit of ${String(ms)} ms is not a positive duration`,
      hint: 'give the time limit as a positive number (eennc --timeout takes seconds)',
    });
  }
  return Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

/** "1.5 s", "10 min", "2 h" for messages. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}
