import { localDate } from '../progress.js';
import { Bitmap, type Rgb } from './bitmap.js';
import { encodePng } from './png.js';
import type { BurnUpSeries } from './series.js';

// The burn-up chart as a PNG: a title (the target's name, done of total), total items and
// done items over time, the area under "done" filled, the planned line from start to due,
// the forecast at the recent pace to its finish date, the due date as a dashed red line and
// today as a grey one when the axis runs past it. Words in the record's language.

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
  title: [31, 41, 55],
  planned: [100, 116, 139],
  forecast: [234, 128, 20],
} as const satisfies Record<string, Rgb>;

const SCALE = 2;
const MARGIN = { left: 64, right: 28, top: 60, bottom: 44 };
const TITLE_Y = 8;
const LEGEND_Y = 32;
/** Intervals between date labels; fewer when labels carry a year, so that they do not overlap. */
const X_LABELS = 5;
const X_LABELS_WITH_YEARS = 4;

export type ChartLanguage = 'en' | 'zh';

/** The chart's words, in the record's language. */
export const CHART_WORDS = {
  en: { done: 'done', total: 'total', planned: 'planned', forecast: 'forecast', due: 'due', now: 'now' },
  zh: { done: '完成', total: '总数', planned: '计划', forecast: '预测', due: '截止', now: '今天' },
} as const satisfies Record<ChartLanguage, Record<string, string>>;

export interface ChartText {
  /** The target's name, as the record's headline shows it. */
  name: string;
  language: ChartLanguage;
}

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

/** MM-DD of an instant in the target's time zone, or YYYY-MM-DD with `withYear`. */
const dateLabel = (at: Date, timeZone: string, withYear = false): string => localDate(at, timeZone).slice(withYear ? 0 : 5);
const yearOf = (at: Date, timeZone: string): string => localDate(at, timeZone).slice(0, 4);

/** "Launch v2 · 5 of 8 done": the name shortened with ".." when the whole would not fit `width`. */
export function chartTitle(text: ChartText, done: number, total: number, width: number, scale: number): string {
  const tail = text.language === 'zh' ? ` · ${CHART_WORDS.zh.done} ${done}/${total}` : ` · ${done} of ${total} done`;
  const name = [...text.name.trim()];
  if (name.length === 0) return tail.slice(3);
  if (Bitmap.textWidth(name.join('') + tail, scale) <= width) return name.join('') + tail;
  while (name.length > 1 && Bitmap.textWidth(`${name.join('')}..${tail}`, scale) > width) name.pop();
  return `${name.join('')}..${tail}`;
}

