import { describe, expect, it } from '@jest/globals';
import { summaryHtml, type TargetReport, type TargetResult } from '../src/summary.js';

// What the job summary says about a run that stopped early, and about the due date it used.

const report = (overrides: Partial<TargetReport> = {}): TargetReport => ({
  timezone: 'America/Santiago',
  windowStart: new Date('2026-11-20T12:00:00Z'),
  now: new Date('2026-11-27T12:00:00Z'),
  period: '2026-W48',
  closed: [],
  closedItems: 50,
  closedListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aclosed',
  open: [],
  openItems: 10,
  openListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aopen',
  ...overrides,
});

const result = (overrides: Partial<TargetResult> = {}): TargetResult => ({
  name: 'Launch v2',
  target_id: '7041430377642082323',
  target_type: 3,
  repository: 'acme/widgets',
  percent: 50,
  status: 0,
  done: 1,
  total: 2,
  closed_in_window: 0,
  progress_id: null,
  result: 'dry-run',
  report: report(),
  ...overrides,
});

const facts = (html: string): string => /<p>(Window: .*?)<\/p>/.exec(html)![1]!;

describe('the summary of a run that stopped before any target', () => {
  it('says why, and lists every problem of the mapping file, escaped', () => {
    const html = summaryHtml([], false, {
      reason: 'The mapping file has 2 problems; nothing was sent to GitHub or Feishu.',
      problems: ['okr.yml:4:16 targets[0].objective: set exactly one of key_result or objective', 'okr.yml:7:13 targets[1].window: must be <N>d, not "7x"'],
    });
    expect(html).toBe(
      [
        '<h2>OKR progress</h2>',
        '<p><b>No target was run.</b></p>',
        '<p>The mapping file has 2 problems; nothing was sent to GitHub or Feishu.</p>',
        '<ul><li>okr.yml:4:16 targets[0].objective: set exactly one of key_result or objective</li><li>okr.yml:7:13 targets[1].window: must be &lt;N&gt;d, not &quot;7x&quot;</li></ul>',
        '',
      ].join('\n'),
    );
  });

  it('says why a bad input stopped it', () => {
    expect(summaryHtml([], true, { reason: 'Input as-of: "2026-02-30T12:00:00Z" names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.', problems: [] })).toBe(
      '<h2>OKR progress (dry run: nothing written to Feishu)</h2>\n<p><b>No target was run.</b></p>\n' +
        '<p>Input as-of: &quot;2026-02-30T12:00:00Z&quot; names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.</p>\n',
    );
  });

  it('says why a run stopped after some targets, under the counts', () => {
    const html = summaryHtml([result()], true, { reason: 'GitHub went away', problems: [] });
    expect(html).toContain('<p>1 target: 1 dry-run.</p>\n<p><b>The run stopped before it was done.</b></p>\n<p>GitHub went away</p>\n<table>');
  });
});

describe('the due date a target used', () => {
  it("the target's due wins over the milestone's due date, and the summary says so", () => {
    const html = summaryHtml(
      [result({ report: report({ due: new Date('2026-09-06T03:59:59.999Z'), dueFrom: 'target', milestoneDue: new Date('2026-12-15T08:00:00Z') }) })],
      true,
    );
    expect(facts(html)).toBe(
      "Window: 2026-11-20 09:00 America/Santiago → 2026-11-27 09:00 America/Santiago<br>Period: 2026-W48<br>Due: 2026-09-05 (the target's <code>due</code>, used instead of the milestone's due date 2026-12-15)",
    );
  });

  it("names the target's due alone, or the milestone's due date, and nothing without one", () => {
    const due = (extra: Partial<TargetReport>) => facts(summaryHtml([result({ report: report(extra) })], true)).split('<br>').slice(2).join('<br>');
    expect(due({ due: new Date('2026-12-31T23:59:59.999Z'), dueFrom: 'target' })).toBe("Due: 2026-12-31 (the target's <code>due</code>)");
    expect(due({ due: new Date('2026-12-15T08:00:00Z'), dueFrom: 'milestone' })).toBe("Due: 2026-12-15 (the milestone's due date)");
    expect(due({})).toBe('');
  });
});
