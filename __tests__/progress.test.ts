import { describe, expect, it } from '@jest/globals';
import type { Target } from '../src/config/schema.js';
import type { Item } from '../src/github/items.js';
import {
  expectedPercent,
  computeProgress,
  isoWeek,
  localDate,
  parseDateOrInstant,
  percentOf,
  periodKey,
  quarterOf,
  scheduleOf,
  statusOf,
  windowStart,
  zonedInstant,
} from '../src/progress.js';
import { makeItem, makeTarget } from './fixtures/target.js';

const run = { runId: '9001', runAttempt: '2' };

const target = makeTarget;

const item = makeItem;

const closed = (number: number, at: string, reason: Item['closeReason'] = 'completed', extra: Partial<Item> = {}): Item =>
  item(number, { state: 'closed', closeReason: reason, closedAt: at, updatedAt: at, ...extra });

describe('percentOf', () => {
  it.each([
    [0, 0, 0],
    [0, 5, 0],
    [5, 5, 100],
    [1, 3, 33.33],
    [2, 3, 66.67],
    [1, 8, 12.5],
    [1, 6, 16.67],
    [1, 200, 0.5],
    // 1.005 exactly: half-up gives 1.01 where binary floating point would give 1.00.
    [1005, 100000, 1.01],
    [1, 40000, 0],
    [1, 20000, 0.01],
  ])('%i of %i is %f', (done, total, expected) => {
    expect(percentOf(done, total)).toBe(expected);
  });
});

