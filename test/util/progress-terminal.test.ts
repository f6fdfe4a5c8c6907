import { afterEach, describe, expect, it, vi } from 'vitest';
import { countSteps } from '../../src/util/progress.js';
import {
  barLine,
  PLAIN_INTERVAL_MS,
  ProgressTerminal,
  progressStyle,
  REDRAW_INTERVAL_MS,
  type ProgressEnvironment,
} from '../../src/util/progress-terminal.js';
import { screenOf } from './progress-screen.js';

/** A stand-in for stderr: what was written, and on a terminal the screen it leaves (\r, erase to end, newlines). */
class FakeStream {
  writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  /** The lines on the screen, colours left out, the cursor's line last (empty when the cursor is on a fresh line). */
  screen(): string[] {
    return screenOf(this.writes.join(''));
  }
}

/** A terminal on a fake stream with a clock the test moves. */
function terminalOn(stream: FakeStream, env: ProgressEnvironment = {}) {
  const clock = { now: 0 };
  const terminal = new ProgressTerminal(stream, { env, now: () => clock.now });
  const step = countSteps(terminal.report, 'calibrating', 'samples', () => clock.now);
  return { terminal, clock, step };
}

describe('progressStyle', () => {
  it('draws bars only on a terminal that can redraw a line, and colours only where NO_COLOR is not set', () => {
    expect(progressStyle({ write: () => true, isTTY: true }, {})).toEqual({ bars: true, color: true });
    expect(progressStyle({ write: () => true, isTTY: true }, { NO_COLOR: '1' })).toEqual({ bars: true, color: false });
    expect(progressStyle({ write: () => true, isTTY: true }, { NO_COLOR: '' })).toEqual({ bars: true, color: true });
    expect(progressStyle({ write: () => true, isTTY: true }, { TERM: 'dumb' })).toEqual({ bars: false, color: false });
    expect(progressStyle({ write: () => true }, { TERM: 'xterm-256color' })).toEqual({ bars: false, color: false });
  });
});

afterEach(() => void vi.useRealTimers());

