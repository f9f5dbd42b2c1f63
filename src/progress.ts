import type { Target } from './config/schema.js';
import type { CloseReason, Item } from './github/items.js';

// Pure arithmetic of the contract's "Semantics": percent, status, window, period.

/** Feishu's status values: -1 none, 0 normal, 1 at risk, 2 delayed. */
export type Status = -1 | 0 | 1 | 2;

const DAY_MS = 24 * 60 * 60 * 1000;

/** done / total × 100, rounded half-up to two decimals, exactly (integer arithmetic). */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 0;
  const hundredths = Math.floor((2 * done * 10000 + total) / (2 * total));
  return hundredths / 100;
}

/** The wall-clock fields of an instant in an IANA time zone. */
export function zonedParts(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** How far a time zone's clock is ahead of UTC at an instant, in milliseconds (whole seconds). */
function offsetAt(at: number, timeZone: string): number {
  const p = zonedParts(new Date(at), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at / 1000) * 1000;
}

/**
 * The instant at which a wall-clock date/time happens in a time zone. A time shown twice (the
 * clocks went back) gives its first showing; a time the clocks skipped gives the first real
 * instant after it, the moment of the change: where daylight saving starts at midnight
 * (America/Santiago, 2026-09-06) the day starts at 01:00 local time.
 */
export function zonedInstant(year: number, month: number, day: number, timeZone: string, hour = 0, minute = 0, second = 0): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // The offsets a day before and a day after; zones change their offset at most once in two days.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const showings = [wall - before, wall - after].filter((at) => at + offsetAt(at, timeZone) === wall);
  if (showings.length) return new Date(Math.min(...showings));
  // Skipped: the clocks jumped from before the wall time to after it, somewhere in
  // (wall − after, wall − before]. Find the first second with the new offset.
  let low = Math.floor((wall - after) / 1000);
  let high = Math.ceil((wall - before) / 1000);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(mid * 1000, timeZone) === before) low = mid;
    else high = mid;
  }
  return new Date(high * 1000);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** YYYY-MM-DD of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** ISO-8601 week (year and week number) of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7; // Monday 1 … Sunday 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS + 1) / 7);
  return { year: weekYear, week };
}

export interface RunIdentity {
  runId: string;
  runAttempt: string;
}

/**
 * The period `now` belongs to, as a key that is written into the record's footer and
 * recognised on later runs: 2026-W48, 2026-11-26, 2026-11, or run-<id>-<attempt>.
 */
export function periodKey(period: Target['period'], now: Date, timeZone: string, run: RunIdentity): string {
  const p = zonedParts(now, timeZone);
  switch (period) {
    case 'day':
      return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
    case 'month':
      return `${p.year}-${pad(p.month)}`;
    case 'quarter':
      return `${p.year}-Q${Math.ceil(p.month / 3)}`;
    case 'run':
      return `run-${run.runId}-${run.runAttempt}`;
    case 'week': {
      const w = isoWeek(p.year, p.month, p.day);
      return `${w.year}-W${pad(w.week)}`;
    }
  }
}

/** A date (YYYY-MM-DD) or an instant; a date means its start in the time zone. */
export function parseDateOrInstant(text: string, timeZone: string, endOfDay = false): Date {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (endOfDay) return new Date(zonedInstant(y, m, d + 1, timeZone).getTime() - 1);
    return zonedInstant(y, m, d, timeZone);
  }
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new Error(`"${text}" is not an ISO-8601 date or instant`);
  return at;
}

/**
 * Where the window starts. `since-last-record` uses the creation time of the previous
 * record (found by the publisher), and 7 days when there is none.
 */
export function windowStart(window: string, now: Date, timeZone: string, lastRecordAt?: Date): Date {
  const relative = /^(\d+)([dw])$/.exec(window);
  if (relative) {
    const days = Number(relative[1]) * (relative[2] === 'w' ? 7 : 1);
    return new Date(now.getTime() - days * DAY_MS);
  }
  if (window === 'since-last-record') return lastRecordAt ?? new Date(now.getTime() - 7 * DAY_MS);
  return parseDateOrInstant(window, timeZone);
}

/** The calendar quarter `now` falls in, in a time zone: its first instant and its last. */
export function quarterOf(now: Date, timeZone: string): { start: Date; end: Date } {
  const p = zonedParts(now, timeZone);
  const first = Math.floor((p.month - 1) / 3) * 3 + 1;
  const start = zonedInstant(p.year, first, 1, timeZone);
  return { start, end: new Date(zonedInstant(p.year, first + 3, 1, timeZone).getTime() - 1) };
}

