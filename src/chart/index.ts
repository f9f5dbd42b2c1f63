import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import type { Schedule } from '../progress.js';
import { drawBurnUpChart, type Chart } from './burn-up.js';
import { burnUpSeries } from './series.js';

export type { Chart } from './burn-up.js';

/**
 * The burn-up chart of a target's selected items as they stood at `now`, as a PNG, titled with
 * `name` (the record's headline name) and worded in the target's language.
 */
export function burnUpChart(
  target: Pick<Target, 'include' | 'progress' | 'timezone'> & Partial<Pick<Target, 'language'>>,
  items: readonly Item[],
  now: Date,
  schedule: Schedule,
  name = '',
): Chart {
  return drawBurnUpChart(burnUpSeries(target, items, now, schedule), target.timezone, { name, language: target.language ?? 'en' });
}
