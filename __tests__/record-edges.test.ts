import { describe, expect, it } from '@jest/globals';
import type { Item } from '../src/github/items.js';
import type { Progress } from '../src/progress.js';
import { buildRecordContent, buildRecordRequest, measureWords, type RecordInput } from '../src/record/content.js';
import { CreateProgressRecordRequest } from '../src/record/request.js';
import { itemReference } from '../src/record/text.js';
import { WORDS } from '../src/record/words.js';
import { makeTarget } from './fixtures/target.js';

// The parts of the record the main record tests leave out: the burn-up chart's gallery, the
// request schema's refusals of a source URL or target id that only look right, the records of
// project, metric and goal targets, and how items of other repositories are named.

const REPO = 'https://github.com/acme/widgets';

const progress: Progress = {
  openCount: 0,
  percent: 100,
  status: 0,
  done: 2,
  total: 2,
  due: undefined,
  windowStart: new Date('2026-11-20T00:00:00Z'),
  closedInWindow: [],
  open: [],
  figures: { issuesClosed: 0, pullsMerged: 0, opened: 0 },
};

function input(overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    target: makeTarget(),
    displayName: 'Launch v2',
    progress,
    targetUrl: `${REPO}/milestone/7`,
    closedListUrl: `${REPO}/issues?q=is%3Aclosed`,
    openListUrl: `${REPO}/issues?q=is%3Aopen`,
    people: {},
    periodKey: '2026-W48',
    run: { url: `${REPO}/actions/runs/1`, label: 'OKR #1' },
    ...overrides,
  };
}

const item = (number: number, overrides: Partial<Item> = {}): Item => ({
  number,
  title: `Item ${number}`,
  url: `${REPO}/issues/${number}`,
  kind: 'issue',
  state: 'open',
  closeReason: null,
  createdAt: '2026-10-01T00:00:00Z',
  updatedAt: '2026-11-20T00:00:00Z',
  closedAt: null,
  mergedAt: null,
  author: null,
  labels: [],
  milestone: null,
  ...overrides,
});
const textOf = (block: unknown): string =>
  ((block as { paragraph: { elements: { textRun?: { text: string } }[] } }).paragraph.elements ?? []).map((e) => e.textRun?.text ?? '').join('');

describe('the burn-up chart', () => {
  it('is a gallery of the one uploaded image, right after the headline', () => {
    const chart = { fileToken: 'boxcnChart01', src: 'https://open.feishu.cn/img/boxcnChart01', width: 640, height: 360 };
    const blocks = buildRecordContent(input({ chart })).blocks ?? [];
    expect(blocks[1]).toEqual({
      type: 'gallery',
      gallery: { imageList: [{ fileToken: 'boxcnChart01', src: 'https://open.feishu.cn/img/boxcnChart01', width: 640, height: 360 }] },
    });
    const without = buildRecordContent(input()).blocks ?? [];
    expect(blocks).toHaveLength(without.length + 1);
    expect(without.map((b) => b.type)).not.toContain('gallery');
  });
});

describe('the request schema', () => {
  const valid = buildRecordRequest(input());

  it.each(['ftp://x/https://acme.example', 'see https://acme.example', 'https:/acme.example'])('refuses the source URL %j', (url) => {
    const result = CreateProgressRecordRequest.safeParse({ ...valid, source_url: url });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['source_url', 'must be an http(s) URL (^https?://.*$)']]);
  });

  it('refuses a target id that is not all digits, saying so', () => {
    const result = CreateProgressRecordRequest.safeParse({ ...valid, target_id: '7041430377642082323x' });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['target_id', 'must be a Feishu id made of digits']]);
  });

  it('accepts http and https source URLs', () => {
    expect(CreateProgressRecordRequest.safeParse({ ...valid, source_url: 'http://ghe.acme.example/acme/widgets' }).success).toBe(true);
    expect(valid.source_url).toBe(`${REPO}/milestone/7`);
  });
});

