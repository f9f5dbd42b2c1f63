import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import { doneAndTotal, itemsAsOf, type Schedule } from '../progress.js';

// The numbers of the burn-up chart (pure): done and total items, day by day, over the
// target's life or the last 12 weeks, whichever is shorter.

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest history a chart shows; older days would squeeze the recent ones. */
export const HISTORY_MS = 12 * 7 * DAY_MS;

export interface BurnUpPoint {
  at: Date;
  done: number;
  total: number;
}

export interface BurnUpSeries {
  /** Oldest first; the last point is `now`. */
  points: BurnUpPoint[];
  /** The left and right ends of the time axis; `end` passes `now` only to show a due date ahead. */
  start: Date;
  end: Date;
  now: Date;
  due: Date | undefined;
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
  // At least a day, so that a target started today still has an axis.
  const startMs = Math.min(nowMs - DAY_MS, Math.max(lifeStart(selected, schedule, now), nowMs - HISTORY_MS));
  const history = nowMs - startMs;
  const dueMs = schedule.due?.getTime();
  // A due date ahead widens the axis, but by no more than the history shown, so the lines keep their room.
  const endMs = dueMs !== undefined && dueMs > nowMs ? Math.min(dueMs, nowMs + history) : nowMs;

  const steps = Math.ceil(history / DAY_MS);
  const points: BurnUpPoint[] = [];
  for (let step = 0; step <= steps; step++) {
    const at = new Date(Math.min(startMs + step * DAY_MS, nowMs));
    points.push({ at, ...doneAndTotal(itemsAsOf(selected, target.include, at), target.progress, at) });
  }
  return { points, start: new Date(startMs), end: new Date(endMs), now, due: schedule.due };
}
