import { describe, expect, it } from '@jest/globals';
import type { Item } from '../src/github/items.js';
import {
  computeProgress,
  doneAndTotal,
  doneAndTotalOf,
  localDate,
  parseDateOrInstant,
  periodKey,
  scheduleOf,
  statusOf,
  windowStart,
  zonedInstant,
} from '../src/progress.js';
import { estimateMeasure } from '../src/sources/project.js';
import { makeItem, makeTarget } from './fixtures/target.js';

// The edges of the contract's semantics: the window [start, now] is inclusive at both
// ends, an item created at `now` already exists, a due date is not yet past at its own
// instant. Every expected value is worked out by hand from the fixture.

const item = makeItem;

const closed = (number: number, at: string, extra: Partial<Item> = {}): Item =>
  item(number, { state: 'closed', closeReason: 'completed', closedAt: at, updatedAt: at, ...extra });

const NOW = new Date('2026-11-27T09:00:00Z');
const WINDOW_START = '2026-11-20T09:00:00Z'; // 7d before NOW

describe('the window [start, now] is inclusive', () => {
  const items = [
    closed(1, WINDOW_START), // exactly at the start: in the window
    closed(2, '2026-11-27T09:00:00Z'), // exactly at now: closed, and in the window
    item(3, { createdAt: '2026-11-27T09:00:00Z', updatedAt: '2026-11-27T09:00:00Z' }), // created at now: counted, opened in the window
    closed(4, '2026-11-20T08:59:59.999Z'), // a millisecond before the start: done, not in the window
    item(5, { createdAt: '2026-11-27T09:00:00.001Z' }), // a millisecond after now: not yet there
    closed(6, '2026-11-27T09:00:00.001Z', { createdAt: WINDOW_START }), // closed a millisecond after now: open at now
  ];

  it('counts items closed at the start and at now, and items created at now', () => {
    const p = computeProgress(makeTarget(), items, NOW, { start: undefined, due: undefined });
    expect([p.done, p.total, p.percent, p.openCount]).toEqual([3, 5, 60, 2]);
    expect(p.closedInWindow.map((i) => i.number)).toEqual([2, 1]);
    // 6 was last updated when it closed, a millisecond after now.
    expect(p.open.map((i) => i.number)).toEqual([6, 3]);
    expect(p.figures).toEqual({ issuesClosed: 2, pullsMerged: 0, opened: 2 });
    expect(p.windowStart.toISOString()).toBe('2026-11-20T09:00:00.000Z');
  });

  it('counts pull requests merged at the start and at now', () => {
    const pull = (number: number, at: string): Item =>
      closed(number, at, { kind: 'pull', closeReason: 'merged', mergedAt: at, url: `https://github.com/acme/widgets/pull/${number}` });
    const p = computeProgress(makeTarget(), [pull(1, WINDOW_START), pull(2, '2026-11-27T09:00:00Z'), pull(3, '2026-11-20T08:59:59Z')], NOW, {
      start: undefined,
      due: undefined,
    });
    expect(p.figures).toEqual({ issuesClosed: 0, pullsMerged: 2, opened: 0 });
    expect([p.done, p.total, p.openCount]).toEqual([3, 3, 0]);
  });
});

