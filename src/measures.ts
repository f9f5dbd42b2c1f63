import type { Metric, Target } from './config/schema.js';
import { doneAndTotalOf, type Tally } from './progress.js';

// How a key result is measured: pure functions from what a source returned to
// {percent, done, total, unit}. Percent is rounded half-up to two decimals exactly: every
// value is scaled to an integer first, so 0.1 + 0.2 never shows up as 30.000000000000004 %.

export interface Measure {
  percent: number;
  done: number;
  total: number;
  /** items, points, or a metric's unit. */
  unit: string;
}

/** A decimal number as an integer and a power of ten: 72.4 → 724n, 1. */
function decimal(value: number): { digits: bigint; scale: number } {
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number`);
  const [mantissa = '0', exponent = '0'] = String(value).toLowerCase().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  let scale = fraction.length - Number(exponent);
  let digits = BigInt(`${whole}${fraction}`);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/** Several numbers as integers of one common scale. */
function scaled(values: readonly number[]): { digits: bigint[]; scale: number } {
  const decimals = values.map(decimal);
  const scale = Math.max(0, ...decimals.map((d) => d.scale));
  return { digits: decimals.map((d) => d.digits * 10n ** BigInt(scale - d.scale)), scale };
}

/**
 * numerator / denominator × 100, rounded half-up to two decimals, not capped; 0 when the
 * denominator is 0 or the ratio is negative.
 */
export function exactPercent(numerator: bigint, denominator: bigint): number {
  if (denominator === 0n) return 0;
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  if (numerator <= 0n) return 0;
  const hundredths = (2n * numerator * 10000n + denominator) / (2n * denominator);
  return Number(hundredths) / 100;
}

/** v1's measure: done / total of the selected items, per `progress`. */
export function completion(progress: Target['progress'], tally: Tally): Measure {
  const { done, total } = doneAndTotalOf(progress, tally);
  return { percent: exactPercent(BigInt(done), BigInt(total)), done, total, unit: 'items' };
}

/** `goal: N`: the items closed since the start, out of N; 120 % is an over-achievement. */
export function goal(closedSinceStart: number, n: number): Measure {
  return { percent: exactPercent(BigInt(closedSinceStart), BigInt(n)), done: closedSinceStart, total: n, unit: 'items' };
}

/** Items of equal points: how many count, and how many of those are done. */
export interface PointGroup {
  points: number;
  total: number;
  done: number;
}

/**
 * Progress by points (`weights`, or a project's estimates): Σ points of the done items /
 * Σ points of all. Any source that knows each item's points, or how many items carry each
 * number of points, can use it.
 */
export function points(groups: readonly PointGroup[]): Measure {
  const { digits, scale } = scaled(groups.map((g) => g.points));
  let done = 0n;
  let total = 0n;
  groups.forEach((group, i) => {
    done += digits[i]! * BigInt(group.done);
    total += digits[i]! * BigInt(group.total);
  });
  const unscale = (n: bigint): number => Number(n) / 10 ** scale;
  return { percent: exactPercent(done, total), done: unscale(done), total: unscale(total), unit: 'points' };
}

/** An item's points: the largest weight among its labels (GitHub's labels ignore case), else the default. */
export function pointsOfLabels(labels: readonly string[], weights: Readonly<Record<string, number>>, defaultWeight: number): number {
  const wanted = new Set(labels.map((l) => l.toLowerCase()));
  const found = Object.entries(weights)
    .filter(([label]) => wanted.has(label.toLowerCase()))
    .map(([, weight]) => weight);
  return found.length ? Math.max(...found) : defaultWeight;
}

/**
 * A number key result: (value − start) / (target − start) × 100, not capped and never below
 * 0, so that "lower is better" (target below start) works the same way.
 */
export function metric(value: number, settings: Pick<Metric, 'start' | 'target' | 'unit'>): Measure {
  const { digits } = scaled([value, settings.start, settings.target]);
  const [v, start, target] = digits as [bigint, bigint, bigint];
  return { percent: exactPercent(v - start, target - start), done: value, total: settings.target, unit: settings.unit ?? '' };
}
