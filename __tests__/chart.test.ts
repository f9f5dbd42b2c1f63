import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { burnUpChart } from '../src/chart/index.js';
import { Bitmap } from '../src/chart/bitmap.js';
import { chartTitle, drawBurnUpChart, tickStep } from '../src/chart/burn-up.js';
import { glyph, wideGlyph } from '../src/chart/font.js';
import { encodePng } from '../src/chart/png.js';
import { burnUpSeries, HISTORY_MS, type BurnUpSeries } from '../src/chart/series.js';
import type { Target } from '../src/config/schema.js';
import { FeishuClient } from '../src/feishu/client.js';
import { FeishuError } from '../src/feishu/errors.js';
import { Item } from '../src/github/items.js';
import { computeProgress } from '../src/progress.js';
import { buildRecordRequest } from '../src/record/content.js';
import { APP, AS_OF, GITHUB_TOKEN, KR_LAUNCH, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runAction } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';
import { makeTarget } from './fixtures/target.js';

// The burn-up chart: its numbers, its picture (decoded here byte by byte), its upload to the
// fake Feishu and its place in the record.

interface Picture {
  width: number;
  height: number;
  /** RGB, row by row. */
  pixels: Buffer;
}

/** A small PNG decoder for 8-bit RGB pictures: checks every chunk's CRC and undoes all five filters. */
function decodePng(png: Buffer): Picture {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      // 8 bits, RGB, deflate, standard filters, no interlace.
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types[types.length - 1]).toBe('IEND');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter === 0) {
      // No filter: the row as it is (the encoder writes only these; a quick path keeps tests fast).
      raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
      continue;
    }
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const left = x >= 3 ? pixels[y * stride + x - 3]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = x >= 3 && y > 0 ? pixels[(y - 1) * stride + x - 3]! : 0;
      const paeth = (): number => {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      };
      const predictor = [0, left, up, Math.floor((left + up) / 2), paeth()][filter];
      if (predictor === undefined) throw new Error(`row ${y}: unknown filter ${filter}`);
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, pixels };
}

/** How many pixels of each colour, keyed "r,g,b". */
function colours(picture: Picture): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picture.pixels.length; i += 3) {
    const key = `${picture.pixels[i]},${picture.pixels[i + 1]},${picture.pixels[i + 2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const DONE = '46,161,33';
const TOTAL = '51,112,255';
const DUE = '216,57,49';

type SampleItem = (typeof SAMPLE_REPOS)['acme/widgets']['items'][number];

/** The sample's issues and pull requests as the collector hands them on. */
function items(raw: readonly SampleItem[]): Item[] {
  return raw.map((i) =>
    Item.parse({
      number: i.number,
      title: i.title,
      html_url: `https://github.com/acme/widgets/${i.kind === 'pull' ? 'pull' : 'issues'}/${i.number}`,
      state: i.state,
      state_reason: 'state_reason' in i ? i.state_reason : null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      user: { login: i.user },
      labels: i.labels.map((name) => ({ name })),
      milestone: 'milestone' in i ? { number: i.milestone } : null,
      ...(i.kind === 'pull' && { pull_request: { merged_at: 'merged_at' in i ? i.merged_at : null } }),
    }),
  );
}