describe('computeProgress figures', () => {
  it('"issues closed" counts issues only, "still open" is total minus done', () => {
    const items = [
      closed(1, '2026-11-26T10:00:00Z'),
      closed(2, '2026-11-25T10:00:00Z'),
      closed(3, '2026-11-24T10:00:00Z'),
      closed(4, '2026-11-23T10:00:00Z', { kind: 'pull', closeReason: 'merged', mergedAt: '2026-11-23T10:00:00Z' }),
      item(5),
      item(6),
      item(7, { kind: 'pull' }),
    ];
    const p = computeProgress(makeTarget(), items, NOW, { start: undefined, due: undefined });
    expect(p.figures).toEqual({ issuesClosed: 3, pullsMerged: 1, opened: 0 });
    expect([p.done, p.total, p.openCount]).toEqual([4, 7, 3]);
    const completed = computeProgress(makeTarget({ progress: 'completed' }), [...items, closed(8, '2026-11-26T11:00:00Z', { closeReason: 'not_planned' })], NOW, {
      start: undefined,
      due: undefined,
    });
    expect([completed.done, completed.total, completed.openCount]).toEqual([4, 7, 3]);
  });

  it('with counts from GitHub, still open is their total minus their done', () => {
    const p = computeProgress(makeTarget(), [item(1)], NOW, { start: undefined, due: undefined }, undefined, { selected: 40, closed: 25 });
    expect([p.done, p.total, p.openCount, p.percent]).toEqual([25, 40, 15, 62.5]);
  });

  it('items closed (or updated) at the same instant are listed by number, highest first', () => {
    const at = '2026-11-26T10:00:00Z';
    const p = computeProgress(
      makeTarget(),
      [closed(11, at), closed(12, at), closed(13, at), item(21, { updatedAt: at }), item(22, { updatedAt: at }), item(23, { updatedAt: at })],
      NOW,
      { start: undefined, due: undefined },
    );
    expect(p.closedInWindow.map((i) => i.number)).toEqual([13, 12, 11]);
    expect(p.open.map((i) => i.number)).toEqual([23, 22, 21]);
  });

  it('since-last-record is a window, not a count: it starts at the previous record', () => {
    const last = new Date('2026-11-25T00:00:00Z');
    const p = computeProgress(makeTarget({ window: 'since-last-record' }), [closed(1, '2026-11-24T23:59:59Z'), closed(2, '2026-11-25T00:00:00Z')], NOW, {
      start: undefined,
      due: undefined,
    }, last);
    expect(p.windowStart).toBe(last);
    expect(p.closedInWindow.map((i) => i.number)).toEqual([2]);
    expect([p.done, p.total]).toEqual([2, 2]);
  });
});

describe('status at the edges of the schedule', () => {
  const start = new Date('2026-11-01T00:00:00Z');
  const due = new Date('2026-12-01T00:00:00Z');

  it('exactly at the due date the target is not yet delayed: at risk when behind, normal within the tolerance', () => {
    expect(statusOf('auto', 50, { start, due }, due, 15)).toBe(1);
    expect(statusOf('auto', 85, { start, due }, due, 15)).toBe(0);
    expect(statusOf('auto', 84.99, { start, due }, due, 15)).toBe(1);
    expect(statusOf('auto', 50, { start: undefined, due }, due, 15)).toBe(0);
    expect(statusOf('auto', 50, { start, due }, new Date(due.getTime() + 1), 15)).toBe(2);
  });

  it('start equal to due: no expected pace, only past due counts', () => {
    expect(statusOf('auto', 0, { start: due, due }, due, 15)).toBe(0);
    expect(statusOf('auto', 0, { start: due, due }, start, 15)).toBe(0);
    expect(statusOf('auto', 0, { start: due, due }, new Date(due.getTime() + 1), 15)).toBe(2);
  });

  it('start after due: no expected pace either', () => {
    const late = new Date('2026-12-20T00:00:00Z');
    expect(statusOf('auto', 0, { start: late, due }, new Date('2026-11-15T00:00:00Z'), 15)).toBe(0);
  });
});

describe('windows and dates that are not quite right', () => {
  it.each([
    ['14d', '2026-11-13T09:00:00.000Z'],
    ['10w', '2026-09-18T09:00:00.000Z'],
  ])('%s starts at %s', (window, expected) => {
    expect(windowStart(window, NOW, 'UTC').toISOString()).toBe(expected);
  });

  it.each(['7days', 'last7d', 'x2026-11-01'])('%s is refused', (window) => {
    expect(() => windowStart(window, NOW, 'UTC')).toThrow(`"${window}" is not an ISO-8601 date or instant`);
  });

  it('a date with a character before it is refused', () => {
    expect(() => parseDateOrInstant('x2026-12-31', 'UTC')).toThrow('"x2026-12-31" is not an ISO-8601 date or instant');
  });
});

describe('doneAndTotal', () => {
  it('counts items as they stood at now', () => {
    const items = [closed(1, '2026-11-01T00:00:00Z'), closed(2, '2026-11-02T00:00:00Z', { closeReason: 'duplicate' }), item(3), closed(4, '2026-12-01T00:00:00Z')];
    expect(doneAndTotal(items, 'github', NOW)).toEqual({ done: 2, total: 4 });
    expect(doneAndTotal(items, 'completed', NOW)).toEqual({ done: 1, total: 3 });
  });

  it('progress completed without the number of dropped items is a bug, said so', () => {
    expect(() => doneAndTotalOf('completed', { selected: 3, closed: 1 })).toThrow(
      'progress: completed needs the number of items closed without being done',
    );
    expect(doneAndTotalOf('github', { selected: 3, closed: 1 })).toEqual({ done: 1, total: 3 });
  });
});

