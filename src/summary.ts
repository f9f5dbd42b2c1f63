import * as core from '@actions/core';
import type { Item } from './github/items.js';
import { localDate, zonedParts, type Status } from './progress.js';
import { cleanTitle, itemReference } from './record/text.js';
import { itemMarks, WORDS } from './record/words.js';
import { redact } from './secrets.js';

// What the run reports: the `records` output and the job summary. The summary shows the
// same facts as the log and the records, in a table per run and a section per target.

export interface TargetResult {
  name: string;
  target_id: string;
  target_type: 2 | 3;
  repository: string;
  percent: number | null;
  status: Status | null;
  done: number | null;
  total: number | null;
  /** items, points, or the metric's unit. */
  unit?: string | null;
  closed_in_window: number | null;
  progress_id: string | null;
  result: 'created' | 'updated' | 'dry-run' | 'failed';
  error?: string;
  /** Shown in the summary only: the target's page on GitHub. */
  url?: string;
  /** Shown in the summary only: what the record reported. */
  report?: TargetReport;
}

/** The items a record reported, with the limits it applied, for the target's section. */
export interface TargetReport {
  timezone: string;
  windowStart: Date;
  now: Date;
  period: string;
  /** Closed in the window, newest first, and how many of them the record lists. */
  closed: readonly Item[];
  closedItems: number;
  closedListUrl: string;
  /** Still open, most recently updated first, and how many of them the record lists. */
  open: readonly Item[];
  /** How many are open, when `open` holds only the most recently updated of them. */
  openCount?: number;
  openItems: number;
  openListUrl: string;
  /** What became of the burn-up chart, when the target asks for one. */
  chart?: string;
  /** The due date status auto used, and where it came from. */
  due?: Date;
  dueFrom?: 'target' | 'milestone' | 'iteration';
  /** The milestone's due date, when the target's `due` was used instead. */
  milestoneDue?: Date;
  /** Set when done and total are not items: points, or a metric's unit. */
  unit?: string;
  /** The percent of this action's record from the previous period, when Feishu gave one (for the group digest). */
  previousPercent?: number;
  /** How the target is measured, in words: items, points, a goal or a metric. */
  measure?: { kind: 'items' | 'points' | 'goal' | 'metric'; text: string; from?: string };
}

/** Why a run stopped before it was done (bad input, bad mapping file …), for the summary. */
export interface RunStop {
  reason: string;
  /** The mapping file's problems, one line each, as `file:LINE:COL path: message`. */
  problems: string[];
}

/** GitHub's job summary is capped at 1 MiB (bytes, not characters); stay well under it. */
const SUMMARY_LIMIT = 1000 * 1024;
const BAR_CELLS = 20;

/** Text as HTML that cannot add markup, break a table or mention anyone. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\|/g, '&#124;')
    // The entity alone decodes back to @ before GitHub looks for mentions; the word joiner after it does not.
    .replace(/@/g, '&#64;&#8288;')
    .replace(/[\r\n]+/g, ' ');
}

/**
 * Every output, on every exit path. `error` is why the step failed (empty when it did not);
 * a step that failed counts at least one failure, also when it stopped before any target.
 */
export function setOutputs(results: TargetResult[], error = ''): void {
  const failed = results.filter((r) => r.result === 'failed').length;
  core.setOutput('records', redact(JSON.stringify(results.map(({ url: _url, report: _report, ...record }) => record))));
  core.setOutput('created', results.filter((r) => r.result === 'created').length);
  core.setOutput('updated', results.filter((r) => r.result === 'updated').length);
  core.setOutput('failed', error && failed === 0 ? 1 : failed);
  core.setOutput('error', redact(error));
}

/** A link whose text is escaped here; addresses that are not http(s) give plain text. */
function link(url: string | undefined, html: string): string {
  return url && /^https?:\/\//.test(url) ? `<a href="${escapeHtml(url)}">${html}</a>` : html;
}