describe('a project target', () => {
  it.each([
    ['en', 'Launch v2 — 40% · 8 of 20 points · on track', 'Done: 8 of 20 points', 'A draft (draft)', 'acme/gadgets#7 In another repository'],
    ['zh', 'Launch v2 — 40% · 8 / 20 点 · 正常', '完成：8 / 20 点', 'A draft（草稿）', 'acme/gadgets#7 In another repository'],
  ] as const)('in %s counts points and lists drafts and items of other repositories', (language, headline, done, draft, other) => {
    const open = [item(1, { title: 'A draft', reference: null, url: '' }), item(7, { title: 'In another repository', reference: 'acme/gadgets#7', url: 'https://github.com/acme/gadgets/issues/7' })];
    const blocks =
      buildRecordContent(input({ target: makeTarget({ language }), progress: { ...progress, percent: 40, done: 8, total: 20, unit: 'points', open, openCount: 2 } })).blocks ?? [];
    const lines = blocks.map(textOf);
    expect(lines[0]).toBe(headline);
    expect(lines).toContain(done);
    expect(lines).toContain(draft);
    expect(lines).toContain(other);
    const drafted = blocks.find((b) => textOf(b) === draft) as { paragraph: { elements: unknown[] } };
    expect(drafted.paragraph.elements).toEqual([
      { type: 'textRun', textRun: { text: 'A draft' } },
      { type: 'textRun', textRun: { text: language === 'en' ? ' (draft)' : '（草稿）' } },
    ]);
  });
});

describe('a metric target', () => {
  const metric = { name: 'coverage', start: 60, target: 80 };
  const run = (t: string): unknown => ({ type: 'textRun', textRun: { text: t } });
  const bold = (t: string): unknown => ({ type: 'textRun', textRun: { text: t, style: { bold: true } } });
  const bullet = (t: string): unknown => ({ type: 'paragraph', paragraph: { style: { list: { type: 'bullet', indentLevel: 1 } }, elements: [run(t)] } });
  const footer = {
    type: 'paragraph',
    paragraph: {
      elements: [run('Generated by '), { type: 'textRun', textRun: { text: 'okr-progress-action · acme/widgets · 2026-W48 · OKR #1', style: { link: { url: `${REPO}/actions/runs/1` } } } }],
    },
  };

  it('is its value with its unit, start, target, how far, due date and status; then the figures, no items', () => {
    const blocks = buildRecordContent(
      input({
        target: makeTarget({ milestone: undefined, metric: { ...metric, unit: '%' }, timezone: 'Asia/Shanghai' }),
        displayName: 'Line coverage',
        progress: { ...progress, percent: 62, done: 72.4, total: 100, unit: '%', from: 'coverage/coverage-summary.json', status: 1, expected: 78.4, due: new Date('2026-12-31T20:00:00Z') },
      }),
    ).blocks;
    expect(blocks).toEqual([
      {
        type: 'paragraph',
        paragraph: {
          elements: [
            bold('72.4 %'),
            run(' '),
            { type: 'textRun', textRun: { text: 'Line coverage', style: { link: { url: `${REPO}/milestone/7` } } } },
            run(' (start 60 %, target 80 %) — 62% of the way, due 2027-01-01 · '),
            { type: 'textRun', textRun: { text: 'at risk', style: { textColor: { red: 222, green: 131, blue: 0, alpha: 1 } } } },
            run(' (expected 78% by now)'),
          ],
        },
      },
      { type: 'paragraph', paragraph: { elements: [bold('Figures')] } },
      bullet('Value: 72.4 %'),
      bullet('Start: 60 %'),
      bullet('Target: 80 %'),
      bullet('Read from: coverage/coverage-summary.json'),
      footer,
    ]);
  });

  it.each([
    ['no unit', undefined],
    ['the unit "items"', 'items'],
  ])('with %s shows bare numbers; without a due date or a source it says neither', (_, unit) => {
    const blocks = buildRecordContent(
      input({
        target: makeTarget({ milestone: undefined, metric: { ...metric, ...(unit && { unit }) }, status: 'normal' }),
        progress: { ...progress, percent: 62, done: 72.4, total: 100, ...(unit && { unit }), status: 0 },
      }),
    ).blocks;
    expect(blocks).toEqual([
      {
        type: 'paragraph',
        paragraph: {
          elements: [
            bold('72.4'),
            run(' '),
            { type: 'textRun', textRun: { text: 'Launch v2', style: { link: { url: `${REPO}/milestone/7` } } } },
            run(' (start 60, target 80) — 62% of the way · '),
            { type: 'textRun', textRun: { text: 'on track', style: { textColor: { red: 46, green: 161, blue: 33, alpha: 1 } } } },
          ],
        },
      },
      { type: 'paragraph', paragraph: { elements: [bold('Figures')] } },
      bullet('Value: 72.4'),
      bullet('Start: 60'),
      bullet('Target: 80'),
      footer,
    ]);
  });

  it('is measured in words with where its value was read, and only then', () => {
    const target = makeTarget({ milestone: undefined, metric: { ...metric, unit: 'ms' } });
    expect(measureWords(target, { ...progress, done: 180, unit: 'ms', from: 'metrics input' })).toStrictEqual({
      kind: 'metric',
      text: '180 ms (start 60 ms, target 80 ms)',
      from: 'metrics input',
    });
    expect(measureWords(target, { ...progress, done: 180, unit: 'ms' })).toStrictEqual({ kind: 'metric', text: '180 ms (start 60 ms, target 80 ms)' });
    expect(measureWords(target, { ...progress, done: 180, unit: 'ms' }, WORDS.zh)).toStrictEqual({ kind: 'metric', text: '180 ms（起点 60 ms，目标 80 ms）' });
  });
});

