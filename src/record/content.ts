import { z } from 'zod';
import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import { localDate, type Progress, type Status } from '../progress.js';
import { CreateProgressRecordRequest, RecordContent, type ContentBlock, type ParagraphElement } from './request.js';
import { cleanTitle } from './text.js';
import { WORDS, type Words } from './words.js';

// The record of the contract ("the record"): Feishu v1 rich-text blocks built from one
// target's progress. Pure: the same input always gives the same request.

export interface RecordInput {
  /** Resolved target (language, timezone, closedItems, openItems, docs, sourceTitle, targetId, targetType, repository). */
  target: Target;
  /** Target name, or milestone title / labels. */
  displayName: string;
  progress: Progress;
  /** The target's page on GitHub: headline link and source_url. */
  targetUrl: string;
  /** GitHub list of the closed items, for "…and K more". */
  closedListUrl: string;
  /** GitHub list of the open items, for "…and K more". */
  openListUrl: string;
  /** GitHub login -> Feishu open_id. */
  people: Record<string, string>;
  /** e.g. 2026-W48, 2026-11-26, 2026-11, run-123-1 */
  periodKey: string;
  /** The workflow run, e.g. label "CI #42". */
  run: { url: string; label: string };
  /** The uploaded burn-up chart, shown in a gallery after the headline (mapping key `chart`). */
  chart?: ChartImage;
}

/** An image uploaded to Feishu: its file token and the (expiring) address Feishu gave for it. */
export interface ChartImage {
  fileToken: string;
  src: string;
  width: number;
  height: number;
}

export const FOOTER_BRAND = 'okr-progress-action';

/**
 * The text by which later runs recognise this action's record of a repository and period.
 * It is the same in every language and is written in one text run.
 */
export function recordMarker(repository: string, periodKey: string): string {
  return `${FOOTER_BRAND} · ${repository} · ${periodKey}`;
}

const MARKER_PATTERN = new RegExp(`^${FOOTER_BRAND} · ([\\w.-]+/[\\w.-]+) · (\\S+)(?: · |$)`);

/** The repository and period of a text run that starts with a record marker; null otherwise. */
export function parseRecordMarker(text: string): { repository: string; periodKey: string } | null {
  const match = MARKER_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) return null;
  return { repository: match[1], periodKey: match[2] };
}

type TextRun = Extract<ParagraphElement, { type: 'textRun' }>['textRun'];
type TextStyle = NonNullable<TextRun['style']>;
type Color = NonNullable<TextStyle['textColor']>;
type ParagraphStyle = NonNullable<Extract<ContentBlock, { type: 'paragraph' }>['paragraph']['style']>;
type ListType = NonNullable<ParagraphStyle['list']>['type'];

const STATUS_COLOR: Record<Status, Color | undefined> = {
  [-1]: undefined,
  0: { red: 46, green: 161, blue: 33, alpha: 1 },
  1: { red: 222, green: 131, blue: 0, alpha: 1 },
  2: { red: 216, green: 57, blue: 49, alpha: 1 },
};

function text(content: string, style?: TextStyle): ParagraphElement {
  return { type: 'textRun', textRun: style ? { text: content, style } : { text: content } };
}

const link = (content: string, url: string): ParagraphElement => text(content, { link: { url } });

function paragraph(elements: ParagraphElement[], list?: ListType): ContentBlock {
  // Feishu rejects empty text runs.
  const kept = elements.filter((e) => e.type !== 'textRun' || e.textRun.text !== '');
  return {
    type: 'paragraph',
    paragraph: list ? { style: { list: { type: list, indentLevel: 1 } }, elements: kept } : { elements: kept },
  };
}

