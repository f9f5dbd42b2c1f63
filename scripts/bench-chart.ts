// Times the burn-up chart: draws a busy chart (12 weeks of daily points, a due date across a
// year boundary, the planned line, a forecast) many times and prints the mean per draw and
// the PNG's size. With a directory argument it also writes the English and Chinese charts there.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { drawBurnUpChart } from '../src/chart/burn-up.js';
import type { BurnUpSeries } from '../src/chart/series.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const now = new Date('2026-12-03T09:00:00Z');
const start = new Date(now.getTime() - 84 * DAY_MS);
const points = Array.from({ length: 85 }, (_, day) => ({
  at: new Date(start.getTime() + day * DAY_MS),
  done: Math.floor(day * 0.45),
  total: 40 + Math.floor(day / 3),
}));
const last = points[points.length - 1]!;
const perDay = 0.45;
const series: BurnUpSeries = {
  points,
  start,
  end: new Date(now.getTime() + ((last.total - last.done) / perDay) * DAY_MS),
  now,
  due: new Date('2027-01-31T00:00:00Z'),
  plannedStart: start,
  forecast: { finish: new Date(now.getTime() + ((last.total - last.done) / perDay) * DAY_MS), perDay },
};

const text = { name: 'Launch v2', language: 'en' } as const;
const runs = 200;
for (let i = 0; i < 20; i++) drawBurnUpChart(series, 'Asia/Shanghai', text);
const began = performance.now();
let bytes = 0;
for (let i = 0; i < runs; i++) bytes = drawBurnUpChart(series, 'Asia/Shanghai', text).png.length;
const mean = (performance.now() - began) / runs;
console.log(`burn-up chart: ${mean.toFixed(2)} ms per draw (mean of ${runs}), ${(bytes / 1024).toFixed(1)} KB per PNG`);

const out = process.argv[2];
if (out) {
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'chart-en.png'), drawBurnUpChart(series, 'Asia/Shanghai', text).png);
  await writeFile(path.join(out, 'chart-zh.png'), drawBurnUpChart(series, 'Asia/Shanghai', { name: 'Launch v2', language: 'zh' }).png);
  console.log(`written to ${out}`);
}
