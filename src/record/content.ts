import { z } from 'zod';
import type { Target } from '../config/schema.js';
import type { Item } from '../github/items.js';
import { localDate, type Progress, type Status } from '../progress.js';
import { CreateProgressRecordRequest, RecordContent, type ContentBlock, type ParagraphElement } from './request.js';
import { cleanTitle, itemReference } from './text.js';
import { itemMarks, WORDS, type Words } from './words.js';

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

function itemParagraph(item: Item, closed: boolean, words: Words, people: Record<string, string>, repository?: string): ContentBlock {
  const dropped = closed && (item.closeReason === 'not_planned' || item.closeReason === 'duplicate');
  const style = dropped ? { strikeThrough: true } : undefined;
  const reference = item.reference === undefined ? itemReference(item, repository) : item.reference;
  // A project's draft issue has no page: its title alone, marked as a draft.
  const elements =
    reference === null
      ? [text(cleanTitle(item.title), style)]
      : [link(reference, item.url), text(` ${cleanTitle(item.title)}`, style)];
  const marks = itemMarks(item, closed, words);
  if (marks.length) elements.push(text(words.marked(marks)));
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
  repository?: string,
): ContentBlock[] {
  const blocks = items.slice(0, limit).map((item) => itemParagraph(item, closed, words, people, repository));
  if (count > limit) blocks.push(paragraph([link(words.andMore(count - limit), listUrl)], 'indent'));
  return blocks;
}

export interface MeasureWords {
  kind: 'items' | 'points' | 'goal' | 'metric';
  text: string;
  /** Where a metric's value was read. */
  from?: string;
}

/** How a target is measured, in words: "5 of 8", "21 of 34 points", "12 of 30 closed since …", "72.4 % (start 60 %, target 80 %)". */
export function measureWords(target: Target, progress: Progress, words: Words = WORDS.en): MeasureWords {
  if (target.metric) {
    const shown = (n: number): string => withUnit(n, progress.unit);
    const text = `${shown(progress.done)}${words.metric(shown(target.metric.start), shown(target.metric.target))}`;
    return { kind: 'metric', text, ...(progress.from !== undefined && { from: progress.from }) };
  }
  if (target.goal !== undefined) {
    const since = progress.start ? localDate(progress.start, target.timezone) : '';
    return { kind: 'goal', text: words.goal(progress.done, progress.total, since) };
  }
  if (progress.unit === 'points') return { kind: 'points', text: words.points(progress.done, progress.total) };
  return { kind: 'items', text: words.of(progress.done, progress.total) };
}

/** A metric's number with its unit: 72.4 %, 180 ms. */
const withUnit = (value: number, unit: string | undefined): string => (unit && unit !== 'items' ? `${value} ${unit}` : String(value));

/** A metric's headline: "72.4 % line coverage (start 60 %, target 80 %) — 62% of the way · on track". */
function metricHeadline(input: RecordInput, words: Words): ContentBlock {
  const { progress, target } = input;
  const metric = target.metric!;
  const color = STATUS_COLOR[progress.status];
  const shown = (n: number): string => withUnit(n, progress.unit);
  let facts = `${words.metric(shown(metric.start), shown(metric.target))} — ${words.ofTheWay(progress.percent)}`;
  if (progress.due) facts += `${words.comma}${words.due(localDate(progress.due, target.timezone))}`;
  return paragraph([
    text(shown(progress.done), { bold: true }),
    text(' '),
    link(cleanTitle(input.displayName), input.targetUrl),
    text(`${facts} · `),
    text(words.status[progress.status], color ? { textColor: color } : undefined),
    text(statusReason(progress, target, words)),
  ]);
}

/** Why status auto says at risk or delayed; nothing for a status the mapping forces. */
function statusReason(progress: Progress, target: Target, words: Words): string {
  if (target.status !== 'auto') return '';
  if (progress.status === 2) return words.marked([words.pastDue]);
  if (progress.status === 1 && progress.expected !== undefined) return words.marked([words.expected(Math.round(progress.expected))]);
  return '';
}

function headline(input: RecordInput, words: Words): ContentBlock[] {
  const { progress, target } = input;
  const measure = measureWords(target, progress, words);
  let facts = measure.kind === 'items' ? words.progress(progress.done, progress.total) : measure.text;
  if (progress.due) facts += `${words.comma}${words.due(localDate(progress.due, target.timezone))}`;
  const color = STATUS_COLOR[progress.status];
  // The name first: it is what a reader of the OKR page looks for.
  const blocks = [
    target.metric ? metricHeadline(input, words) : paragraph([
      link(cleanTitle(input.displayName), input.targetUrl),
      text(' — '),
      text(`${progress.percent}%`, { bold: true }),
      text(` · ${facts} · `),
      text(words.status[progress.status], color ? { textColor: color } : undefined),
      text(statusReason(progress, target, words)),
    ]),
  ];
  if (target.docs.length > 0) {
    blocks.push(paragraph(target.docs.map((doc) => ({ type: 'docsLink', docsLink: { url: doc.url, title: cleanTitle(doc.title) } }))));
  }
  return blocks;
}

const gallery = (image: ChartImage): ContentBlock => ({ type: 'gallery', gallery: { imageList: [{ ...image }] } });

/** The figures, a block of their own under a heading, so that they do not read as part of "Still open". */
function figures(progress: Progress, words: Words, target: Target): ContentBlock[] {
  const { figures: label } = words;
  if (target.metric) {
    const shown = (n: number): string => withUnit(n, progress.unit);
    const m = words.metricFigures;
    const lines = [
      words.figure(m.value, shown(progress.done)),
      words.figure(m.start, shown(target.metric.start)),
      words.figure(m.target, shown(target.metric.target)),
      ...(progress.from ? [words.figure(m.from, progress.from)] : []),
    ];
    return [heading(words.figuresHeading), ...lines.map((line) => paragraph([text(line)], 'bullet'))];
  }
  const measure = measureWords(target, progress, words);
  const lines = [
    words.figure(label.issuesClosed, String(progress.figures.issuesClosed)),
    words.figure(label.pullsMerged, String(progress.figures.pullsMerged)),
    words.figure(label.opened(localDate(progress.windowStart, target.timezone)), String(progress.figures.opened)),
    words.figure(label.done, measure.text),
  ];
  return [heading(words.figuresHeading), ...lines.map((line) => paragraph([text(line)], 'bullet'))];
}

function footer(input: RecordInput, words: Words): ContentBlock {
  const marker = recordMarker(input.target.repository, input.periodKey);
  return paragraph([text(words.footer), link(`${marker} · ${cleanTitle(input.run.label)}`, input.run.url)]);
}

function contentOf(input: RecordInput): RecordContent {
  const { progress, target, people } = input;
  const words = WORDS[target.language];
  const { closedInWindow, open } = progress;
  // A metric selects no items: its record is the headline, the figures and the footer.
  const lists = target.metric ? [] : [
    heading(words.closedSince(localDate(progress.windowStart, target.timezone), closedInWindow.length)),
    ...itemList(closedInWindow, target.closedItems, true, input.closedListUrl, words, people, closedInWindow.length, target.repository),
    heading(words.stillOpen(progress.openCount)),
    // open_items 0 asks for no open items at all, not for a link to them.
    ...(target.openItems > 0 ? itemList(open, target.openItems, false, input.openListUrl, words, people, progress.openCount, target.repository) : []),
  ];
  const blocks = [
    ...headline(input, words),
    ...(input.chart ? [gallery(input.chart)] : []),
    ...lists,
    ...figures(progress, words, target),
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