describe('time zones', () => {
  it('pads single-digit months, days and weeks', () => {
    expect(localDate(new Date('2026-03-05T12:00:00Z'), 'UTC')).toBe('2026-03-05');
    const run = { runId: '1', runAttempt: '1' };
    expect(periodKey('week', new Date('2026-01-08T12:00:00Z'), 'UTC', run)).toBe('2026-W02');
    expect(periodKey('day', new Date('2026-02-03T12:00:00Z'), 'UTC', run)).toBe('2026-02-03');
    expect(periodKey('month', new Date('2026-02-03T12:00:00Z'), 'UTC', run)).toBe('2026-02');
  });

  // Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 2026-03-29 (02:00 local becomes 03:00).
  it('finds a wall-clock time whose offset differs from the offset at the same digits in UTC', () => {
    // 01:30 local is 00:30 UTC (still +1), though at 01:30 UTC the offset is already +2.
    expect(zonedInstant(2026, 3, 29, 'Europe/Berlin', 1, 30).toISOString()).toBe('2026-03-29T00:30:00.000Z');
    expect(zonedInstant(2026, 10, 25, 'Europe/Berlin', 3, 30).toISOString()).toBe('2026-10-25T02:30:00.000Z');
  });

  it('a wall-clock time skipped by the spring change is read as the moment of the change', () => {
    expect(zonedInstant(2026, 3, 29, 'Europe/Berlin', 2, 30).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedInstant(2026, 3, 29, 'Europe/Berlin', 3, 0).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedInstant(2026, 3, 29, 'Europe/Berlin', 1, 59, 59).toISOString()).toBe('2026-03-29T00:59:59.000Z');
  });
});

describe('points and a source schedule', () => {
  it('with points counted, still open is the number of open items, not points', () => {
    const items = [item(1, { points: 5 }), item(2, { points: 3 }), closed(3, '2026-11-26T10:00:00Z', { points: 5 })];
    const measured = estimateMeasure(makeTarget(), items);
    const p = computeProgress(makeTarget(), items, NOW, { start: undefined, due: undefined }, undefined, undefined, measured);
    expect([p.done, p.total, p.percent, p.openCount, p.unit]).toEqual([5, 13, 38.46, 2, 'points']);
    const plain = computeProgress(makeTarget(), items, NOW, { start: undefined, due: undefined }, undefined, { selected: 13, closed: 5 });
    expect([plain.openCount, 'unit' in plain]).toEqual([8, false]);
  });

  it("an iteration's dates stand where neither the target nor a milestone gives one", () => {
    const iteration = { start: new Date('2026-11-16T00:00:00Z'), due: new Date('2026-11-30T00:00:00Z') };
    expect(scheduleOf(makeTarget({ milestone: undefined }), undefined, iteration)).toEqual({ ...iteration, dueFrom: 'iteration' });
    expect(scheduleOf(makeTarget({ milestone: undefined, due: '2026-12-31', start: '2026-12-01' }), undefined, iteration)).toEqual({
      start: new Date('2026-12-01T00:00:00Z'),
      due: new Date('2026-12-31T23:59:59.999Z'),
      dueFrom: 'target',
    });
    const milestone = { due_on: '2026-12-15T08:00:00Z', created_at: '2026-10-02T03:04:05Z' };
    expect(scheduleOf(makeTarget(), milestone, iteration)).toEqual({
      start: new Date('2026-10-02T03:04:05Z'),
      due: new Date('2026-12-15T08:00:00Z'),
      dueFrom: 'milestone',
    });
    expect(scheduleOf(makeTarget(), { due_on: null, created_at: '2026-10-02T03:04:05Z' }, iteration)).toEqual({
      start: new Date('2026-10-02T03:04:05Z'),
      due: new Date('2026-11-30T00:00:00Z'),
      dueFrom: 'iteration',
    });
  });
});