const LAUNCH_ITEMS = items(SAMPLE_REPOS['acme/widgets'].items.filter((i) => 'milestone' in i && i.milestone === 1));
const NOW = new Date(AS_OF);
const LAUNCH_SCHEDULE = { start: new Date('2026-10-01T00:00:00Z'), due: new Date('2026-12-31T08:00:00Z') };
const GITHUB_WAY = { include: 'all', progress: 'github', timezone: 'UTC' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

describe('burnUpSeries', () => {
  it('counts done and total day by day from the start to now, as the record counts them', () => {
    const series = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE);
    expect(series.start.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    // The due date is 34 days ahead, within the 57 days of history shown: the axis runs to it.
    expect(series.end.toISOString()).toBe('2026-12-31T08:00:00.000Z');
    expect(series.points).toHaveLength(59);
    expect(series.points[0]).toEqual({ at: new Date('2026-10-01T00:00:00Z'), done: 0, total: 0 });
    // 2026-11-20T00:00: items 1, 2, 3, 4, 6, 7 and 10 exist (5 comes on 11-21); only 7 is closed.
    expect(series.points.find((p) => p.at.toISOString() === '2026-11-20T00:00:00.000Z')).toMatchObject({ done: 1, total: 7 });
    // The last point is now, with the record's numbers: 5 of 8.
    expect(series.points[series.points.length - 1]).toEqual({ at: NOW, done: 5, total: 8 });
  });

  it('counts as progress: completed does', () => {
    const series = burnUpSeries({ include: 'all', progress: 'completed' }, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE);
    const progress = computeProgress({ ...target(), progress: 'completed' }, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE);
    expect(series.points[series.points.length - 1]).toMatchObject({ done: progress.done, total: progress.total });
    expect([progress.done, progress.total]).toEqual([3, 6]);
  });

  it('shows at most the last 12 weeks, and the due date however far ahead', () => {
    const series = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, { start: new Date('2024-01-01T00:00:00Z'), due: new Date('2028-01-01T00:00:00Z') });
    expect(series.start.getTime()).toBe(NOW.getTime() - HISTORY_MS);
    // The due date is always on the axis (a reader looks for it); the picture keeps the history
    // readable by giving it half the width when more lies ahead than behind (tested below).
    expect(series.end.toISOString()).toBe('2028-01-01T00:00:00.000Z');
    expect(series.points).toHaveLength(85);
    expect(series.plannedStart!.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('forecasts the finish at the pace of the last 14 days, and widens the axis to it', () => {
    const series = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE);
    expect(series.plannedStart!.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(series.forecast).toEqual({ finish: new Date('2026-12-07T09:45:00.000Z'), perDay: 32 / 107 });
    // 3 done in the last 14 days (2 at 11-13T09:00, 5 now): 3 left at 3/14 a day is 14 days. The
    // pace counts from the first daily point within the 14 days (10.7 days back), hence 32/107.
    expect(series.end).toEqual(series.due);;
  });

  it('forecasts nothing when nothing was done lately or nothing is left', () => {
    // Everything closed before the last 14 days: the pace is zero and there is no forecast.
    const stale = LAUNCH_ITEMS.filter((i) => i.closedAt === null || Date.parse(i.closedAt) < NOW.getTime() - 14 * DAY_MS);
    const pacing = burnUpSeries(GITHUB_WAY, stale, NOW, LAUNCH_SCHEDULE);
    expect(pacing.points[pacing.points.length - 1]!.done).toBeLessThan(pacing.points[pacing.points.length - 1]!.total);
    expect(pacing.forecast).toBeUndefined();
    const finished = LAUNCH_ITEMS.filter((i) => i.closedAt !== null);
    expect(burnUpSeries(GITHUB_WAY, finished, NOW, LAUNCH_SCHEDULE).forecast).toBeUndefined();
    // Without a due date there is no planned line either, and the axis ends now.
    expect(burnUpSeries(GITHUB_WAY, stale, NOW, { start: LAUNCH_SCHEDULE.start, due: undefined })).toMatchObject({ plannedStart: undefined, end: NOW });
  });

  it('without a start begins with the oldest item, and without a due date ends now', () => {
    const series = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, { start: undefined, due: undefined });
    expect(series.start.toISOString()).toBe('2026-10-02T10:00:00.000Z');
    // No due date: the axis ends now, or at the forecast finish when there is one.
    expect(series.end).toEqual(series.forecast!.finish);
    expect(series.plannedStart).toBeUndefined();
    expect(series.points[0]).toMatchObject({ done: 0, total: 1 });
  });

  it('gives an axis of a day when nothing is selected', () => {
    const series = burnUpSeries(GITHUB_WAY, [], NOW, { start: undefined, due: undefined });
    expect(series.end.getTime() - series.start.getTime()).toBe(7 * DAY_MS);
    expect(burnUpSeries(GITHUB_WAY, [], NOW, { start: NOW, due: undefined }).start.getTime()).toBe(NOW.getTime() - DAY_MS);
  });
});

describe('the chart picture', () => {
  it('is a 720×360 PNG with both lines, the area under done, the due date and labels', () => {
    const chart = burnUpChart(GITHUB_WAY, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE);
    expect([chart.width, chart.height]).toEqual([720, 360]);
    const picture = decodePng(chart.png);
    expect([picture.width, picture.height]).toEqual([720, 360]);
    const counts = colours(picture);
    expect(counts.size).toBeGreaterThanOrEqual(8);
    expect(counts.get(DONE)).toBeGreaterThan(500);
    expect(counts.get(TOTAL)).toBeGreaterThan(1000);
    expect(counts.get(DUE)).toBeGreaterThan(200);
    // The area under "done" and the dark grey of the axis labels.
    expect(counts.get('213,240,208')).toBeGreaterThan(1000);
    expect(counts.get('75,85,99')).toBeGreaterThan(300);
    expect(counts.get('255,255,255')! / (720 * 360)).toBeGreaterThan(0.5);
  });

  it('puts the total line higher than the done line at now', () => {
    const schedule = { start: LAUNCH_SCHEDULE.start, due: undefined };
    const picture = decodePng(burnUpChart(GITHUB_WAY, LAUNCH_ITEMS, NOW, schedule).png);
    // Without a due date the axis ends at the forecast finish: the column just before now holds both lines' ends.
    const series = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, schedule);
    const column = Math.round(64 + (628 * (NOW.getTime() - series.start.getTime())) / (series.end.getTime() - series.start.getTime())) - 1;
    const rowsOf = (colour: string): number[] =>
      Array.from({ length: 360 }, (_, y) => y).filter((y) => {
        const at = (y * 720 + column) * 3;
        return `${picture.pixels[at]},${picture.pixels[at + 1]},${picture.pixels[at + 2]}` === colour;
      });
    const total = rowsOf(TOTAL);
    const done = rowsOf(DONE);
    expect(total.length).toBeGreaterThan(0);
    expect(done.length).toBeGreaterThan(0);
    expect(Math.max(...total)).toBeLessThan(Math.min(...done));
    expect(colours(picture).has(DUE)).toBe(false);
  });

  it('grid steps are round numbers', () => {
    expect([1, 4, 8, 9, 17, 40, 41, 230, 1999].map(tickStep)).toEqual([1, 1, 2, 5, 5, 10, 20, 100, 500]);
  });

  it('encodePng refuses pixels that do not fill the picture', () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow('encodePng: 11 bytes do not make 2×2 RGB pixels');
    expect(decodePng(encodePng(1, 1, new Uint8Array([1, 2, 3]))).pixels).toEqual(Buffer.from([1, 2, 3]));
  });

  it('draws from a series whose points all lie at one count', () => {
    const flat = drawBurnUpChart({ points: [{ at: new Date(NOW.getTime() - DAY_MS), done: 0, total: 0 }, { at: NOW, done: 0, total: 0 }], start: new Date(NOW.getTime() - DAY_MS), end: NOW, now: NOW, due: undefined, plannedStart: undefined, forecast: undefined }, 'UTC');
    expect(colours(decodePng(flat.png)).get(TOTAL)).toBeGreaterThan(0);
  });
});

