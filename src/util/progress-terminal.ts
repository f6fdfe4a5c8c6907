// How progress reaches people on stderr. On a terminal, the task being counted is one bar line redrawn in place
// (label, bar, done/total, elapsed, ETA), with log lines printed above it; elsewhere (a pipe, a file, CI, TERM=dumb)
// plain lines, each counted task at most once a second plus its last line, which tests and scripts read.

import type { ProgressCount, ProgressListener } from './progress.js';
import { formatDuration } from './timers.js';

/** What the terminal writes to: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal (Node sets it on TTY streams). */
  isTTY?: boolean;
  /** Width of the terminal in characters, where known. */
  columns?: number;
}

/** The environment variables that choose how progress looks. */
export interface ProgressEnvironment {
  /** "dumb": a terminal that cannot redraw a line, so plain lines. */
  TERM?: string;
  /** Any value but "": no colours (https://no-color.org). */
  NO_COLOR?: string;
}

export interface ProgressTerminalOptions {
  /** Default: process.env. */
  env?: ProgressEnvironment;
  /** Milliseconds clock; default Date.now. */
  now?: () => number;
}

/** Redraws of the bar at most this often (10 per second): faster is flicker, and costs the work time. */
export const REDRAW_INTERVAL_MS = 100;
/** Plain lines of one counted task at most this often, besides its last line. */
export const PLAIN_INTERVAL_MS = 1000;
/** Width assumed where the stream does not say (a terminal that reports none). */
const DEFAULT_COLUMNS = 80;
/** The ETA shows once the rate is measured over this long, so that it does not jump about at the start. */
export const ETA_AFTER_MS = 500;
/** Durations under a minute show in seconds with one decimal, longer ones as formatDuration gives them. */
const MINUTE_MS = 60_000;
/** Cells of the bar between its brackets, at most and at least (narrower terminals get no bar, just the numbers). */
const MAX_BAR_CELLS = 30;
const MIN_BAR_CELLS = 10;

/** Erase from the cursor to the end of the line (ANSI EL). */
const ERASE_TO_END = '\x1b[K';
/** Carriage return, then erase: the cursor back at the start of a blank line. */
const ERASE_LINE = '\r' + ERASE_TO_END;
/** The label in bold cyan where colours are allowed, as cargo and npm show theirs. */
const LABEL_COLOR = '\x1b[1;36m';
const RESET_COLOR = '\x1b[0m';

/** How a stream shows progress: bars where it is a terminal that can redraw a line, colours where also allowed. */
export function progressStyle(stream: ProgressStream, env: ProgressEnvironment): { bars: boolean; color: boolean } {
  const bars = stream.isTTY === true && env.TERM !== 'dumb';
  return { bars, color: bars && (env.NO_COLOR === undefined || env.NO_COLOR === '') };
}

/** A counted task being shown: its latest count and line, when that was heard, and when its last plain line was printed. */
interface Task {
  /** The count first heard, from which the rate (and so the ETA) is measured: the start-up before it is left out. */
  first: ProgressCount;
  count: ProgressCount;
  message: string;
  heardAt: number;
  printedAt: number;
}