describe('ProgressTerminal on a terminal', () => {
  it('redraws one bar line in place at most ten times a second and ends it with the final line', () => {
    const stream = new FakeStream(true, 100);
    const { clock, step } = terminalOn(stream);
    for (let done = 1; done <= 1000; done++) {
      clock.now = done * 7; // 7 s in all, a sample every 7 ms
      step(done, 1000);
    }
    const draws = stream.writes.filter((w) => w.startsWith('\r') && w.includes('['));
    expect(draws.length).toBeGreaterThan(7000 / REDRAW_INTERVAL_MS / 2);
    expect(draws.length).toBeLessThanOrEqual(7000 / REDRAW_INTERVAL_MS + 1);
    expect(stream.writes.join('')).not.toMatch(/calibrating: \d+\/1000 samples \(\d\.\d s\)\n(?!$)/); // no plain line but the last
    expect(stream.screen()).toEqual(['calibrating: 1000/1000 samples (7.0 s)', '']);
  });

  it('shows label, bar, counts, elapsed time and ETA within the width', () => {
    const stream = new FakeStream(true, 80);
    const { clock, step } = terminalOn(stream, { NO_COLOR: '1' });
    clock.now = 200; // after starting up: the rate (so the ETA) is measured from the first count on
    step(50, 1000);
    expect(stream.screen()).toEqual([`calibrating [=>${' '.repeat(28)}] 50/1000 samples 0.2 s`]);
    clock.now = 1_200;
    step(300, 1000); // 250 samples a second: 700 more take 2.8 s
    const [bar] = stream.screen();
    expect(bar).toBe(`calibrating [${'='.repeat(9)}>${' '.repeat(20)}] 300/1000 samples 1.2 s, ETA 2.8 s`);
    expect(bar!.length).toBeLessThan(80);
  });

  it('prints log lines above the bar and draws it again below them', () => {
    const stream = new FakeStream(true, 120);
    const { terminal, clock, step } = terminalOn(stream);
    clock.now = 500;
    step(10, 40);
    terminal.line('note: --calib-count has no effect');
    clock.now = 600; // within the redraw interval: the bar is still drawn after the line
    terminal.report('measuring the cost of each exit');
    const screen = stream.screen();
    expect(screen.slice(0, 2)).toEqual(['note: --calib-count has no effect', 'measuring the cost of each exit']);
    expect(screen[2]).toMatch(/^calibrating \[=+> +\] 10\/40 samples 0\.6 s$/); // drawn again at 0.6 s
    expect(screen).toHaveLength(3);
  });

  it('colours the label unless NO_COLOR is set, and never the bar or the final line', () => {
    const coloured = new FakeStream(true, 80);
    terminalOn(coloured).step(1, 2);
    expect(coloured.writes.join('')).toContain('\x1b[1;36mcalibrating\x1b[0m [');
    const plain = new FakeStream(true, 80);
    const { step } = terminalOn(plain, { NO_COLOR: 'yes' });
    step(1, 2);
    step(2, 2);
    expect(plain.writes.join('')).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(plain.screen()).toEqual(['calibrating: 2/2 samples (0.0 s)', '']);
  });

  it('keeps the elapsed time (and the ETA) moving while no step ends, and stops its clock when the task ends', () => {
    vi.useFakeTimers();
    const stream = new FakeStream(true, 120);
    const { terminal, clock } = terminalOn(stream, { NO_COLOR: '1' });
    const schedules = countSteps(terminal.report, 'eennc: sample 0', 'failure schedules', () => clock.now);
    schedules(0, 4);
    clock.now = 2_000;
    schedules(1, 4); // 2 s a schedule: 6 s left
    clock.now = 5_000;
    vi.advanceTimersByTime(3_000); // an emulator running: no count for 3 s
    expect(stream.screen()).toEqual([`eennc: sample 0 [=======>${' '.repeat(22)}] 1/4 failure schedules 5.0 s, ETA 3.0 s`]);
    expect(vi.getTimerCount()).toBe(1);
    clock.now = 8_000;
    schedules(4, 4);
    expect(vi.getTimerCount()).toBe(0);
    expect(stream.screen()).toEqual(['eennc: sample 0: 4/4 failure schedules (8.0 s)', '']);
  });

  it('clear() takes a bar left by failed work off the line before an error is printed', () => {
    const stream = new FakeStream(true, 80);
    const { terminal, step } = terminalOn(stream);
    step(3, 10);
    terminal.clear();
    stream.write('error: data.npy: the calibration set holds NaN\n');
    expect(stream.screen()).toEqual(['error: data.npy: the calibration set holds NaN', '']);
  });

  it('shows the task updated last when two count at once, and the other again when one ends', () => {
    const stream = new FakeStream(true, 120);
    const { terminal, clock } = terminalOn(stream);
    const first = countSteps(terminal.report, 'eennc: sample 0', 'failure schedules', () => clock.now);
    const second = countSteps(terminal.report, 'augment: training', 'heads', () => clock.now);
    first(1, 4);
    clock.now = 200;
    second(1, 2);
    expect(stream.screen().at(-1)).toMatch(/^augment: training \[/);
    clock.now = 400;
    second(2, 2);
    expect(stream.screen()).toEqual([
      'augment: training: 2/2 heads (0.4 s)',
      expect.stringMatching(/^eennc: sample 0 \[=+> +\] 1\/4 failure schedules/),
    ]);
  });

  it('a task stopped before its last step takes its bar away and prints nothing, showing the task under it again', () => {
    vi.useFakeTimers();
    const stream = new FakeStream(true, 120);
    const { terminal, clock, step } = terminalOn(stream, { NO_COLOR: '1' });
    step(5, 10);
    clock.now = 200;
    const ran = countSteps(terminal.report, 'measuring the cost of each exit on cortex-m4', 'runs', () => clock.now);
    ran(0, 2);
    expect(stream.screen()[0]).toMatch(/^measuring the cost of each exit on cortex-m4 /);
    ran.stop();
    expect(stream.screen()).toEqual([expect.stringMatching(/^calibrating \[=+> +\] 5\/10 samples/)]);
    step.stop();
    expect(stream.screen()).toEqual(['']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a label counting again ends the bar of its unfinished task when it ends', () => {
    const stream = new FakeStream(true, 120);
    const { terminal, clock, step } = terminalOn(stream);
    step(5, 10); // left unfinished
    clock.now = 300;
    countSteps(terminal.report, 'calibrating', 'samples', () => clock.now)(3, 3);
    expect(stream.screen()).toEqual(['calibrating: 3/3 samples (0.0 s)', '']);
  });

  it('drops the bar before the numbers on a narrow terminal and never fills the last column', () => {
    const half = { label: 'calibrating', done: 5, total: 10, unit: 'samples', elapsedMs: 1_000 };
    expect(barLine(half, 50, false, { ...half, done: 0, elapsedMs: 0 })).toBe('calibrating 5/10 samples 1.0 s, ETA 1.0 s');
    const tiny = barLine({ label: 'augment: extracting features', done: 5, total: 10, unit: 'samples', elapsedMs: 1_000 }, 20, true);
    expect(tiny.replace(/\x1b\[[0-9;]*m/g, '')).toHaveLength(19);
    expect(barLine({ label: 'x', done: 10, total: 10, unit: 'samples', elapsedMs: 0 }, 80, false)).toContain(`[${'='.repeat(30)}]`);
  });
});

describe('ProgressTerminal elsewhere (a pipe, a file, TERM=dumb)', () => {
  for (const [where, stream, env] of [
    ['not a terminal', new FakeStream(false), {}],
    ['TERM=dumb', new FakeStream(true, 80), { TERM: 'dumb' }],
  ] as const) {
    it(`${where}: plain lines at most once a second plus the last, no escape codes`, () => {
      const { clock, step, terminal } = terminalOn(stream, env);
      terminal.line('calibrating 1000 samples');
      for (let done = 1; done <= 1000; done++) {
        clock.now = done * 7;
        step(done, 1000);
      }
      const lines = stream.writes.join('').split('\n');
      expect(stream.writes.join('')).not.toMatch(/[\r\x1b]/);
      expect(lines[0]).toBe('calibrating 1000 samples');
      // 7 s of counting: a line after each whole second but the last, then the final line.
      expect(lines.slice(1, -1)).toHaveLength(7000 / PLAIN_INTERVAL_MS);
      expect(lines.slice(1, -1).every((l) => /^calibrating: \d+\/1000 samples \(\d\.\d s\)$/.test(l))).toBe(true);
      expect(lines.at(-2)).toBe('calibrating: 1000/1000 samples (7.0 s)');
      expect(lines.at(-1)).toBe('');
    });
  }

  it('prints nothing for a stopped task', () => {
    const stream = new FakeStream(false);
    const { clock, step } = terminalOn(stream);
    step(1, 10);
    clock.now = 5_000;
    step.stop();
    step(2, 10); // a count after stop() is a new task: its first line comes a second later
    expect(stream.writes).toEqual([]);
  });

  it('draws no clock where there is no bar', () => {
    vi.useFakeTimers();
    const { step } = terminalOn(new FakeStream(false));
    step(1, 10);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a label counting again from the start (a second calibration) is a new task, its lines timed from its start', () => {
    const stream = new FakeStream(false);
    const { terminal, clock } = terminalOn(stream);
    const steps = () => countSteps(terminal.report, 'calibrating', 'samples', () => clock.now);
    const first = steps();
    clock.now = 100;
    first(2, 3); // left unfinished
    const second = steps();
    clock.now = 1_150; // a second after the first task's first count, not after the second's
    second(1, 3);
    expect(stream.writes).toEqual([]);
    clock.now = 2_200;
    second(2, 3);
    expect(stream.writes).toEqual(['calibrating: 2/3 samples (2.1 s)\n']);
  });
});
