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

describe('formatCount', () => {
  it('keeps the wording scripts and tests read', () => {
    expect(formatCount({ label: 'augment: extracting features', done: 7, total: 20, unit: 'samples', elapsedMs: 2_345 })).toBe(
      'augment: extracting features: 7/20 samples (2.3 s)',
    );
  });
});