const PLANNED = '100,116,139';
const FORECAST = '234,128,20';
const LABEL = '75,85,99';
const TITLE = '31,41,55';

/** Where `text`, drawn as the chart draws it (scale 2), appears in `colour`: top left corners. */
function findText(picture: Picture, text: string, colour: string): { x: number; y: number }[] {
  const ink: [number, number][] = [];
  const stamp = new Bitmap(Bitmap.textWidth(text, 2), Bitmap.textHeight(2), [255, 255, 255]);
  stamp.text(0, 0, text, [0, 0, 0], 2);
  for (let y = 0; y < stamp.height; y++) for (let x = 0; x < stamp.width; x++) if (stamp.pixels[(y * stamp.width + x) * 3] === 0) ink.push([x, y]);
  const [r, g, b] = colour.split(',').map(Number);
  const found: { x: number; y: number }[] = [];
  for (let y = 0; y + stamp.height <= picture.height; y++) {
    for (let x = 0; x + stamp.width <= picture.width; x++) {
      const first = ((y + ink[0]![1]) * picture.width + x + ink[0]![0]) * 3;
      if (picture.pixels[first] !== r || picture.pixels[first + 1] !== g || picture.pixels[first + 2] !== b) continue;
      const all = ink.every(([dx, dy]) => {
        const at = ((y + dy) * picture.width + x + dx) * 3;
        return picture.pixels[at] === r && picture.pixels[at + 1] === g && picture.pixels[at + 2] === b;
      });
      if (all) found.push({ x, y });
    }
  }
  return found;
}

