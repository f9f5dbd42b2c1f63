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

/** The instant at which a wall-clock date/time happens in a time zone. */
export function zonedInstant(year: number, month: number, day: number, timeZone: string, hour = 0, minute = 0, second = 0): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  // The zone's offset at that moment; a second pass settles days on which it changes.
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(guess), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess = guess - (shown - asUtc);
  }
  return new Date(guess);
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

export interface Schedule {
  start: Date | undefined;
  due: Date | undefined;
}

/** Due date: the milestone's due_on, or the target's `due`; start: `start`, or the milestone's creation. */
export function scheduleOf(target: Target, milestone: { due_on: string | null; created_at: string } | undefined): Schedule {
  const due = milestone?.due_on ? new Date(milestone.due_on) : target.due ? parseDateOrInstant(target.due, target.timezone, true) : undefined;
  const start = target.start ? parseDateOrInstant(target.start, target.timezone) : milestone ? new Date(milestone.created_at) : undefined;
  return { start, due };
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

export interface Progress {
  percent: number;
  status: Status;
  done: number;
  total: number;
  due: Date | undefined;
  windowStart: Date;
  /** Items closed in [windowStart, now], newest first. */
  closedInWindow: Item[];
  /** Items open at `now`, most recently updated first (with counts given: at least the first `open_items`). */
  open: Item[];
  /** How many items are open at `now`. */
  openCount: number;
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
): Progress {
  const items = itemsAsOf(selected, target.include, now);
  const { done, total } = doneAndTotalOf(target.progress, counts ?? tallyOf(items, now));
  const percent = percentOf(done, total);
  const start = windowStart(target.window, now, target.timezone, lastRecordAt);
  const closedInWindow = items
    .filter((i) => within(i.closedAt, start, now))
    .sort((a, b) => Date.parse(b.closedAt!) - Date.parse(a.closedAt!) || b.number - a.number);
  const open = items
    .filter((i) => !closedBy(i, now))
    .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt) || b.number - a.number);
  return {
    percent,
    status: statusOf(target.status, percent, schedule, now, target.riskTolerance),
    done,
    total,
    due: schedule.due,
    windowStart: start,
    closedInWindow,
    open,
    // Every item in the total is either done or open, with either setting of `progress`.
    openCount: total - done,
    figures: {
      issuesClosed: closedInWindow.filter((i) => i.kind === 'issue').length,
      pullsMerged: items.filter((i) => within(i.mergedAt, start, now)).length,
      opened: items.filter((i) => within(i.createdAt, start, now)).length,
    },
  };
}
