import { localDate } from '../progress.js';
import { Bitmap, type Rgb } from './bitmap.js';
import { encodePng } from './png.js';
import type { BurnUpSeries } from './series.js';

// The burn-up chart as a PNG: total items and done items over time, the area under "done"
// filled, the due date as a dashed red line and today as a grey one when the axis runs past it.

export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 360;

const COLORS = {
  background: [255, 255, 255],
  grid: [229, 231, 235],
  axis: [156, 163, 175],
  label: [75, 85, 99],
  total: [51, 112, 255],
  done: [46, 161, 33],
  doneArea: [213, 240, 208],
  due: [216, 57, 49],
  now: [156, 163, 175],
} as const satisfies Record<string, Rgb>;

const SCALE = 2;
const MARGIN = { left: 64, right: 28, top: 48, bottom: 44 };
const X_LABELS = 5;

export interface Chart {
  png: Buffer;
  width: number;
  height: number;
}

/** A round step for about four grid lines up to `max`: 1, 2, 5, 10, 20, 50, … */
export function tickStep(max: number): number {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough) ?? 10 * power;
}

/** MM-DD of an instant in the target's time zone. */
const monthDay = (at: Date, timeZone: string): string => localDate(at, timeZone).slice(5);

export function drawBurnUpChart(series: BurnUpSeries, timeZone: string): Chart {
  const bitmap = new Bitmap(CHART_WIDTH, CHART_HEIGHT, COLORS.background);
  const plot = {
    left: MARGIN.left,
    right: CHART_WIDTH - MARGIN.right,
    top: MARGIN.top,
    bottom: CHART_HEIGHT - MARGIN.bottom,
  };
  const highest = Math.max(1, ...series.points.map((p) => p.total));
  const step = tickStep(highest);
  const top = Math.ceil(highest / step) * step;
  const span = series.end.getTime() - series.start.getTime();
  const xOf = (at: Date): number => plot.left + ((at.getTime() - series.start.getTime()) / span) * (plot.right - plot.left);
  const yOf = (count: number): number => plot.bottom - (count / top) * (plot.bottom - plot.top);
  const textHeight = Bitmap.textHeight(SCALE);

  // Grid and the count on each line.
  for (let count = 0; count <= top; count += step) {
    const y = Math.round(yOf(count));
    bitmap.line(plot.left, y, plot.right, y, count === 0 ? COLORS.axis : COLORS.grid);
    const label = String(count);
    bitmap.text(plot.left - 10 - Bitmap.textWidth(label, SCALE), y - textHeight / 2, label, COLORS.label, SCALE);
  }

  // Dates along the bottom, evenly spread, the first and last flush with the plot's ends.
  for (let i = 0; i <= X_LABELS; i++) {
    const at = new Date(series.start.getTime() + (span * i) / X_LABELS);
    const x = xOf(at);
    bitmap.line(x, plot.bottom, x, plot.bottom + 5, COLORS.axis);
    const label = monthDay(at, timeZone);
    const width = Bitmap.textWidth(label, SCALE);
    const left = Math.min(Math.max(x - width / 2, plot.left - 8), CHART_WIDTH - width - 4);
    bitmap.text(left, plot.bottom + 12, label, COLORS.label, SCALE);
  }

  // The area under "done", one column at a time between consecutive points.
  const points = series.points.map((p) => ({ x: xOf(p.at), done: yOf(p.done), total: yOf(p.total) }));
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    for (let x = Math.round(a.x); x <= Math.round(b.x); x++) {
      const share = b.x === a.x ? 1 : (x - a.x) / (b.x - a.x);
      const y = a.done + (b.done - a.done) * Math.min(1, Math.max(0, share));
      bitmap.line(x, y, x, plot.bottom - 1, COLORS.doneArea);
    }
  }

  if (series.end.getTime() > series.now.getTime()) {
    const x = xOf(series.now);
    bitmap.line(x, plot.top, x, plot.bottom, COLORS.now, 1, 4);
    bitmap.text(x + 4, plot.top + 2, 'now', COLORS.now, SCALE);
  }
  const due = series.due;
  if (due && due.getTime() >= series.start.getTime() && due.getTime() <= series.end.getTime()) {
    const x = xOf(due);
    bitmap.line(x, plot.top, x, plot.bottom, COLORS.due, 2, 6);
    const label = 'due';
    const beside = x + 4 + Bitmap.textWidth(label, SCALE) <= CHART_WIDTH ? x + 4 : x - 4 - Bitmap.textWidth(label, SCALE);
    bitmap.text(beside, plot.top + 2 + textHeight + 4, label, COLORS.due, SCALE);
  }

  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    bitmap.line(a.x, a.total, b.x, b.total, COLORS.total, 3);
  }
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    bitmap.line(a.x, a.done, b.x, b.done, COLORS.done, 3);
  }

  // Legend, above the plot.
  let x = plot.left;
  const legendY = (MARGIN.top - textHeight) / 2;
  const legend: [string, Rgb][] = [
    ['done', COLORS.done],
    ['total', COLORS.total],
  ];
  if (due) legend.push([`due ${monthDay(due, timeZone)}`, COLORS.due]);
  for (const [label, color] of legend) {
    bitmap.rect(x, legendY + textHeight / 2 - 2, 18, 4, color);
    bitmap.text(x + 24, legendY, label, COLORS.label, SCALE);
    x += 24 + Bitmap.textWidth(label, SCALE) + 24;
  }

  return { png: encodePng(CHART_WIDTH, CHART_HEIGHT, bitmap.pixels), width: CHART_WIDTH, height: CHART_HEIGHT };
}