const pixel = (picture: Picture, x: number, y: number): string => {
  const at = (y * picture.width + x) * 3;
  return `${picture.pixels[at]},${picture.pixels[at + 1]},${picture.pixels[at + 2]}`;
};

/**
 * A series drawn by hand: 20 days of history and 20 ahead (so one time scale: 15.7 px a day
 * from x 64 to 692), 10 items throughout, 1 done until 5 days ago, 5 done now.
 */
function handSeries(overrides: Partial<BurnUpSeries> = {}): BurnUpSeries {
  const start = new Date('2026-12-01T00:00:00Z');
  const now = new Date(start.getTime() + 20 * DAY_MS);
  return {
    points: Array.from({ length: 21 }, (_, day) => ({ at: new Date(start.getTime() + day * DAY_MS), done: Math.max(1, day - 15), total: 10 })),
    start,
    end: new Date(now.getTime() + 20 * DAY_MS),
    now,
    due: new Date(now.getTime() + 20 * DAY_MS),
    plannedStart: start,
    forecast: { finish: new Date(now.getTime() + 14 * DAY_MS), perDay: 5 / 14 },
    ...overrides,
  };
}

describe("the chart's title, lines, dates and words", () => {
  it("titles the chart with the name and done of total, in the record's language", () => {
    const en = decodePng(burnUpChart({ ...GITHUB_WAY, language: 'en' }, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE, 'Launch v2').png);
    expect(findText(en, 'Launch v2 · 5 of 8 done', TITLE)).toEqual([{ x: 16, y: 8 }]);
    const zh = decodePng(burnUpChart({ ...GITHUB_WAY, language: 'zh' }, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE, 'Launch v2').png);
    expect(findText(zh, 'Launch v2 · 完成 5/8', TITLE)).toEqual([{ x: 16, y: 8 }]);
    expect(findText(zh, 'Launch v2 · 5 of 8 done', TITLE)).toEqual([]);
  });

  it('shortens a long name so the title fits, and draws a box for a character the font lacks', () => {
    const long = chartTitle({ name: 'A'.repeat(80), language: 'en' }, 5, 8, 688, 2);
    expect(long).toBe(`${'A'.repeat(41)}.. · 5 of 8 done`);
    expect(Bitmap.textWidth(long, 2)).toBeLessThanOrEqual(688);
    expect(chartTitle({ name: ' ', language: 'en' }, 5, 8, 688, 2)).toBe('5 of 8 done');
    expect(glyph('é')).toEqual(['#####', '#   #', '#   #', '#   #', '#   #', '#   #', '#####']);
    expect(glyph(' ').join('')).not.toContain('#');
    // A wide glyph stands 13 pixels tall and takes 15 pixels of the line at scale 2.
    expect(wideGlyph('完')).toHaveLength(13);
    expect(Bitmap.textWidth('完成', 2)).toBe(28);
    expect(Bitmap.textWidth('done', 2)).toBe(46);
  });

  it('draws the planned line from 0 at the start to the total at the due date', () => {
    const picture = decodePng(drawBurnUpChart(handSeries(), 'UTC').png);
    expect(pixel(picture, 64, 316)).toBe(PLANNED);
    expect(pixel(picture, 692, 60)).toBe(PLANNED);
    // 160 px (10.2 days) in, at 2.55 of the total's 10 (y 316 − 65): a drawn dash, not a gap.
    expect([249, 250, 251, 252].map((y) => pixel(picture, 224, y))).toContain(PLANNED);
    expect(colours(decodePng(drawBurnUpChart(handSeries({ plannedStart: undefined }), 'UTC').png)).has(PLANNED)).toBe(false);
  });

  it('draws the forecast to the finish date and writes the date there', () => {
    const picture = decodePng(drawBurnUpChart(handSeries(), 'UTC').png);
    // The finish is 14 days after now (x 378 + 14 × 15.7): a square marker at the total.
    expect(pixel(picture, 598, 60)).toBe(FORECAST);
    expect(findText(picture, '01-04', FORECAST)).toHaveLength(1);
    expect(findText(picture, 'forecast', LABEL)).toHaveLength(1);
    const none = decodePng(drawBurnUpChart(handSeries({ forecast: undefined }), 'UTC').png);
    expect(colours(none).has(FORECAST)).toBe(false);
    expect(findText(none, 'forecast', LABEL)).toEqual([]);
  });

  it('shows the year on the axis where it crosses one, and not otherwise', () => {
    const crossing = decodePng(drawBurnUpChart(handSeries(), 'UTC').png);
    // Five dates ten days apart; the first and the first of the new year carry their year.
    for (const [label, x] of [['2026-12-01', 5], ['12-11', 192], ['12-21', 349], ['12-31', 506], ['2027-01-10', 598]] as const) {
      expect({ label, at: findText(crossing, label, LABEL).filter((p) => p.y === 328) }).toEqual({ label, at: [{ x, y: 328 }] });
    }
    const launch = decodePng(burnUpChart(GITHUB_WAY, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE).png);
    expect(findText(launch, '10-01', LABEL).filter((p) => p.y === 328)).toHaveLength(1);
    expect(findText(launch, '2026', LABEL)).toEqual([]);
  });

  it('keeps the history on the left half when the due date is far ahead', () => {
    const far = burnUpSeries(GITHUB_WAY, LAUNCH_ITEMS, NOW, { start: LAUNCH_SCHEDULE.start, due: new Date('2028-01-01T00:00:00Z') });
    const picture = decodePng(drawBurnUpChart(far, 'UTC').png);
    // The now line sits in the middle of the plot (x 378); the due date at its right end.
    expect(findText(picture, 'now', '156,163,175')).toEqual([{ x: 382, y: 62 }]);
    expect(pixel(picture, 692, 300)).toBe(DUE);
  });

  it('writes the legend in Chinese for language zh', () => {
    const en = decodePng(drawBurnUpChart(handSeries(), 'UTC', { name: 'Launch v2', language: 'en' }).png);
    const zh = decodePng(drawBurnUpChart(handSeries(), 'UTC', { name: 'Launch v2', language: 'zh' }).png);
    for (const word of ['完成', '总数', '计划', '预测']) {
      expect({ word, at: findText(zh, word, LABEL) }).toEqual({ word, at: [expect.objectContaining({ y: 32 })] });
      expect(findText(en, word, LABEL)).toEqual([]);
    }
    // The due date is in another year than now: the legend gives its year.
    expect(findText(zh, '截止 2027-01-10', LABEL)).toHaveLength(1);
    expect(findText(en, 'due 2027-01-10', LABEL)).toHaveLength(1);
    expect(findText(zh, 'done', LABEL)).toEqual([]);
    expect(findText(zh, '今天', '156,163,175')).toHaveLength(1);
    const legendRows = (p: Picture): Buffer => p.pixels.subarray(32 * 720 * 3, 46 * 720 * 3);
    expect(legendRows(zh).equals(legendRows(en))).toBe(false);
  });

  it('stays a few KB', () => {
    for (const language of ['en', 'zh'] as const) {
      expect(drawBurnUpChart(handSeries(), 'UTC', { name: 'Launch v2', language }).png.length).toBeLessThan(10_000);
      expect(burnUpChart({ ...GITHUB_WAY, language }, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE, 'Launch v2').png.length).toBeLessThan(10_000);
    }
  });
});

