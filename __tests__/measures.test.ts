import { describe, expect, it } from '@jest/globals';
import { completion, exactPercent, goal, metric, points, pointsOfLabels } from '../src/measures.js';
import { parseMetricsInput } from '../src/sources/metrics-input.js';

// The measures are pure: numbers in, {percent, done, total, unit} out, rounded half-up to two
// decimals without floating-point error.

describe('exactPercent', () => {
  it('rounds half-up to two decimals, exactly', () => {
    expect(exactPercent(1n, 3n)).toBe(33.33);
    expect(exactPercent(2n, 3n)).toBe(66.67);
    expect(exactPercent(1n, 8n)).toBe(12.5);
    // 1/16 = 6.25 %, 1/32 = 3.125 % → 3.13 (half-up), 1/64 = 1.5625 % → 1.56
    expect(exactPercent(1n, 32n)).toBe(3.13);
    expect(exactPercent(1n, 64n)).toBe(1.56);
    expect(exactPercent(1n, 20000n)).toBe(0.01); // 0.005 % rounds up
    expect(exactPercent(1n, 20001n)).toBe(0);
  });

  it('is 0 for nothing to do and for a negative share, and not capped above 100', () => {
    expect(exactPercent(5n, 0n)).toBe(0);
    expect(exactPercent(-1n, 4n)).toBe(0);
    expect(exactPercent(1n, -4n)).toBe(0);
    expect(exactPercent(36n, 30n)).toBe(120);
  });
});

describe('measures', () => {
  it('completion: done / total per progress, in items', () => {
    expect(completion('github', { selected: 8, closed: 5, dropped: 2 })).toEqual({ percent: 62.5, done: 5, total: 8, unit: 'items' });
    expect(completion('completed', { selected: 8, closed: 5, dropped: 2 })).toEqual({ percent: 50, done: 3, total: 6, unit: 'items' });
  });

  it('goal: closed / N, not capped', () => {
    expect(goal(12, 30)).toEqual({ percent: 40, done: 12, total: 30, unit: 'items' });
    expect(goal(36, 30)).toEqual({ percent: 120, done: 36, total: 30, unit: 'items' });
    expect(goal(0, 7)).toEqual({ percent: 0, done: 0, total: 7, unit: 'items' });
  });

  it('points: Σ done points / Σ points, fractions without floating-point error', () => {
    expect(points([{ points: 8, total: 2, done: 1 }, { points: 3, total: 4, done: 3 }, { points: 1, total: 2, done: 0 }])).toEqual({ percent: 56.67, done: 17, total: 30, unit: 'points' });
    // 0.1 + 0.2 of 0.3: exactly 100 %, where floats say 0.30000000000000004
    expect(points([{ points: 0.1, total: 1, done: 1 }, { points: 0.2, total: 1, done: 1 }])).toEqual({ percent: 100, done: 0.3, total: 0.3, unit: 'points' });
    expect(points([{ points: 0.1, total: 3, done: 1 }])).toEqual({ percent: 33.33, done: 0.1, total: 0.3, unit: 'points' });
    expect(points([])).toEqual({ percent: 0, done: 0, total: 0, unit: 'points' });
  });

  it("an item's points: the largest weight among its labels (any case), else the default", () => {
    const weights = { 'size/S': 1, 'size/M': 3, 'size/L': 8 };
    expect(pointsOfLabels(['bug', 'size/m', 'size/S'], weights, 2)).toBe(3);
    expect(pointsOfLabels(['size/L', 'size/S'], weights, 2)).toBe(8);
    expect(pointsOfLabels(['bug'], weights, 2)).toBe(2);
  });

  it('metric: (value − start) / (target − start), not capped, never below 0, lower-is-better too', () => {
    expect(metric(72.4, { start: 60, target: 80, unit: '%' })).toEqual({ percent: 62, done: 72.4, total: 80, unit: '%' });
    expect(metric(250, { start: 400, target: 200, unit: 'ms' })).toEqual({ percent: 75, done: 250, total: 200, unit: 'ms' });
    expect(metric(150, { start: 400, target: 200, unit: 'ms' })).toEqual({ percent: 125, done: 150, total: 200, unit: 'ms' });
    expect(metric(450, { start: 400, target: 200, unit: 'ms' })).toEqual({ percent: 0, done: 450, total: 200, unit: 'ms' });
    expect(metric(55, { start: 60, target: 80 })).toEqual({ percent: 0, done: 55, total: 80, unit: '' });
    // 0.3 − 0.1 of 0.7 − 0.1, where floats give 33.33333333333333…: exactly 33.33
    expect(metric(0.3, { start: 0.1, target: 0.7 }).percent).toBe(33.33);
    expect(metric(1e-7, { start: 0, target: 2e-7 }).percent).toBe(50);
  });
});

describe('the metrics input', () => {
  it('reads name=value lines, skipping blank lines and comments; an empty value is no value', () => {
    const values = parseMetricsInput('coverage=72.4\n\n# from the perf job\n p95 = 180 \r\nmutation=\n');
    expect([...values]).toEqual([
      ['coverage', { value: 72.4, line: 1 }],
      ['p95', { value: 180, line: 4 }],
      ['mutation', { value: undefined, line: 5 }],
    ]);
    expect(parseMetricsInput('').size).toBe(0);
  });

  it.each([
    ['coverage 72.4', 'Input metrics, line 1 ("coverage 72.4"): is not name=value; write it like coverage=72.4.'],
    ['ok=1\ncoverage=72.4%', 'Input metrics, line 2 ("coverage=72.4%"): "72.4%" is not a number; write it like coverage=72.4 (no unit).'],
    ['9lives=1', 'Input metrics, line 1 ("9lives=1"): "9lives" is not a metric name; use letters, digits, _ . or -, starting with a letter.'],
    ['a=1\na=2', 'Input metrics, line 2 ("a=2"): a is already given on line 1; give each metric once.'],
  ])('a bad line fails, naming it: %j', (text, message) => {
    expect(() => parseMetricsInput(text)).toThrow(message);
  });
});

describe('period: quarter', () => {
  it('names calendar quarters in the time zone, and gives their first and last instants', async () => {
    const { periodKey, quarterOf } = await import('../src/progress.js');
    const run = { runId: '1', runAttempt: '1' };
    expect(periodKey('quarter', new Date('2026-11-27T09:00:00Z'), 'UTC', run)).toBe('2026-Q4');
    // 2026-09-30T20:00Z is already 1 October in Shanghai (UTC+8): the fourth quarter there.
    expect(periodKey('quarter', new Date('2026-09-30T20:00:00Z'), 'UTC', run)).toBe('2026-Q3');
    expect(periodKey('quarter', new Date('2026-09-30T20:00:00Z'), 'Asia/Shanghai', run)).toBe('2026-Q4');
    expect(quarterOf(new Date('2026-11-27T09:00:00Z'), 'UTC')).toEqual({ start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-12-31T23:59:59.999Z') });
    expect(quarterOf(new Date('2026-02-10T00:00:00Z'), 'Asia/Shanghai')).toEqual({ start: new Date('2025-12-31T16:00:00Z'), end: new Date('2026-03-31T15:59:59.999Z') });
  });
});