export interface Schedule {
  start: Date | undefined;
  due: Date | undefined;
  /** Where `due` comes from, for the job summary. */
  dueFrom?: 'target' | 'milestone' | 'iteration';
  /** The milestone's due date, when the target's `due` was used instead. */
  milestoneDue?: Date;
}

/**
 * Due date: the target's `due` (to the end of its day), or the milestone's due_on; start:
 * `start`, or the milestone's creation. What the mapping file says wins over what is derived.
 * A source's own dates (a project's iteration) stand where neither gives one. A goal with
 * `period: quarter` runs from the start to the end of the quarter of `now` where the mapping
 * and the milestone give no start or due.
 */
export function scheduleOf(
  target: Target,
  milestone: { due_on: string | null; created_at: string } | undefined,
  source?: { start: Date; due: Date },
  now?: Date,
): Schedule {
  const milestoneDue = milestone?.due_on ? new Date(milestone.due_on) : undefined;
  const start = target.start ? parseDateOrInstant(target.start, target.timezone) : milestone ? new Date(milestone.created_at) : source?.start;
  if (target.due) {
    const due = parseDateOrInstant(target.due, target.timezone, true);
    return quarterly(target, now, milestoneDue ? { start, due, dueFrom: 'target', milestoneDue } : { start, due, dueFrom: 'target' });
  }
  if (milestoneDue) return quarterly(target, now, { start, due: milestoneDue, dueFrom: 'milestone' });
  return source ? { start, due: source.due, dueFrom: 'iteration' } : quarterly(target, now, { start, due: undefined });
}

function quarterly(target: Target, now: Date | undefined, schedule: Schedule): Schedule {
  if (target.goal === undefined || target.period !== 'quarter' || !now) return schedule;
  const quarter = quarterOf(now, target.timezone);
  return { ...schedule, start: target.start ? schedule.start : quarter.start, due: schedule.due ?? quarter.end };
}

const FORCED: Record<Exclude<Target['status'], 'auto'>, Status> = { none: -1, normal: 0, 'at-risk': 1, delayed: 2 };

/** Status per the contract: forced values, or `auto` from the schedule and the percent. */
export function statusOf(setting: Target['status'], percent: number, schedule: Schedule, now: Date, riskTolerance: number): Status {
  if (setting !== 'auto') return FORCED[setting];
  const { start, due } = schedule;
  if (!due) return -1;
  if (percent >= 100) return 0;
  if (now.getTime() > due.getTime()) return 2;
  if (start && due.getTime() > start.getTime()) {
    const elapsed = (now.getTime() - start.getTime()) / (due.getTime() - start.getTime());
    const expected = Math.min(1, Math.max(0, elapsed)) * 100;
    if (percent < expected - riskTolerance) return 1;
  }
  return 0;
}

/** The share of the time from start to due that has passed at `now`, in percent (0 to 100). */
export function expectedPercent(schedule: Schedule, now: Date): number | undefined {
  const { start, due } = schedule;
  if (!start || !due || due.getTime() <= start.getTime()) return undefined;
  return Math.min(1, Math.max(0, (now.getTime() - start.getTime()) / (due.getTime() - start.getTime()))) * 100;
}

const closedBy = (item: Item, now: Date): boolean => item.closedAt !== null && Date.parse(item.closedAt) <= now.getTime();
const within = (at: string | null, from: Date, to: Date): boolean =>
  at !== null && Date.parse(at) >= from.getTime() && Date.parse(at) <= to.getTime();

/** Items selected by `include`, as they stood at `now` (created later: left out). */
export function itemsAsOf(items: readonly Item[], include: Target['include'], now: Date): Item[] {
  return items.filter(
    (i) => (include === 'all' || (include === 'issues') === (i.kind === 'issue')) && Date.parse(i.createdAt) <= now.getTime(),
  );
}

/** The reason an item is closed as of `now`; null when it was still open then. */
export function closeReasonAt(item: Item, now: Date): Item['closeReason'] {
  if (!closedBy(item, now)) return null;
  // A pull request merged after `now` but closed before cannot happen; merged implies closed.
  return item.closeReason;
}

/**
 * What `progress` is worked out from: how many items are selected, how many of them are
 * closed, and how many of those were closed without being done (issues closed as not
 * planned or duplicate, pull requests closed unmerged). GitHub can count the first two; the
 * last is needed with `progress: completed` only.
 */
