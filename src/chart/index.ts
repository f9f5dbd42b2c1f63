import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import type { Schedule } from '../progress.js';
import { drawBurnUpChart, type Chart } from './burn-up.js';
import { burnUpSeries } from './series.js';

export type { Chart } from './burn-up.js';

/** The burn-up chart of a target's selected items as they stood at `now`, as a PNG. */
export function burnUpChart(target: Pick<Target, 'include' | 'progress' | 'timezone'>, items: readonly Item[], now: Date, schedule: Schedule): Chart {
  return drawBurnUpChart(burnUpSeries(target, items, now, schedule), target.timezone);
}
