import { describe, expect, it } from '@jest/globals';
import type { Item } from '../src/github/items.js';
import type { Progress } from '../src/progress.js';
import { buildRecordContent, buildRecordRequest, type RecordInput } from '../src/record/content.js';
import { CreateProgressRecordRequest } from '../src/record/request.js';
import { makeTarget } from './fixtures/target.js';

// The parts of the record the main record tests leave out: the burn-up chart's gallery, and
// the request schema's refusals of a source URL or target id that only look right.

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