/** GitHub logins are case-insensitive; only the mapping's own keys count. */
function openIdOf(login: string, people: Record<string, string>): string | undefined {
  const wanted = login.toLowerCase();
  return Object.entries(people).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

function itemParagraph(item: Item, closed: boolean, words: Words, people: Record<string, string>): ContentBlock {
  const dropped = closed && (item.closeReason === 'not_planned' || item.closeReason === 'duplicate');
  const elements = [
    link(`#${item.number}`, item.url),
    text(` ${cleanTitle(item.title)}`, dropped ? { strikeThrough: true } : undefined),
  ];
  if (item.kind === 'pull') elements.push(text(words.pullRequest));
  if (item.author) {
    const openId = openIdOf(item.author, people);
    elements.push(text(' — '), openId ? { type: 'person', person: { openId } } : text(`@${item.author}`));
  }
  return paragraph(elements, closed ? 'checkedBox' : 'checkBox');
}

const heading = (content: string): ContentBlock => paragraph([text(content, { bold: true })]);

/** Up to `limit` items, then "…and K more" linked to the full list. */
function itemList(
  items: readonly Item[],
  limit: number,
  closed: boolean,
  listUrl: string,
  words: Words,
  people: Record<string, string>,
  count = items.length,
): ContentBlock[] {
  const blocks = items.slice(0, limit).map((item) => itemParagraph(item, closed, words, people));
  if (count > limit) blocks.push(paragraph([link(words.andMore(count - limit), listUrl)], 'indent'));
  return blocks;
}

function headline(input: RecordInput, words: Words): ContentBlock[] {
  const { progress, target } = input;
  let facts = ` — ${words.progress(progress.done, progress.total)}`;
  if (progress.due) facts += `${words.comma}${words.due(localDate(progress.due, target.timezone))}`;
  const color = STATUS_COLOR[progress.status];
  const blocks = [
    paragraph([
      text(`${progress.percent}%`, { bold: true }),
      text(`${facts} · `),
      text(words.status[progress.status], color ? { textColor: color } : undefined),
      text(' · '),
      link(cleanTitle(input.displayName), input.targetUrl),
    ]),
  ];
  if (target.docs.length > 0) {
    blocks.push(paragraph(target.docs.map((doc) => ({ type: 'docsLink', docsLink: { url: doc.url, title: cleanTitle(doc.title) } }))));
  }
  return blocks;
}

const gallery = (image: ChartImage): ContentBlock => ({ type: 'gallery', gallery: { imageList: [{ ...image }] } });

function figures(progress: Progress, words: Words): ContentBlock[] {
  const { figures: label } = words;
  const lines = [
    words.figure(label.issuesClosed, String(progress.figures.issuesClosed)),
    words.figure(label.pullsMerged, String(progress.figures.pullsMerged)),
    words.figure(label.opened, String(progress.figures.opened)),
    words.figure(label.done, words.of(progress.done, progress.total)),
  ];
  return lines.map((line) => paragraph([text(line)], 'bullet'));
}

function footer(input: RecordInput, words: Words): ContentBlock {
  const marker = recordMarker(input.target.repository, input.periodKey);
  return paragraph([text(words.footer), link(`${marker} · ${cleanTitle(input.run.label)}`, input.run.url)]);
}

function contentOf(input: RecordInput): RecordContent {
  const { progress, target, people } = input;
  const words = WORDS[target.language];
  const { closedInWindow, open } = progress;
  const blocks = [
    ...headline(input, words),
    ...(input.chart ? [gallery(input.chart)] : []),
    heading(words.closedSince(localDate(progress.windowStart, target.timezone), closedInWindow.length)),
    ...itemList(closedInWindow, target.closedItems, true, input.closedListUrl, words, people),
    heading(words.stillOpen(progress.openCount)),
    // open_items 0 asks for no open items at all, not for a link to them.
    ...(target.openItems > 0 ? itemList(open, target.openItems, false, input.openListUrl, words, people, progress.openCount) : []),
    ...figures(progress, words),
    footer(input, words),
  ];
  return { blocks };
}

/** The rich text of the record, in the contract's order (also the body of an update). */
export function buildRecordContent(input: RecordInput): RecordContent {
  return validated(RecordContent, contentOf(input), input.target);
}

/** The body of the create call for one target. */
export function buildRecordRequest(input: RecordInput): CreateProgressRecordRequest {
  const { target, targetUrl, progress } = input;
  return validated(
    CreateProgressRecordRequest,
    {
      source_title: target.sourceTitle,
      source_url: targetUrl,
      source_url_pc: targetUrl,
      source_url_mobile: targetUrl,
      target_id: target.targetId,
      target_type: target.targetType,
      content: contentOf(input),
      progress_rate: { percent: progress.percent, status: progress.status },
    },
    target,
  );
}

// A payload the schema refuses means a bug here or bad input upstream: say where.
function validated<T>(schema: z.ZodType<T>, value: T, target: Target): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`the record for target ${target.targetId} does not match Feishu's request format:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}