describe('a goal target', () => {
  const goalProgress: Progress = { ...progress, percent: 40, done: 12, total: 30, start: new Date('2026-09-30T18:00:00Z') };

  it('counts what closed since its start, in the headline and the figures', () => {
    const target = makeTarget({ goal: 30, start: '2026-10-01', timezone: 'Asia/Shanghai' });
    const blocks = buildRecordContent(input({ target, progress: goalProgress })).blocks ?? [];
    expect(blocks[0]).toEqual({
      type: 'paragraph',
      paragraph: {
        elements: [
          { type: 'textRun', textRun: { text: 'Launch v2', style: { link: { url: `${REPO}/milestone/7` } } } },
          { type: 'textRun', textRun: { text: ' — ' } },
          { type: 'textRun', textRun: { text: '40%', style: { bold: true } } },
          { type: 'textRun', textRun: { text: ' · 12 of 30 closed since 2026-10-01 · ' } },
          { type: 'textRun', textRun: { text: 'on track', style: { textColor: { red: 46, green: 161, blue: 33, alpha: 1 } } } },
        ],
      },
    });
    expect(blocks.at(-2)).toEqual({
      type: 'paragraph',
      paragraph: { style: { list: { type: 'bullet', indentLevel: 1 } }, elements: [{ type: 'textRun', textRun: { text: 'Done: 12 of 30 closed since 2026-10-01' } }] },
    });
    expect(measureWords(target, goalProgress)).toStrictEqual({ kind: 'goal', text: '12 of 30 closed since 2026-10-01' });
    expect(measureWords(target, goalProgress, WORDS.zh)).toStrictEqual({ kind: 'goal', text: '2026-10-01 以来关闭 12 / 30' });
  });

  it('is not taken for points or items, which are measured in words of their own', () => {
    const target = makeTarget();
    expect(measureWords(target, { ...progress, done: 8, total: 20, unit: 'points' })).toStrictEqual({ kind: 'points', text: '8 of 20 points' });
    expect(measureWords(target, { ...progress, done: 8, total: 20 })).toStrictEqual({ kind: 'items', text: '8 of 20' });
    expect(measureWords(target, { ...progress, done: 8, total: 20, unit: 'items' })).toStrictEqual({ kind: 'items', text: '8 of 20' });
  });
});

describe('the name of an item in a list', () => {
  it.each([
    ['https://github.com/acme/widgets/issues/12', 12, 'acme/widgets', '#12'],
    ['https://github.com/Acme/Widgets/pull/12', 12, 'acme/widgets', '#12'],
    ['https://github.com/acme/gadgets/issues/7', 7, 'acme/widgets', 'acme/gadgets#7'],
    ['https://github.com/acme/gadgets/issues/7', 7, 'ACME/Gadgets', '#7'],
    ['http://ghe.acme.example/platform/api/pull/123', 123, 'acme/widgets', 'platform/api#123'],
    ['https://github.com/acme/gadgets/issues/7', 7, undefined, '#7'],
    // Only a whole item address names a repository.
    ['see https://github.com/acme/gadgets/issues/7', 7, 'acme/widgets', '#7'],
    ['https://github.com/acme/gadgets/pull/7/files', 7, 'acme/widgets', '#7'],
    ['https://github.com/acme/gadgets/issues/x7', 7, 'acme/widgets', '#7'],
    ['', 7, 'acme/widgets', '#7'],
  ] as const)('%j (#%i) in %s is %s', (url, number, repository, expected) => {
    expect(itemReference({ number, url }, repository)).toBe(expected);
  });

  it('of another repository is written in full in the record, its link unchanged', () => {
    const open = [item(7, { url: 'https://github.com/acme/gadgets/issues/7', title: 'Elsewhere' }), item(8, { title: 'Here' })];
    const blocks = buildRecordContent(input({ progress: { ...progress, open, openCount: 2 } })).blocks ?? [];
    const lines = blocks.map(textOf);
    expect(lines.slice(3, 5)).toEqual(['acme/gadgets#7 Elsewhere', '#8 Here']);
    expect((blocks[3] as { paragraph: { elements: unknown[] } }).paragraph.elements[0]).toEqual({
      type: 'textRun',
      textRun: { text: 'acme/gadgets#7', style: { link: { url: 'https://github.com/acme/gadgets/issues/7' } } },
    });
  });
});
