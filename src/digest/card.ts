import type { Status } from '../progress.js';
import { cleanTitle } from '../record/text.js';
import { WORDS, type Language } from '../record/words.js';
import type { TargetResult } from '../summary.js';

// The group digest as a Feishu interactive card, card JSON 1.0 (no `schema` key): it renders
// on every client version, and its validation is lenient (see the spec's notes on 2.0).
// Pure: the same results always give the same card.

/** Feishu refuses webhook bodies over 20 KB; the whole body stays under this many bytes. */
export const WEBHOOK_BODY_LIMIT = 20_000;

/** Room left in the body for `timestamp`, `sign` and `msg_type` around the card. */
const ENVELOPE_RESERVE = 200;

/** Error messages are cut to this many characters: the job summary has them in full. */
const MAX_ERROR_LENGTH = 160;

export interface DigestRun {
  url: string;
  label: string;
}

interface PlainText {
  tag: 'plain_text';
  content: string;
}

export type CardElement =
  | { tag: 'markdown'; content: string }
  | { tag: 'hr' }
  | { tag: 'note'; elements: PlainText[] }
  | { tag: 'action'; actions: { tag: 'button'; text: PlainText; type: 'default' | 'primary' | 'danger'; url: string }[] };

export interface Card {
  config: { wide_screen_mode: true };
  header: { title: PlainText; template: 'blue' | 'red' };
  elements: CardElement[];
}

interface DigestWords {
  title: string;
  /** The change in percentage points since the previous period's record. */
  change(points: string): string;
  noChange: string;
  changeUnknown: string;
  failed: string;
  more(count: number, failed: number): string;
  button: string;
}

const DIGEST_WORDS: Record<Language, DigestWords> = {
  en: {
    title: 'OKR progress',
    change: (points) => `${points} since the last period`,
    noChange: 'no change since the last period',
    changeUnknown: 'change unknown',
    failed: 'failed',
    more: (count, failed) => `…and ${count} more target${count === 1 ? '' : 's'}${failed ? ` (${failed} failed)` : ''}: see the job summary of the run.`,
    button: 'Open the workflow run',
  },
  zh: {
    title: 'OKR 进展',
    change: (points) => `较上期 ${points}`,
    noChange: '较上期持平',
    changeUnknown: '较上期变化未知',
    failed: '失败',
    more: (count, failed) => `…还有 ${count} 个目标${failed ? `（${failed} 个失败）` : ''}，详见本次运行的作业摘要。`,
    button: '查看工作流运行',
  },
};

// Card colours for the status words; `orange` for at risk, as the record's amber.
const STATUS_COLOUR: Record<Status, string> = { [-1]: 'grey', 0: 'green', 1: 'orange', 2: 'red' };

/**
 * Text that card markdown shows as it is: names and errors can hold milestone titles, which
 * anyone with triage rights writes. Markdown's and HTML's special characters become numeric
 * character references (how Feishu renders these inside markdown is unconfirmed; an HTML
 * reference is what its card markdown documents for `<` and `>`), so nothing in a name can
 * add a link, a colour, or an <at> mention of the whole group.
 */
export function markdownText(text: string): string {
  return cleanTitle(text).replace(/[\\`*_~[\]()<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An http(s) address safe inside `[text](…)`: the characters that could end it are encoded. */
function markdownUrl(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\/[^\s]+$/.test(url)) return undefined;
  return url.replace(/[()<>[\]\\"' ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Two decimals at most, as the percent itself; never "-0". */
function points(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

function changeText(result: TargetResult, words: DigestWords): string {
  const previous = result.report?.previousPercent;
  if (previous === undefined || result.percent === null) return words.changeUnknown;
  const change = Number(points(result.percent - previous));
  if (change === 0) return words.noChange;
  return words.change(`${change > 0 ? '+' : '−'}${points(Math.abs(change))}`);
}

/** One target as one line of card markdown. */
export function digestLine(result: TargetResult, language: Language): string {
  const words = DIGEST_WORDS[language];
  const name = markdownText(result.name);
  const url = markdownUrl(result.url);
  const parts = [`**${url ? `[${name}](${url})` : name}**`];
  if (result.result === 'failed') {
    if (result.percent !== null) parts.push(`${result.percent}%`);
    const error = Array.from(cleanTitle(result.error ?? ''));
    const cut = error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1).join('')}…` : error.join('');
    parts.push(`<font color='red'>${words.failed}: ${markdownText(cut)}</font>`);
    return parts.join(' · ');
  }
  if (result.percent !== null) parts.push(`${result.percent}% (${changeText(result, words)})`);
  if (result.status !== null) parts.push(`<font color='${STATUS_COLOUR[result.status]}'>${WORDS[language].status[result.status]}</font>`);
  return parts.join(' · ');
}

/** The periods of the run's records, in order and each once: the card's title names them. */
function periodsOf(results: readonly TargetResult[]): string[] {
  return [...new Set(results.flatMap((r) => (r.report ? [r.report.period] : [])))];
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * The digest of a run: a title with the period, one line per target (failed targets first),
 * a button to the workflow run. However many targets there are, the card leaves the webhook
 * body under WEBHOOK_BODY_LIMIT: the lines that do not fit are summarised with a count.
 */
export function buildDigestCard(results: readonly TargetResult[], language: Language, run: DigestRun): Card {
  const words = DIGEST_WORDS[language];
  const failed = results.filter((r) => r.result === 'failed');
  const ordered = [...failed, ...results.filter((r) => r.result !== 'failed')];
  const periods = periodsOf(results);
  const card = (lines: string[], left: TargetResult[]): Card => ({
    config: { wide_screen_mode: true },
    header: {
      title: { tag: 'plain_text', content: periods.length ? `${words.title} · ${periods.join(', ')}` : words.title },
      template: failed.length ? 'red' : 'blue',
    },
    elements: [
      { tag: 'markdown', content: lines.join('\n') },
      ...(left.length
        ? [{ tag: 'markdown' as const, content: words.more(left.length, left.filter((r) => r.result === 'failed').length) }]
        : []),
      { tag: 'hr' },
      { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: words.button }, type: 'primary', url: run.url }] },
      { tag: 'note', elements: [{ tag: 'plain_text', content: `${run.label} · okr-progress-action` }] },
    ],
  });

  const lines = ordered.map((r) => digestLine(r, language));
  const budget = WEBHOOK_BODY_LIMIT - ENVELOPE_RESERVE;
  // The size of the card with no line and the longest "…and N more" note, plus each line as
  // JSON encodes it (a line and its newline).
  let used = bytes(card([], ordered));
  let kept = 0;
  while (kept < lines.length) {
    const size = bytes(`${lines[kept]}\n`) - 2;
    if (used + size > budget) break;
    used += size;
    kept++;
  }
  return card(lines.slice(0, kept), ordered.slice(kept));
}