describe('periods', () => {
  it.each([
    [2026, 11, 26, 2026, 48],
    [2021, 1, 3, 2020, 53],
    [2024, 12, 30, 2025, 1],
    [2026, 1, 1, 2026, 1],
    [2027, 1, 1, 2026, 53],
  ])('ISO week of %i-%i-%i is %i-W%i', (y, m, d, wy, w) => {
    expect(isoWeek(y, m, d)).toEqual({ year: wy, week: w });
  });

  it('keys the week, day, month and run of now in the time zone', () => {
    const now = new Date('2026-11-29T20:00:00Z'); // Sunday in UTC, Monday in Shanghai
    expect(periodKey('week', now, 'UTC', run)).toBe('2026-W48');
    expect(periodKey('week', now, 'Asia/Shanghai', run)).toBe('2026-W49');
    expect(periodKey('day', now, 'Asia/Shanghai', run)).toBe('2026-11-30');
    expect(periodKey('month', new Date('2026-11-30T17:00:00Z'), 'Asia/Tokyo', run)).toBe('2026-12');
    expect(periodKey('run', now, 'UTC', run)).toBe('run-9001-2');
  });

  it('finds the instant of a wall-clock time, across daylight saving changes', () => {
    expect(zonedInstant(2026, 11, 26, 'Asia/Shanghai').toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(zonedInstant(2026, 3, 29, 'Europe/Berlin', 12).toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(zonedInstant(2026, 3, 28, 'Europe/Berlin', 12).toISOString()).toBe('2026-03-28T11:00:00.000Z');
    expect(localDate(new Date('2026-11-25T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-11-26');
  });

  it('reads dates as the start (or end) of the day in the time zone, and instants as given', () => {
    expect(parseDateOrInstant('2026-12-31', 'UTC').toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(parseDateOrInstant('2026-12-31', 'UTC', true).toISOString()).toBe('2026-12-31T23:59:59.999Z');
    expect(parseDateOrInstant('2026-12-31', 'Asia/Shanghai').toISOString()).toBe('2026-12-30T16:00:00.000Z');
    expect(parseDateOrInstant('2026-11-01T08:30:00+08:00', 'UTC').toISOString()).toBe('2026-11-01T00:30:00.000Z');
    expect(() => parseDateOrInstant('2026-13-45T99', 'UTC')).toThrow('"2026-13-45T99" is not an ISO-8601 date or instant');
  });
});

describe('windowStart', () => {
  const now = new Date('2026-11-27T09:00:00Z');
  it.each([
    ['7d', '2026-11-20T09:00:00.000Z'],
    ['1d', '2026-11-26T09:00:00.000Z'],
    ['2w', '2026-11-13T09:00:00.000Z'],
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z'],
    ['since-last-record', '2026-11-20T09:00:00.000Z'],
  ])('%s starts at %s', (window, expected) => {
    expect(windowStart(window, now, 'UTC').toISOString()).toBe(expected);
  });

  it('since-last-record starts at the previous record', () => {
    const last = new Date('2026-11-21T10:11:12Z');
    expect(windowStart('since-last-record', now, 'UTC', last)).toBe(last);
  });
});

describe('statusOf', () => {
  const start = new Date('2026-11-01T00:00:00Z');
  const due = new Date('2026-12-01T00:00:00Z');
  const mid = new Date('2026-11-16T00:00:00Z'); // 50 % of the time gone
  it.each([
    ['no due date', 10, { start, due: undefined }, mid, -1],
    ['done', 100, { start, due }, new Date('2026-12-05T00:00:00Z'), 0],
    ['past due and not done', 99.99, { start, due }, new Date('2026-12-01T00:00:01Z'), 2],
    ['just inside the tolerance', 35, { start, due }, mid, 0],
    ['behind by more than the tolerance', 34.99, { start, due }, mid, 1],
    ['before the start', 0, { start, due }, new Date('2026-10-01T00:00:00Z'), 0],
    ['no start: only past due counts', 0, { start: undefined, due }, mid, 0],
  ] as const)('%s', (_label, percent, schedule, now, expected) => {
    expect(statusOf('auto', percent, schedule, now, 15)).toBe(expected);
  });

  it('forced values win', () => {
    expect(statusOf('none', 0, { start, due }, mid, 15)).toBe(-1);
    expect(statusOf('normal', 0, { start, due }, new Date('2027-01-01T00:00:00Z'), 15)).toBe(0);
    expect(statusOf('at-risk', 100, { start, due }, mid, 15)).toBe(1);
    expect(statusOf('delayed', 100, { start, due }, mid, 15)).toBe(2);
  });

  it('takes `due` first, then the milestone due date; `start` first, then the milestone creation', () => {
    const milestone = { due_on: '2026-12-15T08:00:00Z', created_at: '2026-10-02T03:04:05Z' };
    expect(scheduleOf(target({ due: '2026-12-31' }), milestone)).toStrictEqual({
      due: new Date('2026-12-31T23:59:59.999Z'),
      start: new Date('2026-10-02T03:04:05Z'),
      dueFrom: 'target',
      milestoneDue: new Date('2026-12-15T08:00:00Z'),
    });
    expect(scheduleOf(target(), milestone)).toStrictEqual({
      due: new Date('2026-12-15T08:00:00Z'),
      start: new Date('2026-10-02T03:04:05Z'),
      dueFrom: 'milestone',
    });
    expect(scheduleOf(target({ due: '2026-12-31', start: '2026-10-10' }), { due_on: null, created_at: '2026-10-02T03:04:05Z' })).toStrictEqual({
      due: new Date('2026-12-31T23:59:59.999Z'),
      start: new Date('2026-10-10T00:00:00Z'),
      dueFrom: 'target',
    });
    expect(scheduleOf(target({ milestone: undefined, labels: ['x'] }), undefined)).toStrictEqual({ due: undefined, start: undefined });
  });
});

describe('computeProgress', () => {
  const now = new Date('2026-11-27T09:00:00Z');
  const items: Item[] = [
    closed(1, '2026-11-26T10:00:00Z'),
    closed(2, '2026-11-21T10:00:00Z', 'not_planned'),
    closed(3, '2026-11-25T10:00:00Z', 'merged', { kind: 'pull', mergedAt: '2026-11-25T10:00:00Z' }),
    closed(4, '2026-11-24T10:00:00Z', 'unmerged', { kind: 'pull' }),
    closed(5, '2026-11-01T10:00:00Z'), // before the window
    item(6, { updatedAt: '2026-11-26T08:00:00Z' }),
    item(7, { updatedAt: '2026-11-27T08:00:00Z', createdAt: '2026-11-22T00:00:00Z' }),
    item(8, { createdAt: '2026-11-28T00:00:00Z' }), // created after now
    closed(9, '2026-11-28T00:00:00Z', 'completed', { updatedAt: '2026-11-10T00:00:00Z' }), // closed after now: open then
    closed(10, '2026-11-20T08:59:59Z', 'duplicate'), // just before the window
  ];
  const schedule = { start: new Date('2026-11-01T00:00:00Z'), due: new Date('2026-12-31T00:00:00Z') };

  it('progress github: every closed item counts as done', () => {
    const p = computeProgress(target(), items, now, schedule);
    expect([p.done, p.total, p.percent]).toEqual([6, 9, 66.67]);
    expect(p.closedInWindow.map((i) => i.number)).toEqual([1, 3, 4, 2]);
    expect(p.open.map((i) => i.number)).toEqual([7, 6, 9]);
    expect(p.figures).toEqual({ issuesClosed: 2, pullsMerged: 1, opened: 1 });
    expect(p.windowStart.toISOString()).toBe('2026-11-20T09:00:00.000Z');
    expect(p.status).toBe(0);
    expect(p.due).toEqual(schedule.due);
  });

  it('progress completed: not planned, duplicates and unmerged pull requests leave the total', () => {
    const p = computeProgress(target({ progress: 'completed' }), items, now, schedule);
    expect([p.done, p.total, p.percent]).toEqual([3, 6, 50]);
  });

  it('include issues / pulls', () => {
    const issues = computeProgress(target({ include: 'issues' }), items, now, schedule);
    expect([issues.done, issues.total]).toEqual([4, 7]);
    const pulls = computeProgress(target({ include: 'pulls' }), items, now, schedule);
    expect([pulls.done, pulls.total, pulls.percent]).toEqual([2, 2, 100]);
    expect(pulls.closedInWindow.map((i) => i.number)).toEqual([3, 4]);
  });

  it('no items: 0 %, nothing listed', () => {
    const p = computeProgress(target(), [], now, { start: undefined, due: undefined });
    expect(p).toMatchObject({ done: 0, total: 0, percent: 0, status: -1, closedInWindow: [], open: [] });
  });
});

describe('expectedPercent', () => {
  it('is the share of the schedule passed at now, within 0 and 100, and undefined without both ends', () => {
    const schedule = { start: new Date('2026-10-01T00:00:00Z'), due: new Date('2026-12-31T00:00:00Z') };
    expect(expectedPercent(schedule, new Date('2026-11-15T12:00:00Z'))).toBe(50);
    expect(expectedPercent(schedule, new Date('2026-09-01T00:00:00Z'))).toBe(0);
    expect(expectedPercent(schedule, new Date('2027-02-01T00:00:00Z'))).toBe(100);
    expect(expectedPercent({ start: undefined, due: schedule.due }, new Date('2026-11-15T00:00:00Z'))).toBeUndefined();
    expect(expectedPercent({ start: schedule.due, due: schedule.due }, new Date('2026-11-15T00:00:00Z'))).toBeUndefined();
  });
});

describe('quarters', () => {
  it('names the quarter of the day in the target time zone', () => {
    const key = (at: string, timeZone = 'UTC') => periodKey('quarter', new Date(at), timeZone, run);
    expect(key('2026-01-01T00:00:00Z')).toBe('2026-Q1');
    expect(key('2026-03-31T23:59:59Z')).toBe('2026-Q1');
    // Already 1 April in Shanghai.
    expect(key('2026-03-31T16:00:00Z', 'Asia/Shanghai')).toBe('2026-Q2');
    expect(key('2026-06-30T12:00:00Z')).toBe('2026-Q2');
    expect(key('2026-07-01T00:00:00Z')).toBe('2026-Q3');
    expect(key('2026-12-31T23:59:59Z')).toBe('2026-Q4');
  });

  it('runs from the first instant of its first month to the last of its third, in the time zone', () => {
    expect(quarterOf(new Date('2026-11-27T09:00:00Z'), 'UTC')).toStrictEqual({ start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-12-31T23:59:59.999Z') });
    expect(quarterOf(new Date('2026-05-10T09:00:00Z'), 'UTC')).toStrictEqual({ start: new Date('2026-04-01T00:00:00Z'), end: new Date('2026-06-30T23:59:59.999Z') });
    expect(quarterOf(new Date('2026-02-15T09:00:00Z'), 'Asia/Shanghai')).toStrictEqual({
      start: new Date('2025-12-31T16:00:00Z'),
      end: new Date('2026-03-31T15:59:59.999Z'),
    });
  });

  it('gives a goal with period: quarter the dates of the quarter where the mapping gives none', () => {
    const now = new Date('2026-11-27T09:00:00Z');
    const goal = (overrides: Partial<Target> = {}) => target({ milestone: undefined, labels: ['x'], goal: 10, period: 'quarter', ...overrides });
    expect(scheduleOf(goal(), undefined, undefined, now)).toStrictEqual({ start: new Date('2026-10-01T00:00:00Z'), due: new Date('2026-12-31T23:59:59.999Z') });
    expect(scheduleOf(goal({ start: '2026-10-15' }), undefined, undefined, now)).toStrictEqual({ start: new Date('2026-10-15T00:00:00Z'), due: new Date('2026-12-31T23:59:59.999Z') });
    expect(scheduleOf(goal({ due: '2026-12-15' }), undefined, undefined, now)).toStrictEqual({
      start: new Date('2026-10-01T00:00:00Z'),
      due: new Date('2026-12-15T23:59:59.999Z'),
      dueFrom: 'target',
    });
    // Not a goal, not by the quarter, or no instant to find the quarter from: no dates.
    expect(scheduleOf(goal({ goal: undefined }), undefined, undefined, now)).toStrictEqual({ start: undefined, due: undefined });
    expect(scheduleOf(goal({ period: 'week' }), undefined, undefined, now)).toStrictEqual({ start: undefined, due: undefined });
    expect(scheduleOf(goal(), undefined, undefined, undefined)).toStrictEqual({ start: undefined, due: undefined });
  });
});

describe('what computeProgress carries over', () => {
  const now = new Date('2026-11-27T09:00:00Z');
  const due = new Date('2026-12-31T23:59:59.999Z');

  it("a metric's source and the schedule's start, only when there are any", () => {
    const measured = { percent: 40, done: 4, total: 10, unit: 'ms', openCount: 6 };
    const withBoth = computeProgress(target(), [], now, { start: new Date('2026-10-01T00:00:00Z'), due }, undefined, undefined, { ...measured, from: 'metrics.json' });
    expect([withBoth.from, withBoth.start]).toEqual(['metrics.json', new Date('2026-10-01T00:00:00Z')]);
    const without = computeProgress(target(), [], now, { start: undefined, due }, undefined, undefined, measured);
    expect(['from' in without, 'start' in without, without.unit]).toEqual([false, false, 'ms']);
  });
});
