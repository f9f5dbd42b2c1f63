import { describe, expect, it } from '@jest/globals';
import { Item } from '../src/github/items.js';
import { escapeHtml, progressBar, summaryHtml, type TargetReport, type TargetResult } from '../src/summary.js';

// The job summary: a table per run, a section per target, everything escaped, under 1 MiB.

const NOW = new Date('2026-11-27T09:00:00Z');

function item(number: number, title: string, extra: Partial<{ kind: 'issue' | 'pull'; closed: boolean; reason: string; merged: boolean; author: string | null }> = {}): Item {
  const { kind = 'issue', closed = false, reason = 'completed', merged = true, author = 'alice' } = extra;
  return Item.parse({
    number,
    title,
    html_url: `https://github.com/acme/widgets/${kind === 'pull' ? 'pull' : 'issues'}/${number}`,
    state: closed ? 'closed' : 'open',
    state_reason: closed && kind === 'issue' ? reason : null,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-25T00:00:00Z',
    closed_at: closed ? '2026-11-25T00:00:00Z' : null,
    user: author === null ? null : { login: author },
    labels: [],
    milestone: null,
    ...(kind === 'pull' && { pull_request: { merged_at: closed && merged ? '2026-11-25T00:00:00Z' : null } }),
  });
}

function report(overrides: Partial<TargetReport> = {}): TargetReport {
  return {
    timezone: 'Asia/Shanghai',
    windowStart: new Date('2026-11-20T09:00:00Z'),
    now: NOW,
    period: '2026-W48',
    closed: [item(6, 'Spike: gRPC transport', { kind: 'pull', closed: true, merged: false, author: 'bob' }), item(4, 'Drop legacy auth', { closed: true, reason: 'not_planned' })],
    closedItems: 50,
    closedListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aclosed',
    open: [item(3, 'Migrate clients', { author: null })],
    openItems: 10,
    openListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aopen',
    ...overrides,
  };
}

function result(overrides: Partial<TargetResult> = {}): TargetResult {
  return {
    name: 'Launch v2',
    target_id: '7041430377642082323',
    target_type: 3,
    repository: 'acme/widgets',
    percent: 62.5,
    status: 0,
    done: 5,
    total: 8,
    closed_in_window: 2,
    progress_id: '7046317985098760212',
    result: 'created',
    url: 'https://github.com/acme/widgets/milestone/1',
    report: report(),
    ...overrides,
  };
}

const HEAD = '<tr><th>Target</th><th>Source</th><th>Progress</th><th>Percent</th><th>Done</th><th>Closed in window</th><th>Status</th><th>Result</th></tr>';

describe('progressBar', () => {
  it('fills one cell in twenty per 5 %, shows any progress and fills only at 100 %', () => {
    expect(progressBar(0)).toBe('░'.repeat(20));
    expect(progressBar(0.01)).toBe(`█${'░'.repeat(19)}`);
    expect(progressBar(62.5)).toBe(`${'█'.repeat(13)}${'░'.repeat(7)}`);
    expect(progressBar(99.9)).toBe(`${'█'.repeat(19)}░`);
    expect(progressBar(100)).toBe('█'.repeat(20));
    expect(progressBar(250)).toBe('█'.repeat(20));
  });
});