export interface Tally {
  selected: number;
  closed: number;
  dropped?: number;
}

/** Whether an item closed for this reason was closed without being done. */
export const isDropped = (reason: CloseReason): boolean => reason !== 'completed' && reason !== 'merged';

/** The tally of items already filtered by `itemsAsOf`, as they stood at `now`. */
export function tallyOf(items: readonly Item[], now: Date): Required<Tally> {
  const tally = { selected: items.length, closed: 0, dropped: 0 };
  for (const item of items) {
    const reason = closeReasonAt(item, now);
    if (!reason) continue;
    tally.closed++;
    if (isDropped(reason)) tally.dropped++;
  }
  return tally;
}

/**
 * Done and total per `progress`: `github` counts every closed item as done; `completed`
 * counts what was closed as completed or merged as done, and leaves the dropped items out.
 */
export function doneAndTotalOf(progress: Target['progress'], tally: Tally): { done: number; total: number } {
  if (progress === 'github') return { done: tally.closed, total: tally.selected };
  if (tally.dropped === undefined) throw new Error('progress: completed needs the number of items closed without being done');
  return { done: tally.closed - tally.dropped, total: tally.selected - tally.dropped };
}

/** Done and total as of `now`, per `progress`, of items already filtered by `itemsAsOf`. */
export function doneAndTotal(items: readonly Item[], progress: Target['progress'], now: Date): { done: number; total: number } {
  return doneAndTotalOf(progress, tallyOf(items, now));
}

/**
 * What a measure (src/measures.ts) made of a target's selection, when it is not the plain
 * done / total of its items: the measure itself, and how many selected items are still open.
 */
export interface Measured {
  percent: number;
  done: number;
  total: number;
  /** items, points, or a metric's unit. */
  unit: string;
  openCount: number;
  /** Where a metric's value was read. */
  from?: string;
}

export interface Progress {
  percent: number;
  /** items (when not given), points, or a metric's unit. */
  unit?: string;
  /** Where a metric's value was read, for the record's figures. */
  from?: string;
  status: Status;
  done: number;
  total: number;
  due: Date | undefined;
  /** The schedule's start, when it has one (a goal counts from it). */
  start?: Date;
  windowStart: Date;
  /** Items closed in [windowStart, now], newest first. */
  closedInWindow: Item[];
  /** Items open at `now`, most recently updated first (with counts given: at least the first `open_items`). */
  open: Item[];
  /** How many items are open at `now`. */
  openCount: number;
  /** How far along the schedule is at `now`, in percent; undefined without a start and a due date. */
  expected?: number;
  figures: { issuesClosed: number; pullsMerged: number; opened: number };
}

/**
 * Everything the record says about one target, from the selected items; or, when GitHub
 * counted them, from that tally and the items the record lists (every item updated in the
 * window, and the most recently updated open ones).
 */
export function computeProgress(
  target: Target,
  selected: readonly Item[],
  now: Date,
  schedule: Schedule,
  lastRecordAt?: Date,
  counts?: Tally,
  measured?: Measured,
): Progress {
  const items = itemsAsOf(selected, target.include, now);
  const { done, total } = measured ?? doneAndTotalOf(target.progress, counts ?? tallyOf(items, now));
  const percent = measured ? measured.percent : percentOf(done, total);
  const start = windowStart(target.window, now, target.timezone, lastRecordAt);
  const closedInWindow = items
    .filter((i) => within(i.closedAt, start, now))
    .sort((a, b) => Date.parse(b.closedAt!) - Date.parse(a.closedAt!) || b.number - a.number);
  const open = items
    .filter((i) => !closedBy(i, now))
    .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt) || b.number - a.number);
  return {
    percent,
    // Items unless a measure says otherwise.
    ...(measured?.unit !== undefined && { unit: measured.unit }),
    ...(measured?.from !== undefined && { from: measured.from }),
    status: statusOf(target.status, percent, schedule, now, target.riskTolerance),
    expected: expectedPercent(schedule, now),
    done,
    total,
    due: schedule.due,
    ...(schedule.start && { start: schedule.start }),
    windowStart: start,
    closedInWindow,
    open,
    // Every item in the total is either done or open, with either setting of `progress`.
    openCount: measured ? measured.openCount : total - done,
    figures: {
      issuesClosed: closedInWindow.filter((i) => i.kind === 'issue').length,
      pullsMerged: items.filter((i) => within(i.mergedAt, start, now)).length,
      opened: items.filter((i) => within(i.createdAt, start, now)).length,
    },
  };
}
