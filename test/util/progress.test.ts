import { describe, expect, it } from 'vitest';
import { countSteps, formatCount, type ProgressCount } from '../../src/util/progress.js';

describe('countSteps', () => {
  it('reports every step with its count and the plain line, timed from when the task began', () => {
    let clock = 5_000;
    const heard: [string, ProgressCount | undefined][] = [];
    const step = countSteps(
      (message, count) => heard.push([message, count]),
      'calibrating',
      'samples',
      () => clock,
    );
    clock += 1_000;
    step(142, 1000);
    clock += 6_050;
    step(1000, 1000);
    expect(heard).toEqual([
      ['calibrating: 142/1000 samples (1.0 s)', { label: 'calibrating', done: 142, total: 1000, unit: 'samples', elapsedMs: 1_000 }],
      ['calibrating: 1000/1000 samples (7.0 s)', { label: 'calibrating', done: 1000, total: 1000, unit: 'samples', elapsedMs: 7_050 }],
    ]);
  });

  it('does nothing without a listener, and fits a listener that takes only the message', () => {
    expect(() => countSteps(undefined, 'evaluating', 'samples')(1, 2)).not.toThrow();
    const lines: string[] = [];
    const onlyMessages = (message: string): void => void lines.push(message);
    countSteps(onlyMessages, 'eennc: sample 3', 'failure schedules', () => 0)(4, 10);
    expect(lines).toEqual(['eennc: sample 3: 4/10 failure schedules (0.0 s)']);
  });
});

describe('StepCounter.stop', () => {
  it('ends a task cut short with a stopped count, and does nothing once the task has ended', () => {
    let clock = 0;
    const heard: (ProgressCount | undefined)[] = [];
    const ran = countSteps(
      (_, count) => heard.push(count),
      'measuring the cost of each exit on cortex-m4',
      'runs',
      () => clock,
    );
    ran(0, 2);
    clock = 1_500;
    ran.stop();
    expect(heard.at(-1)).toEqual({
      label: 'measuring the cost of each exit on cortex-m4',
      done: 0,
      total: 2,
      unit: 'runs',
      elapsedMs: 1_500,
      stopped: true,
    });
    const finished = countSteps(
      (_, count) => heard.push(count),
      'calibrating',
      'samples',
      () => clock,
    );
    finished(3, 3);
    const before = heard.length;
    finished.stop();
    countSteps((_, count) => heard.push(count), 'evaluating', 'samples').stop(); // never counted
    expect(heard).toHaveLength(before);
  });
});

describe('formatCount', () => {
  it('keeps the wording scripts and tests read', () => {
    expect(formatCount({ label: 'augment: extracting features', done: 7, total: 20, unit: 'samples', elapsedMs: 2_345 })).toBe(
      'augment: extracting features: 7/20 samples (2.3 s)',
    );
  });
});