describe('summaryHtml', () => {
  it('shows a row per target and a section listing what each record reported', () => {
    expect(summaryHtml([result()], false)).toBe(
      [
        '<h2>OKR progress</h2>',
        '<p>1 target: 1 created.</p>',
        `<table>${HEAD}<tr><td>Launch v2</td><td><a href="https://github.com/acme/widgets/milestone/1">acme/widgets</a></td><td><code>${'█'.repeat(13)}${'░'.repeat(7)}</code></td><td>62.5%</td><td>5 / 8</td><td>2</td><td>on track</td><td>created</td></tr></table>`,
        '<details><summary><b>Launch v2</b>: 2 closed in the window, 1 still open</summary>',
        '<p>Window: 2026-11-20 17:00 Asia/Shanghai → 2026-11-27 17:00 Asia/Shanghai<br>Period: 2026-W48<br>Record: 7046317985098760212</p>',
        '<p><b>Closed in the window (2)</b></p>',
        '<ul><li>☑ <a href="https://github.com/acme/widgets/pull/6">#6</a> Spike: gRPC transport (pull request, closed unmerged) — &#64;&#8288;bob</li>' +
          '<li>☑ <a href="https://github.com/acme/widgets/issues/4">#4</a> <s>Drop legacy auth</s> (not planned) — &#64;&#8288;alice</li></ul>',
        '<p><b>Still open (1)</b></p>',
        '<ul><li>☐ <a href="https://github.com/acme/widgets/issues/3">#3</a> Migrate clients</li></ul>',
        '</details>',
        '',
      ].join('\n'),
    );
  });

  it('says a dry run wrote nothing, names the chart file, and counts results by kind', () => {
    const html = summaryHtml(
      [
        result({ result: 'dry-run', progress_id: null, report: report({ chart: 'written to /runner/_temp/okr-chart-7041430377642082323.png' }) }),
        result({ name: 'Perf', result: 'dry-run', report: undefined }),
      ],
      true,
    );
    expect(html.startsWith('<h2>OKR progress (dry run: nothing written to Feishu)</h2>\n<p>2 targets: 2 dry-run.</p>\n')).toBe(true);
    expect(html).toContain('<p>Window: 2026-11-20 17:00 Asia/Shanghai → 2026-11-27 17:00 Asia/Shanghai<br>Period: 2026-W48<br>Burn-up chart: written to /runner/_temp/okr-chart-7041430377642082323.png</p>');
    expect(html.match(/<details>/g)).toHaveLength(1);
  });

  it('lists up to the limits of the record, then links the rest; open_items 0 lists none', () => {
    const closed = Array.from({ length: 5 }, (_, i) => item(i + 1, `Closed ${i + 1}`, { closed: true }));
    const html = summaryHtml([result({ report: report({ closed, closedItems: 2, openItems: 0 }) })], false);
    expect(html).toContain(
      '<ul><li>☑ <a href="https://github.com/acme/widgets/issues/1">#1</a> Closed 1 — &#64;&#8288;alice</li><li>☑ <a href="https://github.com/acme/widgets/issues/2">#2</a> Closed 2 — &#64;&#8288;alice</li>' +
        '<li><a href="https://github.com/acme/widgets/issues?q=is%3Aclosed">…and 3 more</a></li></ul>',
    );
    expect(html).toContain('<p><b>Still open (1)</b></p>\n</details>');
  });

  it('shows a failed target with its error, and dashes for what it never computed', () => {
    const failed = result({ percent: null, status: null, done: null, total: null, closed_in_window: null, progress_id: null, result: 'failed', error: 'milestone "v2" does not exist', report: undefined, url: undefined });
    expect(summaryHtml([failed], false)).toContain(
      '<tr><td>Launch v2</td><td>acme/widgets</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>failed: milestone &quot;v2&quot; does not exist</td></tr>',
    );
  });

  it('says so when no target ran', () => {
    expect(summaryHtml([], false)).toBe('<h2>OKR progress</h2>\n<p>No target was run; the log says why.</p>\n');
  });

  it('escapes hostile titles, names and links so they add no markup, cell, mention or script', () => {
    const hostile = '</td></tr><script>alert(1)</script> | @everyone <img src=x onerror=alert(1)>\n# heading';
    const html = summaryHtml(
      [
        result({
          name: hostile,
          url: 'javascript:alert(1)',
          report: report({ closed: [item(1, hostile, { closed: true, author: 'mallory' })], open: [] }),
        }),
      ],
      false,
    );
    const escapedTitle = '&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#124; &#64;&#8288;everyone &lt;img src=x onerror=alert(1)&gt; # heading';
    expect(html).toContain(`<tr><td>${escapedTitle}</td><td>acme/widgets</td>`);
    expect(html).toContain(`<li>☑ <a href="https://github.com/acme/widgets/issues/1">#1</a> ${escapedTitle} — &#64;&#8288;mallory</li>`);
    expect(html).not.toMatch(/<script|<img|javascript:|@everyone/);
    // The markup is only the summary's own: one table row per target plus the head.
    expect(html.match(/<tr>/g)).toHaveLength(2);
    expect(html.match(/<\/td>/g)).toHaveLength(8);
  });

  it('stays under 1 MiB: sections go first, from the last, and the table keeps whole rows', () => {
    const long = 'x'.repeat(200);
    const closed = Array.from({ length: 500 }, (_, i) => item(i + 1, long, { closed: true }));
    const many = Array.from({ length: 20 }, (_, i) => result({ name: `Target ${i}`, report: report({ closed, closedItems: 500 }) }));
    const html = summaryHtml(many, false);
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(1000 * 1024);
    expect(html.match(/<tr>/g)).toHaveLength(21);
    const kept = html.match(/<details>/g)?.length ?? 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(20);
    expect(html).toContain(`<summary><b>Target ${kept - 1}</b>`);
    expect(html).toContain(`<p>${20 - kept} more target sections left out to keep the summary under 1 MiB.</p>`);

    // Titles are at most 200 characters, so only a huge number of targets overflows the table itself.
    const rows = Array.from({ length: 4000 }, (_, i) => result({ name: `${'y'.repeat(190)} ${i}`, report: undefined }));
    const capped = summaryHtml(rows, false);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(1000 * 1024);
    const shown = capped.match(/<tr>/g)!.length - 1;
    expect(shown).toBeGreaterThan(1000);
    expect(capped).toContain(`<p>…and ${4000 - shown} more targets (see the records output).</p>`);
  });
});

describe('escapeHtml', () => {
  it('leaves no character that starts markup, a table cell or a mention', () => {
    expect(escapeHtml(`<a href="x">'&'</a> | @me\r\nnext`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; &#124; &#64;&#8288;me next');
  });
});