/** Percent as a bar of block characters; any progress shows, and only 100 % fills it. */
export function progressBar(percent: number): string {
  const share = Math.min(1, Math.max(0, percent / 100));
  let filled = Math.round(share * BAR_CELLS);
  if (share > 0 && filled === 0) filled = 1;
  if (share < 1 && filled === BAR_CELLS) filled = BAR_CELLS - 1;
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An instant as the date and time of the target's time zone, e.g. 2026-11-20 09:00 UTC. */
function when(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${localDate(at, timeZone)} ${pad(p.hour)}:${pad(p.minute)} ${timeZone}`;
}

function resultCell(r: TargetResult): string {
  if (r.result === 'failed') return `failed: ${escapeHtml(r.error ?? '')}`;
  // No address of a record's page in Feishu OKR can be built from its ids, so no link.
  return r.result;
}

function row(r: TargetResult): string {
  const cells = [
    escapeHtml(cleanTitle(r.name)),
    link(r.url, escapeHtml(r.repository)),
    r.percent === null ? '–' : `<code>${progressBar(r.percent)}</code>`,
    r.percent === null ? '–' : `${r.percent}%`,
    r.done === null
      ? '–'
      : r.report?.measure?.kind === 'goal' || r.report?.measure?.kind === 'metric'
        ? escapeHtml(r.report.measure.text)
        : `${r.done} / ${r.total}${r.report?.unit === 'points' ? ' points' : ''}`,
    r.closed_in_window === null ? '–' : String(r.closed_in_window),
    r.status === null ? '–' : WORDS.en.status[r.status],
    resultCell(r),
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

const HEAD = ['Target', 'Source', 'Progress', 'Percent', 'Done', 'Closed in window', 'Status', 'Result'];

function table(rows: string[]): string {
  return `<table><tr>${HEAD.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

function itemLine(item: Item, closed: boolean, repository?: string): string {
  // The same marks as the record's, in English.
  const marks = itemMarks(item, closed, WORDS.en);
  const title = escapeHtml(cleanTitle(item.title));
  const struck = closed && (item.closeReason === 'not_planned' || item.closeReason === 'duplicate') ? `<s>${title}</s>` : title;
  const author = item.author ? ` — ${escapeHtml(`@${item.author}`)}` : '';
  // A project's draft issue has no page and no number: its title alone.
  const reference = item.reference === null ? '' : `${link(item.url, escapeHtml(item.reference ?? itemReference(item, repository)))} `;
  return `<li>${closed ? '☑' : '☐'} ${reference}${struck}${marks.length ? escapeHtml(WORDS.en.marked(marks)) : ''}${author}</li>`;
}

/** Up to `limit` items as a list, then "…and K more" linked to the full list on GitHub. */
function itemList(items: readonly Item[], limit: number, closed: boolean, listUrl: string, count = items.length, repository?: string): string {
  if (items.length === 0 || limit === 0) return '';
  const more = count > limit ? `<li>${link(listUrl, `…and ${count - limit} more`)}</li>` : '';
  return `<ul>${items.slice(0, limit).map((item) => itemLine(item, closed, repository)).join('')}${more}</ul>`;
}

/** The due date and where it came from: the target's `due` wins over the milestone's due date. */
function dueFact(report: TargetReport): string {
  if (!report.due) return '';
  const day = (at: Date): string => escapeHtml(localDate(at, report.timezone));
  if (report.dueFrom === 'milestone') return `Due: ${day(report.due)} (the milestone's due date)`;
  if (report.dueFrom === 'iteration') return `Due: ${day(report.due)} (the last day of the project's iteration)`;
  const over = report.milestoneDue ? `, used instead of the milestone's due date ${day(report.milestoneDue)}` : '';
  return `Due: ${day(report.due)} (the target's <code>due</code>${over})`;
}

/** One collapsible section per target: what its record reported, the window and the period. */
function section(r: TargetResult): string {
  const report = r.report;
  if (!report) return '';
  const { closed, open, timezone, measure } = report;
  const openCount = report.openCount ?? open.length;
  if (measure?.kind === 'metric') {
    const from = measure.from ? `; read from ${escapeHtml(measure.from)}` : '';
    return `<details><summary><b>${escapeHtml(cleanTitle(r.name))}</b>: ${escapeHtml(measure.text)}</summary>\n<p>Value ${escapeHtml(measure.text)}${from}<br>Period: ${escapeHtml(report.period)}</p>\n</details>`;
  }
  const facts = [
    `Window: ${escapeHtml(when(report.windowStart, timezone))} → ${escapeHtml(when(report.now, timezone))}`,
    `Period: ${escapeHtml(report.period)}`,
    dueFact(report),
    r.progress_id ? `Record: ${escapeHtml(r.progress_id)}` : '',
    report.chart ? `Burn-up chart: ${escapeHtml(report.chart)}` : '',
  ].filter(Boolean);
  return [
    `<details><summary><b>${escapeHtml(cleanTitle(r.name))}</b>: ${closed.length} closed in the window, ${openCount} still open</summary>`,
    `<p>${facts.join('<br>')}</p>`,
    `<p><b>Closed in the window (${closed.length})</b></p>`,
    itemList(closed, report.closedItems, true, report.closedListUrl, closed.length, r.repository),
    `<p><b>Still open (${openCount})</b></p>`,
    itemList(open, report.openItems, false, report.openListUrl, openCount, r.repository),
    '</details>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Why the run stopped, and the mapping file's problems as a list. */
function stopHtml(stopped: RunStop): string {
  const problems = stopped.problems.length ? `\n<ul>${stopped.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '';
  return `<p>${escapeHtml(stopped.reason)}</p>${problems}`;
}

export function summaryHtml(results: TargetResult[], dryRun: boolean, stopped?: RunStop, note?: string): string {
  // The note (what an event narrowed the run to) goes under the title.
  const title = `<h2>OKR progress${dryRun ? ' (dry run: nothing written to Feishu)' : ''}</h2>${note ? `\n<p>${escapeHtml(note)}</p>` : ''}`;
  if (results.length === 0) {
    if (stopped) return `${title}\n<p><b>No target was run.</b></p>\n${stopHtml(stopped)}\n`;
    return `${title}\n<p>No target was run; ${note ? 'nothing was written' : 'the log says why'}.</p>\n`;
  }
  const counts = ['created', 'updated', 'dry-run', 'failed']
    .map((kind) => [kind, results.filter((r) => r.result === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  const stop = stopped ? `\n<p><b>The run stopped before it was done.</b></p>\n${stopHtml(stopped)}` : '';
  const intro = `<p>${results.length} target${results.length === 1 ? '' : 's'}: ${counts.join(', ')}.</p>${stop}`;
  const rows = results.map(row);
  const sections = results.map(section).filter(Boolean);

  const size = (parts: string[]): number => parts.reduce((sum, part) => sum + Buffer.byteLength(part) + 1, 0);
  // The table comes first; sections are left out from the last one while the whole is too big.
  const head = [title, intro, table(rows)];
  let kept = sections.length;
  while (kept > 0 && size([...head, ...sections.slice(0, kept)]) > SUMMARY_LIMIT) kept--;
  if (size(head) <= SUMMARY_LIMIT) {
    const note = kept < sections.length ? [`<p>${sections.length - kept} more target sections left out to keep the summary under 1 MiB.</p>`] : [];
    return `${[...head, ...sections.slice(0, kept), ...note].join('\n')}\n`;
  }
  // Even the table is too big: keep whole rows only, and say how many were left out.
  const keptRows: string[] = [];
  let used = size([title, intro, table([])]) + 200;
  for (const r of rows) {
    if (used + Buffer.byteLength(r) > SUMMARY_LIMIT) break;
    keptRows.push(r);
    used += Buffer.byteLength(r);
  }
  return `${[title, intro, table(keptRows), `<p>…and ${rows.length - keptRows.length} more targets (see the records output).</p>`].join('\n')}\n`;
}

export async function writeSummary(results: TargetResult[], dryRun: boolean, stopped?: RunStop, note?: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  await core.summary.addRaw(redact(summaryHtml(results, dryRun, stopped, note))).write();
}
