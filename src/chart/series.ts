import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import { doneAndTotal, itemsAsOf, type Schedule } from '../progress.js';

// The numbers of the burn-up chart (pure): done and total items, day by day, over the
// target's life or the last 12 weeks, whichever is shorter.

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest history a chart shows; older days would squeeze the recent ones. */
export const HISTORY_MS = 12 * 7 * DAY_MS;
/** The recent pace of the forecast: items done over this many days, per day. */
export const PACE_DAYS = 14;
/** A forecast finishing later than this after now is drawn to the axis' end, not beyond it. */
export const FORECAST_REACH_MS = 2 * 365 * DAY_MS;

export interface BurnUpPoint {
  at: Date;
  done: number;
  total: number;
}

export interface BurnUpSeries {
  /** Oldest first; the last point is `now`. */
  points: BurnUpPoint[];
  /** The left and right ends of the time axis; `end` passes `now` to show a due date or forecast ahead. */
  start: Date;
  end: Date;
  now: Date;
  due: Date | undefined;
  /** Where the planned line starts at 0 (it ends at the total on the due date); only with a due date after it. */
  plannedStart: Date | undefined;
  /** When the open items would all be done at the recent pace; absent when nothing was done lately or nothing is left. */
  forecast: { finish: Date; perDay: number } | undefined;
}

/**
 * Where the target's life begins: its start (the `start` key, or the milestone's creation),
 * else the oldest selected item; a week before now when nothing is selected.
 */
function lifeStart(items: readonly Item[], schedule: Schedule, now: Date): number {
  if (schedule.start) return schedule.start.getTime();
  const created = items.map((i) => Date.parse(i.createdAt));
  return created.length ? Math.min(...created) : now.getTime() - 7 * DAY_MS;
}

export function burnUpSeries(
  target: Pick<Target, 'include' | 'progress'>,
  selected: readonly Item[],
  now: Date,
  schedule: Schedule,
): BurnUpSeries {
  const nowMs = now.getTime();
  const life = lifeStart(selected, schedule, now);
  // At least a day, so that a target started today still has an axis.
  const startMs = Math.min(nowMs - DAY_MS, Math.max(life, nowMs - HISTORY_MS));
  const history = nowMs - startMs;
  const dueMs = schedule.due?.getTime();

  const steps = Math.ceil(history / DAY_MS);
  const points: BurnUpPoint[] = [];
  for (let step = 0; step <= steps; step++) {
    const at = new Date(Math.min(startMs + step * DAY_MS, nowMs));
    points.push({ at, ...doneAndTotal(itemsAsOf(selected, target.include, at), target.progress, at) });
  }
  const forecast = forecastOf(points, nowMs);
  // The due date is always on the axis, however far ahead (the chart gives the history at
  // least half the width, so it stays readable); so is a forecast finish within reach.
  let endMs = Math.max(nowMs, dueMs ?? nowMs);
  if (forecast && forecast.finish.getTime() <= nowMs + FORECAST_REACH_MS) endMs = Math.max(endMs, forecast.finish.getTime());
  const plannedStart = dueMs !== undefined && dueMs > life ? new Date(life) : undefined;
  return { points, start: new Date(startMs), end: new Date(endMs), now, due: schedule.due, plannedStart, forecast };
}

/**
 * The finish at the pace of the last PACE_DAYS days (or of the whole history when shorter):
 * items done since then per day, applied to the items still open. None when the pace is not
 * positive, or when nothing is left: a forecast then would only mislead.
 */
function forecastOf(points: readonly BurnUpPoint[], nowMs: number): BurnUpSeries['forecast'] {
  const last = points[points.length - 1]!;
  const from = points.find((p) => p.at.getTime() >= nowMs - PACE_DAYS * DAY_MS) ?? points[0]!;
  const days = (nowMs - from.at.getTime()) / DAY_MS;
  const left = last.total - last.done;
  if (days <= 0 || left <= 0) return undefined;
  const perDay = (last.done - from.done) / days;
  if (perDay <= 0) return undefined;
  return { finish: new Date(nowMs + (left / perDay) * DAY_MS), perDay };
}