const target = (overrides: Partial<Target> = {}): Target => makeTarget({ targetId: KR_LAUNCH, chart: true, ...overrides });

describe('the gallery block', () => {
  const image = { fileToken: 'boxcnAbCdEf0123456789', src: 'https://open.feishu.cn/open-apis/okr/v1/images/boxcnAbCdEf?ticket=x', width: 720, height: 360 };
  const input = (t: Target) => ({
    target: t,
    displayName: 'Launch v2',
    progress: computeProgress(t, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE),
    targetUrl: 'https://github.com/acme/widgets/milestone/1',
    closedListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aclosed',
    openListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aopen',
    people: {},
    periodKey: '2026-W48',
    run: { url: 'https://github.com/acme/widgets/actions/runs/1', label: 'OKR #1' },
  });

  it('follows the headline and the document links', () => {
    const docs = [{ url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' }];
    const { content } = buildRecordRequest({ ...input(target({ docs })), chart: image });
    expect(content.blocks![2]).toEqual({ type: 'gallery', gallery: { imageList: [image] } });
    expect(content.blocks![1]).toMatchObject({ paragraph: { elements: [{ type: 'docsLink' }] } });
    expect(content.blocks!.filter((b) => b.type === 'gallery')).toHaveLength(1);
  });

  it('follows the headline directly without documents, and is absent without a chart', () => {
    const t = target();
    expect(buildRecordRequest({ ...input(t), chart: image }).content.blocks![1]).toEqual({ type: 'gallery', gallery: { imageList: [image] } });
    expect(buildRecordRequest(input(t)).content.blocks!.some((b) => b.type === 'gallery')).toBe(false);
  });
});

describe('FeishuClient.uploadImage against the fake Feishu', () => {
  let feishu: FakeFeishu;
  const png = burnUpChart(GITHUB_WAY, LAUNCH_ITEMS, NOW, LAUNCH_SCHEDULE).png;
  const client = (): FeishuClient =>
    new FeishuClient({ baseUrl: feishu.url, appId: APP.appId, appSecret: APP.appSecret, sleep: () => Promise.resolve(), random: () => 0 });

  beforeEach(async () => {
    // A copy: tests take scopes away from the app.
    feishu = await startFakeFeishu({ apps: [{ ...APP }], okrs: SAMPLE_OKRS });
  });
  afterEach(() => feishu.close());

  it('sends the PNG and the target as multipart fields and returns the file token and address', async () => {
    const uploaded = await client().uploadImage(png, 3, KR_LAUNCH);
    expect(uploaded.fileToken).toMatch(/^boxcn[0-9a-f]{24}$/);
    expect(uploaded.url).toBe(`${feishu.url}/open-apis/okr/v1/images/${uploaded.fileToken}${uploaded.url.slice(uploaded.url.indexOf('?'))}`);
    const stored = feishu.images.get(uploaded.fileToken)!;
    expect(stored).toEqual({
      fileToken: uploaded.fileToken,
      targetId: KR_LAUNCH,
      targetType: 3,
      fileName: `okr-chart-${KR_LAUNCH}.png`,
      contentType: 'image/png',
      data: png,
    });
    const upload = feishu.requests.find((r) => r.path === '/open-apis/okr/v1/images/upload')!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.headers.authorization).toMatch(/^Bearer t-/);
  });

  it('sends the same form again after a server error', async () => {
    feishu.faults.push({ route: 'upload', kind: 'status', status: 500, code: 1009999, msg: 'internal server error' });
    const uploaded = await client().uploadImage(png, 2, SAMPLE_OKRS.objectives[0]!);
    expect(feishu.requests.filter((r) => r.path === '/open-apis/okr/v1/images/upload').map((r) => r.status)).toEqual([500, 200]);
    expect(feishu.images.get(uploaded.fileToken)!.data).toEqual(png);
  });

  it('explains a missing upload scope, an unknown target and a file that is not a PNG', async () => {
    await expect(client().uploadImage(png, 3, '7000000000000000001')).rejects.toThrow(
      'Feishu refused: key_result "7000000000000000001" was not found (code 1001004).',
    );
    await expect(client().uploadImage(Buffer.from('GIF89a not a png'), 3, KR_LAUNCH)).rejects.toThrow(
      'Feishu says: "invalid parameters: data: is not a PNG image"',
    );
    feishu.apps[0]!.uploadScope = false;
    const refused = client().uploadImage(png, 3, KR_LAUNCH);
    await expect(refused).rejects.toBeInstanceOf(FeishuError);
    await expect(refused).rejects.toThrow(
      'Feishu refused: the app has no permission for this OKR (code 1001002). Grant the app the okr:okr.progress.file:upload scope',
    );
  });
});

describe('the bundled action with chart: true', () => {
  let github: FakeGitHub;
  let feishu: FakeFeishu;
  let workspace: string;
  const mapping = SAMPLE_MAPPING.replace('  period: week\n', '  period: week\n  chart: true\n');

  beforeEach(async () => {
    github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
    // A copy: tests take scopes away from the app.
    feishu = await startFakeFeishu({ apps: [{ ...APP }], okrs: SAMPLE_OKRS });
    workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-chart-'));
    await mkdir(path.join(workspace, '.github'));
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), mapping);
  });
  afterEach(async () => {
    await Promise.all([github.close(), feishu.close()]);
    await rm(workspace, { recursive: true, force: true });
  });

  it('uploads one chart per target and shows it in the gallery after the headline', async () => {
    expect(mapping).toContain('  chart: true\n');
    const result = await runAction({
      workspace,
      githubToken: GITHUB_TOKEN,
      inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF },
      env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(feishu.images.size).toBe(3);
    expect(feishu.records.size).toBe(3);
    for (const record of feishu.records.values()) {
      const gallery = record.content.blocks[1]!;
      expect(gallery.type).toBe('gallery');
      if (gallery.type !== 'gallery') continue;
      const [shown] = gallery.gallery.imageList;
      const image = feishu.images.get(shown!.fileToken)!;
      expect(image).toMatchObject({ targetId: record.target_id, targetType: record.target_type });
      expect(shown).toEqual({ fileToken: image.fileToken, src: expect.stringContaining(`/open-apis/okr/v1/images/${image.fileToken}?ticket=`), width: 720, height: 360 });
      const picture = decodePng(image.data);
      expect([picture.width, picture.height]).toEqual([720, 360]);
      expect(colours(picture).get(DONE)).toBeGreaterThan(100);
    }
    expect(result.summary).toContain('Burn-up chart: shown in the record, after the headline');
  });

  it('in a dry run writes the chart to RUNNER_TEMP and names it in the log and the summary', async () => {
    const temp = await mkdtemp(path.join(os.tmpdir(), 'okr-runner-temp-'));
    try {
      const result = await runAction({
        workspace,
        githubToken: GITHUB_TOKEN,
        inputs: { 'dry-run': 'true', 'as-of': AS_OF, targets: 'Launch v2' },
        env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, RUNNER_TEMP: temp },
      });
      expect(result.code).toBe(0);
      expect(feishu.requests).toHaveLength(0);
      const file = path.join(temp, `okr-chart-${KR_LAUNCH}.png`);
      expect(existsSync(file)).toBe(true);
      const picture = decodePng(await readFile(file));
      expect(picture).toMatchObject({ width: 720, height: 360 });
      // Titled with the name the record leads with.
      expect(findText(picture, 'Launch v2 · 5 of 8 done', TITLE)).toEqual([{ x: 16, y: 8 }]);
      expect(result.stdout).toContain(`Launch v2: burn-up chart written to ${file} (a real run uploads it and shows it after the headline).`);
      expect(result.summary).toContain(`Burn-up chart: written to ${file}`);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });

  it('a chart that cannot be uploaded leaves a warning and the record is written without it', async () => {
    feishu.apps[0]!.uploadScope = false;
    const result = await runAction({
      workspace,
      githubToken: GITHUB_TOKEN,
      inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, targets: 'Launch v2' },
      env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('::warning::Launch v2: the burn-up chart was not attached; the record is written without it. Feishu refused: the app has no permission for this OKR (code 1001002).');
    const [record] = [...feishu.records.values()];
    expect(record!.content.blocks.some((b) => b.type === 'gallery')).toBe(false);
  });
});
