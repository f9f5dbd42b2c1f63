import * as core from '@actions/core';
import type { Status } from './progress.js';
import { WORDS } from './record/words.js';

// What the run reports: the `records` output and the job summary.

export interface TargetResult {
  name: string;
  target_id: string;
  target_type: 2 | 3;
  repository: string;
  percent: number | null;
  status: Status | null;
  done: number | null;
  total: number | null;
  closed_in_window: number | null;
  progress_id: string | null;
  result: 'created' | 'updated' | 'dry-run' | 'failed';
  error?: string;
  /** Shown in the summary only. */
  url?: string;
}

/** GitHub's job summary is capped at 1 MiB; stay well under it. */
const SUMMARY_LIMIT = 1000 * 1024;

/** Text as HTML that cannot add markup, break a table or mention anyone. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\|/g, '&#124;')
    .replace(/@/g, '&#64;')
    .replace(/[\r\n]+/g, ' ');
}

export function setOutputs(results: TargetResult[]): void {
  core.setOutput('records', JSON.stringify(results.map(({ url: _url, ...record }) => record)));
  core.setOutput('created', results.filter((r) => r.result === 'created').length);
  core.setOutput('updated', results.filter((r) => r.result === 'updated').length);
  core.setOutput('failed', results.filter((r) => r.result === 'failed').length);
}

export function summaryHtml(results: TargetResult[], dryRun: boolean): string {
  const rows = results.map((r) => {
    const name = r.url ? `<a href="${escapeHtml(r.url)}">${escapeHtml(r.name)}</a>` : escapeHtml(r.name);
    const cells = [
      name,
      escapeHtml(r.repository),
      r.percent === null ? '–' : `${r.percent}%`,
      r.done === null ? '–' : `${r.done} / ${r.total}`,
      r.closed_in_window === null ? '–' : String(r.closed_in_window),
      r.status === null ? '–' : WORDS.en.status[r.status],
      r.result === 'failed' ? `failed: ${escapeHtml(r.error ?? '')}` : r.result,
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const head = ['Target', 'Repository', 'Progress', 'Done', 'Closed in window', 'Status', 'Result'];
  const title = `<h2>OKR progress${dryRun ? ' (dry run: nothing written to Feishu)' : ''}</h2>`;
  const table = (body: string[]): string => `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${body.join('')}</table>`;
  let html = `${title}\n${table(rows)}\n`;
  if (html.length > SUMMARY_LIMIT) {
    // Keep whole rows only, and say how many were left out.
    const kept: string[] = [];
    let size = title.length + 200;
    for (const row of rows) {
      if (size + row.length > SUMMARY_LIMIT) break;
      kept.push(row);
      size += row.length;
    }
    html = `${title}\n${table(kept)}\n<p>…and ${rows.length - kept.length} more targets (see the records output).</p>\n`;
  }
  return html;
}

export async function writeSummary(results: TargetResult[], dryRun: boolean): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  await core.summary.addRaw(summaryHtml(results, dryRun)).write();
}
