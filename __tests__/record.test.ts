import { describe, expect, it } from '@jest/globals';
import type { Target } from '../src/config/schema.js';
import type { Item } from '../src/github/items.js';
import type { Progress } from '../src/progress.js';
import {
  FOOTER_BRAND,
  buildRecordContent,
  buildRecordRequest,
  parseRecordMarker,
  recordMarker,
  type RecordInput,
} from '../src/record/content.js';
import { renderRecord, renderRecordContent } from '../src/record/render.js';
import { CreateProgressRecordRequest, type ContentBlock, type ParagraphElement } from '../src/record/request.js';
import { cleanTitle } from '../src/record/text.js';
import { makeTarget } from './fixtures/target.js';

const REPO = 'https://github.com/acme/widgets';
const OCTOCAT = 'ou_3bbe8a09c20e89cce9bff989ed840674';

const target = (overrides: Partial<Target> = {}): Target =>
  makeTarget({ docs: [{ url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' }], timezone: 'Asia/Shanghai', openItems: 2, closedItems: 3, ...overrides });

function item(number: number, overrides: Partial<Item> = {}): Item {
  const closed = overrides.closeReason !== undefined && overrides.closeReason !== null;
  return {
    number,
    title: `Item ${number}`,
    url: `${REPO}/issues/${number}`,
    kind: 'issue',
    state: closed ? 'closed' : 'open',
    closeReason: null,
    createdAt: '2026-10-01T00:00:00Z',
    updatedAt: '2026-11-20T00:00:00Z',
    closedAt: closed ? '2026-11-24T00:00:00Z' : null,
    mergedAt: null,
    author: 'hubot',
    labels: [],
    milestone: 7,
    ...overrides,
  };
}

const CLOSED = [
  item(130, { title: 'Add retry to the uploader', url: `${REPO}/pull/130`, kind: 'pull', closeReason: 'merged', author: 'octocat' }),
  item(127, { title: 'Crash on empty config', closeReason: 'completed', author: 'hubot' }),
  item(121, { title: 'Support IE 11', closeReason: 'not_planned', author: 'OctoCat' }),
  item(118, { title: 'Beyond the cap', closeReason: 'completed' }),
];
const OPEN = [
  item(140, { title: 'Write the v2 docs', author: null }),
  item(135, { title: 'New API', url: `${REPO}/pull/135`, kind: 'pull', author: 'mona' }),
  item(133, { title: 'Also beyond the cap' }),
];

function progress(overrides: Partial<Progress> = {}): Progress {
  return {
    openCount: (overrides.open ?? OPEN).length,
    percent: 62.5,
    status: 0,
    done: 5,
    total: 8,
    due: new Date('2026-12-31T08:00:00Z'),
    // 2026-11-20 02:30 in Shanghai, still 2026-11-19 in UTC
    windowStart: new Date('2026-11-19T18:30:00Z'),
    closedInWindow: CLOSED,
    open: OPEN,
    figures: { issuesClosed: 3, pullsMerged: 1, opened: 2 },
    ...overrides,
  };
}

function input(overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    target: target(),
    displayName: 'Launch v2',
    progress: progress(),
    targetUrl: `${REPO}/milestone/7`,
    closedListUrl: `${REPO}/issues?q=milestone%3Av2.0+is%3Aclosed`,
    openListUrl: `${REPO}/issues?q=milestone%3Av2.0+is%3Aopen`,
    people: { octocat: OCTOCAT },
    periodKey: '2026-W48',
    run: { url: `${REPO}/actions/runs/123`, label: 'OKR #42' },
    ...overrides,
  };
}

const t = (text: string): ParagraphElement => ({ type: 'textRun', textRun: { text } });
const bold = (text: string): ParagraphElement => ({ type: 'textRun', textRun: { text, style: { bold: true } } });
const a = (text: string, url: string): ParagraphElement => ({ type: 'textRun', textRun: { text, style: { link: { url } } } });
const p = (...elements: ParagraphElement[]): ContentBlock => ({ type: 'paragraph', paragraph: { elements } });
const li = (type: 'bullet' | 'checkBox' | 'checkedBox' | 'indent', ...elements: ParagraphElement[]): ContentBlock => ({
  type: 'paragraph',
  paragraph: { style: { list: { type, indentLevel: 1 } }, elements },
});

const blocksOf = (i: RecordInput): ContentBlock[] => buildRecordContent(i).blocks ?? [];
const elementsOf = (block: ContentBlock | undefined): ParagraphElement[] =>
  block?.type === 'paragraph' ? (block.paragraph.elements ?? []) : [];
/** Each paragraph as its plain text, to find lines in a record. */
const lines = (i: RecordInput): string[] =>
  blocksOf(i).map((b) => elementsOf(b).map((e) => (e.type === 'textRun' ? e.textRun.text : e.type === 'person' ? `<${e.person.openId}>` : `[${e.docsLink.title}]`)).join(''));

describe('buildRecordRequest', () => {
  it('builds the whole create body of a realistic target', () => {
    expect(buildRecordRequest(input())).toEqual({
      source_title: 'GitHub · acme/widgets',
      source_url: `${REPO}/milestone/7`,
      source_url_pc: `${REPO}/milestone/7`,
      source_url_mobile: `${REPO}/milestone/7`,
      target_id: '7041430377642082323',
      target_type: 3,
      content: {
        blocks: [
          p(
            a('Launch v2', `${REPO}/milestone/7`),
            t(' — '),
            bold('62.5%'),
            t(' · 5 of 8 done, due 2026-12-31 · '),
            { type: 'textRun', textRun: { text: 'on track', style: { textColor: { red: 46, green: 161, blue: 33, alpha: 1 } } } },
          ),
          p({ type: 'docsLink', docsLink: { url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' } }),
          p(bold('Closed since 2026-11-20 (4)')),
          li('checkedBox', a('#130', `${REPO}/pull/130`), t(' Add retry to the uploader'), t(' (pull request)'), t(' — '), {
            type: 'person',
            person: { openId: OCTOCAT },
          }),
          li('checkedBox', a('#127', `${REPO}/issues/127`), t(' Crash on empty config'), t(' — '), t('@hubot')),
          li(
            'checkedBox',
            a('#121', `${REPO}/issues/121`),
            { type: 'textRun', textRun: { text: ' Support IE 11', style: { strikeThrough: true } } },
            t(' (not planned)'),
            t(' — '),
            { type: 'person', person: { openId: OCTOCAT } },
          ),
          li('indent', a('…and 1 more', `${REPO}/issues?q=milestone%3Av2.0+is%3Aclosed`)),
          p(bold('Still open (3)')),
          li('checkBox', a('#140', `${REPO}/issues/140`), t(' Write the v2 docs')),
          li('checkBox', a('#135', `${REPO}/pull/135`), t(' New API'), t(' (pull request)'), t(' — '), t('@mona')),
          li('indent', a('…and 1 more', `${REPO}/issues?q=milestone%3Av2.0+is%3Aopen`)),
          p(bold('Figures')),
          li('bullet', t('Issues closed: 3')),
          li('bullet', t('Pull requests merged: 1')),
          li('bullet', t('Items opened since 2026-11-20: 2')),
          li('bullet', t('Done: 5 of 8')),
          p(t('Generated by '), a('okr-progress-action · acme/widgets · 2026-W48 · OKR #42', `${REPO}/actions/runs/123`)),
        ],
      },
      progress_rate: { percent: 62.5, status: 0 },
    });
  });

  it('writes an objective with target_type 2 and its own source title', () => {
    const request = buildRecordRequest(input({ target: target({ targetType: 2, targetId: '7043693679567028244', sourceTitle: 'Widgets' }) }));
    expect([request.target_type, request.target_id, request.source_title]).toEqual([2, '7043693679567028244', 'Widgets']);
  });

  it('gives the content of the create body to buildRecordContent callers (PUT) unchanged', () => {
    expect(buildRecordContent(input())).toEqual(buildRecordRequest(input()).content);
  });

  it('refuses to build a request Feishu would reject, saying where', () => {
    const messageOf = (build: () => unknown): string => {
      try {
        build();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    const intro = "the record for target 7041430377642082323 does not match Feishu's request format:\n";
    expect(messageOf(() => buildRecordRequest(input({ targetUrl: 'javascript:alert(1)' })))).toBe(
      `${intro}✖ must be an http(s) URL (^https?://.*$)\n  → at source_url\n` +
        `✖ must be an http(s) URL (^https?://.*$)\n  → at source_url_pc\n` +
        `✖ must be an http(s) URL (^https?://.*$)\n  → at source_url_mobile\n` +
        `✖ must be an http(s) URL (^https?://.*$)\n  → at content.blocks[0].paragraph.elements[0].textRun.style.link.url`,
    );
    expect(messageOf(() => buildRecordRequest(input({ progress: progress({ percent: 12.345 }) })))).toBe(
      `${intro}✖ must have at most two decimals\n  → at progress_rate.percent`,
    );
    const badItem = item(9, { url: 'ftp://example.com/9', closeReason: 'completed' });
    expect(messageOf(() => buildRecordContent(input({ progress: progress({ closedInWindow: [badItem] }) })))).toBe(
      `${intro}✖ must be an http(s) URL (^https?://.*$)\n  → at blocks[3].paragraph.elements[0].textRun.style.link.url`,
    );
  });
});

describe('the headline', () => {
  const headline = (i: RecordInput): ParagraphElement[] => elementsOf(blocksOf(i)[0]);
  const statusRun = (status: Progress['status']): ParagraphElement | undefined => headline(input({ progress: progress({ status }) }))[4];

  it('colours the status word: at risk amber, delayed red, none plain', () => {
    expect(statusRun(1)).toEqual({ type: 'textRun', textRun: { text: 'at risk', style: { textColor: { red: 222, green: 131, blue: 0, alpha: 1 } } } });
    expect(statusRun(2)).toEqual({ type: 'textRun', textRun: { text: 'delayed', style: { textColor: { red: 216, green: 57, blue: 49, alpha: 1 } } } });
    expect(statusRun(-1)).toEqual(t('no status'));
  });

  it('leaves the due date out when there is none', () => {
    expect(headline(input({ progress: progress({ due: undefined, status: -1 }) }))[3]).toEqual(t(' · 5 of 8 done · '));
  });

  it('shows the due date in the target time zone', () => {
    const due = new Date('2026-12-31T20:00:00Z');
    expect(headline(input({ progress: progress({ due }) }))[3]).toEqual(t(' · 5 of 8 done, due 2027-01-01 · '));
    expect(headline(input({ target: target({ timezone: 'UTC' }), progress: progress({ due }) }))[3]).toEqual(t(' · 5 of 8 done, due 2026-12-31 · '));
  });

  it('cleans the display name', () => {
    expect(headline(input({ displayName: ' okr/perf,\n area: api\u202E ' }))[0]).toEqual(a('okr/perf, area: api', `${REPO}/milestone/7`));
  });

  it('leads with the name, then the percent in bold', () => {
    expect(headline(input()).slice(0, 3)).toEqual([a('Launch v2', `${REPO}/milestone/7`), t(' — '), bold('62.5%')]);
  });

  it('says why status auto gives at risk or delayed, and nothing for a forced status', () => {
    const reason = (status: Progress['status'], language: 'en' | 'zh' = 'en', setting: Target['status'] = 'auto') =>
      headline(input({ target: target({ language, status: setting }), progress: progress({ status, expected: 78.4 }) }))[5];
    expect(reason(1)).toEqual(t(' (expected 78% by now)'));
    expect(reason(2)).toEqual(t(' (past the due date)'));
    expect(reason(1, 'zh')).toEqual(t('（此时应达 78%）'));
    expect(reason(2, 'zh')).toEqual(t('（已过截止日期）'));
    expect(reason(0)).toBeUndefined();
    expect(reason(1, 'en', 'at-risk')).toBeUndefined();
  });

  it('puts every document into one paragraph of docsLink elements', () => {
    const docs = [
      { url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' },
      { url: 'https://acme.feishu.cn/wiki/XyZ', title: 'Launch\tchecklist' },
    ];
    expect(blocksOf(input({ target: target({ docs }) }))[1]).toEqual(
      p(
        { type: 'docsLink', docsLink: { url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' } },
        { type: 'docsLink', docsLink: { url: 'https://acme.feishu.cn/wiki/XyZ', title: 'Launch checklist' } },
      ),
    );
  });

  it('has no docs paragraph without docs', () => {
    const blocks = blocksOf(input({ target: target({ docs: [] }) }));
    expect(blocks[1]).toEqual(p(bold('Closed since 2026-11-20 (4)')));
    expect(blocks.some((b) => elementsOf(b).some((e) => e.type === 'docsLink'))).toBe(false);
  });
});

describe('the item lists', () => {
  it('marks pull requests and only them', () => {
    const pr = item(5, { kind: 'pull', url: `${REPO}/pull/5`, closeReason: 'merged', author: null });
    const issue = item(6, { closeReason: 'completed', author: null });
    const blocks = blocksOf(input({ target: target({ docs: [] }), progress: progress({ closedInWindow: [pr, issue] }) }));
    expect(blocks.slice(2, 4)).toEqual([
      li('checkedBox', a('#5', `${REPO}/pull/5`), t(' Item 5'), t(' (pull request)')),
      li('checkedBox', a('#6', `${REPO}/issues/6`), t(' Item 6')),
    ]);
  });

  it('strikes through issues closed as not planned or duplicate, not completed ones or pull requests', () => {
    const closed = [
      item(1, { closeReason: 'not_planned' }),
      item(2, { closeReason: 'duplicate' }),
      item(3, { closeReason: 'completed' }),
      item(4, { kind: 'pull', closeReason: 'unmerged' }),
      item(5, { kind: 'pull', closeReason: 'merged' }),
    ];
    const titles = blocksOf(input({ target: target({ docs: [], closedItems: 5 }), progress: progress({ closedInWindow: closed }) }))
      .slice(2, 7)
      .map((b) => elementsOf(b)[1]);
    const struck = (text: string): ParagraphElement => ({ type: 'textRun', textRun: { text, style: { strikeThrough: true } } });
    expect(titles).toEqual([struck(' Item 1'), struck(' Item 2'), t(' Item 3'), t(' Item 4'), t(' Item 5')]);
  });

  it('does not strike open items through even when they were closed after the record time', () => {
    const reopenedLater = item(8, { closeReason: 'not_planned', closedAt: '2026-12-30T00:00:00Z' });
    const blocks = blocksOf(input({ target: target({ docs: [] }), progress: progress({ closedInWindow: [], open: [reopenedLater] }) }));
    expect(blocks[3]).toEqual(li('checkBox', a('#8', `${REPO}/issues/8`), t(' Item 8'), t(' — '), t('@hubot')));
  });

  it('mentions mapped authors as person elements, matching logins without regard to case', () => {
    const people = { OctoCat: OCTOCAT, hubot: 'ou_hubot' };
    const open = [item(1, { author: 'octocat' }), item(2, { author: 'HUBOT' }), item(3, { author: 'mona' })];
    const authors = blocksOf(input({ people, target: target({ docs: [], openItems: 3 }), progress: progress({ closedInWindow: [], open }) }))
      .slice(3, 6)
      .map((b) => elementsOf(b).slice(2));
    expect(authors).toEqual([
      [t(' — '), { type: 'person', person: { openId: OCTOCAT } }],
      [t(' — '), { type: 'person', person: { openId: 'ou_hubot' } }],
      [t(' — '), t('@mona')],
    ]);
  });

  it('does not take inherited object properties for people', () => {
    const open = [item(1, { author: 'constructor' }), item(2, { author: 'toString' })];
    const blocks = blocksOf(input({ people: {}, target: target({ docs: [] }), progress: progress({ closedInWindow: [], open }) }));
    expect(blocks.slice(3, 5).map((b) => elementsOf(b)[3])).toEqual([t('@constructor'), t('@toString')]);
  });

  it('summarises closed items beyond closed_items with a link, and all of them when it is 0', () => {
    const closedInWindow = [1, 2, 3, 4, 5].map((n) => item(n, { closeReason: 'completed' }));
    const none = lines(input({ target: target({ docs: [], closedItems: 0 }), progress: progress({ closedInWindow, open: [] }) }));
    expect(none.slice(1, 4)).toEqual(['Closed since 2026-11-20 (5)', '…and 5 more', 'Still open (0)']);
    const blocks = blocksOf(input({ target: target({ docs: [], closedItems: 2 }), progress: progress({ closedInWindow, open: [] }) }));
    expect(blocks.slice(2, 5).map((b) => elementsOf(b)[0])).toEqual([a('#1', `${REPO}/issues/1`), a('#2', `${REPO}/issues/2`), a('…and 3 more', `${REPO}/issues?q=milestone%3Av2.0+is%3Aclosed`)]);
  });

  it('has no "more" line when every item fits', () => {
    const closedInWindow = [item(1, { closeReason: 'completed' }), item(2, { closeReason: 'completed' })];
    const open = [item(3), item(4)];
    const text = lines(input({ target: target({ docs: [], closedItems: 2, openItems: 2 }), progress: progress({ closedInWindow, open }) }));
    expect(text.slice(1, 7)).toEqual(['Closed since 2026-11-20 (2)', '#1 Item 1 — @hubot', '#2 Item 2 — @hubot', 'Still open (2)', '#3 Item 3 — @hubot', '#4 Item 4 — @hubot']);
    expect(text.some((line) => line.includes('more'))).toBe(false);
  });

  it('writes only the heading for open items when open_items is 0', () => {
    const open = [item(3), item(4), item(5)];
    const text = lines(input({ target: target({ docs: [], openItems: 0 }), progress: progress({ closedInWindow: [], open }) }));
    expect(text.slice(1, 4)).toEqual(['Closed since 2026-11-20 (0)', 'Still open (3)', 'Figures']);
  });

  it('lists up to open_items open items in the given order, then links the rest', () => {
    const open = [item(9), item(4), item(7), item(1)];
    const text = lines(input({ target: target({ docs: [], openItems: 3 }), progress: progress({ closedInWindow: [], open }) }));
    expect(text.slice(2, 7)).toEqual(['Still open (4)', '#9 Item 9 — @hubot', '#4 Item 4 — @hubot', '#7 Item 7 — @hubot', '…and 1 more']);
  });
});

describe('a target with nothing in it', () => {
  it('writes the headings and zero figures, with status none uncoloured', () => {
    const empty = progress({
      percent: 0,
      status: -1,
      done: 0,
      total: 0,
      due: undefined,
      closedInWindow: [],
      open: [],
      figures: { issuesClosed: 0, pullsMerged: 0, opened: 0 },
    });
    const request = buildRecordRequest(input({ target: target({ docs: [] }), progress: empty }));
    expect(request.content.blocks).toEqual([
      p(a('Launch v2', `${REPO}/milestone/7`), t(' — '), bold('0%'), t(' · 0 of 0 done · '), t('no status')),
      p(bold('Closed since 2026-11-20 (0)')),
      p(bold('Still open (0)')),
      p(bold('Figures')),
      li('bullet', t('Issues closed: 0')),
      li('bullet', t('Pull requests merged: 0')),
      li('bullet', t('Items opened since 2026-11-20: 0')),
      li('bullet', t('Done: 0 of 0')),
      p(t('Generated by '), a('okr-progress-action · acme/widgets · 2026-W48 · OKR #42', `${REPO}/actions/runs/123`)),
    ]);
    expect(request.progress_rate).toEqual({ percent: 0, status: -1 });
  });
});

describe('Chinese', () => {
  it('writes every word in Chinese and keeps the marker as it is', () => {
    const text = lines(input({ target: target({ language: 'zh' }) }));
    expect(text).toEqual([
      'Launch v2 — 62.5% · 已完成 5 / 8，截止 2026-12-31 · 正常',
      '[Perf plan]',
      '2026-11-20 以来关闭（4）',
      `#130 Add retry to the uploader（拉取请求） — <${OCTOCAT}>`,
      '#127 Crash on empty config — @hubot',
      `#121 Support IE 11（不再计划） — <${OCTOCAT}>`,
      '…还有 1 项',
      '仍未关闭（3）',
      '#140 Write the v2 docs',
      '#135 New API（拉取请求） — @mona',
      '…还有 1 项',
      '数据',
      '已关闭议题：3',
      '已合并拉取请求：1',
      '2026-11-20 以来新建条目：2',
      '完成：5 / 8',
      '自动生成：okr-progress-action · acme/widgets · 2026-W48 · OKR #42',
    ]);
  });

  it('names each status in Chinese', () => {
    const words = ([-1, 0, 1, 2] as const).map((status) => lines(input({ target: target({ language: 'zh' }), progress: progress({ status }) }))[0]?.split(' · ')[2]);
    expect(words).toEqual(['暂无', '正常', '有风险', '已延期（已过截止日期）']);
  });
});

describe('the footer and its marker', () => {
  it('is one linked text run that starts with the marker', () => {
    const blocks = blocksOf(input({ periodKey: 'run-123-1', run: { url: `${REPO}/actions/runs/123/attempts/1`, label: 'Weekly\nOKR #7' } }));
    expect(blocks.at(-1)).toEqual(p(t('Generated by '), a('okr-progress-action · acme/widgets · run-123-1 · Weekly OKR #7', `${REPO}/actions/runs/123/attempts/1`)));
  });

  it('names the brand, the repository and the period', () => {
    expect(FOOTER_BRAND).toBe('okr-progress-action');
    expect(recordMarker('acme/gadgets', '2026-11-26')).toBe('okr-progress-action · acme/gadgets · 2026-11-26');
  });

  it('reads the repository and period back from a footer text run', () => {
    expect(parseRecordMarker('okr-progress-action · acme/widgets · 2026-W48 · OKR #42')).toEqual({ repository: 'acme/widgets', periodKey: '2026-W48' });
    expect(parseRecordMarker('okr-progress-action · acme/my.repo-2 · 2026-11')).toEqual({ repository: 'acme/my.repo-2', periodKey: '2026-11' });
    expect(parseRecordMarker('okr-progress-action · acme/widgets · run-123-1 · CI · nightly')).toEqual({ repository: 'acme/widgets', periodKey: 'run-123-1' });
  });

  it('does not read other text as a marker', () => {
    expect(parseRecordMarker('Generated by okr-progress-action · acme/widgets · 2026-W48')).toBeNull();
    expect(parseRecordMarker('okr-progress-action · acme · 2026-W48')).toBeNull();
    expect(parseRecordMarker('okr-progress-action · acme/widgets')).toBeNull();
    expect(parseRecordMarker('okr-progress-action · acme/widgets · 2026-W48OKR')).toEqual({ repository: 'acme/widgets', periodKey: '2026-W48OKR' });
  });
});

describe('cleanTitle', () => {
  it.each([
    ['keeps HTML and markdown as the text it is', '<img src=x onerror=alert(1)> **bold** [x](javascript:alert(1))', '<img src=x onerror=alert(1)> **bold** [x](javascript:alert(1))'],
    ['folds white space and trims', '  Fix\t\tthe\r\n  bug\u00A0\u3000now  ', 'Fix the bug now'],
    ['removes C0, DEL and C1 controls', 'a\u0000b\u0007c\u007Fd\u009Be\u001Bf', 'abcdef'],
    ['treats NEL as a line break', 'one\u0085two', 'one two'],
    ['removes bidi overrides and isolates', 'invoice\u202Egnp.exe \u2066x\u2069 \u202Ay\u202C', 'invoicegnp.exe x y'],
    ['removes zero-width characters and the BOM', '\uFEFFpay\u200Bpal\u200C\u200D\u200E\u200F', 'paypal'],
    ['removes unpaired surrogates', 'a\uD800b\uDC00c', 'abc'],
    ['keeps astral characters whole', '🚀 Launch 𝒱2', '🚀 Launch 𝒱2'],
    ['names an empty title', '', '(untitled)'],
    ['names a title of invisible characters', ' \n\u200B\u0000\u202E ', '(untitled)'],
  ])('%s', (_name, raw, clean) => {
    expect(cleanTitle(raw)).toBe(clean);
  });

  it('keeps 200 characters and cuts 201 to 199 and an ellipsis', () => {
    expect(cleanTitle('a'.repeat(200))).toBe('a'.repeat(200));
    expect(cleanTitle('a'.repeat(201))).toBe(`${'a'.repeat(199)}…`);
    expect(cleanTitle('a'.repeat(10_000))).toBe(`${'a'.repeat(199)}…`);
  });

  it('counts code points, never splitting a surrogate pair', () => {
    expect(cleanTitle(`${'a'.repeat(199)}😀`)).toBe(`${'a'.repeat(199)}😀`);
    expect(cleanTitle(`${'a'.repeat(198)}😀😀b`)).toBe(`${'a'.repeat(198)}😀…`);
    expect(cleanTitle(`${'a'.repeat(199)}😀😀`)).toBe(`${'a'.repeat(199)}…`);
    expect(cleanTitle('😀'.repeat(300))).toBe(`${'😀'.repeat(199)}…`);
  });

  it('does not end a cut title with a space before the ellipsis', () => {
    expect(cleanTitle(`${'a'.repeat(198)} bbbbb`)).toBe(`${'a'.repeat(198)}…`);
  });
});

describe('hostile titles', () => {
  // Each title and, written out by hand, what the record shows of it.
  const cases: [string, string][] = [
    ['<script>alert("x")</script>', '<script>alert("x")</script>'],
    ['# Heading\n\n- [x] fake item\n\n| a | b |', '# Heading - [x] fake item | a | b |'],
    ['[click](https://evil.example/) ![img](https://evil.example/x.png)', '[click](https://evil.example/) ![img](https://evil.example/x.png)'],
    ['line one\nline two\r\n\u2028line three', 'line one line two line three'],
    ['\u0000\u0001\u001F\u007F\u0080\u009F controls', 'controls'],
    ['rtl \u202Eexe.txt\u202C \u2067isolate\u2069 zero\u200Bwidth\uFEFF', 'rtl exe.txt isolate zerowidth'],
    [
      '"}]},{"type":"paragraph","paragraph":{"elements":[{"type":"person","person":{"openId":"ou_x"}}]}}',
      '"}]},{"type":"paragraph","paragraph":{"elements":[{"type":"person","person":{"openId":"ou_x"}}]}}',
    ],
    ['x'.repeat(10_000), `${'x'.repeat(199)}…`],
    [`${'y'.repeat(199)}🎉🎉`, `${'y'.repeat(199)}…`],
    // The zero-width joiner goes, and with it the astronaut: three code points remain, of which one fits.
    [`${'z'.repeat(198)}👩🏽‍🚀 tail`, `${'z'.repeat(198)}👩…`],
    ['', '(untitled)'],
    ['   ', '(untitled)'],
    ['\u200B\u200D', '(untitled)'],
  ];
  const hostile = cases.map(([title]) => title);

  it.each(cases.map(([title, shown]) => [JSON.stringify(title).slice(0, 40), title, shown]))('%s stays one plain text run in a valid request', (_label, title, shown) => {
    const closed = item(42, { title, closeReason: 'completed' });
    const open = item(43, { title });
    const request = buildRecordRequest(input({ displayName: title, target: target({ docs: [] }), progress: progress({ closedInWindow: [closed], open: [open] }) }));
    expect(CreateProgressRecordRequest.safeParse(request).success).toBe(true);
    const blocks = request.content.blocks ?? [];
    expect(blocks).toHaveLength(11);
    const expected = t(` ${shown}`);
    expect(blocks[2]).toEqual(li('checkedBox', a('#42', `${REPO}/issues/42`), expected, t(' — '), t('@hubot')));
    expect(blocks[4]).toEqual(li('checkBox', a('#43', `${REPO}/issues/43`), expected, t(' — '), t('@hubot')));
    expect(elementsOf(blocks[0])[0]).toEqual(a(shown, `${REPO}/milestone/7`));
    expect(cleanTitle(title)).toBe(shown);
    expect(Array.from(shown).length).toBeLessThanOrEqual(200);
    expect(shown).not.toMatch(/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\n]/);
  });

  it('never writes an empty text run', () => {
    for (const title of hostile) {
      const request = buildRecordRequest(input({ displayName: title, run: { url: `${REPO}/actions/runs/1`, label: title }, progress: progress({ closedInWindow: [item(1, { title, closeReason: 'completed' })] }) }));
      const runs = (request.content.blocks ?? []).flatMap(elementsOf).filter((e) => e.type === 'textRun');
      expect(runs.filter((e) => e.textRun.text === '')).toEqual([]);
    }
  });
});

describe('renderRecord', () => {
  it('shows the record as the OKR page does: headline, ticked and unticked items with links, figures, footer', () => {
    expect(renderRecord(buildRecordRequest(input())).split('\n')).toEqual([
      "To key result 7041430377642082323: progress 62.5%, status normal (0); source \"GitHub · acme/widgets\"  <https://github.com/acme/widgets/milestone/7>",
      "",
      "Launch v2 — 62.5% · 5 of 8 done, due 2026-12-31 · on track  <https://github.com/acme/widgets/milestone/7>",
      "Perf plan  <https://acme.feishu.cn/docx/AbCdEf>",
      "Closed since 2026-11-20 (4)",
      "  ☑ #130 Add retry to the uploader (pull request) — @ou_3bbe8a09c20e89cce9bff989ed840674  <https://github.com/acme/widgets/pull/130>",
      "  ☑ #127 Crash on empty config — @hubot  <https://github.com/acme/widgets/issues/127>",
      "  ☑ #121 ~~Support IE 11~~ (not planned) — @ou_3bbe8a09c20e89cce9bff989ed840674  <https://github.com/acme/widgets/issues/121>",
      "    …and 1 more  <https://github.com/acme/widgets/issues?q=milestone%3Av2.0+is%3Aclosed>",
      "Still open (3)",
      "  ☐ #140 Write the v2 docs  <https://github.com/acme/widgets/issues/140>",
      "  ☐ #135 New API (pull request) — @mona  <https://github.com/acme/widgets/pull/135>",
      "    …and 1 more  <https://github.com/acme/widgets/issues?q=milestone%3Av2.0+is%3Aopen>",
      "Figures",
      "  • Issues closed: 3",
      "  • Pull requests merged: 1",
      "  • Items opened since 2026-11-20: 2",
      "  • Done: 5 of 8",
      "Generated by okr-progress-action · acme/widgets · 2026-W48 · OKR #42  <https://github.com/acme/widgets/actions/runs/123>",
    ]);
  });

  it('shows the chart as an image line', () => {
    const chart = { fileToken: 'boxcn1', src: 'https://example.com/i.png', width: 640, height: 320 };
    expect(renderRecordContent(buildRecordContent(input({ chart }))).split('\n')[2]).toBe('[image: the burn-up chart]');
  });
});

describe('marks of ticked items that do not count', () => {
  it('says closed unmerged, not planned or duplicate after the title, in the words the summary uses', () => {
    const closed = [
      item(1, { kind: 'pull', url: `${REPO}/pull/1`, closeReason: 'unmerged', author: null }),
      item(2, { closeReason: 'not_planned', author: null }),
      item(3, { closeReason: 'duplicate', author: null }),
      item(4, { closeReason: 'completed', author: null }),
    ];
    const text = (language: 'en' | 'zh') => lines(input({ target: target({ docs: [], language }), progress: progress({ closedInWindow: closed }) })).slice(2, 5);
    expect(text('en')).toEqual(['#1 Item 1 (pull request, closed unmerged)', '#2 Item 2 (not planned)', '#3 Item 3 (duplicate)']);
    expect(text('zh')).toEqual(['#1 Item 1（拉取请求，关闭未合并）', '#2 Item 2（不再计划）', '#3 Item 3（重复）']);
  });
});