export function drawBurnUpChart(series: BurnUpSeries, timeZone: string, text: ChartText = { name: '', language: 'en' }): Chart {
  const words = CHART_WORDS[text.language];
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
  const startMs = series.start.getTime();
  const nowMs = Math.min(Math.max(series.now.getTime(), startMs), series.end.getTime());
  const endMs = series.end.getTime();
  // Time runs at one rate over the axis, unless what lies ahead is longer than the history:
  // then the history keeps the left half and the days ahead share the right half, so that a
  // far due date is on the axis without squeezing the lines that matter most.
  const knee = endMs - nowMs > nowMs - startMs ? (plot.left + plot.right) / 2 : plot.left + ((nowMs - startMs) / (endMs - startMs)) * (plot.right - plot.left);
  const xOfMs = (ms: number): number =>
    ms <= nowMs
      ? plot.left + (nowMs === startMs ? 0 : ((ms - startMs) / (nowMs - startMs)) * (knee - plot.left))
      : knee + ((ms - nowMs) / (endMs - nowMs)) * (plot.right - knee);
  const msOfX = (x: number): number =>
    x <= knee
      ? startMs + (knee === plot.left ? 0 : ((x - plot.left) / (knee - plot.left)) * (nowMs - startMs))
      : nowMs + ((x - knee) / (plot.right - knee)) * (endMs - nowMs);
  const xOf = (at: Date): number => xOfMs(at.getTime());
  const yOf = (count: number): number => plot.bottom - (count / top) * (plot.bottom - plot.top);
  const textHeight = Bitmap.textHeight(SCALE);
  const last = series.points[series.points.length - 1] ?? { done: 0, total: 0 };
  const nowYear = yearOf(series.now, timeZone);

  bitmap.text(16, TITLE_Y, chartTitle(text, last.done, last.total, CHART_WIDTH - 32, SCALE), COLORS.title, SCALE);

  // Grid and the count on each line.
  for (let count = 0; count <= top; count += step) {
    const y = Math.round(yOf(count));
    bitmap.line(plot.left, y, plot.right, y, count === 0 ? COLORS.axis : COLORS.grid);
    const label = String(count);
    bitmap.text(plot.left - 10 - Bitmap.textWidth(label, SCALE), y - textHeight / 2, label, COLORS.label, SCALE);
  }

  // Dates along the bottom, evenly spread, the first and last flush with the plot's ends. Where
  // the axis crosses a year, the first date and the first of each new year carry the year.
  const crossesYear = yearOf(series.start, timeZone) !== yearOf(series.end, timeZone);
  const intervals = crossesYear ? X_LABELS_WITH_YEARS : X_LABELS;
  let previousYear = '';
  for (let i = 0; i <= intervals; i++) {
    const x = plot.left + ((plot.right - plot.left) * i) / intervals;
    const at = new Date(msOfX(x));
    const year = yearOf(at, timeZone);
    const label = dateLabel(at, timeZone, crossesYear && year !== previousYear);
    previousYear = year;
    bitmap.line(x, plot.bottom, x, plot.bottom + 5, COLORS.axis);
    const width = Bitmap.textWidth(label, SCALE);
    const left = Math.min(Math.max(x - width / 2, 4), CHART_WIDTH - width - 4);
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
      bitmap.rect(x, y, 1, plot.bottom - Math.round(y), COLORS.doneArea);
    }
  }

  // The now and due words go on last, over the lines, so that they stay readable.
  const marks: (() => void)[] = [];
  if (endMs > series.now.getTime()) {
    const x = xOf(series.now);
    bitmap.line(x, plot.top, x, plot.bottom, COLORS.now, 1, 4);
    marks.push(() => bitmap.text(x + 4, plot.top + 2, words.now, COLORS.now, SCALE));
  }
  const due = series.due;
  if (due && due.getTime() >= startMs && due.getTime() <= endMs) {
    const x = xOf(due);
    bitmap.line(x, plot.top, x, plot.bottom, COLORS.due, 2, 6);
    const label = words.due;
    const beside = x + 4 + Bitmap.textWidth(label, SCALE) <= CHART_WIDTH ? x + 4 : x - 4 - Bitmap.textWidth(label, SCALE);
    marks.push(() => bitmap.text(beside, plot.top + 2 + textHeight + 4, label, COLORS.due, SCALE));
  }

  // The planned line: 0 at the start, today's total at the due date, a straight line in time
  // (drawn in two pieces when the axis changes rate at now), cut where the axis begins.
  if (due && series.plannedStart) {
    const from = series.plannedStart.getTime();
    const plannedAt = (ms: number): number => (last.total * (ms - from)) / (due.getTime() - from);
    const stops = [Math.max(from, startMs), nowMs, due.getTime()].filter((ms, i, all) => ms >= all[0]! && ms <= due.getTime());
    for (let i = 1; i < stops.length; i++) {
      const [a, b] = [stops[i - 1]!, stops[i]!];
      if (b > a) bitmap.line(xOfMs(a), yOf(plannedAt(a)), xOfMs(b), yOf(plannedAt(b)), COLORS.planned, 2, 8);
    }
    // A square where the plan ends, whatever the dashes leave there.
    bitmap.rect(xOf(due) - 2, yOf(last.total) - 2, 5, 5, COLORS.planned);
  }

  // The forecast: from today's done to the total at the recent pace, labelled with its finish
  // date; cut at the axis' end when the finish lies beyond it (the label still tells the date).
  const forecast = series.forecast;
  if (forecast) {
    const finishMs = forecast.finish.getTime();
    const toMs = Math.min(finishMs, endMs);
    const toCount = last.done + (forecast.perDay * (toMs - series.now.getTime())) / (24 * 60 * 60 * 1000);
    const [x1, y1] = [xOfMs(toMs), yOf(Math.min(last.total, toCount))];
    bitmap.line(xOf(series.now), yOf(last.done), x1, y1, COLORS.forecast, 2, 5);
    const label = dateLabel(forecast.finish, timeZone, yearOf(forecast.finish, timeZone) !== nowYear);
    const width = Bitmap.textWidth(label, SCALE);
    // Below the line's end, clear of the now and due words along the plot's top.
    bitmap.rect(x1 - 3, y1 - 3, 7, 7, COLORS.forecast);
    // Right of the now word, which the forecast always follows.
    const afterNow = xOf(series.now) + 4 + Bitmap.textWidth(words.now, SCALE) + 6;
    const [labelX, labelY] = [Math.min(Math.max(x1 - width / 2, afterNow), CHART_WIDTH - width - 4), Math.min(y1 + 10, plot.bottom - textHeight - 4)];
    bitmap.rect(labelX - 2, labelY - 2, width + 4, textHeight + 4, COLORS.background);
    bitmap.text(labelX, labelY, label, COLORS.forecast, SCALE);
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

  for (const mark of marks) mark();

  // Legend, between the title and the plot; dashed samples for the dashed lines.
  let x = 16;
  const legend: [string, Rgb, number][] = [
    [words.done, COLORS.done, 0],
    [words.total, COLORS.total, 0],
  ];
  if (due && series.plannedStart) legend.push([words.planned, COLORS.planned, 4]);
  if (forecast) legend.push([words.forecast, COLORS.forecast, 4]);
  if (due) legend.push([`${words.due} ${dateLabel(due, timeZone, yearOf(due, timeZone) !== nowYear)}`, COLORS.due, 4]);
  for (const [label, color, dash] of legend) {
    const middle = LEGEND_Y + textHeight / 2;
    if (dash) bitmap.line(x, middle, x + 18, middle, color, 3, dash);
    else bitmap.rect(x, middle - 2, 18, 4, color);
    bitmap.text(x + 24, LEGEND_Y, label, COLORS.label, SCALE);
    x += 24 + Bitmap.textWidth(label, SCALE) + 20;
  }

  return { png: encodePng(CHART_WIDTH, CHART_HEIGHT, bitmap.pixels), width: CHART_WIDTH, height: CHART_HEIGHT };
}