/** Progress on one stream: lines, and one bar (or plain lines) for the counted tasks under way. */
export class ProgressTerminal {
  /** Draws a bar (a terminal that can redraw a line); plain lines otherwise. */
  readonly bars: boolean;
  /** Colours the bar's label (a terminal, NO_COLOR not set). */
  readonly color: boolean;
  private readonly now: () => number;
  /** Counted tasks under way by label; the one shown on the bar is the last updated. */
  private readonly tasks = new Map<string, Task>();
  private shown: Task | undefined;
  /** The bar is on the screen, the cursor at its end. */
  private drawn = false;
  private drawnAt = -Infinity;
  /** Redraws the bar while the work waits (an emulator run), so that its elapsed time keeps moving. */
  private clock: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressTerminalOptions = {},
  ) {
    const style = progressStyle(stream, options.env ?? process.env);
    this.bars = style.bars;
    this.color = style.color;
    this.now = options.now ?? Date.now;
  }

  /** A report of long work: a line goes above the bar, a count moves its task on (ProgressListener). */
  readonly report: ProgressListener = (message, count) => {
    if (count === undefined) this.line(message);
    else this.count(message, count);
  };

  /** A line for people; on a terminal the bar is erased first and drawn again below it. */
  line(message: string): void {
    this.erase();
    this.stream.write(message + '\n');
    this.redraw();
  }

  /** Take the bar off the screen and forget the tasks under way (before an error is printed, or at exit). */
  clear(): void {
    this.erase();
    this.tasks.clear();
    this.shown = undefined;
    this.runClock();
  }

  private count(message: string, count: ProgressCount): void {
    const now = this.now();
    const known = this.tasks.get(count.label);
    // A count that goes back is the same label counting again (a second calibration): a new task.
    const task: Task = known && count.done >= known.count.done ? known : { first: count, count, message, heardAt: now, printedAt: now };
    task.count = count;
    task.message = message;
    task.heardAt = now;
    if (count.done >= count.total || count.stopped) {
      this.tasks.delete(count.label);
      // By label: a task of this label left unfinished before this one began is gone too.
      if (this.shown?.count.label === count.label) this.shown = [...this.tasks.values()].at(-1);
      if (count.stopped) {
        this.erase();
        this.redraw();
      } else this.line(message);
      this.runClock();
      return;
    }
    this.tasks.delete(count.label); // re-inserted last: the bar shows the task updated last
    this.tasks.set(count.label, task);
    this.shown = task;
    if (this.bars) {
      if (now - this.drawnAt >= REDRAW_INTERVAL_MS) this.redraw();
    } else if (now - task.printedAt >= PLAIN_INTERVAL_MS) {
      task.printedAt = now;
      this.stream.write(message + '\n');
    }
    this.runClock();
  }

  /** Draw the bar of the task shown, where there are bars and a task. */
  private redraw(): void {
    if (!this.bars || this.shown === undefined) return;
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : DEFAULT_COLUMNS;
    const { count, first, heardAt } = this.shown;
    const now = this.now();
    this.stream.write('\r' + barLine(count, columns, this.color, first, count.elapsedMs + (now - heardAt)) + ERASE_TO_END);
    this.drawn = true;
    this.drawnAt = now;
  }

  /** The clock runs while a bar is shown, and stops with it; it never keeps the process alive. */
  private runClock(): void {
    const wanted = this.bars && this.shown !== undefined;
    if (wanted && this.clock === undefined) {
      this.clock = setInterval(() => this.redraw(), REDRAW_INTERVAL_MS);
      this.clock.unref();
    } else if (!wanted && this.clock !== undefined) {
      clearInterval(this.clock);
      this.clock = undefined;
    }
  }

  private erase(): void {
    if (!this.drawn) return;
    this.stream.write(ERASE_LINE);
    this.drawn = false;
  }
}

/**
 * The bar of a count in at most `columns - 1` characters (a line that fills the last column wraps on some terminals,
 * and \r then redraws only its second half): "calibrating [=======>      ] 142/1000 samples 1.0 s, ETA 6.1 s". The ETA
 * comes from the rate since `since` (an earlier count of the task), once that spans ETA_AFTER_MS. `elapsedMs`, the
 * time shown, may run past the count's own (the clock ticking while no step ends); the ETA counts down with it.
 */
export function barLine(
  count: ProgressCount,
  columns: number,
  color: boolean,
  since: ProgressCount = count,
  elapsedMs: number = count.elapsedMs,
): string {
  const { label, done, total, unit } = count;
  const measured = count.elapsedMs - since.elapsedMs;
  const rate = done > since.done && measured >= ETA_AFTER_MS ? (done - since.done) / measured : undefined;
  const left = rate === undefined ? 0 : Math.max(0, (total - done) / rate - (elapsedMs - count.elapsedMs));
  const eta = rate !== undefined && done < total ? `, ETA ${duration(left)}` : '';
  const numbers = `${done}/${total} ${unit} ${duration(elapsedMs)}${eta}`;
  const room = columns - 1;
  const cells = Math.min(MAX_BAR_CELLS, room - label.length - numbers.length - ' [] '.length);
  const bar = cells >= MIN_BAR_CELLS ? ` ${barCells(done, total, cells)} ` : ' ';
  const plain = (label + bar + numbers).slice(0, Math.max(0, room));
  if (!color || plain.length <= label.length) return plain;
  return LABEL_COLOR + label + RESET_COLOR + plain.slice(label.length);
}

/** "4.0 s" (one decimal always, so the line does not jitter) under a minute, then "2.5 min", "1.2 h". */
function duration(ms: number): string {
  return ms < MINUTE_MS ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** "[=====>    ]": `cells` cells between the brackets, filled in proportion to done/total. */
function barCells(done: number, total: number, cells: number): string {
  const filled = total > 0 ? Math.min(cells, Math.floor((cells * Math.max(0, done)) / total)) : cells;
  if (filled === cells) return '[' + '='.repeat(cells) + ']';
  return '[' + '='.repeat(filled) + '>' + ' '.repeat(cells - filled - 1) + ']';
}

let stderrTerminal: ProgressTerminal | undefined;

/** The terminal of process.stderr, made on first use; a bar left on the screen is erased when the process exits. */
export function stderrProgress(): ProgressTerminal {
  if (stderrTerminal === undefined) {
    const terminal = new ProgressTerminal(process.stderr);
    process.once('exit', () => terminal.clear());
    stderrTerminal = terminal;
  }
  return stderrTerminal;
}
