// Progress of long work (calibration, accuracy, augment's search, batches of emulator runs) as data: the work reports
// lines and counted steps to a ProgressListener; the CLI shows them on stderr as a bar or as plain lines
// (src/util/progress-terminal.ts).

/** Steps done of one task, e.g. 142 of 1000 samples calibrated. */
export interface ProgressCount {
  /** What the task does, as its line begins: "calibrating", "eennc: sample 3". */
  label: string;
  done: number;
  total: number;
  /** What is counted, plural: "samples", "failure schedules". */
  unit: string;
  /** Milliseconds since the task began. */
  elapsedMs: number;
  /** The task ended before its last step (it failed, or found nothing to do): its bar goes, and no line is printed. */
  stopped?: boolean;
}

/**
 * Where long work reports. `message` is a whole line for people. With `count`, the line says that count (formatCount)
 * and the listener hears every step, the last with done === total (or a count marked stopped): one that prints lines
 * throttles them, as the CLI's terminal does. A listener that takes only the message (`(message: string) => void`)
 * fits too.
 */
export type ProgressListener = (message: string, count?: ProgressCount) => void;

/** "calibrating: 142/1000 samples (1.0 s)": the line a count prints where no bar is drawn. */
export function formatCount(count: ProgressCount): string {
  return `${count.label}: ${count.done}/${count.total} ${count.unit} (${(count.elapsedMs / 1000).toFixed(1)} s)`;
}

/** Counts the steps of one task: call it with the steps done so far and the total after each step. */
export interface StepCounter {
  (done: number, total: number): void;
  /** End the task before its last step (a path that returns or throws early), so that its bar does not stay. */
  stop(): void;
}

/**
 * Report the steps of one task to `listener` (nothing happens without one). The task begins when this is called; a
 * task ends with its last step (done === total) or stop().
 */
export function countSteps(listener: ProgressListener | undefined, label: string, unit: string, now: () => number = Date.now): StepCounter {
  const started = now();
  let last: ProgressCount = { label, done: 0, total: 0, unit, elapsedMs: 0 };
  const report = (count: ProgressCount): void => {
    last = count;
    listener?.(formatCount(count), count);
  };
  const counter = (done: number, total: number): void => report({ label, done, total, unit, elapsedMs: now() - started });
  const stop = (): void => {
    if (last.done < last.total) report({ ...last, elapsedMs: now() - started, stopped: true });
  };
  return Object.assign(counter, { stop });
}
